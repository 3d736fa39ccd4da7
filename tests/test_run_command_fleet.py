"""Run Command over several instances: tag targeting, MaxConcurrency and MaxErrors, an offline instance
(DeliveryTimedOut), an instance deleted mid-run, and the listings' filters and paging. Real containers,
boto3 over HTTP against the real server."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import make_client
from fixtures_instances import DEBIAN_IMAGE
from test_managed_instances import wait_for
from test_parameter_store import error_of
from test_run_command import (
    invocation,
    processes_in_container,
    register,
    register_container,
    send,
    wait_command,
    wait_invocation,
)


@pytest.fixture
def server(instance_emulator):
    instance_emulator.admin("POST", "/_emulator/reset")
    return instance_emulator


@pytest.fixture
def ssm(server):
    return make_client(server.url)


def test_tag_targets_choose_the_instances_with_the_tag(ssm, server, make_container):
    prod = [register_container(server, make_container(), {"env": "prod", "team": "a"}) for _ in range(2)]
    dev = register_container(server, make_container(), {"env": "dev"})
    sent = ssm.send_command(Targets=[{"Key": "tag:env", "Values": ["prod"]}], DocumentName="AWS-RunShellScript",
                            Parameters={"commands": ["echo $AWS_SSM_INSTANCE_ID"]})["Command"]
    assert sent["TargetCount"] == 2
    assert sent["Targets"] == [{"Key": "tag:env", "Values": ["prod"]}] and sent["InstanceIds"] == []
    for instance_id in prod:
        found = wait_invocation(ssm, sent["CommandId"], instance_id)
        assert (found["Status"], found["StandardOutputContent"]) == ("Success", f"{instance_id}\n")
    assert error_of(ssm.get_command_invocation, CommandId=sent["CommandId"], InstanceId=dev)[0] == "InvocationDoesNotExist"
    listed = wait_command(ssm, sent["CommandId"])
    assert (listed["Status"], listed["CompletedCount"]) == ("Success", 2)
    # tag-key, and instance IDs given as a target (any case): shown as InstanceIds, as AWS does
    by_key = ssm.send_command(Targets=[{"Key": "tag-key", "Values": ["team"]}], DocumentName="AWS-RunShellScript",
                              Parameters={"commands": ["true"]})["Command"]
    assert by_key["TargetCount"] == 2
    by_ids = ssm.send_command(Targets=[{"Key": "instanceids", "Values": [dev]}], DocumentName="AWS-RunShellScript",
                              Parameters={"commands": ["true"]})["Command"]
    assert (by_ids["InstanceIds"], by_ids["Targets"], by_ids["TargetCount"]) == ([dev], [], 1)
    # a tag nobody has: a command with no targets, finished at once
    nobody = ssm.send_command(Targets=[{"Key": "tag:env", "Values": ["qa"]}], DocumentName="AWS-RunShellScript",
                              Parameters={"commands": ["true"]})["Command"]
    assert (nobody["TargetCount"], nobody["Status"], nobody["StatusDetails"]) == (0, "Success", "NoInstancesInTag")


def shared_folder_container(make_container, folder):
    return make_container(volumes={str(folder): {"bind": "/shared", "mode": "rw"}})


def test_max_concurrency_one_runs_the_instances_one_after_the_other(ssm, server, make_container, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    ids = [register_container(server, shared_folder_container(make_container, folder)) for _ in range(3)]
    script = ['f=/shared/$AWS_SSM_INSTANCE_ID', 'date +%s.%N > $f.start', "sleep 0.5", 'date +%s.%N > $f.end']
    sent = ssm.send_command(InstanceIds=ids, DocumentName="AWS-RunShellScript", MaxConcurrency="1",
                            Parameters={"commands": script})["Command"]
    listed = wait_command(ssm, sent["CommandId"], timeout=60)
    assert (listed["Status"], listed["CompletedCount"]) == ("Success", 3)
    spans = sorted(
        (float((folder / f"{i}.start").read_text()), float((folder / f"{i}.end").read_text())) for i in ids
    )
    for (_, previous_end), (next_start, _) in zip(spans, spans[1:]):
        assert next_start >= previous_end, f"invocations overlapped: {spans}"


def test_max_errors_stops_dispatch_and_terminates_the_rest(ssm, server, make_container, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    ids = [register_container(server, shared_folder_container(make_container, folder)) for _ in range(3)]
    sent = ssm.send_command(InstanceIds=ids, DocumentName="AWS-RunShellScript", MaxConcurrency="1", MaxErrors="0",
                            Parameters={"commands": ["touch /shared/$AWS_SSM_INSTANCE_ID", "exit 1"]})["Command"]
    listed = wait_command(ssm, sent["CommandId"], timeout=60)
    assert (listed["Status"], listed["StatusDetails"]) == ("Failed", "Failed")
    assert (listed["CompletedCount"], listed["ErrorCount"]) == (3, 1)
    first = invocation(ssm, sent["CommandId"], ids[0])
    assert (first["Status"], first["ResponseCode"]) == ("Failed", 1)
    for instance_id in ids[1:]:
        rest = invocation(ssm, sent["CommandId"], instance_id)
        assert (rest["Status"], rest["StatusDetails"]) == ("Cancelled", "Terminated")
    assert sorted(p.name for p in folder.iterdir()) == [ids[0]], "only the first instance ran the script"
    # MaxErrors 1 lets one failure pass: all three run, and the command is Failed once the second fails
    again = ssm.send_command(InstanceIds=ids, DocumentName="AWS-RunShellScript", MaxConcurrency="1", MaxErrors="1",
                             Parameters={"commands": ["exit 1"]})["Command"]
    listed = wait_command(ssm, again["CommandId"], timeout=60)
    assert (listed["Status"], listed["ErrorCount"]) == ("Failed", 2)
    assert invocation(ssm, again["CommandId"], ids[2])["StatusDetails"] == "Terminated"


def test_offline_instance_waits_for_delivery_then_times_out(ssm, server):
    # An SSH machine nobody answers for: registered, ConnectionLost.
    instance_id = register(server, {"backend": "ssh", "host": "127.0.0.1", "port": 9, "username": "offline",
                                    "password": "x"})
    sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", TimeoutSeconds=30,
                            Parameters={"commands": ["true"]})["Command"]
    assert (invocation(ssm, sent["CommandId"], instance_id)["Status"], command_status(ssm, sent)) == ("Pending", "Pending")
    found = wait_invocation(ssm, sent["CommandId"], instance_id, timeout=60)
    assert (found["Status"], found["StatusDetails"], found["ResponseCode"]) == ("TimedOut", "DeliveryTimedOut", -1)
    waited = (datetime.now(timezone.utc) - sent["RequestedDateTime"]).total_seconds()
    assert waited >= 30
    listed = wait_command(ssm, sent["CommandId"])
    assert (listed["Status"], listed["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")
    assert (listed["DeliveryTimedOutCount"], listed["ErrorCount"], listed["CompletedCount"]) == (1, 0, 1)


def command_status(ssm, sent: dict) -> str:
    return ssm.list_commands(CommandId=sent["CommandId"])["Commands"][0]["Status"]


def test_instance_deleted_mid_run_never_reports_back(ssm, server, docker_client):
    name = f"ssm-emulator-test-{uuid.uuid4().hex[:8]}"
    status, answer = server.admin_call("POST", "/_emulator/instances", {"backend": "docker", "image": DEBIAN_IMAGE,
                                                                        "name": name})
    assert status == 201, answer
    instance_id = answer["InstanceId"]
    try:
        marker = f"sleep 7{uuid.uuid4().int % 10**6}"
        sent = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                                Parameters={"commands": ["echo started", marker]})["Command"]
        box = docker_client.containers.get(name)
        wait_for(lambda: processes_in_container(box, marker), 20, "the script to start")
        assert invocation(ssm, sent["CommandId"], instance_id)["Status"] == "InProgress"
        assert server.admin_call("DELETE", f"/_emulator/instances/{instance_id}")[0] == 200  # container removed
        found = wait_invocation(ssm, sent["CommandId"], instance_id, timeout=30)
        assert (found["Status"], found["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")
        assert wait_command(ssm, sent["CommandId"])["DeliveryTimedOutCount"] == 1
        # a command for it now: the instance no longer exists
        assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                        Parameters={"commands": ["true"]})[0] == "InvalidInstanceId"
    finally:
        try:
            docker_client.containers.get(name).remove(force=True)
        except Exception:
            pass


def test_listings_filter_and_page(ssm, server, make_container):
    first, second = (register_container(server, make_container()) for _ in range(2))
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    ids = [send(ssm, [first, second], [f"echo {n}"], Comment=f"c{n}") for n in range(4)]
    failing = send(ssm, [first], ["exit 2"])
    for command_id in [*ids, failing]:
        wait_command(ssm, command_id)
    after = datetime.now(timezone.utc) + timedelta(seconds=1)

    # newest first, paged
    seen, token = [], None
    while True:
        page = ssm.list_commands(MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["Commands"]) <= 2
        seen += [c["CommandId"] for c in page["Commands"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [failing, *reversed(ids)]
    paginated = [c["CommandId"] for p in ssm.get_paginator("list_commands").paginate(PaginationConfig={"PageSize": 3})
                 for c in p["Commands"]]
    assert paginated == seen

    def commands(**kwargs) -> list[str]:
        return [c["CommandId"] for c in ssm.list_commands(**kwargs)["Commands"]]

    assert commands(Filters=[{"key": "Status", "value": "Failed"}]) == [failing]
    assert commands(Filters=[{"key": "Status", "value": "Success"}]) == list(reversed(ids))
    assert commands(Filters=[{"key": "ExecutionStage", "value": "Complete"}]) == seen
    assert commands(Filters=[{"key": "ExecutionStage", "value": "Executing"}]) == []
    assert commands(Filters=[{"key": "DocumentName", "value": "AWS-RunShellScript"}]) == seen
    assert commands(Filters=[{"key": "DocumentName", "value": "AWS-RunPowerShellScript"}]) == []
    assert commands(Filters=[{"key": "InvokedAfter", "value": before.isoformat()},
                             {"key": "InvokedBefore", "value": after.isoformat()}]) == seen
    assert commands(Filters=[{"key": "InvokedAfter", "value": after.strftime("%Y-%m-%dT%H:%M:%SZ")}]) == []
    assert commands(InstanceId=second) == list(reversed(ids))
    assert commands(CommandId=ids[0]) == [ids[0]]
    assert error_of(ssm.list_commands, Filters=[{"key": "Status", "value": "Sleeping"}])[0] == "InvalidFilterKey"
    assert error_of(ssm.list_commands, NextToken="garbage")[0] == "InvalidNextToken"

    # invocations: newest command first, then in target order; paged across commands
    invocations, token = [], None
    while True:
        page = ssm.list_command_invocations(MaxResults=3, **({"NextToken": token} if token else {}))
        invocations += [(i["CommandId"], i["InstanceId"]) for i in page["CommandInvocations"]]
        token = page.get("NextToken")
        if not token:
            break
    expected = [(failing, first)] + [(c, i) for c in reversed(ids) for i in (first, second)]
    assert invocations == expected
    by_instance = ssm.list_command_invocations(InstanceId=second)["CommandInvocations"]
    assert [i["CommandId"] for i in by_instance] == list(reversed(ids))
    failed = ssm.list_command_invocations(Filters=[{"key": "Status", "value": "Failed"}])["CommandInvocations"]
    assert [(i["CommandId"], i["Status"]) for i in failed] == [(failing, "Failed")]
    assert error_of(ssm.list_command_invocations, Filters=[{"key": "ExecutionStage", "value": "Complete"}])[0] == (
        "InvalidFilterKey"
    )
    assert ssm.list_command_invocations(CommandId=str(uuid.uuid4()))["CommandInvocations"] == []
