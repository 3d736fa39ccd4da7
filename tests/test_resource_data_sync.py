"""Resource data syncs against a real server: CRUD and AWS's errors, and the files a SyncToDestination sync writes
into the folder the config names."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import make_client
from test_compliance import item, put
from test_parameter_store import error_of
from test_run_command import register_container

DESTINATION = {"BucketName": "inventory-bucket", "Prefix": "ssm", "SyncFormat": "JsonSerDe", "Region": "us-east-1"}
SOURCE = {"SourceType": "SingleAccountMultiRegions", "SourceRegions": ["us-east-1", "eu-west-1"]}


def syncs(ssm, **kwargs) -> list[dict]:
    pages = ssm.get_paginator("list_resource_data_sync").paginate(**kwargs)
    return [s for p in pages for s in p["ResourceDataSyncItems"]]


def test_create_list_delete(ssm):
    ssm.create_resource_data_sync(SyncName="to-s3", S3Destination=DESTINATION)
    ssm.create_resource_data_sync(SyncName="explorer", SyncType="SyncFromSource", SyncSource=SOURCE)
    [to_s3] = syncs(ssm)  # without SyncType: the SyncToDestination syncs
    assert to_s3["SyncName"] == "to-s3" and to_s3["SyncType"] == "SyncToDestination"
    assert to_s3["S3Destination"] == DESTINATION
    assert to_s3["SyncCreatedTime"] == to_s3["SyncLastModifiedTime"]
    assert to_s3["LastStatus"] in ("InProgress", "Failed")  # no data_sync_dir on this server
    [explorer] = syncs(ssm, SyncType="SyncFromSource")
    assert explorer["SyncSource"] == SOURCE
    assert "S3Destination" not in explorer
    ssm.delete_resource_data_sync(SyncName="to-s3")
    assert syncs(ssm) == []
    code, _ = error_of(ssm.delete_resource_data_sync, SyncName="explorer", SyncType="SyncToDestination")
    assert code == "ResourceDataSyncNotFoundException"
    ssm.delete_resource_data_sync(SyncName="explorer", SyncType="SyncFromSource")
    assert syncs(ssm, SyncType="SyncFromSource") == []


def test_without_a_folder_the_sync_fails_saying_why(ssm):
    ssm.create_resource_data_sync(SyncName="nowhere", S3Destination=DESTINATION)
    deadline = time.monotonic() + 10
    while (found := syncs(ssm)[0])["LastStatus"] == "InProgress" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found["LastStatus"] == "Failed" and "data_sync_dir" in found["LastSyncStatusMessage"]
    assert "LastSuccessfulSyncTime" not in found and "LastSyncTime" in found


def test_errors(ssm):
    ssm.create_resource_data_sync(SyncName="one", S3Destination=DESTINATION)
    code, msg = error_of(ssm.create_resource_data_sync, SyncName="one", S3Destination=DESTINATION)
    assert code == "ResourceDataSyncAlreadyExistsException" and "one" in msg
    bad = [
        {"SyncName": "x"},  # SyncToDestination without S3Destination
        {"SyncName": "x", "SyncType": "SyncFromSource"},
        {"SyncName": "x", "SyncType": "SyncFromSource", "SyncSource": SOURCE, "S3Destination": DESTINATION},
        {"SyncName": "x", "S3Destination": DESTINATION, "SyncSource": SOURCE},
        {"SyncName": "x", "SyncType": "SyncSideways", "S3Destination": DESTINATION},
        {"SyncName": "x", "SyncType": "SyncFromSource", "SyncSource": {**SOURCE, "SourceType": "Galaxy"}},
        {"SyncName": "x", "SyncType": "SyncFromSource", "SyncSource": {**SOURCE, "SourceType": "AwsOrganizations"}},
        {"SyncName": "x", "S3Destination": {**DESTINATION, "BucketName": "../escape"}},
        {"SyncName": "x", "S3Destination": {**DESTINATION, "Prefix": "a/../../b"}},
    ]
    for kwargs in bad:
        assert error_of(ssm.create_resource_data_sync, **kwargs)[0] == "ResourceDataSyncInvalidConfigurationException", kwargs
    code, msg = error_of(ssm.create_resource_data_sync, SyncName="x", S3Destination={**DESTINATION, "SyncFormat": "Csv"})
    assert code == "ValidationException" and "s3Destination.syncFormat" in msg
    code, _ = error_of(ssm.delete_resource_data_sync, SyncName="absent")
    assert code == "ResourceDataSyncNotFoundException"
    for n in range(4):
        ssm.create_resource_data_sync(SyncName=f"more-{n}", SyncType="SyncFromSource", SyncSource=SOURCE)
    code, _ = error_of(ssm.create_resource_data_sync, SyncName="sixth", S3Destination=DESTINATION)
    assert code == "ResourceDataSyncCountExceededException"
    assert error_of(ssm.list_resource_data_sync, NextToken="nope")[0] == "InvalidNextToken"


def test_update_from_source(ssm):
    ssm.create_resource_data_sync(SyncName="explorer", SyncType="SyncFromSource", SyncSource=SOURCE)
    ssm.create_resource_data_sync(SyncName="to-s3", S3Destination=DESTINATION)
    before = syncs(ssm, SyncType="SyncFromSource")[0]
    ssm.update_resource_data_sync(
        SyncName="explorer", SyncType="SyncFromSource",
        SyncSource={"SourceType": "SingleAccountMultiRegions", "SourceRegions": ["us-west-2"], "IncludeFutureRegions": True},
    )
    after = syncs(ssm, SyncType="SyncFromSource")[0]
    assert after["SyncSource"]["SourceRegions"] == ["us-west-2"] and after["SyncSource"]["IncludeFutureRegions"] is True
    assert after["SyncLastModifiedTime"] > before["SyncLastModifiedTime"]
    assert after["SyncCreatedTime"] == before["SyncCreatedTime"]
    code, _ = error_of(ssm.update_resource_data_sync, SyncName="absent", SyncType="SyncFromSource", SyncSource=SOURCE)
    assert code == "ResourceDataSyncNotFoundException"
    code, _ = error_of(ssm.update_resource_data_sync, SyncName="to-s3", SyncType="SyncToDestination", SyncSource=SOURCE)
    assert code == "ResourceDataSyncInvalidConfigurationException"


def test_organizations_source_shows_no_organization(ssm):
    source = {"SourceType": "AwsOrganizations", "SourceRegions": ["us-east-1"],
              "AwsOrganizationsSource": {"OrganizationSourceType": "EntireOrganization"}}
    ssm.create_resource_data_sync(SyncName="org", SyncType="SyncFromSource", SyncSource=source)
    assert syncs(ssm, SyncType="SyncFromSource")[0]["SyncSource"]["State"] == "OrganizationNotExists"


def test_paging_and_regions(client_factory):
    east, west = client_factory(), client_factory(region="us-west-2")
    for n in range(5):
        east.create_resource_data_sync(SyncName=f"s{n}", S3Destination=DESTINATION)
    first = east.list_resource_data_sync(MaxResults=2)
    assert [s["SyncName"] for s in first["ResourceDataSyncItems"]] == ["s0", "s1"] and first["NextToken"]
    assert [s["SyncName"] for s in syncs(east, PaginationConfig={"PageSize": 2})] == [f"s{n}" for n in range(5)]
    assert syncs(west) == []
    west.create_resource_data_sync(SyncName="s0", S3Destination=DESTINATION)  # names are per region


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def syncing_server(start_emulator, tmp_path: Path, container) -> tuple[object, str, Path]:
    """A server whose syncs write into tmp_path/buckets every 0.3 s, with `container` registered: its client,
    the instance ID and the folder."""
    folder = tmp_path / "buckets"
    config = tmp_path / "config.toml"
    config.write_text(f'data_sync_dir = "{folder}"\ndata_sync_interval = 0.3\n')
    server = start_emulator("--ephemeral", "--config", str(config))
    return make_client(server.url), register_container(server, container), folder


def test_sync_writes_compliance_files(start_emulator, tmp_path, debian_container):
    ssm, mi, folder = syncing_server(start_emulator, tmp_path, debian_container)
    put(ssm, mi, "Custom:Lint", [item("l1", "NON_COMPLIANT", "HIGH", Details={"Rule": "E501"}), item("l2")])
    ssm.create_resource_data_sync(SyncName="to-disk", S3Destination=DESTINATION)
    partition = "accountid=123456789012/region=us-east-1/resourcetype=ManagedInstanceInventory"
    items_file = folder / "inventory-bucket" / "ssm" / "AWS:ComplianceItem" / partition / f"{mi}.json"
    summary_file = folder / "inventory-bucket" / "ssm" / "AWS:ComplianceSummary" / partition / f"{mi}.json"
    deadline = time.monotonic() + 15
    while not summary_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = sorted(read_lines(items_file), key=lambda line: line["Id"])
    assert [(line["Id"], line["Status"], line["Severity"]) for line in lines] == [
        ("l1", "NON_COMPLIANT", "HIGH"), ("l2", "COMPLIANT", "LOW")]
    assert lines[0]["resourceId"] == mi and lines[0]["ComplianceType"] == "Custom:Lint"
    assert lines[0]["Rule"] == "E501" and lines[0]["ExecutionTime"] == "2024-05-01T12:00:00Z"
    assert lines[0]["schemaVersion"] == "1.0" and "captureTime" in lines[0]
    [summary] = read_lines(summary_file)
    assert summary["Status"] == "NON_COMPLIANT" and summary["OverallSeverity"] == "HIGH"
    assert (summary["CompliantCount"], summary["NonCompliantCount"]) == (1, 1)
    deadline = time.monotonic() + 10
    while (found := syncs(ssm)[0])["LastStatus"] != "Successful" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found["LastStatus"] == "Successful" and found["LastSuccessfulSyncTime"] >= found["SyncCreatedTime"]

    # the next sweeps follow the data: a cleared type leaves the files of resources without items
    put(ssm, mi, "Custom:Lint", [])
    deadline = time.monotonic() + 10
    while items_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not items_file.exists()


def test_sync_writes_inventory_files(start_emulator, tmp_path, debian_container):
    ssm, mi, folder = syncing_server(start_emulator, tmp_path, debian_container)
    ssm.put_inventory(InstanceId=mi, Items=[{
        "TypeName": "Custom:Rack", "SchemaVersion": "1.0", "CaptureTime": "2024-05-01T12:00:00Z",
        "Content": [{"Name": "r1", "Slot": "4"}, {"Name": "r2", "Slot": "7"}]}])
    ssm.create_resource_data_sync(SyncName="to-disk", S3Destination=DESTINATION)
    partition = "accountid=123456789012/region=us-east-1/resourcetype=ManagedInstanceInventory"
    rack_file = folder / "inventory-bucket" / "ssm" / "Custom:Rack" / partition / f"{mi}.json"
    deadline = time.monotonic() + 15
    while not rack_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = sorted(read_lines(rack_file), key=lambda line: line["Name"])
    assert [(line["Name"], line["Slot"]) for line in lines] == [("r1", "4"), ("r2", "7")]
    assert lines[0]["resourceId"] == mi and lines[0]["captureTime"] == "2024-05-01T12:00:00Z"
    assert lines[0]["schemaVersion"] == "1.0"

    # a type deleted from inventory leaves no files at the next sweeps
    ssm.delete_inventory(TypeName="Custom:Rack", SchemaDeleteOption="DeleteSchema")
    deadline = time.monotonic() + 15
    while rack_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not rack_file.exists()
