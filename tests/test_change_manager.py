"""Change Manager against the real server over boto3: change requests made from change templates wait in
PendingApproval for their approvals (SendAutomationSignal Approve/Reject with a Comment), stay Scheduled until
ScheduledTime, are held by a CLOSED change calendar (not with an emergency template, and released by an
override), run their runbook for real (aws:runCommand on a Docker container) and end CompletedWithSuccess;
AutoApprove on an autoApprovable template; a change request waiting for approval survives a restart; AWS's
errors."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from conftest import make_client
from test_automation import aws_error, runbook, steps_by_name, wait_execution
from test_change_calendar import iso, stamp
from test_run_command import register_container, server, ssm  # noqa: F401  (fixtures)

ENDED = ("CompletedWithSuccess", "CompletedWithFailure", "Rejected", "ChangeCalendarOverrideRejected", "TimedOut",
         "Cancelled", "Failed")
NAP = [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}]


def change_template(ssm, *, levels: list[int] | None = None, emergency: bool = False, auto: bool = False,
                    runbooks: list[str] | None = None, calendars: list[str] | None = None, timeout: int = 3600,
                    message: str = "Please review") -> str:
    name = f"ct-{uuid.uuid4().hex[:10]}"
    steps = [{"name": f"ApproveLevel{i + 1}", "action": "aws:approve", "timeoutSeconds": timeout, "inputs": {
        "Message": message, "MinRequiredApprovals": required,
        "EnhancedApprovals": {"Approvers": [{"approver": "ops", "type": "IamRole", "minRequiredApprovals": 0}]}}}
        for i, required in enumerate(levels if levels is not None else [1])]
    content = {"schemaVersion": "0.3", "description": "test change template",
               "templateInformation": "### What changes?", "emergencyChange": emergency, "autoApprovable": auto,
               "parameters": {"Ticket": {"type": "String", "default": "none"}}, "mainSteps": steps}
    if runbooks:
        content["executableRunBooks"] = [{"name": r, "version": "$DEFAULT"} for r in runbooks]
    if calendars:
        content["changeCalendars"] = calendars
    ssm.create_document(Name=name, Content=json.dumps(content), DocumentType="Automation.ChangeTemplate",
                        DocumentFormat="JSON")
    return name


def request(ssm, template: str, runbook_name: str, **kwargs) -> str:
    runbook_entry = {"DocumentName": runbook_name, **kwargs.pop("runbook", {})}
    return ssm.start_change_request_execution(DocumentName=template, Runbooks=[runbook_entry],
                                              ChangeRequestName=kwargs.pop("name", "test change"),
                                              **kwargs)["AutomationExecutionId"]


def approve(ssm, execution_id: str, comment: str = "ok", signal: str = "Approve") -> None:
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType=signal, Payload={"Comment": [comment]})


def runbook_execution(ssm, change_request_id: str) -> dict:
    children = ssm.describe_automation_executions(
        Filters=[{"Key": "ParentExecutionId", "Values": [change_request_id]}])["AutomationExecutionMetadataList"]
    assert len(children) == 1, children
    return children[0]


def test_approved_change_request_runs_its_runbook_on_a_container(ssm, server, make_container):
    box = make_container()
    instance_id = register_container(server, box)
    restart = runbook(ssm, [{"name": "restart", "action": "aws:runCommand", "inputs": {
        "DocumentName": "AWS-RunShellScript", "InstanceIds": ["{{ InstanceId }}"],
        "Parameters": {"commands": ["echo changed-{{ Reason }} > /tmp/changed"]}}}],
        parameters={"InstanceId": {"type": "String"}, "Reason": {"type": "String"}})
    template = change_template(ssm, levels=[2, 1], runbooks=[restart])

    found_id = request(ssm, template, restart, name="Restart the box", Parameters={"Ticket": ["CHG-1"]},
                       runbook={"Parameters": {"InstanceId": [instance_id], "Reason": ["patch"]}},
                       Tags=[{"Key": "team", "Value": "ops"}])
    found = wait_execution(ssm, found_id, wanted=("PendingApproval",))
    assert found["AutomationSubtype"] == "ChangeRequest"
    assert found["ChangeRequestName"] == "Restart the box"
    assert found["Runbooks"][0]["DocumentName"] == restart
    assert found["Runbooks"][0]["Parameters"]["InstanceId"] == [instance_id]
    assert found["Parameters"] == {"Ticket": ["CHG-1"]}
    assert found["CurrentStepName"] == "ApproveLevel1"
    steps = steps_by_name(found)
    assert steps["ApproveLevel1"]["StepStatus"] == "Waiting"
    assert steps["ApproveLevel2"]["StepStatus"] == "Pending"

    approve(ssm, found_id, "first of two")
    time.sleep(1.2)
    found = wait_execution(ssm, found_id, wanted=("PendingApproval",))
    assert found["CurrentStepName"] == "ApproveLevel1"  # level 1 needs two approvals
    approve(ssm, found_id, "second of two")
    found = wait_execution(ssm, found_id, wanted=("PendingApproval",))
    wait_for_step(ssm, found_id, "ApproveLevel2", "Waiting")
    assert box.exec_run(["test", "-e", "/tmp/changed"]).exit_code != 0  # nothing runs before every approval
    approve(ssm, found_id, "level two")

    found = wait_execution(ssm, found_id, timeout=60, wanted=ENDED)
    assert found["AutomationExecutionStatus"] == "CompletedWithSuccess", found
    assert box.exec_run(["cat", "/tmp/changed"]).output.decode() == "changed-patch\n"
    level1 = steps_by_name(found)["ApproveLevel1"]
    assert level1["StepStatus"] == "Success"
    assert level1["Outputs"]["ApprovalStatus"] == ["Approved"]
    child = runbook_execution(ssm, found_id)
    assert child["DocumentName"] == restart and child["AutomationExecutionStatus"] == "Success"

    listed = ssm.describe_automation_executions(
        Filters=[{"Key": "AutomationSubtype", "Values": ["ChangeRequest"]}])["AutomationExecutionMetadataList"]
    assert [e["AutomationExecutionId"] for e in listed] == [found_id]
    assert listed[0]["ChangeRequestName"] == "Restart the box"
    tags = ssm.list_tags_for_resource(ResourceType="Automation", ResourceId=found_id)["TagList"]
    assert tags == [{"Key": "team", "Value": "ops"}]


def wait_for_step(ssm, execution_id: str, step: str, wanted: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        if steps_by_name(found).get(step, {}).get("StepStatus") == wanted:
            return found
        assert time.monotonic() < deadline, f"step {step} never became {wanted}: {found}"
        time.sleep(0.2)


def test_rejected_change_request_never_runs(ssm):
    rb = runbook(ssm, NAP)
    template = change_template(ssm)
    found_id = request(ssm, template, rb)
    wait_execution(ssm, found_id, wanted=("PendingApproval",))
    approve(ssm, found_id, "not during the sale", signal="Reject")
    found = wait_execution(ssm, found_id, wanted=ENDED)
    assert found["AutomationExecutionStatus"] == "Rejected"
    assert "not during the sale" in found["FailureMessage"]
    step = steps_by_name(found)["ApproveLevel1"]
    assert step["StepStatus"] == "Failed" and step["Outputs"]["ApprovalStatus"] == ["Rejected"]
    assert ssm.describe_automation_executions(Filters=[{"Key": "ParentExecutionId", "Values": [found_id]}])[
        "AutomationExecutionMetadataList"] == []
    error = aws_error(lambda: approve(ssm, found_id))
    assert error["Code"] == "InvalidAutomationSignalException"


def test_unanswered_approval_times_out_waiting(ssm):
    template = change_template(ssm, timeout=1)
    found_id = request(ssm, template, runbook(ssm, NAP))
    found = wait_execution(ssm, found_id, timeout=20, wanted=ENDED)
    assert found["AutomationExecutionStatus"] == "TimedOut"
    step = steps_by_name(found)["ApproveLevel1"]
    # aws:approve's ApprovalStatus: Approved, Rejected, or Waiting when the step ended with no verdict
    assert step["StepStatus"] == "TimedOut" and step["Outputs"]["ApprovalStatus"] == ["Waiting"]


def test_approval_levels_take_the_date_when_they_open(ssm):
    template = change_template(ssm, levels=[1, 1], message="Review of {{global:DATE_TIME}}")
    found_id = request(ssm, template, runbook(ssm, NAP))
    first = wait_for_step(ssm, found_id, "ApproveLevel1", "Waiting")
    time.sleep(1.1)  # DATE_TIME counts seconds: the second level opens at least one second later
    approve(ssm, found_id)
    second = wait_for_step(ssm, found_id, "ApproveLevel2", "Waiting")
    opened = [json.loads(steps_by_name(found)[step]["Inputs"]["Message"]) for found, step in
              ((first, "ApproveLevel1"), (second, "ApproveLevel2"))]
    assert all(message.startswith("Review of 20") for message in opened), opened
    assert opened[0] != opened[1]


def test_scheduled_change_request_waits_for_its_time(ssm):
    rb = runbook(ssm, NAP)
    template = change_template(ssm, auto=True)
    due = datetime.now(timezone.utc) + timedelta(seconds=4)
    found_id = request(ssm, template, rb, AutoApprove=True, ScheduledTime=due,
                       ScheduledEndTime=due + timedelta(minutes=5))
    found = wait_execution(ssm, found_id, wanted=("Scheduled",))
    assert found["ScheduledTime"].timestamp() == int(due.timestamp()) or abs(
        found["ScheduledTime"].timestamp() - due.timestamp()) < 1
    assert found["StepExecutions"] == []  # AutoApprove: no approval steps
    time.sleep(1.5)
    assert wait_execution(ssm, found_id, wanted=("Scheduled",))  # still before its time
    found = wait_execution(ssm, found_id, timeout=20, wanted=ENDED)
    assert found["AutomationExecutionStatus"] == "CompletedWithSuccess"
    assert runbook_execution(ssm, found_id)["ExecutionStartTime"] >= due - timedelta(seconds=1)


def test_closed_change_calendar_holds_a_standard_change_not_an_emergency(ssm):
    now = datetime.now(timezone.utc)
    calendar = f"freeze-{uuid.uuid4().hex[:8]}"
    freeze = ("BEGIN:VCALENDAR\r\nPRODID:-//AWS//Change Calendar 1.0//EN\r\nVERSION:2.0\r\n"
              "X-CALENDAR-TYPE:DEFAULT_OPEN\r\nBEGIN:VEVENT\r\nUID:freeze\r\n"
              f"DTSTART:{stamp(now - timedelta(hours=1))}\r\nDTEND:{stamp(now + timedelta(hours=1))}\r\n"
              "SUMMARY:Freeze\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    ssm.create_document(Name=calendar, Content=freeze, DocumentType="ChangeCalendar", DocumentFormat="TEXT")
    assert ssm.get_calendar_state(CalendarNames=[calendar], AtTime=iso(now))["State"] == "CLOSED"
    rb = runbook(ssm, NAP)

    standard = change_template(ssm, auto=True, calendars=[calendar])
    held_id = request(ssm, standard, rb, AutoApprove=True)
    held = wait_execution(ssm, held_id, wanted=("PendingChangeCalendarOverride",))
    assert held["CurrentStepName"] == "ChangeCalendarOverride"
    emergency = change_template(ssm, auto=True, emergency=True, calendars=[calendar])
    urgent_id = request(ssm, emergency, rb, AutoApprove=True)
    assert wait_execution(ssm, urgent_id, wanted=ENDED)["AutomationExecutionStatus"] == "CompletedWithSuccess"
    assert wait_execution(ssm, held_id, wanted=("PendingChangeCalendarOverride",))  # still held

    approve(ssm, held_id, "freeze approver says go")  # a change freeze approver overrides the calendar
    found = wait_execution(ssm, held_id, wanted=ENDED)
    assert found["AutomationExecutionStatus"] == "CompletedWithSuccess"
    assert steps_by_name(found)["ChangeCalendarOverride"]["Outputs"]["ApprovalStatus"] == ["Approved"]

    refused_id = request(ssm, standard, rb, AutoApprove=True)
    wait_execution(ssm, refused_id, wanted=("PendingChangeCalendarOverride",))
    approve(ssm, refused_id, "no", signal="Reject")
    assert wait_execution(ssm, refused_id, wanted=ENDED)["AutomationExecutionStatus"] == \
        "ChangeCalendarOverrideRejected"

    reopened_id = request(ssm, standard, rb, AutoApprove=True)
    wait_execution(ssm, reopened_id, wanted=("PendingChangeCalendarOverride",))
    ssm.update_document(Name=calendar, DocumentVersion="$LATEST", DocumentFormat="TEXT", Content=freeze.replace(
        stamp(now + timedelta(hours=1)), stamp(now - timedelta(minutes=30))))
    ssm.update_document_default_version(Name=calendar, DocumentVersion="2")
    assert wait_execution(ssm, reopened_id, wanted=ENDED)["AutomationExecutionStatus"] == "CompletedWithSuccess"


def test_auto_approve_needs_an_auto_approvable_template(ssm):
    rb = runbook(ssm, NAP)
    found_id = request(ssm, change_template(ssm, auto=True), rb, AutoApprove=True)
    found = wait_execution(ssm, found_id, wanted=ENDED)
    assert found["AutomationExecutionStatus"] == "CompletedWithSuccess"
    error = aws_error(lambda: request(ssm, change_template(ssm), rb, AutoApprove=True))
    assert error["Code"] == "InvalidAutomationExecutionParametersException"
    assert "auto-approval" in error["Message"]


def test_client_token_and_stop(ssm):
    rb = runbook(ssm, NAP)
    template = change_template(ssm)
    token = str(uuid.uuid4())
    first = request(ssm, template, rb, ClientToken=token)
    assert request(ssm, template, rb, ClientToken=token) == first
    error = aws_error(lambda: request(ssm, template, rb, ClientToken=token, name="other"))
    assert error["Code"] == "IdempotentParameterMismatch"
    wait_execution(ssm, first, wanted=("PendingApproval",))
    ssm.stop_automation_execution(AutomationExecutionId=first)
    assert wait_execution(ssm, first, wanted=ENDED)["AutomationExecutionStatus"] == "Cancelled"


def test_errors(ssm):
    rb = runbook(ssm, NAP, parameters={"Count": {"type": "Integer"}})
    template = change_template(ssm, runbooks=[rb])

    plain = aws_error(lambda: request(ssm, rb, rb))  # a runbook is not a change template
    assert plain["Code"] == "AutomationDefinitionNotFoundException"
    missing = aws_error(lambda: request(ssm, "no-such-template", rb))
    assert missing["Code"] == "AutomationDefinitionNotFoundException"
    no_runbook = aws_error(lambda: request(ssm, template, "no-such-runbook"))
    assert no_runbook["Code"] == "InvalidAutomationExecutionParametersException"  # not one the template allows
    anything = change_template(ssm)
    assert aws_error(lambda: request(ssm, anything, "no-such-runbook", runbook={"Parameters": {"Count": ["1"]}})
                     )["Code"] == "AutomationDefinitionNotFoundException"
    bad = aws_error(lambda: request(ssm, template, rb, runbook={"Parameters": {"Count": ["many"]}}))
    assert bad["Code"] == "InvalidAutomationExecutionParametersException"
    needed = aws_error(lambda: request(ssm, template, rb))
    assert needed["Code"] == "InvalidAutomationExecutionParametersException" and "Count" in needed["Message"]
    unknown = aws_error(lambda: request(ssm, template, rb, runbook={"Parameters": {"Count": ["1"]}},
                                        Parameters={"Nope": ["x"]}))
    assert unknown["Code"] == "InvalidAutomationExecutionParametersException"
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    backwards = aws_error(lambda: request(ssm, template, rb, runbook={"Parameters": {"Count": ["1"]}},
                                          ScheduledTime=start, ScheduledEndTime=start - timedelta(minutes=1)))
    assert backwards["Code"] == "InvalidAutomationExecutionParametersException"

    ssm.update_document_metadata(Name=template, DocumentReviews={"Action": "SendForReview"})
    pending = aws_error(lambda: request(ssm, template, rb, runbook={"Parameters": {"Count": ["1"]}}))
    assert pending["Code"] == "AutomationDefinitionNotApprovedException"
    ssm.update_document_metadata(Name=template, DocumentReviews={"Action": "Approve"})
    assert request(ssm, template, rb, runbook={"Parameters": {"Count": ["1"]}})


def test_pending_change_request_survives_a_restart(start_emulator, tmp_path):
    args = ("--data-dir", str(tmp_path / "data"))
    first = start_emulator(*args)
    ssm = make_client(first.url)
    rb = runbook(ssm, NAP)
    template = change_template(ssm, levels=[2])
    found_id = request(ssm, template, rb)
    wait_execution(ssm, found_id, wanted=("PendingApproval",))
    approve(ssm, found_id, "before the crash")

    first.kill_hard()
    ssm = make_client(start_emulator(*args).url)
    time.sleep(1.2)
    assert wait_execution(ssm, found_id, wanted=("PendingApproval",))  # one approval of two so far
    approve(ssm, found_id, "after the crash")
    found = wait_execution(ssm, found_id, wanted=ENDED)
    assert found["AutomationExecutionStatus"] == "CompletedWithSuccess"
    decisions = steps_by_name(found)["ApproveLevel1"]["Outputs"]["ApproverDecisions"]
    assert len(decisions) == 2
