"""OpsCenter against the real server over boto3: OpsItems (create, get, update, delete, describe with its
filters and paging), deduplication, events, related items, OpsMetadata and GetOpsSummary, and AWS's errors."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from test_parameter_store import error_of


def create(ssm, title: str = "Disk full", source: str = "monitoring", **kwargs) -> str:
    kwargs.setdefault("Description", f"{title}: investigate")
    return ssm.create_ops_item(Title=title, Source=source, **kwargs)["OpsItemId"]


def dedup(text: str) -> dict:
    return {"Value": json.dumps({"dedupString": text}), "Type": "SearchableString"}


def resources(*arns: str) -> dict:
    return {"Value": json.dumps([{"arn": a} for a in arns]), "Type": "SearchableString"}


def described(ssm, *filters: dict, **kwargs) -> list[dict]:
    pages = ssm.get_paginator("describe_ops_items").paginate(OpsItemFilters=list(filters), **kwargs)
    return [s for p in pages for s in p["OpsItemSummaries"]]


def ids(ssm, *filters: dict) -> set[str]:
    return {s["OpsItemId"] for s in described(ssm, *filters)}


def test_create_and_get(ssm):
    created = ssm.create_ops_item(
        Title="Disk full", Source="monitoring", Description="/var is at 99%", Priority=2, Severity="1",
        Category="Availability", Notifications=[{"Arn": "arn:aws:sns:us-east-1:123456789012:ops"}],
        OperationalData={"host": {"Value": "web-1", "Type": "SearchableString"},
                         "secret": {"Value": "s3cr3t", "Type": "String"}},
        Tags=[{"Key": "team", "Value": "infra"}],
    )
    oi = created["OpsItemId"]
    assert oi.startswith("oi-") and len(oi) == 15 and all(c in "0123456789abcdef" for c in oi[3:])
    assert created["OpsItemArn"] == f"arn:aws:ssm:us-east-1:123456789012:opsitem/{oi}"
    item = ssm.get_ops_item(OpsItemId=oi)["OpsItem"]
    assert item["Title"] == "Disk full" and item["Description"] == "/var is at 99%"
    assert (item["Status"], item["OpsItemType"], item["Version"]) == ("Open", "/aws/issue", "1")
    assert (item["Priority"], item["Severity"], item["Category"]) == (2, "1", "Availability")
    assert item["Notifications"] == [{"Arn": "arn:aws:sns:us-east-1:123456789012:ops"}]
    assert item["OperationalData"]["secret"] == {"Value": "s3cr3t", "Type": "String"}
    assert item["CreatedBy"] == item["LastModifiedBy"] == "arn:aws:iam::123456789012:root"
    assert item["OpsItemArn"] == created["OpsItemArn"]
    assert ssm.list_tags_for_resource(ResourceType="OpsItem", ResourceId=oi)["TagList"] == [
        {"Key": "team", "Value": "infra"}]
    # DescribeOpsItems shows only searchable operational data.
    summary = described(ssm, {"Key": "OpsItemId", "Values": [oi], "Operator": "Equal"})[0]
    assert summary["OperationalData"] == {"host": {"Value": "web-1", "Type": "SearchableString"}}


def test_update_workflow_and_operational_data(ssm):
    oi = create(ssm, OperationalData={"a": {"Value": "1", "Type": "String"}, "b": {"Value": "2", "Type": "String"}})
    created = ssm.get_ops_item(OpsItemId=oi)["OpsItem"]
    ssm.update_ops_item(OpsItemId=oi, Status="InProgress", Priority=1, Title="Disk full on web-1",
                        OperationalData={"c": {"Value": "3", "Type": "SearchableString"}},
                        OperationalDataToDelete=["a"])
    item = ssm.get_ops_item(OpsItemId=oi)["OpsItem"]
    assert (item["Status"], item["Priority"], item["Title"], item["Version"]) == (
        "InProgress", 1, "Disk full on web-1", "2")
    assert sorted(item["OperationalData"]) == ["b", "c"]
    assert item["LastModifiedTime"] >= created["LastModifiedTime"]
    ssm.update_ops_item(OpsItemId=oi, Status="Resolved")
    assert ssm.get_ops_item(OpsItemId=oi)["OpsItem"]["Status"] == "Resolved"
    # A change-request status is not one an /aws/issue OpsItem takes.
    code, _ = error_of(ssm.update_ops_item, OpsItemId=oi, Status="PendingApproval")
    assert code == "OpsItemInvalidParameterException"
    change = create(ssm, OpsItemType="/aws/changerequest")
    ssm.update_ops_item(OpsItemId=change, Status="PendingApproval")
    assert ssm.get_ops_item(OpsItemId=change)["OpsItem"]["Status"] == "PendingApproval"


def test_errors(ssm):
    missing = "oi-0123456789ab"
    assert error_of(ssm.get_ops_item, OpsItemId=missing)[0] == "OpsItemNotFoundException"
    assert error_of(ssm.update_ops_item, OpsItemId=missing, Status="Resolved")[0] == "OpsItemNotFoundException"
    with pytest.raises(ssm.exceptions.OpsItemInvalidParameterException) as info:
        create(ssm, source="aws-monitoring")
    assert info.value.response["ParameterNames"] == ["Source"]
    with pytest.raises(ssm.exceptions.OpsItemInvalidParameterException) as info:
        create(ssm, OperationalData={"/aws/mine": {"Value": "x", "Type": "String"}})
    assert info.value.response["ParameterNames"] == ["OperationalData"]
    code, _ = error_of(create, ssm, OperationalData={"big": {"Value": "x" * (20 * 1024 + 1), "Type": "String"}})
    assert code == "OpsItemInvalidParameterException"
    with pytest.raises(ssm.exceptions.OpsItemLimitExceededException) as info:
        create(ssm, OperationalData={"/aws/resources": resources(*[f"arn:aws:ec2:::i-{n}" for n in range(101)])})
    assert info.value.response["Limit"] == 100
    assert error_of(create, ssm, OpsItemType="/aws/whatever")[0] == "OpsItemInvalidParameterException"
    assert error_of(create, ssm, AccountId="999999999999")[0] == "OpsItemAccessDeniedException"
    # The model's own constraints: Priority 1-5, the OpsItemId pattern.
    assert error_of(create, ssm, Priority=6)[0] == "ValidationException"
    assert error_of(ssm.get_ops_item, OpsItemId="oi-nothex")[0] == "ValidationException"


def test_delete_is_idempotent(ssm):
    oi = create(ssm)
    ssm.delete_ops_item(OpsItemId=oi)
    ssm.delete_ops_item(OpsItemId=oi)
    assert error_of(ssm.get_ops_item, OpsItemId=oi)[0] == "OpsItemNotFoundException"
    assert ids(ssm) == set()


def test_deduplication(ssm):
    first = create(ssm, OperationalData={"/aws/dedup": dedup("disk-full"), "/aws/resources": resources("arn:a")})
    # Same string (whatever its case) on the same resource while the first is Open: not created.
    with pytest.raises(ssm.exceptions.OpsItemAlreadyExistsException) as info:
        create(ssm, OperationalData={"/aws/dedup": dedup("DISK-FULL"), "/aws/resources": resources("arn:a")})
    assert info.value.response["OpsItemId"] == first
    # Another resource: a new OpsItem.
    other = create(ssm, OperationalData={"/aws/dedup": dedup("disk-full"), "/aws/resources": resources("arn:b")})
    assert other != first
    ssm.update_ops_item(OpsItemId=first, Status="InProgress")
    assert error_of(create, ssm, OperationalData={"/aws/dedup": dedup("disk-full"),
                                                  "/aws/resources": resources("arn:a")})[0] == \
        "OpsItemAlreadyExistsException"
    # Once Resolved, the string opens a new one; the string can't be changed after creation.
    ssm.update_ops_item(OpsItemId=first, Status="Resolved")
    again = create(ssm, OperationalData={"/aws/dedup": dedup("disk-full"), "/aws/resources": resources("arn:a")})
    assert again not in (first, other)
    assert error_of(ssm.update_ops_item, OpsItemId=again,
                    OperationalData={"/aws/dedup": dedup("other")})[0] == "OpsItemInvalidParameterException"
    assert error_of(create, ssm, OperationalData={"/aws/dedup": {"Value": "not json", "Type": "String"}})[0] == \
        "OpsItemInvalidParameterException"


def test_describe_filters(ssm):
    a = create(ssm, "Disk full on web-1", "monitoring", Priority=1, Severity="1", Category="Availability",
               OperationalData={"host": {"Value": "web-1", "Type": "SearchableString"},
                                "/aws/resources": resources("arn:aws:ec2:us-east-1:123456789012:instance/i-1")})
    b = create(ssm, "CPU high", "alarms", Priority=3, Severity="3", Category="Performance",
               OperationalData={"host": {"Value": "db-1", "Type": "SearchableString"}})
    c = create(ssm, "Change", "people", OpsItemType="/aws/changerequest")
    ssm.update_ops_item(OpsItemId=b, Status="InProgress")

    def f(key: str, op: str, *values: str) -> dict:
        return {"Key": key, "Operator": op, "Values": list(values)}

    assert ids(ssm, f("Status", "Equal", "InProgress")) == {b}
    assert ids(ssm, f("Priority", "Equal", "1", "3")) == {a, b}
    assert ids(ssm, f("Source", "Contains", "mon")) == {a}
    assert ids(ssm, f("Title", "Equal", "CPU high")) == {b}
    assert ids(ssm, f("Title", "Contains", "web")) == {a}
    assert ids(ssm, f("OperationalDataKey", "Equal", "host")) == {a, b}
    assert ids(ssm, f("OperationalDataValue", "Contains", "db-")) == {b}
    assert ids(ssm, f("OperationalData", "Equal", json.dumps({"key": "host", "value": "web-1"}))) == {a}
    assert ids(ssm, f("ResourceId", "Contains", "i-1")) == {a}
    assert ids(ssm, f("Category", "Equal", "Performance")) == {b}
    assert ids(ssm, f("Severity", "Equal", "1")) == {a}
    assert ids(ssm, f("OpsItemType", "Equal", "/aws/changerequest")) == {c}
    assert ids(ssm, f("AccountId", "Equal", "123456789012")) == {a, b, c}
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(ssm, f("CreatedTime", "GreaterThan", past)) == {a, b, c}
    assert ids(ssm, f("LastModifiedTime", "GreaterThan", future)) == set()
    assert ids(ssm, f("CreatedTime", "LessThan", future), f("Status", "Equal", "Open")) == {a, c}
    # Operators a key doesn't take, a Title Equal value past 100 characters, a malformed OperationalData value.
    for bad in (f("Status", "Contains", "Open"), f("CreatedTime", "Equal", past), f("ResourceId", "Equal", "x"),
                f("Title", "Equal", "x" * 101), f("OperationalData", "Equal", "host=web-1"),
                f("CreatedTime", "GreaterThan", "yesterday")):
        assert error_of(ssm.describe_ops_items, OpsItemFilters=[bad])[0] == "OpsItemInvalidParameterException"


def test_describe_pages_newest_first(ssm):
    created = [create(ssm, f"item {n}") for n in range(7)]
    first = ssm.describe_ops_items(MaxResults=3)
    assert [s["OpsItemId"] for s in first["OpsItemSummaries"]] == created[::-1][:3]
    everything = described(ssm, PaginationConfig={"PageSize": 3})
    assert [s["OpsItemId"] for s in everything] == created[::-1]
    assert error_of(ssm.describe_ops_items, NextToken="garbage")[0] == "InvalidNextToken"
    assert error_of(ssm.describe_ops_items, MaxResults=51)[0] == "ValidationException"


def test_events(ssm):
    oi = create(ssm)
    other = create(ssm, "Other")
    ssm.update_ops_item(OpsItemId=oi, Status="InProgress")
    events = ssm.list_ops_item_events(Filters=[{"Key": "OpsItemId", "Values": [oi], "Operator": "Equal"}])
    summaries = events["Summaries"]
    assert [e["DetailType"] for e in summaries] == ["OpsItem Update", "OpsItem Create"]
    assert all(e["OpsItemId"] == oi and e["Source"] == "aws.ssm" for e in summaries)
    assert json.loads(summaries[0]["Detail"]) == {"Status": "InProgress"}
    assert summaries[0]["CreatedBy"] == {"Arn": "arn:aws:iam::123456789012:root"}
    every = [e for p in ssm.get_paginator("list_ops_item_events").paginate(PaginationConfig={"PageSize": 1})
             for e in p["Summaries"]]
    assert [e["OpsItemId"] for e in every] == [oi, other, oi]
    assert error_of(ssm.list_ops_item_events, Filters=[
        {"Key": "OpsItemId", "Values": ["oi-0123456789ab"], "Operator": "Equal"}])[0] == "OpsItemNotFoundException"


def test_related_items(ssm):
    oi = create(ssm)
    doc = "arn:aws:ssm:us-east-1:123456789012:document/AWS-RestartEC2Instance"
    incident = "arn:aws:ssm-incidents::123456789012:incident-record/plan/abc"
    first = ssm.associate_ops_item_related_item(OpsItemId=oi, AssociationType="RelatesTo",
                                                ResourceType="AWS::SSM::Document", ResourceUri=doc)["AssociationId"]
    ssm.associate_ops_item_related_item(OpsItemId=oi, AssociationType="IsParentOf",
                                        ResourceType="AWS::SSMIncidents::IncidentRecord", ResourceUri=incident)
    listed = ssm.list_ops_item_related_items(OpsItemId=oi)["Summaries"]
    assert [(r["ResourceType"], r["ResourceUri"]) for r in listed] == [
        ("AWS::SSMIncidents::IncidentRecord", incident), ("AWS::SSM::Document", doc)]
    only = ssm.list_ops_item_related_items(
        OpsItemId=oi, Filters=[{"Key": "ResourceType", "Values": ["AWS::SSM::Document"], "Operator": "Equal"}])
    assert [r["AssociationId"] for r in only["Summaries"]] == [first]
    with pytest.raises(ssm.exceptions.OpsItemRelatedItemAlreadyExistsException) as info:
        ssm.associate_ops_item_related_item(OpsItemId=oi, AssociationType="RelatesTo",
                                            ResourceType="AWS::SSM::Document", ResourceUri=doc)
    assert info.value.response["ResourceUri"] == doc
    assert error_of(ssm.associate_ops_item_related_item, OpsItemId=oi, AssociationType="Owns",
                    ResourceType="AWS::SSM::Document", ResourceUri=doc)[0] == "OpsItemInvalidParameterException"
    assert error_of(ssm.associate_ops_item_related_item, OpsItemId="oi-0123456789ab", AssociationType="RelatesTo",
                    ResourceType="AWS::SSM::Document", ResourceUri=doc)[0] == "OpsItemNotFoundException"
    ssm.disassociate_ops_item_related_item(OpsItemId=oi, AssociationId=first)
    assert len(ssm.list_ops_item_related_items(OpsItemId=oi)["Summaries"]) == 1
    assert error_of(ssm.disassociate_ops_item_related_item, OpsItemId=oi, AssociationId=first)[0] == \
        "OpsItemRelatedItemAssociationNotFoundException"
    events = ssm.list_ops_item_events(Filters=[{"Key": "OpsItemId", "Values": [oi], "Operator": "Equal"}])
    assert [e["DetailType"] for e in events["Summaries"]][:3] == [
        "OpsItem Related Item Disassociated", "OpsItem Related Item Associated", "OpsItem Related Item Associated"]


# --- OpsMetadata ----------------------------------------------------------------------------------------------
GROUP = "arn:aws:resource-groups:us-east-1:123456789012:group/shop"


def test_ops_metadata_life(ssm):
    arn = ssm.create_ops_metadata(ResourceId=GROUP, Metadata={"type": {"Value": "app"}},
                                  Tags=[{"Key": "env", "Value": "prod"}])["OpsMetadataArn"]
    assert arn == "arn:aws:ssm:us-east-1:123456789012:opsmetadata/aws/ssm/shop/appmanager"
    assert ssm.list_tags_for_resource(ResourceType="OpsMetadata", ResourceId="/aws/ssm/shop/appmanager")[
        "TagList"] == [{"Key": "env", "Value": "prod"}]
    assert error_of(ssm.create_ops_metadata, ResourceId=GROUP)[0] == "OpsMetadataAlreadyExistsException"
    ssm.update_ops_metadata(OpsMetadataArn=arn, MetadataToUpdate={f"k{n}": {"Value": str(n)} for n in range(4)},
                            KeysToDelete=["type"])
    got = ssm.get_ops_metadata(OpsMetadataArn=arn)
    assert got["ResourceId"] == GROUP and got["Metadata"] == {f"k{n}": {"Value": str(n)} for n in range(4)}
    page = ssm.get_ops_metadata(OpsMetadataArn=arn, MaxResults=3)
    assert list(page["Metadata"]) == ["k0", "k1", "k2"]
    rest = ssm.get_ops_metadata(OpsMetadataArn=arn, MaxResults=3, NextToken=page["NextToken"])
    assert list(rest["Metadata"]) == ["k3"] and "NextToken" not in rest
    assert error_of(ssm.update_ops_metadata, OpsMetadataArn=arn, MetadataToUpdate={
        "k4": {"Value": "4"}, "k5": {"Value": "5"}})[0] == "OpsMetadataKeyLimitExceededException"
    assert error_of(ssm.update_ops_metadata, OpsMetadataArn=arn, KeysToDelete=["nope"])[0] == \
        "OpsMetadataInvalidArgumentException"
    ssm.delete_ops_metadata(OpsMetadataArn=arn)
    for call in (ssm.get_ops_metadata, ssm.delete_ops_metadata):
        assert error_of(call, OpsMetadataArn=arn)[0] == "OpsMetadataNotFoundException"


def test_list_ops_metadata(ssm):
    for name in ("a", "b", "c"):
        ssm.create_ops_metadata(ResourceId=f"app-{name}", Metadata={"x": {"Value": name}})
    listed = [m for p in ssm.get_paginator("list_ops_metadata").paginate(PaginationConfig={"PageSize": 2})
              for m in p["OpsMetadataList"]]
    assert [m["ResourceId"] for m in listed] == ["app-a", "app-b", "app-c"]
    assert listed[0]["OpsMetadataArn"].endswith(":opsmetadata/app-a")
    assert listed[0]["LastModifiedUser"] == "arn:aws:iam::123456789012:root"
    only = ssm.list_ops_metadata(Filters=[{"Key": "ResourceId", "Values": ["app-b"]}])["OpsMetadataList"]
    assert [m["ResourceId"] for m in only] == ["app-b"]
    assert error_of(ssm.list_ops_metadata, Filters=[{"Key": "Colour", "Values": ["x"]}])[0] == \
        "OpsMetadataInvalidArgumentException"


# --- GetOpsSummary --------------------------------------------------------------------------------------------
def test_ops_summary(ssm):
    a = create(ssm, "one", Severity="1")
    b = create(ssm, "two", Severity="2")
    c = create(ssm, "three", Severity="2")
    ssm.update_ops_item(OpsItemId=c, Status="Resolved")
    entities = ssm.get_ops_summary()["Entities"]
    assert sorted(e["Id"] for e in entities) == sorted([a, b, c])
    content = {e["Id"]: e["Data"]["AWS:OpsItem"]["Content"][0] for e in entities}
    assert content[c]["Status"] == "Resolved" and content[a]["Title"] == "one"
    open_ones = ssm.get_ops_summary(Filters=[{"Key": "AWS:OpsItem.Status", "Values": ["Open"], "Type": "Equal"}])
    assert sorted(e["Id"] for e in open_ones["Entities"]) == sorted([a, b])
    counted = ssm.get_ops_summary(Aggregators=[{"AggregatorType": "count", "TypeName": "AWS:OpsItem",
                                                "AttributeName": "Severity"}])
    assert counted["Entities"][0]["Data"]["AWS:OpsItem"]["Content"] == [
        {"Severity": "1", "Count": "1"}, {"Severity": "2", "Count": "2"}]
    nested = ssm.get_ops_summary(Aggregators=[{
        "TypeName": "AWS:OpsItem", "AttributeName": "Severity",
        "Aggregators": [{"TypeName": "AWS:OpsItem", "AttributeName": "Status"}]}])
    assert nested["Entities"][0]["Data"]["AWS:OpsItem"]["Content"] == [
        {"Severity": "1", "Status": "Open", "Count": "1"}, {"Severity": "2", "Status": "Open", "Count": "1"},
        {"Severity": "2", "Status": "Resolved", "Count": "1"}]
    paged = [e for p in ssm.get_paginator("get_ops_summary").paginate(PaginationConfig={"PageSize": 2})
             for e in p["Entities"]]
    assert len(paged) == 3
    assert error_of(ssm.get_ops_summary, ResultAttributes=[{"TypeName": "AWS:Nothing"}])[0] == \
        "InvalidTypeNameException"
    assert error_of(ssm.get_ops_summary, Filters=[{"Key": "Status", "Values": ["Open"]}])[0] == "InvalidFilter"
    assert error_of(ssm.get_ops_summary, Aggregators=[{"AggregatorType": "sum", "TypeName": "AWS:OpsItem",
                                                       "AttributeName": "Priority"}])[0] == \
        "InvalidAggregatorException"
    with pytest.raises(ssm.exceptions.ResourceDataSyncNotFoundException):
        ssm.get_ops_summary(SyncName="nope")
