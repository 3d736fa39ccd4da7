"""Maintenance Windows' definition operations against the real server: windows, targets and tasks (create, get,
update with and without Replace, delete, the listings with their filters and paging),
DescribeMaintenanceWindowsForTarget for a managed instance named by ID or covered by a tag (paged), the checks AWS
makes (Cutoff < Duration, schedules, ScheduleOffset with cron only, unassociated targets, Safe deregistration,
ClientToken idempotency), tags, DescribeMaintenanceWindowSchedule for a cron in a time zone with an offset, and an
AWS CLI round trip. Windows running for real on containers are in test_maintenance_windows_runs.py."""
from __future__ import annotations

import json
import re
import uuid

import pytest

from conftest import EmulatorProcess, make_client
from test_awscli import aws
from test_parameter_store import error_of
from test_run_command import register_container

WINDOW_ID = re.compile(r"^mw-[0-9a-f]{17}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FAR = "cron(0 0 1 1 ? 2099)"  # opens in 2099: nothing runs while these tests look


@pytest.fixture
def server(maintenance_window_emulator: EmulatorProcess) -> EmulatorProcess:
    maintenance_window_emulator.admin("POST", "/_emulator/reset")
    return maintenance_window_emulator


@pytest.fixture
def ssm(server: EmulatorProcess):
    return make_client(server.url)


def window(ssm, **kwargs) -> str:
    request = {"Name": f"mw-{uuid.uuid4().hex[:8]}", "Schedule": FAR, "Duration": 2, "Cutoff": 1,
               "AllowUnassociatedTargets": False, **kwargs}
    return ssm.create_maintenance_window(**request)["WindowId"]


def target(ssm, window_id: str, values: list[str] | None = None, **kwargs) -> str:
    return ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE",
        Targets=[{"Key": "tag:team", "Values": values or ["nobody"]}], **kwargs)["WindowTargetId"]


def command_task(ssm, window_id: str, targets: list[dict], **kwargs) -> str:
    request = {"WindowId": window_id, "Targets": targets, "TaskArn": "AWS-RunShellScript", "TaskType": "RUN_COMMAND",
               "MaxConcurrency": "2", "MaxErrors": "1",
               "TaskInvocationParameters": {"RunCommand": {"Parameters": {"commands": ["true"]}}}, **kwargs}
    return ssm.register_task_with_maintenance_window(**request)["WindowTaskId"]


def test_window_create_get_update_delete(ssm):
    window_id = window(ssm, Name="nightly", Description="patch at night", ScheduleTimezone="Europe/Berlin",
                       Tags=[{"Key": "team", "Value": "ops"}])
    assert WINDOW_ID.match(window_id)
    got = ssm.get_maintenance_window(WindowId=window_id)
    assert (got["Name"], got["Description"], got["Schedule"], got["Duration"], got["Cutoff"]) == (
        "nightly", "patch at night", FAR, 2, 1)
    assert got["Enabled"] is True and got["AllowUnassociatedTargets"] is False
    assert got["NextExecutionTime"] == "2099-01-01T00:00+01:00"  # midnight in Berlin, as the window is read there
    assert got["CreatedDate"] <= got["ModifiedDate"]
    assert ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)["TagList"] == [
        {"Key": "team", "Value": "ops"}]

    updated = ssm.update_maintenance_window(WindowId=window_id, Duration=4, Enabled=False)
    assert (updated["Duration"], updated["Cutoff"], updated["Enabled"], updated["Name"]) == (4, 1, False, "nightly")
    assert "NextExecutionTime" not in ssm.get_maintenance_window(WindowId=window_id)  # disabled
    # Replace: fields left out are cleared; the required ones must be given
    code, message = error_of(ssm.update_maintenance_window, WindowId=window_id, Name="renamed", Replace=True)
    assert code == "ValidationException" and "Schedule" in message
    replaced = ssm.update_maintenance_window(WindowId=window_id, Name="renamed", Schedule=FAR, Duration=3, Cutoff=0,
                                             AllowUnassociatedTargets=True, Replace=True)
    assert "Description" not in replaced and "ScheduleTimezone" not in replaced
    assert (replaced["Name"], replaced["Cutoff"], replaced["AllowUnassociatedTargets"]) == ("renamed", 0, True)

    assert ssm.delete_maintenance_window(WindowId=window_id)["WindowId"] == window_id
    assert error_of(ssm.get_maintenance_window, WindowId=window_id) == (
        "DoesNotExistException", f"Maintenance window {window_id} does not exist")
    assert error_of(ssm.list_tags_for_resource, ResourceType="MaintenanceWindow", ResourceId=window_id)[0] == \
        "InvalidResourceId"


def test_window_checks(ssm):
    base = {"Name": "checked", "Schedule": FAR, "Duration": 2, "Cutoff": 1, "AllowUnassociatedTargets": False}
    # AWS's words, its spelling included (quoted in awsdocs/aws-cloudformation-user-guide issue 891)
    assert error_of(ssm.create_maintenance_window, **{**base, "Cutoff": 2}) == (
        "ValidationException", "Cuttoff was 2 but must be smaller than 1 (Duration - 1 )")
    code, message = error_of(ssm.create_maintenance_window, **{**base, "Duration": 25})
    assert code == "ValidationException" and "duration" in message
    for bad in ("cron(0 0 * * * *)", "rate(0 hours)", "every day", "cron(0 24 ? * * *)"):
        assert error_of(ssm.create_maintenance_window, **{**base, "Schedule": bad})[0] == "ValidationException", bad
    assert error_of(ssm.create_maintenance_window, **{**base, "Schedule": "rate(1 day)", "ScheduleOffset": 2}) == (
        "ValidationException", "ScheduleOffset can be used with cron expressions only.")
    assert "Mars/Olympus" in error_of(ssm.create_maintenance_window, **{**base, "ScheduleTimezone": "Mars/Olympus"})[1]
    assert error_of(ssm.create_maintenance_window, **{**base, "StartDate": "2030-02-01T00:00:00Z",
                                                      "EndDate": "2030-01-01T00:00:00Z"})[0] == "ValidationException"
    # Windows take what associations refuse: rates under 30 minutes, and Quartz's six fields with Seconds
    for fine in ("rate(5 minutes)", "cron(0 15 10 ? * MON-FRI)", "cron(0 0 2 ? 1/1 THU#3 *)",
                 "at(2099-07-07T13:15:30)"):
        window(ssm, Schedule=fine)
    # ClientToken: the same request again is the same window; a different one with the token is refused
    first = ssm.create_maintenance_window(**base, ClientToken="token-1")["WindowId"]
    assert ssm.create_maintenance_window(**base, ClientToken="token-1")["WindowId"] == first
    assert error_of(ssm.create_maintenance_window, **{**base, "Duration": 3}, ClientToken="token-1")[0] == \
        "IdempotentParameterMismatch"


def test_window_quota(ssm):
    for _ in range(50):
        window(ssm)
    assert error_of(ssm.create_maintenance_window, Name="one-too-many", Schedule=FAR, Duration=2, Cutoff=1,
                    AllowUnassociatedTargets=False)[0] == "ResourceLimitExceededException"


def test_describe_windows_filters_and_paging(ssm):
    ids = [window(ssm, Name=f"page-{i:02}") for i in range(12)]
    ssm.update_maintenance_window(WindowId=ids[3], Enabled=False)
    first = ssm.describe_maintenance_windows(MaxResults=10)
    assert len(first["WindowIdentities"]) == 10 and first["NextToken"]
    rest = ssm.describe_maintenance_windows(MaxResults=10, NextToken=first["NextToken"])
    assert [w["WindowId"] for w in first["WindowIdentities"] + rest["WindowIdentities"]] == ids
    assert "NextToken" not in rest
    paged = [w["WindowId"] for p in ssm.get_paginator("describe_maintenance_windows").paginate(
        PaginationConfig={"PageSize": 10}) for w in p["WindowIdentities"]]
    assert paged == ids
    named = ssm.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": ["page-05", "page-07"]}])
    assert [w["Name"] for w in named["WindowIdentities"]] == ["page-05", "page-07"]
    disabled = ssm.describe_maintenance_windows(Filters=[{"Key": "Enabled", "Values": ["false"]}])
    assert [w["WindowId"] for w in disabled["WindowIdentities"]] == [ids[3]]
    identity = named["WindowIdentities"][0]
    assert identity["Duration"] == 2 and identity["Schedule"] == FAR and identity["NextExecutionTime"]
    assert error_of(ssm.describe_maintenance_windows, NextToken="forged")[0] == "InvalidNextToken"
    assert error_of(ssm.describe_maintenance_windows, Filters=[{"Key": "Color", "Values": ["x"]}])[0] == \
        "ValidationException"


def test_targets(ssm):
    window_id = window(ssm)
    first = target(ssm, window_id, ["red"], Name="reds", OwnerInformation="team red", Description="the red team")
    second = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE",
        Targets=[{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}])["WindowTargetId"]
    assert UUID.match(first) and UUID.match(second)
    listed = ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"]
    assert [t["WindowTargetId"] for t in listed] == [first, second]
    assert listed[0] == {"WindowId": window_id, "WindowTargetId": first, "ResourceType": "INSTANCE",
                         "Targets": [{"Key": "tag:team", "Values": ["red"]}], "OwnerInformation": "team red",
                         "Name": "reds", "Description": "the red team"}
    owned = ssm.describe_maintenance_window_targets(
        WindowId=window_id, Filters=[{"Key": "OwnerInformation", "Values": ["team red"]}])["Targets"]
    assert [t["WindowTargetId"] for t in owned] == [first]

    updated = ssm.update_maintenance_window_target(WindowId=window_id, WindowTargetId=first, Name="crimson")
    assert updated["Name"] == "crimson" and updated["OwnerInformation"] == "team red"
    replaced = ssm.update_maintenance_window_target(
        WindowId=window_id, WindowTargetId=first, Targets=[{"Key": "tag:team", "Values": ["blue"]}], Replace=True)
    assert "Name" not in replaced and "OwnerInformation" not in replaced

    assert error_of(ssm.register_target_with_maintenance_window, WindowId=window_id, ResourceType="INSTANCE",
                    Targets=[{"Key": "color", "Values": ["red"]}])[0] == "ValidationException"
    assert error_of(ssm.register_target_with_maintenance_window, WindowId=window_id, ResourceType="RESOURCE_GROUP",
                    Targets=[{"Key": "resource-groups:Name", "Values": ["web"]}])[0] == "ValidationException"
    assert error_of(ssm.register_target_with_maintenance_window, WindowId="mw-0123456789abcdef0",
                    ResourceType="INSTANCE", Targets=[{"Key": "tag:a", "Values": ["b"]}]) == (
        "DoesNotExistException", "Maintenance window mw-0123456789abcdef0 does not exist")

    # Safe: a target a task uses is kept; without Safe it goes
    command_task(ssm, window_id, [{"Key": "WindowTargetIds", "Values": [first]}])
    code, message = error_of(ssm.deregister_target_from_maintenance_window, WindowId=window_id,
                             WindowTargetId=first, Safe=True)
    assert code == "TargetInUseException" and first in message
    ssm.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=second, Safe=True)
    gone = ssm.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=first)
    assert gone == {"WindowId": window_id, "WindowTargetId": first, "ResponseMetadata": gone["ResponseMetadata"]}
    assert ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"] == []
    assert error_of(ssm.deregister_target_from_maintenance_window, WindowId=window_id, WindowTargetId=first)[0] == \
        "DoesNotExistException"


def test_tasks(ssm):
    window_id = window(ssm)
    target_id = target(ssm, window_id)
    targets = [{"Key": "WindowTargetIds", "Values": [target_id]}]
    task_id = command_task(ssm, window_id, targets, Priority=5, Name="uptime", CutoffBehavior="CANCEL_TASK",
                           TaskInvocationParameters={"RunCommand": {
                               "Parameters": {"commands": ["uptime"]}, "Comment": "in {{WINDOW_ID}}",
                               "TimeoutSeconds": 60, "OutputS3BucketName": "logs", "OutputS3KeyPrefix": "mw/"}})
    automation_id = ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn="AWS-StopEC2Instance", TaskType="AUTOMATION",
        TaskInvocationParameters={"Automation": {"DocumentVersion": "$LATEST",
                                                 "Parameters": {"InstanceId": ["i-0123456789abcdef0"]}}},
    )["WindowTaskId"]
    lambda_id = ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn="SSMReport", TaskType="LAMBDA",
        TaskInvocationParameters={"Lambda": {"Payload": b'{"hello": "world"}', "Qualifier": "live"}})["WindowTaskId"]

    got = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task_id)
    assert (got["TaskType"], got["Priority"], got["Name"], got["CutoffBehavior"]) == (
        "RUN_COMMAND", 5, "uptime", "CANCEL_TASK")
    assert got["TaskInvocationParameters"]["RunCommand"]["OutputS3BucketName"] == "logs"
    assert got["Targets"] == targets and (got["MaxConcurrency"], got["MaxErrors"]) == ("2", "1")
    automation = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=automation_id)
    assert (automation["Priority"], automation["MaxConcurrency"], automation["MaxErrors"]) == (1, "1", "1")
    assert automation["CutoffBehavior"] == "CONTINUE_TASK"
    payload = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=lambda_id)
    assert payload["TaskInvocationParameters"]["Lambda"]["Payload"] == b'{"hello": "world"}'

    listed = ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"]
    assert [(t["WindowTaskId"], t["Type"]) for t in listed] == [
        (task_id, "RUN_COMMAND"), (automation_id, "AUTOMATION"), (lambda_id, "LAMBDA")]
    only = ssm.describe_maintenance_window_tasks(WindowId=window_id, Filters=[
        {"Key": "TaskType", "Values": ["AUTOMATION", "LAMBDA"]}, {"Key": "Priority", "Values": ["1"]}])["Tasks"]
    assert [t["WindowTaskId"] for t in only] == [automation_id, lambda_id]

    updated = ssm.update_maintenance_window_task(WindowId=window_id, WindowTaskId=task_id, Priority=0)
    assert updated["Priority"] == 0 and updated["Name"] == "uptime"
    replaced = ssm.update_maintenance_window_task(WindowId=window_id, WindowTaskId=task_id, Replace=True,
                                                  TaskArn="AWS-RunShellScript", Targets=targets,
                                                  MaxConcurrency="1", MaxErrors="0")
    assert "Name" not in replaced and "TaskInvocationParameters" not in replaced and replaced["Priority"] == 1

    assert error_of(ssm.register_task_with_maintenance_window, WindowId=window_id, TaskArn="AWS-RunShellScript",
                    TaskType="RUN_COMMAND") == ("ValidationException",
                                                "Targets are required for tasks of type RUN_COMMAND.")
    # the window doesn't allow unassociated targets: instance IDs must come through a registered target
    code, message = error_of(command_task, ssm, window_id, [{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}])
    assert code == "ValidationException" and "unassociated" in message
    unknown = str(uuid.uuid4())
    assert error_of(command_task, ssm, window_id, [{"Key": "WindowTargetIds", "Values": [unknown]}]) == (
        "DoesNotExistException", f"Maintenance window target {unknown} does not exist")
    open_window = window(ssm, AllowUnassociatedTargets=True)
    command_task(ssm, open_window, [{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}])

    assert ssm.deregister_task_from_maintenance_window(WindowId=window_id, WindowTaskId=lambda_id)["WindowTaskId"] \
        == lambda_id
    assert error_of(ssm.get_maintenance_window_task, WindowId=window_id, WindowTaskId=lambda_id) == (
        "DoesNotExistException", f"Maintenance window task {lambda_id} does not exist")
    for _ in range(18):
        command_task(ssm, window_id, targets)
    assert error_of(command_task, ssm, window_id, targets)[0] == "ResourceLimitExceededException"


def test_targetless_task_takes_no_rate_controls(ssm):
    """A task without targets refuses MaxConcurrency and MaxErrors, registered or updated (the user guide's
    troubleshooting page quotes both messages); it shows the placeholder 1 instead."""
    window_id = window(ssm, AllowUnassociatedTargets=True)
    automation = {"WindowId": window_id, "TaskArn": "AWS-RestartEC2Instance", "TaskType": "AUTOMATION"}
    both = ("Maintenance window tasks without targets do not support MaxErrors values. "
            "Maintenance window tasks without targets do not support MaxConcurrency values.")
    assert error_of(ssm.register_task_with_maintenance_window, **automation, MaxConcurrency="2", MaxErrors="1") == (
        "ValidationException", both)
    assert error_of(ssm.register_task_with_maintenance_window, **automation, MaxConcurrency="2") == (
        "ValidationException", "Maintenance window tasks without targets do not support MaxConcurrency values.")
    task_id = ssm.register_task_with_maintenance_window(**automation)["WindowTaskId"]
    assert error_of(ssm.update_maintenance_window_task, WindowId=window_id, WindowTaskId=task_id, MaxErrors="0") == (
        "ValidationException", "Maintenance window tasks without targets do not support MaxErrors values.")
    # given targets, the task takes them
    targets = [{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}]
    updated = ssm.update_maintenance_window_task(WindowId=window_id, WindowTaskId=task_id, Targets=targets,
                                                 MaxConcurrency="3", MaxErrors="0")
    assert (updated["MaxConcurrency"], updated["MaxErrors"]) == ("3", "0")


def test_a_task_names_at_most_ten_window_targets(ssm):
    """terraform-provider-aws issue 18372 quotes AWS: "ValidationException: The maximum number of window targets
    is 10", for a task naming more (the window itself takes 100)."""
    window_id = window(ssm)
    ids = [target(ssm, window_id) for _ in range(11)]
    assert error_of(command_task, ssm, window_id, [{"Key": "WindowTargetIds", "Values": ids}]) == (
        "ValidationException", "The maximum number of window targets is 10")
    command_task(ssm, window_id, [{"Key": "WindowTargetIds", "Values": ids[:10]}])


def test_history_of_an_unknown_execution(ssm):
    unknown = str(uuid.uuid4())
    assert error_of(ssm.get_maintenance_window_execution, WindowExecutionId=unknown) == (
        "DoesNotExistException", f"Maintenance window execution {unknown} does not exist")
    assert error_of(ssm.cancel_maintenance_window_execution, WindowExecutionId=unknown)[0] == "DoesNotExistException"
    assert error_of(ssm.describe_maintenance_window_executions, WindowId="mw-0123456789abcdef0")[0] == \
        "DoesNotExistException"
    assert ssm.describe_maintenance_window_executions(WindowId=window(ssm))["WindowExecutions"] == []


def test_schedule_in_a_time_zone_with_an_offset(ssm):
    # The third Tuesday of each month at 23:30 in Los Angeles, opening two days later, from 2030 on.
    window_id = window(ssm, Name="third-tuesday", Schedule="cron(30 23 ? * TUE#3 *)",
                       ScheduleTimezone="America/Los_Angeles", ScheduleOffset=2, StartDate="2030-01-01T00:00:00Z")
    got = ssm.describe_maintenance_window_schedule(WindowId=window_id, MaxResults=3)
    assert [(s["WindowId"], s["Name"]) for s in got["ScheduledWindowExecutions"]] == [(window_id, "third-tuesday")] * 3
    assert [s["ExecutionTime"] for s in got["ScheduledWindowExecutions"]] == [
        "2030-01-17T23:30-08:00", "2030-02-21T23:30-08:00", "2030-03-21T23:30-07:00"]  # daylight saving from 10 March
    more = ssm.describe_maintenance_window_schedule(WindowId=window_id, MaxResults=2, NextToken=got["NextToken"])
    assert [s["ExecutionTime"] for s in more["ScheduledWindowExecutions"]] == [
        "2030-04-18T23:30-07:00", "2030-05-23T23:30-07:00"]
    assert ssm.get_maintenance_window(WindowId=window_id)["NextExecutionTime"] == "2030-01-17T23:30-08:00"
    before = ssm.describe_maintenance_window_schedule(WindowId=window_id, Filters=[
        {"Key": "ScheduledBefore", "Values": ["2030-03-01T00:00:00Z"]}])
    assert len(before["ScheduledWindowExecutions"]) == 2
    ends = window(ssm, Schedule="rate(7 days)", EndDate="2099-01-01T00:00:00Z")
    assert ssm.describe_maintenance_window_schedule(WindowId=ends, Filters=[
        {"Key": "ScheduledAfter", "Values": ["2099-01-01T00:00:00Z"]}])["ScheduledWindowExecutions"] == []

    # by target: the windows whose registered targets name the instance
    target(ssm, window_id, ["web"])
    by_target = ssm.describe_maintenance_window_schedule(
        Targets=[{"Key": "tag:team", "Values": ["web"]}], ResourceType="INSTANCE", MaxResults=1)
    assert by_target["ScheduledWindowExecutions"][0]["ExecutionTime"] == "2030-01-17T23:30-08:00"
    for_target = ssm.describe_maintenance_windows_for_target(Targets=[{"Key": "tag:team", "Values": ["web"]}],
                                                             ResourceType="INSTANCE")
    assert for_target["WindowIdentities"] == [{"WindowId": window_id, "Name": "third-tuesday"}]
    assert error_of(ssm.describe_maintenance_window_schedule)[0] == "ValidationException"


def test_windows_for_target_by_instance_id(ssm, server, debian_container):
    team = uuid.uuid4().hex[:8]
    instance_id = register_container(server, debian_container, tags={"team": team})
    other = "mi-0123456789abcdef0"  # not a managed instance: matched as written only

    def instance_target(window_id: str, ids: list[str], client=ssm) -> str:
        return client.register_target_with_maintenance_window(
            WindowId=window_id, ResourceType="INSTANCE",
            Targets=[{"Key": "InstanceIds", "Values": ids}])["WindowTargetId"]

    by_id = [window(ssm, Name=f"by-id-{n}") for n in range(5)]
    targets = [instance_target(w, [other, instance_id] if n == 2 else [instance_id]) for n, w in enumerate(by_id)]
    window(ssm, Name="no-targets")
    by_tag = window(ssm, Name="by-tag")
    target(ssm, by_tag, [team])  # covers the instance through its tag
    elsewhere = window(ssm, Name="other-node")
    instance_target(elsewhere, [other])
    abroad = make_client(server.url, region="eu-west-1")  # another Region's windows are not listed
    instance_target(window(abroad, Name="abroad"), [instance_id], abroad)

    def listed(targets: list[dict], resource_type: str = "INSTANCE", page_size: int = 2) -> list[tuple[str, str]]:
        """Every page of the listing; each page at most `page_size`, only the last without a NextToken."""
        found: list[tuple[str, str]] = []
        request = {"Targets": targets, "ResourceType": resource_type, "MaxResults": page_size}
        while True:
            answer = ssm.describe_maintenance_windows_for_target(**request)
            assert len(answer["WindowIdentities"]) <= page_size
            found += [(w["WindowId"], w["Name"]) for w in answer["WindowIdentities"]]
            if "NextToken" not in answer:
                return found
            request["NextToken"] = answer["NextToken"]

    mine = [(w, f"by-id-{n}") for n, w in enumerate(by_id)] + [(by_tag, "by-tag")]
    assert listed([{"Key": "InstanceIds", "Values": [instance_id]}]) == mine
    first = ssm.describe_maintenance_windows_for_target(
        Targets=[{"Key": "InstanceIds", "Values": [instance_id]}], ResourceType="INSTANCE", MaxResults=4)
    assert len(first["WindowIdentities"]) == 4 and first["NextToken"]
    assert listed([{"Key": "tag:team", "Values": [team]}], page_size=10) == mine  # the same instance, by its tag
    assert listed([{"Key": "InstanceIds", "Values": [other]}]) == [(by_id[2], "by-id-2"), (elsewhere, "other-node")]
    assert listed([{"Key": "InstanceIds", "Values": [instance_id]}], resource_type="RESOURCE_GROUP") == []
    assert listed([{"Key": "InstanceIds", "Values": ["mi-0fedcba9876543210"]}]) == []

    ssm.deregister_target_from_maintenance_window(WindowId=by_id[0], WindowTargetId=targets[0])
    assert listed([{"Key": "InstanceIds", "Values": [instance_id]}], page_size=10) == mine[1:]
    assert error_of(ssm.describe_maintenance_windows_for_target, Targets=[], ResourceType="INSTANCE",
                    NextToken="not-a-token")[0] == "InvalidNextToken"


def test_cli_round_trip(server, tmp_path):
    created = aws(server.url, "create-maintenance-window", "--name", "cli-window", "--schedule", "rate(7 days)",
                  "--duration", "3", "--cutoff", "1", "--no-allow-unassociated-targets", tmp=tmp_path)
    assert created.returncode == 0, created.stderr
    window_id = json.loads(created.stdout)["WindowId"]
    assert WINDOW_ID.match(window_id)
    got = aws(server.url, "get-maintenance-window", "--window-id", window_id, tmp=tmp_path)
    assert got.returncode == 0, got.stderr
    shown = json.loads(got.stdout)
    assert (shown["Name"], shown["Duration"], shown["Enabled"]) == ("cli-window", 3, True)
    missing = aws(server.url, "get-maintenance-window", "--window-id", "mw-0123456789abcdef0", tmp=tmp_path)
    assert missing.returncode != 0 and "DoesNotExistException" in missing.stderr
