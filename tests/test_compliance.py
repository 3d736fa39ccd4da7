"""PutComplianceItems and the three compliance listings, against a real server with real managed instances."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from conftest import make_client
from test_parameter_store import error_of
from test_run_command import register_container
from wire import raw_call

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
LATER = datetime(2024, 5, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def instances(ssm, emulator, debian_container, busybox_container) -> list[str]:
    """Two managed instances (the emulator is reset by `ssm` first)."""
    return sorted(register_container(emulator, c) for c in (debian_container, busybox_container))


def put(ssm, instance: str, ctype: str, items: list[dict], **kwargs):
    kwargs.setdefault("ExecutionSummary", {"ExecutionTime": WHEN, "ExecutionId": "exec-1", "ExecutionType": "Command"})
    return ssm.put_compliance_items(
        ResourceId=instance, ResourceType="ManagedInstance", ComplianceType=ctype, Items=items, **kwargs
    )


def item(id_: str, status: str = "COMPLIANT", severity: str = "LOW", **extra) -> dict:
    return {"Id": id_, "Title": f"title {id_}", "Severity": severity, "Status": status, **extra}


def listed(ssm, instance: str | None = None, **kwargs) -> list[dict]:
    if instance is not None:
        kwargs["ResourceIds"] = [instance]
    pages = ssm.get_paginator("list_compliance_items").paginate(**kwargs)
    return [i for p in pages for i in p["ComplianceItems"]]


def test_put_and_list_items(ssm, instances):
    mi = instances[0]
    put(ssm, mi, "Custom:Antivirus", [
        item("sig", "COMPLIANT", "HIGH", Details={"Version": "2024.5"}),
        item("scan", "NON_COMPLIANT", "CRITICAL"),
    ])
    items = listed(ssm, mi)
    assert [(i["Id"], i["Status"], i["Severity"]) for i in items] == [
        ("scan", "NON_COMPLIANT", "CRITICAL"), ("sig", "COMPLIANT", "HIGH"),
    ]
    sig = items[1]
    assert sig["ComplianceType"] == "Custom:Antivirus"
    assert sig["ResourceType"] == "ManagedInstance" and sig["ResourceId"] == mi
    assert sig["Title"] == "title sig" and sig["Details"] == {"Version": "2024.5"}
    assert sig["ExecutionSummary"] == {"ExecutionTime": WHEN, "ExecutionId": "exec-1", "ExecutionType": "Command"}
    assert listed(ssm, instances[1]) == []


def test_complete_replaces_all_items_of_the_type(ssm, instances):
    mi = instances[0]
    put(ssm, mi, "Custom:Lint", [item("a"), item("b")])
    put(ssm, mi, "Custom:Other", [item("x")])
    put(ssm, mi, "Custom:Lint", [item("c", "NON_COMPLIANT")], UploadType="COMPLETE")
    assert sorted((i["ComplianceType"], i["Id"]) for i in listed(ssm, mi)) == [
        ("Custom:Lint", "c"), ("Custom:Other", "x"),
    ]
    put(ssm, mi, "Custom:Lint", [])  # COMPLETE by default: an empty upload clears the type
    assert [i["ComplianceType"] for i in listed(ssm, mi)] == ["Custom:Other"]


def test_partial_updates_only_the_given_items(ssm, instances):
    mi = instances[0]
    put(ssm, mi, "Custom:Lint", [item("a"), item("b")])
    put(ssm, mi, "Custom:Lint", [item("b", "NON_COMPLIANT", "MEDIUM"), item("c")], UploadType="PARTIAL",
        ExecutionSummary={"ExecutionTime": LATER})
    got = {i["Id"]: i for i in listed(ssm, mi)}
    assert sorted(got) == ["a", "b", "c"]
    assert got["b"]["Status"] == "NON_COMPLIANT" and got["b"]["ExecutionSummary"] == {"ExecutionTime": LATER}
    assert got["a"]["Status"] == "COMPLIANT" and got["a"]["ExecutionSummary"]["ExecutionTime"] == WHEN


def test_unchanged_content_hash_is_ignored(ssm, instances):
    mi = instances[0]
    put(ssm, mi, "Custom:Hash", [item("a")], ItemContentHash="h1")
    put(ssm, mi, "Custom:Hash", [item("b")], ItemContentHash="h1")  # same hash: no rewrite
    assert [i["Id"] for i in listed(ssm, mi)] == ["a"]
    put(ssm, mi, "Custom:Hash", [item("b")], ItemContentHash="h2")
    assert [i["Id"] for i in listed(ssm, mi)] == ["b"]
    put(ssm, mi, "Custom:Hash", [item("c")])  # no hash: always written
    assert [i["Id"] for i in listed(ssm, mi)] == ["c"]


def test_aws_compliance_types_and_items_without_id(ssm, instances):
    mi = instances[0]
    put(ssm, mi, "Patch", [{"Severity": "UNSPECIFIED", "Status": "COMPLIANT"}, {"Severity": "LOW", "Status": "COMPLIANT"}])
    items = listed(ssm, mi)
    assert len(items) == 2 and all("Id" not in i for i in items)


def test_errors(ssm, instances):
    mi = instances[0]
    code, msg = error_of(put, ssm, "mi-0123456789abcdef0", "Custom:XY", [item("a")])
    assert code == "InvalidResourceId"
    assert msg == "The resource ID isn't valid. Verify that you entered the correct ID and try again."
    assert error_of(ssm.put_compliance_items, ResourceId=mi, ResourceType="Document", ComplianceType="Custom:XY",
                    ExecutionSummary={"ExecutionTime": WHEN}, Items=[])[0] == "InvalidResourceType"
    code, msg = error_of(put, ssm, mi, "Custom: bad", [item("a")])
    assert code == "ValidationException" and "complianceType" in msg
    code, _ = error_of(put, ssm, mi, "Custom:Dup", [item("a"), item("a")])
    assert code == "InvalidItemContentException"
    code, _ = error_of(put, ssm, mi, "Custom:Big", [item("a", Details={f"k{n}": "v" * 4096 for n in range(60)})])
    assert code == "ItemSizeLimitExceededException"
    code, _ = error_of(put, ssm, mi, "Custom:Total", [
        item(str(n), Details={f"k{k}": "v" * 4096 for k in range(40)}) for n in range(14)
    ])
    assert code == "TotalSizeLimitExceededException"
    assert listed(ssm, mi) == []
    assert error_of(ssm.list_compliance_items, ResourceTypes=["Document"])[0] == "InvalidResourceType"
    assert error_of(ssm.list_compliance_items, Filters=[{"Key": "Colour", "Values": ["x"]}])[0] == "InvalidFilter"
    assert error_of(ssm.list_compliance_items, NextToken="garbage")[0] == "InvalidNextToken"


def test_ten_custom_types_per_resource(ssm, instances):
    mi = instances[0]
    for n in range(10):
        put(ssm, mi, f"Custom:T{n}", [item("a")])
    put(ssm, mi, "Patch", [item("p")])  # AWS's own types don't count
    put(ssm, mi, "Custom:T0", [item("b")])  # an existing type is not a new one
    code, msg = error_of(put, ssm, mi, "Custom:T10", [item("a")])
    assert code == "ComplianceTypeCountLimitExceededException"
    assert "maximum of 10 different types" in msg
    put(ssm, instances[1], "Custom:T10", [item("a")])  # per resource


def test_item_filters(ssm, instances):
    a, b = instances
    put(ssm, a, "Custom:Lint", [item("l1", "NON_COMPLIANT", "HIGH"), item("l2")])
    put(ssm, a, "Custom:Scan", [item("s1", "NON_COMPLIANT", "CRITICAL")],
        ExecutionSummary={"ExecutionTime": LATER, "ExecutionId": "exec-2", "ExecutionType": "Automation"})
    put(ssm, b, "Custom:Lint", [item("l1")])

    def ids(*filters, **kwargs):
        return [(i["ResourceId"], i["Id"]) for i in listed(ssm, Filters=list(filters), **kwargs)]

    assert ids({"Key": "Status", "Values": ["NON_COMPLIANT"]}) == [(a, "l1"), (a, "s1")]
    assert ids({"Key": "Status", "Values": ["NON_COMPLIANT"], "Type": "NOT_EQUAL"}) == sorted([(a, "l2"), (b, "l1")])
    assert ids({"Key": "ComplianceType", "Values": ["Custom:Sc"], "Type": "BEGIN_WITH"}) == [(a, "s1")]
    assert ids({"Key": "Severity", "Values": ["CRITICAL", "HIGH"]}) == [(a, "l1"), (a, "s1")]
    assert ids({"Key": "ExecutionId", "Values": ["exec-2"]}) == [(a, "s1")]
    assert ids({"Key": "ExecutionType", "Values": ["Automation"]}) == [(a, "s1")]
    assert ids({"Key": "ExecutionTime", "Values": ["2024-05-02T00:00:00Z"], "Type": "GREATER_THAN"}) == [(a, "s1")]
    assert ids({"Key": "ExecutionTime", "Values": [str(LATER.timestamp())], "Type": "LESS_THAN"}) == sorted(
        [(a, "l1"), (a, "l2"), (b, "l1")])
    assert ids({"Key": "Status", "Values": ["COMPLIANT"]}, ResourceIds=[b]) == [(b, "l1")]
    code, _ = error_of(ssm.list_compliance_items, Filters=[{"Key": "ExecutionTime", "Values": ["yesterday"]}])
    assert code == "InvalidFilter"
    assert ids({"Key": "Status", "Values": ["COMPLIANT"]}, {"Key": "ComplianceType", "Values": ["Custom:Lint"]}) == sorted(
        [(a, "l2"), (b, "l1")])


def test_paging(ssm, instances):
    mi = instances[0]
    put(ssm, mi, "Custom:Many", [item(f"i{n:03d}") for n in range(120)])
    first = ssm.list_compliance_items(ResourceIds=[mi], MaxResults=50)
    assert len(first["ComplianceItems"]) == 50 and first["NextToken"]
    assert [i["Id"] for i in listed(ssm, mi, PaginationConfig={"PageSize": 7})] == [f"i{n:03d}" for n in range(120)]
    for n in range(10):
        put(ssm, mi, "Patch" if n == 0 else f"Custom:P{n}", [item("a")])
    summaries = [s for p in ssm.get_paginator("list_compliance_summaries").paginate(PaginationConfig={"PageSize": 3})
                 for s in p["ComplianceSummaryItems"]]
    assert len(summaries) == 11  # Custom:Many, Patch and Custom:P1..P9
    resources = [s for p in ssm.get_paginator("list_resource_compliance_summaries").paginate(
        PaginationConfig={"PageSize": 4}) for s in p["ResourceComplianceSummaryItems"]]
    assert len(resources) == 11


def severities(**counts) -> dict:
    base = {"CriticalCount": 0, "HighCount": 0, "MediumCount": 0, "LowCount": 0, "InformationalCount": 0,
            "UnspecifiedCount": 0}
    return {**base, **counts}


def test_resource_compliance_summaries(ssm, instances):
    a, b = instances
    put(ssm, a, "Custom:Lint", [item("l1", "NON_COMPLIANT", "HIGH"), item("l2", "NON_COMPLIANT", "LOW"),
                                 item("l3", "COMPLIANT", "CRITICAL")])
    put(ssm, b, "Custom:Lint", [item("l1", "COMPLIANT", "MEDIUM"), item("l2", "COMPLIANT", "LOW")],
        ExecutionSummary={"ExecutionTime": LATER})
    rows = ssm.list_resource_compliance_summaries()["ResourceComplianceSummaryItems"]
    by_id = {r["ResourceId"]: r for r in rows}
    assert by_id[a]["Status"] == "NON_COMPLIANT" and by_id[a]["OverallSeverity"] == "HIGH"
    assert by_id[a]["CompliantSummary"] == {"CompliantCount": 1, "SeveritySummary": severities(CriticalCount=1)}
    assert by_id[a]["NonCompliantSummary"] == {
        "NonCompliantCount": 2, "SeveritySummary": severities(HighCount=1, LowCount=1)}
    assert by_id[a]["ExecutionSummary"]["ExecutionTime"] == WHEN
    assert by_id[b]["Status"] == "COMPLIANT" and by_id[b]["OverallSeverity"] == "MEDIUM"
    assert by_id[b]["ExecutionSummary"] == {"ExecutionTime": LATER}
    assert by_id[b]["ResourceType"] == "ManagedInstance" and by_id[b]["ComplianceType"] == "Custom:Lint"

    def filtered(*filters):
        return [r["ResourceId"] for r in ssm.list_resource_compliance_summaries(Filters=list(filters))[
            "ResourceComplianceSummaryItems"]]

    assert filtered({"Key": "Status", "Values": ["COMPLIANT"]}) == [b]
    assert filtered({"Key": "OverallSeverity", "Values": ["HIGH"]}) == [a]
    assert filtered({"Key": "ComplianceType", "Values": ["Custom:None"]}) == []
    assert error_of(ssm.list_resource_compliance_summaries, Filters=[{"Key": "Severity", "Values": ["HIGH"]}])[0] == "InvalidFilter"


def test_compliance_summaries_count_resources(ssm, instances):
    a, b = instances
    put(ssm, a, "Custom:Lint", [item("l1", "NON_COMPLIANT", "HIGH"), item("l2", "NON_COMPLIANT", "CRITICAL")])
    put(ssm, b, "Custom:Lint", [item("l1", "COMPLIANT", "MEDIUM")])
    put(ssm, b, "Custom:Scan", [item("s1", "COMPLIANT", "LOW"), item("s2", "COMPLIANT", "LOW")])
    rows = {r["ComplianceType"]: r for r in ssm.list_compliance_summaries()["ComplianceSummaryItems"]}
    assert list(rows) == ["Custom:Lint", "Custom:Scan"]
    assert rows["Custom:Lint"]["CompliantSummary"] == {"CompliantCount": 1, "SeveritySummary": severities(MediumCount=1)}
    assert rows["Custom:Lint"]["NonCompliantSummary"] == {
        "NonCompliantCount": 1, "SeveritySummary": severities(CriticalCount=1)}
    assert rows["Custom:Scan"]["CompliantSummary"]["CompliantCount"] == 1
    assert rows["Custom:Scan"]["NonCompliantSummary"]["NonCompliantCount"] == 0
    only_b = ssm.list_compliance_summaries(Filters=[{"Key": "ResourceId", "Values": [b]}])["ComplianceSummaryItems"]
    assert [(r["ComplianceType"], r["NonCompliantSummary"]["NonCompliantCount"]) for r in only_b] == [
        ("Custom:Lint", 0), ("Custom:Scan", 0)]


def test_compliance_is_per_region(client_factory, emulator, debian_container):
    east, west = client_factory(), client_factory(region="us-west-2")
    mi = register_container(emulator, debian_container)
    put(east, mi, "Custom:Where", [item("a")])
    assert listed(west, mi) == []
    assert [i["Id"] for i in listed(east, mi)] == ["a"]


def test_compliance_survives_a_crash(start_emulator, tmp_path, debian_container):
    server = start_emulator("--data-dir", str(tmp_path / "data"))
    ssm = make_client(server.url)
    mi = register_container(server, debian_container)
    put(ssm, mi, "Custom:Durable", [item("a", "NON_COMPLIANT", "HIGH")], ItemContentHash="h1")
    server.kill_hard()
    restarted = make_client(start_emulator("--data-dir", str(tmp_path / "data"), port=server.port).url)
    assert [(i["Id"], i["Status"]) for i in listed(restarted, mi)] == [("a", "NON_COMPLIANT")]
    put(restarted, mi, "Custom:Durable", [item("b")], ItemContentHash="h1")  # the hash survived too
    assert [i["Id"] for i in listed(restarted, mi)] == ["a"]


def test_paging_with_filters_across_scan_chunks(ssm, instances):
    mi = instances[0]
    # 1,200 items, every 7th non-compliant: the matches are spread over several scan chunks
    put(ssm, mi, "Custom:Spread", [item(f"i{n:04d}", "NON_COMPLIANT" if n % 7 == 0 else "COMPLIANT") for n in range(1200)])
    wanted = [f"i{n:04d}" for n in range(1200) if n % 7 == 0]
    got = listed(ssm, mi, Filters=[{"Key": "Status", "Values": ["NON_COMPLIANT"]}], PaginationConfig={"PageSize": 50})
    assert [i["Id"] for i in got] == wanted
    assert error_of(ssm.list_compliance_items, NextToken=_token("ListComplianceItems", [1, 2]))[0] == "InvalidNextToken"
    assert error_of(ssm.list_resource_compliance_summaries, NextToken=_token("ListResourceComplianceSummaries", [1, 2, 3]))[0] == "InvalidNextToken"


def _token(listing: str, position: list) -> str:
    """A token made like the emulator's, with a position of the wrong shape."""
    raw = json.dumps([listing, position]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_hostile_inputs_never_500(emulator, ssm):
    cases = [
        ("PutComplianceItems", {}),
        ("PutComplianceItems", {"ResourceId": "mi-x", "ResourceType": "ManagedInstance", "ComplianceType": "Custom:AB",
                                "ExecutionSummary": {"ExecutionTime": "not a time"}, "Items": []}),
        ("PutComplianceItems", {"ResourceId": "mi-x", "ResourceType": "ManagedInstance", "ComplianceType": "Custom:AB",
                                "ExecutionSummary": {"ExecutionTime": 1}, "Items": [{"Severity": "LOW"}]}),
        ("ListComplianceItems", {"Filters": [{"Key": "Status"}]}),
        ("ListComplianceItems", {"Filters": [{"Values": ["x"]}]}),
        ("ListComplianceSummaries", {"NextToken": "%%%"}),
        ("ListResourceComplianceSummaries", {"MaxResults": 10**30}),
        ("CreateResourceDataSync", {}),
        ("CreateResourceDataSync", {"SyncName": "x", "SyncType": "SyncFromSource", "SyncSource": {"SourceType": "SingleAccountMultiRegions"}}),
        ("UpdateResourceDataSync", {"SyncName": "x", "SyncType": "SyncFromSource"}),
        ("DeleteResourceDataSync", {}),
        ("ListResourceDataSync", {"SyncType": ""}),
    ]
    for operation, body in cases:
        resp = raw_call(emulator.url, operation, body)
        assert 400 <= resp.status < 500, (operation, body, resp.status, resp.body[:300])
        assert "__type" in resp.json
