"""ListDocuments: filters (Filters and the legacy DocumentFilterList), paging, identifiers."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def command(action: str = "aws:runShellScript", version: str = "2.2") -> str:
    return json.dumps({
        "schemaVersion": version,
        "description": "d",
        "mainSteps": [{"action": action, "name": "s", "inputs": {"runCommand": ["x"]}}],
    })


AUTOMATION = json.dumps({
    "schemaVersion": "0.3",
    "description": "runbook",
    "mainSteps": [{"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}],
})
SESSION = json.dumps({"schemaVersion": "1.0", "description": "s", "sessionType": "Port",
                      "properties": {"portNumber": "22"}})


@pytest.fixture
def catalog(ssm):
    ssm.create_document(Name="linux-tool", Content=command(), DocumentType="Command",
                        Tags=[{"Key": "team", "Value": "red"}], TargetType="/AWS::EC2::Instance")
    ssm.create_document(Name="windows-tool", Content=command("aws:runPowerShellScript"), DocumentType="Command",
                        Tags=[{"Key": "team", "Value": "blue"}])
    ssm.create_document(Name="legacy-tool", Content=command(version="2.0"), DocumentType="Command",
                        Tags=[{"Key": "env", "Value": "prod"}])
    ssm.create_document(Name="my-runbook", Content=AUTOMATION, DocumentType="Automation")
    ssm.create_document(Name="my-session", Content=SESSION, DocumentType="Session")
    return ssm


def listed(ssm, **kwargs) -> list[str]:
    out = []
    for page in ssm.get_paginator("list_documents").paginate(**kwargs):
        out += [i["Name"] for i in page["DocumentIdentifiers"]]
    return out


def self_(*more):
    return [{"Key": "Owner", "Values": ["Self"]}, *more]


def test_identifier_fields(catalog):
    items = catalog.list_documents(Filters=self_({"Key": "Name", "Values": ["linux"]}))["DocumentIdentifiers"]
    assert len(items) == 1
    item = items[0]
    assert item["Name"] == "linux-tool"
    assert item["Owner"] == "123456789012"
    assert item["DocumentVersion"] == "1"
    assert item["DocumentType"] == "Command"
    assert item["SchemaVersion"] == "2.2"
    assert item["DocumentFormat"] == "JSON"
    assert item["PlatformTypes"] == ["Linux", "MacOS"]
    assert item["TargetType"] == "/AWS::EC2::Instance"
    assert item["Tags"] == [{"Key": "team", "Value": "red"}]
    assert item["CreatedDate"].year >= 2024


def test_filters(catalog):
    ssm = catalog
    assert listed(ssm, Filters=self_()) == ["legacy-tool", "linux-tool", "my-runbook", "my-session", "windows-tool"]
    assert listed(ssm, Filters=self_({"Key": "Name", "Values": ["li", "win"]})) == ["linux-tool", "windows-tool"]
    assert listed(ssm, Filters=self_({"Key": "DocumentType", "Values": ["Automation", "Session"]})) == [
        "my-runbook", "my-session"
    ]
    assert listed(ssm, Filters=self_({"Key": "PlatformTypes", "Values": ["Windows"]})) == [
        "my-runbook", "my-session", "windows-tool"
    ]
    assert listed(ssm, Filters=self_({"Key": "SchemaVersion", "Values": ["2.0"]})) == ["legacy-tool"]
    assert listed(ssm, Filters=self_({"Key": "tag:team", "Values": ["red", "blue"]})) == ["linux-tool", "windows-tool"]
    assert listed(ssm, Filters=self_({"Key": "tag:team", "Values": ["blue"]})) == ["windows-tool"]
    assert listed(ssm, Filters=self_({"Key": "tag:env", "Values": []})) == ["legacy-tool"]
    assert listed(ssm, Filters=self_({"Key": "SearchKeyword", "Values": ["TOOL"]})) == [
        "legacy-tool", "linux-tool", "windows-tool"
    ]
    assert listed(ssm, Filters=self_({"Key": "TargetType", "Values": ["/AWS::EC2::Instance"]})) == ["linux-tool"]
    # different keys must all hold
    assert listed(ssm, Filters=self_({"Key": "DocumentType", "Values": ["Command"]},
                                     {"Key": "PlatformTypes", "Values": ["Linux"]})) == ["legacy-tool", "linux-tool"]


def test_filters_apply_to_aws_owned_documents(catalog):
    amazon = [{"Key": "Owner", "Values": ["Amazon"]}]
    sessions = listed(catalog, Filters=[*amazon, {"Key": "DocumentType", "Values": ["Session"]}])
    assert "AWS-StartSSHSession" in sessions and "AWS-RunShellScript" not in sessions
    assert listed(catalog, Filters=[*amazon, {"Key": "Name", "Values": ["AWS-Run"]}]) == [
        "AWS-RunDocument", "AWS-RunPatchBaseline", "AWS-RunPowerShellScript", "AWS-RunRemoteScript",
        "AWS-RunShellScript",
    ]
    assert listed(catalog, Filters=[*amazon, {"Key": "tag:team", "Values": ["red"]}]) == []
    # without an Owner filter, the caller's and AWS's documents interleave by name
    both = listed(catalog, Filters=[{"Key": "Name", "Values": ["AWS-RunShell", "linux"]}])
    assert both == ["AWS-RunShellScript", "linux-tool"]


def test_legacy_document_filter_list(catalog):
    assert listed(catalog, DocumentFilterList=[{"key": "Owner", "value": "Self"},
                                               {"key": "DocumentType", "value": "Automation"}]) == ["my-runbook"]
    assert listed(catalog, DocumentFilterList=[{"key": "Name", "value": "AWS-RunShellScript"}]) == ["AWS-RunShellScript"]
    assert listed(catalog, DocumentFilterList=[{"key": "Owner", "value": "Self"},
                                               {"key": "PlatformTypes", "value": "Windows"}]) == [
        "my-runbook", "my-session", "windows-tool"
    ]


def test_invalid_filter_keys(catalog):
    assert error_of(catalog.list_documents, Filters=[{"Key": "Colour", "Values": ["x"]}]) == (
        "InvalidFilterKey", "The specified key is not valid."
    )
    code, _ = error_of(catalog.list_documents, Filters=[{"Key": "Owner", "Values": ["Self", "Amazon"]}])
    assert code == "InvalidFilterKey"  # only one Owner


def test_paging_is_keyset_and_stable(ssm):
    for i in range(0, 20, 2):
        ssm.create_document(Name=f"doc-{i:02d}", Content=command(), DocumentType="Command")
    first = ssm.list_documents(Filters=self_(), MaxResults=4)
    assert [i["Name"] for i in first["DocumentIdentifiers"]] == ["doc-00", "doc-02", "doc-04", "doc-06"]
    # documents created before the resume point don't shift the next page
    ssm.create_document(Name="doc-01", Content=command(), DocumentType="Command")
    ssm.create_document(Name="doc-07", Content=command(), DocumentType="Command")
    second = ssm.list_documents(Filters=self_(), MaxResults=4, NextToken=first["NextToken"])
    assert [i["Name"] for i in second["DocumentIdentifiers"]] == ["doc-07", "doc-08", "doc-10", "doc-12"]
    assert len(listed(ssm, Filters=self_(), PaginationConfig={"PageSize": 3})) == 12
    last = ssm.list_documents(Filters=self_(), MaxResults=12)
    assert "NextToken" not in last
    assert error_of(ssm.list_documents, NextToken="not-a-token") == ("InvalidNextToken", "The specified token isn't valid.")


def test_paging_across_owned_and_aws_documents(ssm):
    for name in ("AWS", "AWS-Zzz", "SSM-A"):
        ssm.create_document(Name=f"{name.replace('AWS', 'Mine')}-doc", Content=command(), DocumentType="Command")
    everything = listed(ssm)
    paged = listed(ssm, PaginationConfig={"PageSize": 2})
    assert paged == everything == sorted(everything)
    assert len(everything) == len(set(everything))
    assert {"Mine-doc", "Mine-Zzz-doc", "SSM-A-doc", "AWS-RunShellScript"} <= set(everything)


def test_default_page_size_is_50(ssm):
    for i in range(40):
        ssm.create_document(Name=f"bulk-{i:02d}", Content=command(), DocumentType="Command")
    page = ssm.list_documents()
    assert len(page["DocumentIdentifiers"]) == 50
    assert "NextToken" in page
