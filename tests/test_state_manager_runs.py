"""State Manager applying associations for real, on real containers (the server runs rate() schedules 1800 times
faster: rate(30 minutes) falls due every second): a scheduled association runs again and again and each run
really ran; a container registered later with matching tags gets an existing association; a failing command shows
Failed in the overview, the execution and the instance's status; StartAssociationsOnce; an Automation runbook
association."""
from __future__ import annotations

import json
import time
import uuid

from conftest import FAST_INSTANCE_CHECKS, FAST_SCHEDULES, EmulatorProcess, make_client
from test_automation import runbook
from test_managed_instances import wait_for
from test_parameter_store import error_of
from test_run_command import register_container
from test_state_manager import server, ssm  # noqa: F401  (fixtures)

SCRIPT = "AWS-RunShellScript"


def lines_of(container, path: str) -> list[str]:
    result = container.exec_run(["sh", "-c", f"cat {path} 2>/dev/null || true"])
    return result.output.decode().split()


def tagged_container(server: EmulatorProcess, make_container) -> tuple[object, str, str]:
    """(a new container, the unique team tag it is registered with, its instance ID)."""
    box = make_container()
    team = uuid.uuid4().hex[:8]
    return box, team, register_container(server, box, tags={"team": team})


def executions(ssm, association_id: str) -> list[dict]:
    return ssm.describe_association_executions(AssociationId=association_id)["AssociationExecutions"]


def ended_executions(ssm, association_id: str, at_least: int = 1, timeout: float = 30) -> list[dict]:
    def enough():
        ended = [e for e in executions(ssm, association_id) if e["Status"] != "InProgress"]
        return ended if len(ended) >= at_least else None

    return wait_for(enough, timeout, f"{at_least} runs of association {association_id}")  # type: ignore[return-value]


def test_rate_schedule_runs_repeatedly(ssm, server: EmulatorProcess, make_container):
    box, team, instance_id = tagged_container(server, make_container)
    path = f"/tmp/sm-{team}"
    created = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}], ScheduleExpression="rate(30 minutes)",
        Parameters={"commands": [f"date +%s.%N >> {path}"]})["AssociationDescription"]
    association_id = created["AssociationId"]
    wait_for(lambda: len(lines_of(box, path)) >= 3, 30, "three runs on the container")
    # Hold it to a far cron time from now on, so what the runs left can be read while nothing runs.
    ssm.update_association(AssociationId=association_id, ScheduleExpression="cron(0 0 1 1 ? 2099)",
                           ApplyOnlyAtCronInterval=True, Parameters={"commands": [f"date +%s.%N >> {path}"]})
    wait_for(lambda: all(r["Status"] != "InProgress" for r in executions(ssm, association_id)), 20, "the last run")
    runs = ended_executions(ssm, association_id, at_least=3)
    assert all(r["Status"] == "Success" and r["ResourceCountByStatus"] == "{Success=1}" for r in runs)
    newest_first = [r["CreatedTime"] for r in runs]
    assert newest_first == sorted(newest_first, reverse=True)
    page = ssm.describe_association_executions(AssociationId=association_id, MaxResults=1)
    assert len(page["AssociationExecutions"]) == 1 and page["NextToken"]
    one = ssm.describe_association_executions(AssociationId=association_id, Filters=[
        {"Key": "ExecutionId", "Value": runs[-1]["ExecutionId"], "Type": "EQUAL"}])["AssociationExecutions"]
    assert [r["ExecutionId"] for r in one] == [runs[-1]["ExecutionId"]]
    later = ssm.describe_association_executions(AssociationId=association_id, Filters=[
        {"Key": "CreatedTime", "Value": runs[-1]["CreatedTime"].isoformat(), "Type": "GREATER_THAN"}])
    assert runs[-1]["ExecutionId"] not in [r["ExecutionId"] for r in later["AssociationExecutions"]]
    assert len(later["AssociationExecutions"]) >= len(runs) - 1
    assert ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=runs[0]["ExecutionId"],
        Filters=[{"Key": "Status", "Value": "Failed"}])["AssociationExecutionTargets"] == []
    assert error_of(ssm.describe_association_execution_targets, AssociationId=association_id,
                    ExecutionId=str(uuid.uuid4()))[0] == "AssociationExecutionDoesNotExist"
    target = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=runs[0]["ExecutionId"])["AssociationExecutionTargets"][0]
    assert target["ResourceId"] == instance_id and target["Status"] == "Success"
    assert target["OutputSource"]["OutputSourceType"] == "RunCommand"
    command = ssm.list_commands(CommandId=target["OutputSource"]["OutputSourceId"])["Commands"][0]
    assert association_id in command["Comment"]
    described = ssm.describe_association(AssociationId=association_id)["AssociationDescription"]
    assert described["Overview"]["Status"] == "Success"
    assert described["Overview"]["AssociationStatusAggregatedCount"] == {"Success": 1}
    assert "LastExecutionDate" in described and "LastSuccessfulExecutionDate" in described
    status = ssm.describe_instance_associations_status(InstanceId=instance_id)["InstanceAssociationStatusInfos"]
    assert [(s["AssociationId"], s["Status"]) for s in status] == [(association_id, "Success")]
    assert status[0]["ExecutionSummary"].startswith("1 out of 1 plugin processed, 1 success")
    effective = ssm.describe_effective_instance_associations(InstanceId=instance_id)["Associations"]
    assert [a["AssociationId"] for a in effective] == [association_id]
    assert json.loads(effective[0]["Content"])["schemaVersion"]
    info = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"][0]
    assert info.get("AssociationStatus") == "Success"
    # As AWS answers (the AWS CLI reference's describe-instance-information example, quoted in aws/aws-cli#7924):
    # the last run, the last successful run, and the instance's associations counted by status.
    assert info["AssociationOverview"] == {"DetailedStatus": "Success",
                                           "InstanceAssociationStatusAggregatedCount": {"Success": 1}}
    assert info["LastAssociationExecutionDate"] == described["LastExecutionDate"]
    assert info["LastSuccessfulAssociationExecutionDate"] == described["LastSuccessfulExecutionDate"]
    prop = ssm.describe_instance_properties(
        FiltersWithOperator=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceProperties"][0]
    about_associations = {k: v for k, v in info.items() if "Association" in k}
    assert {k: prop.get(k) for k in about_associations} == about_associations
    ssm.delete_association(AssociationId=association_id)


def test_instance_registered_later_gets_the_association(ssm, server: EmulatorProcess, make_container):
    team = uuid.uuid4().hex[:8]
    path = f"/tmp/late-{team}"
    association_id = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}],
        Parameters={"commands": [f"echo applied >> {path}"]})["AssociationDescription"]["AssociationId"]
    box = make_container()
    instance_id = register_container(server, box, tags={"team": team})
    wait_for(lambda: lines_of(box, path) == ["applied"], 30, "the association applied to the new instance")

    def succeeded():
        found = ssm.describe_instance_associations_status(InstanceId=instance_id)["InstanceAssociationStatusInfos"]
        return found if found and found[0]["Status"] == "Success" else None

    assert wait_for(succeeded, 20, "the instance's association status")[0]["AssociationId"] == association_id


def test_failing_command_shows_failed(ssm, server: EmulatorProcess, make_container):
    box, team, instance_id = tagged_container(server, make_container)
    association_id = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}],
        Parameters={"commands": ["echo broken >&2", "exit 3"]})["AssociationDescription"]["AssociationId"]
    run = ended_executions(ssm, association_id)[0]
    assert run["Status"] == "Failed" and run["ResourceCountByStatus"] == "{Failed=1}"
    overview = ssm.describe_association(AssociationId=association_id)["AssociationDescription"]["Overview"]
    assert overview == {"Status": "Failed", "DetailedStatus": "Failed",
                        "AssociationStatusAggregatedCount": {"Failed": 1}}
    status = ssm.describe_instance_associations_status(InstanceId=instance_id)["InstanceAssociationStatusInfos"][0]
    assert status["Status"] == "Failed" and status["ErrorCode"] == "3"
    info = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"][0]
    assert info["AssociationStatus"] == "Failed" and "LastSuccessfulAssociationExecutionDate" not in info
    assert info["AssociationOverview"] == {"DetailedStatus": "Failed",
                                           "InstanceAssociationStatusAggregatedCount": {"Failed": 1}}
    assert info["LastAssociationExecutionDate"] == run["LastExecutionDate"]
    failed = ssm.list_associations(AssociationFilterList=[{"key": "AssociationStatusName", "value": "Failed"}])
    assert [a["AssociationId"] for a in failed["Associations"]] == [association_id]


def test_start_associations_once(ssm, server: EmulatorProcess, make_container):
    box, team, _ = tagged_container(server, make_container)
    path = f"/tmp/once-{team}"
    association_id = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}], ScheduleExpression="cron(0 0 1 1 ? 2099)",
        ApplyOnlyAtCronInterval=True,
        Parameters={"commands": [f"echo once >> {path}"]})["AssociationDescription"]["AssociationId"]
    assert executions(ssm, association_id) == []  # held to its schedule
    ssm.start_associations_once(AssociationIds=[association_id])
    wait_for(lambda: lines_of(box, path) == ["once"], 30, "the association applied once")
    assert len(ended_executions(ssm, association_id)) == 1


def test_automation_runbook_association(ssm, server: EmulatorProcess, make_container):
    box, team, instance_id = tagged_container(server, make_container)
    name = runbook(ssm, [
        {"name": "mark", "action": "aws:runCommand", "inputs": {
            "DocumentName": SCRIPT, "InstanceIds": ["{{ InstanceId }}"],
            "Parameters": {"commands": ["echo by-runbook > /tmp/runbook-{{ Marker }}"]}}},
    ], parameters={"InstanceId": {"type": "String"}, "Marker": {"type": "String"}})
    association_id = ssm.create_association(
        Name=name, Targets=[{"Key": "tag:team", "Values": [team]}], AutomationTargetParameterName="InstanceId",
        Parameters={"Marker": [team]})["AssociationDescription"]["AssociationId"]
    wait_for(lambda: lines_of(box, f"/tmp/runbook-{team}") == ["by-runbook"], 40, "the runbook's command")
    run = ended_executions(ssm, association_id, timeout=40)[0]
    assert run["Status"] == "Success"
    target = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=run["ExecutionId"])["AssociationExecutionTargets"][0]
    assert target["ResourceType"] == "AutomationExecution"
    automation = ssm.get_automation_execution(AutomationExecutionId=target["ResourceId"])["AutomationExecution"]
    assert automation["DocumentName"] == name and automation["AutomationExecutionStatus"] == "Success"
    assert automation["TargetParameterName"] == "InstanceId"
    assert automation["Targets"] == [{"Key": "tag:team", "Values": [team]}]
    assert instance_id in json.dumps(automation.get("ResolvedTargets", {}))
    assert error_of(ssm.create_association, Name=name, Targets=[{"Key": "tag:team", "Values": ["x"]}],
                    Parameters={"Marker": ["x"]})[0] == "ValidationException"  # no AutomationTargetParameterName


def test_schedule_goes_on_after_a_restart(start_emulator, make_container, tmp_path):
    data = str(tmp_path / "data")
    env = {**FAST_INSTANCE_CHECKS, **FAST_SCHEDULES}
    server = start_emulator("--data-dir", data, "--log-level", "info", env=env)
    client = make_client(server.url)
    box, team, _ = tagged_container(server, make_container)
    path = f"/tmp/restart-{team}"
    association_id = client.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}], ScheduleExpression="rate(30 minutes)",
        Parameters={"commands": [f"echo run >> {path}"]})["AssociationDescription"]["AssociationId"]
    wait_for(lambda: len(lines_of(box, path)) >= 2, 30, "two runs before the restart")
    server.kill_hard()
    before = len(lines_of(box, path))
    restarted = start_emulator("--data-dir", data, "--log-level", "info", env=env)
    client = make_client(restarted.url)
    wait_for(lambda: len(lines_of(box, path)) >= before + 2, 30, "two more runs after the restart")
    described = client.describe_association(AssociationId=association_id)["AssociationDescription"]
    assert described["ScheduleExpression"] == "rate(30 minutes)"
    # Only the newest run may still be going: one the kill interrupted ended Failed at the restart.
    assert [e for e in executions(client, association_id)[1:] if e["Status"] == "InProgress"] == []


CLOSED_CALENDAR = "\r\n".join([
    "BEGIN:VCALENDAR", "PRODID:-//AWS//Change Calendar 1.0//EN", "VERSION:2.0", "X-CALENDAR-TYPE:DEFAULT_CLOSED",
    "END:VCALENDAR", ""])


def test_closed_change_calendar_holds_the_association(ssm, server: EmulatorProcess, make_container):
    box, team, _ = tagged_container(server, make_container)
    calendar = f"freeze-{team}"
    ssm.create_document(Name=calendar, Content=CLOSED_CALENDAR, DocumentType="ChangeCalendar", DocumentFormat="TEXT")
    path = f"/tmp/calendar-{team}"
    request = {"Name": SCRIPT, "Targets": [{"Key": "tag:team", "Values": [team]}],
               "Parameters": {"commands": [f"echo ran >> {path}"]}}
    assert error_of(ssm.create_association, **request, CalendarNames=["NoSuchCalendar"])[0] == "InvalidDocument"
    association_id = ssm.create_association(**request, CalendarNames=[calendar])["AssociationDescription"][
        "AssociationId"]
    ssm.start_associations_once(AssociationIds=[association_id])
    time.sleep(2)  # four sweeps: none may run it while the calendar is CLOSED
    assert lines_of(box, path) == [] and executions(ssm, association_id) == []
    ssm.update_association(AssociationId=association_id, Parameters=request["Parameters"])  # no CalendarNames
    wait_for(lambda: lines_of(box, path) == ["ran"], 30, "the association once the calendar no longer holds it")


def test_status_while_running_and_at_schedule(ssm, server: EmulatorProcess, make_container):
    box, team, instance_id = tagged_container(server, make_container)
    targets = [{"Key": "tag:team", "Values": [team]}]
    held = ssm.create_association(Name=SCRIPT, Targets=targets, ScheduleExpression="at(2099-01-01T00:00:00)",
                                  Parameters={"commands": ["echo early"]})["AssociationDescription"]
    slow = ssm.create_association(Name=SCRIPT, Targets=targets,
                                  Parameters={"commands": ["sleep 2"]})["AssociationDescription"]

    def statuses():
        found = ssm.describe_instance_associations_status(InstanceId=instance_id)["InstanceAssociationStatusInfos"]
        return {s["AssociationId"]: s["Status"] for s in found}

    wait_for(lambda: statuses().get(slow["AssociationId"]) == "InProgress", 20, "the run to be InProgress")
    wait_for(lambda: statuses().get(slow["AssociationId"]) == "Success", 20, "the run to end")
    assert held["AssociationId"] not in statuses()  # at(): only at its time, not at creation nor for new targets
    assert executions(ssm, held["AssociationId"]) == []


def test_max_concurrency_and_max_errors(ssm, server: EmulatorProcess, make_container):
    team = uuid.uuid4().hex[:8]
    boxes = [make_container() for _ in range(2)]
    ids = [register_container(server, box, tags={"team": team}) for box in boxes]
    association_id = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}], MaxConcurrency="1", MaxErrors="0",
        Parameters={"commands": ["exit 1"]})["AssociationDescription"]["AssociationId"]
    run = ended_executions(ssm, association_id)[0]
    targets = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=run["ExecutionId"])["AssociationExecutionTargets"]
    # One at a time, and no error allowed: the first failure stops the second before it runs.
    assert sorted(t["ResourceId"] for t in targets) == sorted(ids)
    assert sorted(t["DetailedStatus"] for t in targets) == ["Failed", "Terminated"]
    command = ssm.list_commands(CommandId=targets[0]["OutputSource"]["OutputSourceId"])["Commands"][0]
    assert (command["MaxConcurrency"], command["MaxErrors"]) == ("1", "0")


def test_duration_cancels_a_run_that_outlasts_it(ssm, server: EmulatorProcess, make_container):
    # Duration 1 hour is 2 s under the test clock (scale 1800); it binds ApplyOnlyAtCronInterval associations
    box, team, instance_id = tagged_container(server, make_container)
    path = f"/tmp/duration-{team}"
    association_id = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}], ScheduleExpression="cron(0 0 1 1 ? 2099)",
        ApplyOnlyAtCronInterval=True, Duration=1,
        Parameters={"commands": [f"echo started >> {path}", "sleep 120", f"echo finished >> {path}"]},
    )["AssociationDescription"]["AssociationId"]
    ssm.start_associations_once(AssociationIds=[association_id])
    run = ended_executions(ssm, association_id, timeout=60)[0]
    assert run["Status"] == "Failed"
    target = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=run["ExecutionId"])["AssociationExecutionTargets"][0]
    assert (target["ResourceId"], target["Status"], target["DetailedStatus"]) == (instance_id, "Failed", "Cancelled")
    command = ssm.list_commands(CommandId=target["OutputSource"]["OutputSourceId"])["Commands"][0]
    assert command["Status"] == "Cancelled"
    assert lines_of(box, path) == ["started"]
    assert "sleep 120" not in box.exec_run(["ps", "-eo", "args"]).output.decode()  # really stopped


def test_duration_stops_a_runbook_that_outlasts_it(ssm, server: EmulatorProcess):
    name = runbook(ssm, [{"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT120S"}}])
    association_id = ssm.create_association(
        Name=name, ScheduleExpression="cron(0 0 1 1 ? 2099)", ApplyOnlyAtCronInterval=True, Duration=1,
    )["AssociationDescription"]["AssociationId"]
    ssm.start_associations_once(AssociationIds=[association_id])
    run = ended_executions(ssm, association_id, timeout=60)[0]
    target = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=run["ExecutionId"])["AssociationExecutionTargets"][0]
    assert (run["Status"], target["ResourceType"], target["DetailedStatus"]) == (
        "Failed", "AutomationExecution", "Cancelled")
    automation = ssm.get_automation_execution(AutomationExecutionId=target["ResourceId"])["AutomationExecution"]
    assert automation["AutomationExecutionStatus"] == "Cancelled"


def test_target_maps_run_the_runbook_once_per_map(ssm, server: EmulatorProcess):
    name = runbook(ssm, [{"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
                   parameters={"Marker": {"type": "String"}})
    association_id = ssm.create_association(
        Name=name, AutomationTargetParameterName="Marker", TargetMaps=[{"Marker": ["a"]}, {"Marker": ["b"]}],
    )["AssociationDescription"]["AssociationId"]
    run = ended_executions(ssm, association_id, timeout=60)[0]
    assert run["Status"] == "Success"
    target = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=run["ExecutionId"])["AssociationExecutionTargets"][0]
    children = ssm.describe_automation_executions(Filters=[
        {"Key": "ParentExecutionId", "Values": [target["ResourceId"]]}])["AutomationExecutionMetadataList"]
    assert sorted(json.dumps(c.get("Target")) for c in children) == ['"a"', '"b"']
