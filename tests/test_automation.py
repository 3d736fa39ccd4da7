"""Automation runbooks that execute, against the real server over boto3: parameters and variables, step
outputs, aws:branch, aws:sleep, aws:pause, aws:approve (approved and rejected), aws:loop, aws:executeAutomation,
onFailure/isCritical/maxAttempts/timeoutSeconds, Interactive mode, StopAutomationExecution, ClientToken
idempotency, the Describe* operations' filters and paging, execution previews and AWS's errors."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from test_managed_instances import wait_for
from botocore.exceptions import ClientError

ENDED = ("Success", "Failed", "TimedOut", "Cancelled")


# --- helpers shared by the Automation test modules -------------------------------------------------------------
def runbook(ssm, steps: list[dict], parameters: dict | None = None, outputs: list[str] | None = None,
            name: str | None = None, fmt: str = "JSON") -> str:
    name = name or f"rb-{uuid.uuid4().hex[:10]}"
    content = {"schemaVersion": "0.3", "description": "test runbook", "mainSteps": steps,
               "parameters": parameters or {}}
    if outputs:
        content["outputs"] = outputs
    text = json.dumps(content) if fmt == "JSON" else yaml.safe_dump(content)
    ssm.create_document(Name=name, Content=text, DocumentType="Automation", DocumentFormat=fmt)
    return name


def start(ssm, name: str, **kwargs) -> str:
    return ssm.start_automation_execution(DocumentName=name, **kwargs)["AutomationExecutionId"]


def execution(ssm, execution_id: str) -> dict:
    return ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]


def wait_execution(ssm, execution_id: str, timeout: float = 30, wanted: tuple[str, ...] = ENDED) -> dict:
    def reached():
        found = execution(ssm, execution_id)
        return found if found["AutomationExecutionStatus"] in wanted else None

    return wait_for(reached, timeout, f"execution {execution_id} to be one of {wanted}")  # type: ignore[return-value]


def aws_error(call) -> dict:
    """The error a call answers (Code, Message), failing if it succeeds."""
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]


def steps_by_name(found: dict) -> dict[str, dict]:
    return {s["StepName"]: s for s in found["StepExecutions"]}


def sleep_step(name: str, duration: str = "PT0.1S", **extra) -> dict:
    return {"name": name, "action": "aws:sleep", "inputs": {"Duration": duration}, **extra}


# --- running runbooks ------------------------------------------------------------------------------------------
def test_branch_on_parameter_with_outputs_and_variables(ssm):
    name = runbook(ssm, [
        {"name": "choose", "action": "aws:branch", "inputs": {
            "Choices": [
                {"NextStep": "small", "Variable": "{{ Size }}", "NumericLesser": 10},
                {"NextStep": "big", "And": [
                    {"Variable": "{{ Size }}", "NumericGreaterOrEquals": 10},
                    {"Not": {"Variable": "{{ Label }}", "StartsWith": "skip"}},
                ]},
            ],
            "Default": "fallback"}},
        sleep_step("small", isEnd=True),
        sleep_step("big", nextStep="fallback"),
        {"name": "fallback", "action": "aws:branch", "inputs": {
            "Choices": [{"NextStep": "done", "Variable": "{{ automation:EXECUTION_ID }}", "Contains": "-"}]}},
        sleep_step("done"),
    ], parameters={"Size": {"type": "Integer"}, "Label": {"type": "String", "default": "go"}},
        outputs=["choose.NextStep", "done.Nothing"])
    big = start(ssm, name, Parameters={"Size": ["12"]})
    small = start(ssm, name, Parameters={"Size": ["3"]})
    found = wait_execution(ssm, big)
    assert found["AutomationExecutionStatus"] == "Success", found
    steps = steps_by_name(found)
    assert [steps[n]["StepStatus"] for n in ("choose", "small", "big", "fallback", "done")] == [
        "Success", "Pending", "Success", "Success", "Success"]
    assert found["Parameters"] == {"Size": ["12"], "Label": ["go"]}
    assert found["Outputs"]["done.Nothing"] == ["No output available yet because the step is not successfully executed"]
    assert found["Mode"] == "Auto" and found["ExecutedBy"].startswith("arn:aws:")
    assert json.loads(steps["big"]["Inputs"]["Duration"]) == "PT0.1S"
    found = wait_execution(ssm, small)
    steps = steps_by_name(found)
    assert found["AutomationExecutionStatus"] == "Success"
    assert [steps[n]["StepStatus"] for n in ("small", "big", "done")] == ["Success", "Pending", "Pending"]


def test_parameters_are_checked_as_aws_does(ssm):
    name = runbook(ssm, [sleep_step("one")], parameters={
        "Mode": {"type": "String", "allowedValues": ["fast", "slow"]}, "Count": {"type": "Integer", "default": 1}})
    error = aws_error(lambda: start(ssm, name))
    assert error["Code"] == "InvalidAutomationExecutionParametersException"
    assert error["Message"] == "Missing required parameter: Mode in user inputs."
    error = aws_error(lambda: start(ssm, name, Parameters={"Mode": ["quick"]}))
    assert error["Message"] == 'Parameter "Mode" has value "quick" not found in [fast, slow].'
    error = aws_error(lambda: start(ssm, name, Parameters={"Mode": ["fast"], "Other": ["x"]}))
    assert error["Code"] == "InvalidAutomationExecutionParametersException"
    assert aws_error(lambda: start(ssm, "no-such-runbook"))["Code"] == "AutomationDefinitionNotFoundException"
    assert aws_error(lambda: start(ssm, name, DocumentVersion="9", Parameters={"Mode": ["fast"]}))["Code"] == \
        "AutomationDefinitionVersionNotFoundException"
    missing = str(uuid.uuid4())
    assert aws_error(lambda: execution(ssm, missing))["Code"] == "AutomationExecutionNotFoundException"


def test_yaml_runbook_with_system_variables_and_ssm_parameter(ssm):
    ssm.put_parameter(Name="/rb/greeting", Value="hello", Type="String")
    name = runbook(ssm, [
        {"name": "check", "action": "aws:branch", "inputs": {"Choices": [
            {"NextStep": "good", "And": [
                {"Variable": "{{ global:REGION }}", "StringEquals": "us-east-1"},
                {"Variable": "{{ global:ACCOUNT_ID }}", "StringEquals": "123456789012"},
                {"Variable": "{{ global:AWS_PARTITION }}", "EqualsIgnoreCase": "AWS"},
                {"Variable": "{{ Greeting }}", "StringEquals": "hello"},
                {"Variable": "{{ global:DATE }}", "StartsWith": datetime.now(timezone.utc).strftime("%Y-")},
            ]}], "Default": "bad"}},
        sleep_step("good", isEnd=True),
        {"name": "bad", "action": "aws:sleep", "inputs": {"Duration": "nonsense"}},
    ], parameters={"Greeting": {"type": "String", "default": "{{ ssm:/rb/greeting }}"}}, fmt="YAML")
    found = wait_execution(ssm, start(ssm, name))
    assert found["AutomationExecutionStatus"] == "Success", found
    assert steps_by_name(found)["good"]["StepStatus"] == "Success"
    assert found["Parameters"]["Greeting"] == ["hello"]


def test_date_time_is_the_time_of_each_substitution(ssm):
    # AWS user guide, "Automation system variables": a system variable is substituted when the step runs, so a
    # time injected at step 1 differs from one injected at a later step.
    noted = {"action": "aws:sleep", "inputs": {"Duration": "PT1.2S", "Note": "{{ global:DATE_TIME }}"}}
    name = runbook(ssm, [{"name": "first", **noted}, {"name": "second", **noted}])
    found = wait_execution(ssm, start(ssm, name))
    steps = steps_by_name(found)
    first, second = (json.loads(steps[n]["Inputs"]["Note"]) for n in ("first", "second"))
    assert first < second, (first, second)


def test_on_failure_continue_step_and_is_critical(ssm):
    broken = {"action": "aws:sleep", "inputs": {"Duration": "never"}}
    name = runbook(ssm, [
        {"name": "soft", **broken, "onFailure": "Continue", "isCritical": False},
        {"name": "jump", **broken, "onFailure": "step:cleanup"},
        sleep_step("skipped"),
        sleep_step("cleanup"),
    ])
    found = wait_execution(ssm, start(ssm, name))
    steps = steps_by_name(found)
    assert [steps[n]["StepStatus"] for n in ("soft", "jump", "skipped", "cleanup")] == [
        "Failed", "Failed", "Pending", "Success"]
    assert "ISO 8601" in steps["soft"]["FailureMessage"]
    # jump is critical (the default) and failed: the execution fails although its flow went on to cleanup
    assert found["AutomationExecutionStatus"] == "Failed"
    assert steps["soft"]["IsCritical"] is False and steps["jump"]["OnFailure"] == "step:cleanup"

    lenient = runbook(ssm, [{"name": "soft", **broken, "onFailure": "Continue", "isCritical": False},
                            sleep_step("after")])
    assert wait_execution(ssm, start(ssm, lenient))["AutomationExecutionStatus"] == "Success"

    aborting = runbook(ssm, [{"name": "hard", **broken}, sleep_step("never_run")])
    found = wait_execution(ssm, start(ssm, aborting))
    assert found["AutomationExecutionStatus"] == "Failed"
    assert "ISO 8601" in found["FailureMessage"]
    assert steps_by_name(found)["never_run"]["StepStatus"] == "Pending"


def test_on_failure_continue_makes_a_step_not_critical_by_default(ssm):
    # AWS user guide, "Properties shared by all actions": isCritical defaults to false when onFailure is
    # Continue, else to true.
    broken = {"action": "aws:sleep", "inputs": {"Duration": "never"}}
    name = runbook(ssm, [{"name": "soft", **broken, "onFailure": "Continue"}, sleep_step("after")])
    found = wait_execution(ssm, start(ssm, name))
    steps = steps_by_name(found)
    assert steps["soft"]["StepStatus"] == "Failed"
    assert found["AutomationExecutionStatus"] == "Success"
    # FailureDetails: a stage and a type among those the API reference lists (FailureDetails)
    details = steps["soft"]["FailureDetails"]
    assert details["FailureStage"] in ("InputValidation", "PreVerification", "Invocation", "PostVerification")
    assert details["FailureType"] in ("Action", "Permission", "Throttling", "Verification", "Internal")

    strict = runbook(ssm, [{"name": "hard", **broken, "onFailure": "Continue", "isCritical": True},
                           sleep_step("after")])
    found = wait_execution(ssm, start(ssm, strict))
    assert steps_by_name(found)["hard"]["IsCritical"] is True
    assert found["AutomationExecutionStatus"] == "Failed"


def test_timeout_seconds_and_max_attempts(ssm):
    name = runbook(ssm, [
        sleep_step("slow", "PT30S", timeoutSeconds=1, onFailure="Continue", isCritical=False),
        {"name": "retried", "action": "aws:sleep", "inputs": {"Duration": "bad"}, "maxAttempts": 3,
         "onFailure": "Continue", "isCritical": False},
        sleep_step("last"),
    ])
    began = time.monotonic()
    found = wait_execution(ssm, start(ssm, name))
    assert time.monotonic() - began < 10
    steps = steps_by_name(found)
    assert steps["slow"]["StepStatus"] == "TimedOut"
    assert steps["slow"]["TimeoutSeconds"] == 1
    assert steps["retried"]["StepStatus"] == "Failed" and steps["retried"]["MaxAttempts"] == 3
    assert found["AutomationExecutionStatus"] == "Success"

    aborted = runbook(ssm, [sleep_step("slow", "PT30S", timeoutSeconds=1)])
    found = wait_execution(ssm, start(ssm, aborted))
    assert found["AutomationExecutionStatus"] == "TimedOut"


def test_a_critical_step_that_timed_out_makes_the_execution_timed_out(ssm):
    # AWS user guide, "Handling timeouts in runbooks": with onFailure step:<name> the flow goes on after a step
    # times out, and the execution is Timed Out unless the step's isCritical is false.
    name = runbook(ssm, [sleep_step("slow", "PT30S", timeoutSeconds=1, onFailure="step:after"), sleep_step("skipped"),
                         sleep_step("after")])
    found = wait_execution(ssm, start(ssm, name))
    steps = steps_by_name(found)
    assert [steps[n]["StepStatus"] for n in ("slow", "skipped", "after")] == ["TimedOut", "Pending", "Success"]
    assert found["AutomationExecutionStatus"] == "TimedOut"


def test_a_step_that_times_out_is_retried_up_to_max_attempts(ssm):
    # AWS user guide, "Properties shared by all actions": with maxAttempts above 1 a step that reaches its
    # timeoutSeconds is not considered timed out until all its retries were attempted.
    name = runbook(ssm, [sleep_step("slow", "PT30S", timeoutSeconds=1, maxAttempts=3, onFailure="Continue"),
                         sleep_step("last")])
    found = wait_execution(ssm, start(ssm, name))
    slow = steps_by_name(found)["slow"]
    assert slow["StepStatus"] == "TimedOut" and slow["MaxAttempts"] == 3
    assert (slow["ExecutionEndTime"] - slow["ExecutionStartTime"]).total_seconds() >= 3  # three attempts of 1 s


def approval_runbook(ssm, required: int = 1) -> str:
    return runbook(ssm, [
        {"name": "approve", "action": "aws:approve", "inputs": {
            "Approvers": ["arn:aws:iam::123456789012:root"], "Message": "please", "MinRequiredApprovals": required,
            "NotificationArn": "arn:aws:sns:us-east-1:123456789012:AutomationApproval"}},
        sleep_step("after"),
    ], outputs=["approve.ApprovalStatus"])


def test_approve_and_reject(ssm):
    name = approval_runbook(ssm, required=2)
    approved = start(ssm, name)
    found = wait_execution(ssm, approved, wanted=("Waiting",))
    assert found["CurrentStepName"] == "approve" and found["CurrentAction"] == "aws:approve"
    assert steps_by_name(found)["approve"]["StepStatus"] == "Waiting"
    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve", Payload={"Comment": ["one"]})
    time.sleep(0.3)
    assert execution(ssm, approved)["AutomationExecutionStatus"] == "Waiting"  # one of two approvals
    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve", Payload={"Comment": ["two"]})
    found = wait_execution(ssm, approved)
    assert found["AutomationExecutionStatus"] == "Success"
    step = steps_by_name(found)["approve"]
    assert step["Outputs"]["ApprovalStatus"] == ["Approved"]
    decisions = [json.loads(d) for d in step["Outputs"]["ApproverDecisions"]]
    assert [(d["Decision"], d["Comment"]) for d in decisions] == [("Approve", "one"), ("Approve", "two")]
    assert found["Outputs"] == {"approve.ApprovalStatus": ["Approved"]}

    rejected = start(ssm, name)
    wait_execution(ssm, rejected, wanted=("Waiting",))
    ssm.send_automation_signal(AutomationExecutionId=rejected, SignalType="Reject", Payload={"Comment": ["no way"]})
    found = wait_execution(ssm, rejected)
    assert found["AutomationExecutionStatus"] == "Failed"
    step = steps_by_name(found)["approve"]
    assert step["StepStatus"] == "Failed" and "no way" in step["FailureMessage"]
    assert step["Outputs"]["ApprovalStatus"] == ["Rejected"]
    assert steps_by_name(found)["after"]["StepStatus"] == "Pending"
    error = aws_error(lambda: ssm.send_automation_signal(AutomationExecutionId=rejected, SignalType="Approve"))
    assert error["Code"] == "InvalidAutomationSignalException"


def test_an_approval_that_times_out_is_still_waiting(ssm):
    # AWS user guide, aws:approve: ApprovalStatus is Approved, Rejected or Waiting (waiting for approvers); a
    # step that reaches its timeout before the approvals it needs is Timed Out, and so is the execution.
    name = runbook(ssm, [{"name": "approve", "action": "aws:approve", "timeoutSeconds": 1,
                          "inputs": {"Approvers": ["arn:aws:iam::123456789012:root"]}}])
    found = wait_execution(ssm, start(ssm, name))
    step = steps_by_name(found)["approve"]
    assert (found["AutomationExecutionStatus"], step["StepStatus"]) == ("TimedOut", "TimedOut")
    assert step["Outputs"]["ApprovalStatus"] == ["Waiting"]


def test_pause_resume_and_signal_errors(ssm):
    name = runbook(ssm, [{"name": "hold", "action": "aws:pause", "inputs": {}}, sleep_step("after")])
    execution_id = start(ssm, name)
    wait_execution(ssm, execution_id, wanted=("Waiting",))
    error = aws_error(lambda: ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Approve"))
    assert error["Code"] == "InvalidAutomationSignalException"
    error = aws_error(lambda: ssm.send_automation_signal(
        AutomationExecutionId=execution_id, SignalType="Resume", Payload={"StepName": ["nope"]}))
    assert error["Code"] == "AutomationStepNotFoundException"
    error = aws_error(lambda: ssm.send_automation_signal(
        AutomationExecutionId=execution_id, SignalType="StopStep", Payload={"StepExecutionId": [str(uuid.uuid4())]}))
    assert error["Code"] == "AutomationStepNotFoundException"
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume", Payload={"StepName": ["hold"]})
    assert wait_execution(ssm, execution_id)["AutomationExecutionStatus"] == "Success"


def test_stop_cancel_runs_on_cancel_step_and_stop_errors(ssm):
    name = runbook(ssm, [sleep_step("long", "PT60S", onCancel="step:cleanup"), sleep_step("next"),
                         sleep_step("cleanup")])
    execution_id = start(ssm, name)
    wait_for(lambda: steps_by_name(execution(ssm, execution_id))["long"]["StepStatus"] == "InProgress", 10, "long")
    ssm.stop_automation_execution(AutomationExecutionId=execution_id, Type="Cancel")
    found = wait_execution(ssm, execution_id, timeout=10)
    assert found["AutomationExecutionStatus"] == "Cancelled"
    steps = steps_by_name(found)
    assert [steps[n]["StepStatus"] for n in ("long", "next", "cleanup")] == ["Cancelled", "Pending", "Success"]
    error = aws_error(lambda: ssm.stop_automation_execution(AutomationExecutionId=execution_id))
    assert error["Code"] == "InvalidAutomationStatusUpdateException"
    error = aws_error(lambda: ssm.stop_automation_execution(AutomationExecutionId=str(uuid.uuid4())))
    assert error["Code"] == "AutomationExecutionNotFoundException"


def test_an_execution_is_cancelling_while_its_on_cancel_step_runs(ssm):
    # AWS user guide, "Understanding automation statuses": Cancelling is an automation "in the process of
    # stopping after being canceled by a requester"; it is Cancelled once stopped.
    name = runbook(ssm, [sleep_step("long", "PT60S", onCancel="step:cleanup"), sleep_step("cleanup", "PT2S")])
    execution_id = start(ssm, name)
    wait_for(lambda: steps_by_name(execution(ssm, execution_id))["long"]["StepStatus"] == "InProgress", 10, "long")
    ssm.stop_automation_execution(AutomationExecutionId=execution_id, Type="Cancel")

    def cleanup_started() -> dict | None:
        found = execution(ssm, execution_id)
        return found if steps_by_name(found)["cleanup"]["StepStatus"] != "Pending" else None

    found = wait_for(cleanup_started, 10, "the onCancel step to start")
    assert steps_by_name(found)["cleanup"]["StepStatus"] == "InProgress"
    assert found["AutomationExecutionStatus"] == "Cancelling"
    assert wait_execution(ssm, execution_id, timeout=10)["AutomationExecutionStatus"] == "Cancelled"


def test_interactive_mode(ssm):
    name = runbook(ssm, [sleep_step("first"), sleep_step("second"), sleep_step("third")])
    execution_id = start(ssm, name, Mode="Interactive")
    found = execution(ssm, execution_id)
    assert found["AutomationExecutionStatus"] == "Waiting" and found["Mode"] == "Interactive"
    assert found["CurrentStepName"] == "first"
    time.sleep(0.3)
    assert steps_by_name(execution(ssm, execution_id))["first"]["StepStatus"] == "Pending"  # nothing runs by itself
    error = aws_error(lambda: ssm.send_automation_signal(
        AutomationExecutionId=execution_id, SignalType="StartStep", Payload={"StepName": ["fourth"]}))
    assert error["Code"] == "AutomationStepNotFoundException"
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="StartStep",
                               Payload={"StepName": ["second"]})
    found = wait_for(lambda: (lambda f: f if f["CurrentStepName"] == "third" and f["AutomationExecutionStatus"]
                              == "Waiting" else None)(execution(ssm, execution_id)), 10, "second to run")
    steps = steps_by_name(found)
    assert steps["second"]["StepStatus"] == "Success" and steps["first"]["StepStatus"] == "Pending"
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="StartStep",
                               Payload={"StepName": ["third"]})
    # AWS user guide, "Running an automation manually": the execution waits between steps, and once its steps
    # have finished StopAutomationExecution Type Complete completes it.
    found = wait_for(lambda: (lambda f: f if steps_by_name(f)["third"]["StepStatus"] == "Success" else None)(
        execution(ssm, execution_id)), 10, "third to run")
    assert found["AutomationExecutionStatus"] == "Waiting" and "CurrentStepName" not in found
    ssm.stop_automation_execution(AutomationExecutionId=execution_id, Type="Complete")
    found = wait_execution(ssm, execution_id)
    assert found["AutomationExecutionStatus"] == "Success"
    assert steps_by_name(found)["third"]["StepStatus"] == "Success"


def test_valid_next_steps_name_the_step_that_follows(ssm):
    # AWS user guide, "Running an automation manually": a step without nextStep shows the step after it in
    # ValidNextSteps; the last step shows none.
    name = runbook(ssm, [sleep_step("first"), sleep_step("second", nextStep="fourth"), sleep_step("third"),
                         sleep_step("fourth", isEnd=True), sleep_step("fifth")])
    execution_id = start(ssm, name)
    wait_execution(ssm, execution_id)
    steps = {s["StepName"]: s for s in
             ssm.describe_automation_step_executions(AutomationExecutionId=execution_id)["StepExecutions"]}
    assert [steps[n].get("ValidNextSteps") for n in ("first", "second", "third", "fourth", "fifth")] == [
        ["second"], ["fourth"], ["fourth"], None, None]


def test_steps_show_the_properties_their_runbook_declares(ssm):
    # AWS's examples (AWS CLI reference: get-automation-execution, describe-automation-step-executions; user guide:
    # "Running an automation manually") show a step that declares none of them without OnFailure, MaxAttempts,
    # IsEnd, IsCritical or TimeoutSeconds, and with OverriddenParameters {} once it ran.
    name = runbook(ssm, [sleep_step("plain"), sleep_step("declared", onFailure="Continue", maxAttempts=2,
                                                          isEnd=True, isCritical=True, timeoutSeconds=30)])
    found = wait_execution(ssm, start(ssm, name))
    steps = steps_by_name(found)
    plain = steps["plain"]
    assert not {"OnFailure", "MaxAttempts", "IsEnd", "IsCritical", "TimeoutSeconds"} & set(plain), plain
    assert plain["OverriddenParameters"] == {}
    declared = steps["declared"]
    assert (declared["OnFailure"], declared["MaxAttempts"], declared["IsEnd"], declared["IsCritical"],
            declared["TimeoutSeconds"]) == ("Continue", 2, True, True, 30)


def test_loop_over_iterators_and_condition(ssm):
    name = runbook(ssm, [
        {"name": "each", "action": "aws:loop", "inputs": {
            "Iterators": "{{ Names }}",
            "Steps": [{"name": "pick", "action": "aws:branch", "inputs": {"Choices": [
                {"NextStep": "nap", "Variable": "{{ each.CurrentIteratorValue }}", "StringEquals": "b"}],
                "Default": "nap"}},
                sleep_step("nap", "PT0S")]}},
        {"name": "count", "action": "aws:loop", "inputs": {
            "MaxIterations": 3,
            "LoopCondition": {"Variable": "{{ count.CurrentIteration }}", "NumericLesser": 10},
            "Steps": [sleep_step("tick", "PT0S")]}},
    ], parameters={"Names": {"type": "StringList"}}, outputs=["each.CurrentIteratorValue", "count.CurrentIteration"])
    found = wait_execution(ssm, start(ssm, name, Parameters={"Names": ["a", "b", "c"]}))
    assert found["AutomationExecutionStatus"] == "Success", found
    assert found["Outputs"] == {"each.CurrentIteratorValue": ["c"], "count.CurrentIteration": ["3"]}
    inner = [s for s in found["StepExecutions"] if s["StepName"] == "nap"]
    assert [s["ParentStepDetails"]["IteratorValue"] for s in inner] == ["a", "b", "c"]
    assert [s["ParentStepDetails"]["Iteration"] for s in inner] == [1, 2, 3]
    ticks = ssm.describe_automation_step_executions(
        AutomationExecutionId=found["AutomationExecutionId"],
        Filters=[{"Key": "ParentStepExecutionId",
                  "Values": [steps_by_name(found)["count"]["StepExecutionId"]]}])["StepExecutions"]
    assert len(ticks) == 3


def test_loop_iterators_are_strings_by_default(ssm):
    # AWS user guide, aws:loop: Iterators is a StringList and IteratorDataType defaults to String, so a number
    # among the iterators reaches the loop's steps as text.
    name = runbook(ssm, [{"name": "each", "action": "aws:loop", "inputs": {"Iterators": [1, 2], "Steps": [
        {"name": "put", "action": "aws:executeAwsApi", "inputs": {
            "Service": "ssm", "Api": "PutParameter", "Name": "/loop/iterator", "Type": "String", "Overwrite": True,
            "Value": "{{ each.CurrentIteratorValue }}"}}]}}])
    found = wait_execution(ssm, start(ssm, name))
    assert found["AutomationExecutionStatus"] == "Success", found
    assert ssm.get_parameter(Name="/loop/iterator")["Parameter"]["Value"] == "2"


def test_execute_automation_child(ssm):
    child = runbook(ssm, [sleep_step("nap")], parameters={"Word": {"type": "String"}},
                    outputs=["nap.Missing"])
    parent = runbook(ssm, [{"name": "run_child", "action": "aws:executeAutomation", "inputs": {
        "DocumentName": child, "RuntimeParameters": {"Word": "hi"}}}],
        outputs=["run_child.Status", "run_child.ExecutionId"])
    found = wait_execution(ssm, start(ssm, parent))
    assert found["AutomationExecutionStatus"] == "Success", found
    child_id = found["Outputs"]["run_child.ExecutionId"][0]
    assert found["Outputs"]["run_child.Status"] == ["Success"]
    child_found = execution(ssm, child_id)
    assert child_found["ParentAutomationExecutionId"] == found["AutomationExecutionId"]
    assert child_found["Parameters"] == {"Word": ["hi"]}

    failing = runbook(ssm, [{"name": "run_child", "action": "aws:executeAutomation", "inputs": {
        "DocumentName": child}}])
    found = wait_execution(ssm, start(ssm, failing))
    assert found["AutomationExecutionStatus"] == "Failed"
    assert "Missing required parameter: Word" in found["FailureMessage"]


def test_execute_automation_output_is_the_childs_output_values(ssm):
    # AWS user guide, aws:executeAutomation: Output (StringList) is the output the secondary execution
    # generated, referenced as {{ step.Output }} (its example puts it in a list of instance IDs).
    child = runbook(ssm, [{"name": "make", "action": "aws:executeAwsApi", "inputs": {
        "Service": "ssm", "Api": "GetParameter", "Name": "/child/id"},
        "outputs": [{"Name": "Id", "Selector": "$.Parameter.Value", "Type": "String"}]}], outputs=["make.Id"])
    ssm.put_parameter(Name="/child/id", Value="i-0123456789abcdef0", Type="String", Overwrite=True)
    parent = runbook(ssm, [
        {"name": "run_child", "action": "aws:executeAutomation", "inputs": {"DocumentName": child}},
        {"name": "use", "action": "aws:sleep", "inputs": {"Duration": "PT0S", "Ids": ["{{ run_child.Output }}"]}},
    ], outputs=["run_child.Output"])
    found = wait_execution(ssm, start(ssm, parent))
    assert found["AutomationExecutionStatus"] == "Success", found
    assert steps_by_name(found)["run_child"]["Outputs"]["Output"] == ["i-0123456789abcdef0"]
    assert json.loads(steps_by_name(found)["use"]["Inputs"]["Ids"]) == ["i-0123456789abcdef0"]
    assert found["Outputs"]["run_child.Output"] == ["i-0123456789abcdef0"]


def test_client_token_idempotency(ssm):
    name = runbook(ssm, [sleep_step("one")])
    token = str(uuid.uuid4())
    first = start(ssm, name, ClientToken=token)
    assert start(ssm, name, ClientToken=token) == first
    error = aws_error(lambda: start(ssm, name, ClientToken=token, Mode="Interactive"))
    assert error["Code"] == "IdempotentParameterMismatch"


# --- listings ----------------------------------------------------------------------------------------------------
def test_describe_executions_filters_and_paging(ssm):
    prefix = f"list-{uuid.uuid4().hex[:6]}"
    quick = runbook(ssm, [sleep_step("one", "PT0S")], name=f"{prefix}-quick")
    waiting = runbook(ssm, [{"name": "hold", "action": "aws:pause", "inputs": {}}], name=f"{prefix}-hold")
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    done_ids = [start(ssm, quick) for _ in range(5)]
    held = start(ssm, waiting, Tags=[{"Key": "team", "Value": "blue"}])
    for execution_id in done_ids:
        wait_execution(ssm, execution_id)
    wait_execution(ssm, held, wanted=("Waiting",))

    def ids(*filters, **kw):
        found, token = [], None
        while True:
            page = ssm.describe_automation_executions(Filters=list(filters), MaxResults=2,
                                                      **({"NextToken": token} if token else {}), **kw)
            found += [m["AutomationExecutionId"] for m in page["AutomationExecutionMetadataList"]]
            token = page.get("NextToken")
            if not token:
                return found

    everything = ids({"Key": "DocumentNamePrefix", "Values": [prefix]})
    assert everything == [held, *reversed(done_ids)]  # newest first, across three pages
    assert ids({"Key": "ExecutionStatus", "Values": ["Waiting"]},
               {"Key": "DocumentNamePrefix", "Values": [prefix]}) == [held]
    assert ids({"Key": "TagKey", "Values": ["team"]}) == [held]
    assert ids({"Key": "CurrentAction", "Values": ["aws:pause"]}) == [held]
    assert ids({"Key": "ExecutionId", "Values": [done_ids[0], done_ids[1]]}) == [done_ids[1], done_ids[0]]
    assert ids({"Key": "StartTimeBefore", "Values": [before.isoformat()]}) == []
    assert set(ids({"Key": "StartTimeAfter", "Values": [before.isoformat()]})) >= set(everything)
    assert ids({"Key": "AutomationType", "Values": ["CrossAccount"]}) == []
    assert ids({"Key": "OpsItemId", "Values": ["oi-123"]}) == []
    assert ssm.list_tags_for_resource(ResourceType="Automation", ResourceId=held)["TagList"] == [
        {"Key": "team", "Value": "blue"}]
    error = aws_error(lambda: ids({"Key": "StartTimeAfter", "Values": ["yesterday"]}))
    assert error["Code"] == "InvalidFilterValue"
    error = aws_error(lambda: ssm.describe_automation_executions(NextToken="garbage"))
    assert error["Code"] == "InvalidNextToken"
    paginator = ssm.get_paginator("describe_automation_executions")
    pages = list(paginator.paginate(Filters=[{"Key": "DocumentNamePrefix", "Values": [prefix]}],
                                    PaginationConfig={"PageSize": 4}))
    assert len(pages) == 2
    ssm.stop_automation_execution(AutomationExecutionId=held)
    assert wait_execution(ssm, held)["AutomationExecutionStatus"] == "Cancelled"


def test_describe_step_executions_filters_reverse_and_paging(ssm):
    name = runbook(ssm, [sleep_step(f"s{i}", "PT0S") for i in range(5)] +
                   [{"name": "br", "action": "aws:branch", "inputs": {"Choices": [
                       {"NextStep": "s0", "Variable": "x", "StringEquals": "y"}]}}])
    execution_id = start(ssm, name)
    wait_execution(ssm, execution_id)

    def names(**kw):
        found, token = [], None
        while True:
            page = ssm.describe_automation_step_executions(
                AutomationExecutionId=execution_id, MaxResults=2, **({"NextToken": token} if token else {}), **kw)
            found += [s["StepName"] for s in page["StepExecutions"]]
            token = page.get("NextToken")
            if not token:
                return found

    assert names() == ["s0", "s1", "s2", "s3", "s4", "br"]
    assert names(ReverseOrder=True) == ["br", "s4", "s3", "s2", "s1", "s0"]
    assert names(Filters=[{"Key": "Action", "Values": ["aws:branch"]}]) == ["br"]
    assert names(Filters=[{"Key": "StepName", "Values": ["s1", "s3"]}]) == ["s1", "s3"]
    assert names(Filters=[{"Key": "StepExecutionStatus", "Values": ["Success"]},
                          {"Key": "StepName", "Values": ["s4"]}]) == ["s4"]
    assert names(Filters=[{"Key": "StartTimeAfter", "Values": ["2999-01-01T00:00:00Z"]}]) == []
    error = aws_error(lambda: ssm.describe_automation_step_executions(AutomationExecutionId=str(uuid.uuid4())))
    assert error["Code"] == "AutomationExecutionNotFoundException"


def test_execution_preview(ssm):
    name = runbook(ssm, [sleep_step("one"), {"name": "two", "action": "aws:pause", "inputs": {}},
                         {"name": "cmd", "action": "aws:runCommand", "inputs": {
                             "DocumentName": "AWS-RunShellScript", "InstanceIds": ["{{ Id }}"],
                             "Parameters": {"commands": ["true"]}}}],
                   parameters={"Id": {"type": "String"}})
    preview_id = ssm.start_execution_preview(DocumentName=name, ExecutionInputs={"Automation": {
        "TargetParameterName": "Id", "Targets": [{"Key": "ParameterValues", "Values": ["a", "b", "c"]}]}}
    )["ExecutionPreviewId"]
    found = ssm.get_execution_preview(ExecutionPreviewId=preview_id)
    assert found["Status"] == "Success"
    preview = found["ExecutionPreview"]["Automation"]
    assert preview["StepPreviews"] == {"NonMutating": 2, "Mutating": 1}
    assert preview["TargetPreviews"] == [{"Count": 3, "TargetType": "String"}]
    assert preview["Regions"] == ["us-east-1"]
    error = aws_error(lambda: ssm.get_execution_preview(ExecutionPreviewId=str(uuid.uuid4())))
    assert error["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("max_errors, expected", [("0", "Failed"), ("2", "Success")])
def test_rate_control_over_parameter_values(ssm, max_errors, expected):
    name = runbook(ssm, [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "{{ Length }}"}}],
                   parameters={"Length": {"type": "String"}})
    parent = start(ssm, name, TargetParameterName="Length", MaxConcurrency="1", MaxErrors=max_errors,
                   Targets=[{"Key": "ParameterValues", "Values": ["PT0S", "bad", "PT0.1S", "PT0S"]}])
    found = wait_execution(ssm, parent)
    assert found["AutomationExecutionStatus"] == expected, found
    assert found["ResolvedTargets"]["ParameterValues"] == ["PT0S", "bad", "PT0.1S", "PT0S"]
    children = ssm.describe_automation_executions(
        Filters=[{"Key": "ParentExecutionId", "Values": [parent]}])["AutomationExecutionMetadataList"]
    started = sorted((c["Target"], c["AutomationExecutionStatus"]) for c in children)
    if max_errors == "0":  # stops after the first failure: the last two targets never get a child
        assert started == [("PT0S", "Success"), ("bad", "Failed")]
        assert found["TargetsSummary"]["StartedCount"] == 2
    else:
        assert started == [("PT0.1S", "Success"), ("PT0S", "Success"), ("PT0S", "Success"), ("bad", "Failed")]


def test_stop_step_and_stop_complete(ssm):
    name = runbook(ssm, [{"name": "hold", "action": "aws:pause", "inputs": {}, "onFailure": "Continue",
                          "isCritical": False},
                         sleep_step("after")])
    execution_id = start(ssm, name)
    found = wait_execution(ssm, execution_id, wanted=("Waiting",))
    step_id = steps_by_name(found)["hold"]["StepExecutionId"]
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="StopStep",
                               Payload={"StepExecutionId": [step_id]})
    found = wait_execution(ssm, execution_id)
    steps = steps_by_name(found)
    assert (steps["hold"]["StepStatus"], steps["after"]["StepStatus"]) == ("Cancelled", "Success")
    assert found["AutomationExecutionStatus"] == "Success"
    error = aws_error(lambda: ssm.send_automation_signal(
        AutomationExecutionId=execution_id, SignalType="StopStep", Payload={"StepExecutionId": [step_id]}))
    assert error["Code"] == "InvalidAutomationSignalException"

    completed = start(ssm, runbook(ssm, [sleep_step("first", "PT0S"), sleep_step("long", "PT60S"),
                                         sleep_step("never")]))
    wait_for(lambda: steps_by_name(execution(ssm, completed))["long"]["StepStatus"] == "InProgress", 10, "long")
    ssm.stop_automation_execution(AutomationExecutionId=completed, Type="Complete")
    found = wait_execution(ssm, completed, timeout=10)
    steps = steps_by_name(found)
    assert [steps[n]["StepStatus"] for n in ("first", "long", "never")] == ["Success", "Cancelled", "Pending"]
    assert found["AutomationExecutionStatus"] == "Success"


# --- TargetLocations: one child per account and Region --------------------------------------------------------
def put_marker_step(name: str = "/marker", value: str = "{{ global:ACCOUNT_ID }}-{{ global:REGION }}") -> dict:
    return {"name": "mark", "action": "aws:executeAwsApi", "inputs": {
        "Service": "ssm", "Api": "PutParameter", "Name": name, "Value": value, "Type": "String"}}


def test_target_locations_run_a_child_in_each_account_and_region(client_factory):
    central = client_factory(access_key="111111111111")
    name = runbook(central, [put_marker_step()], parameters={"Note": {"type": "String", "default": "hi"}})
    accounts, regions = ["222222222222", "333333333333"], ["us-east-1", "eu-west-1"]
    parent = start(central, name, TargetLocations=[{
        "Accounts": accounts, "Regions": regions, "TargetLocationMaxConcurrency": "2",
        "TargetLocationMaxErrors": "1", "ExecutionRoleName": "RunbookRole"}])
    found = wait_execution(central, parent)
    assert found["AutomationExecutionStatus"] == "Success", found
    assert found["TargetLocations"] == [{"Accounts": accounts, "Regions": regions,
                                         "TargetLocationMaxConcurrency": "2", "TargetLocationMaxErrors": "1",
                                         "ExecutionRoleName": "RunbookRole"}]
    assert found["ProgressCounters"] == {"TotalSteps": 4, "SuccessSteps": 4, "FailedSteps": 0,
                                         "CancelledSteps": 0, "TimedOutSteps": 0}
    steps = steps_by_name(found)
    assert sorted(steps) == sorted(f"{a}:{r}" for a in accounts for r in regions)
    listed = central.describe_automation_executions(Filters=[{"Key": "ExecutionId", "Values": [parent]}])
    assert listed["AutomationExecutionMetadataList"][0]["AutomationType"] == "CrossAccount"
    with pytest.raises(ClientError):
        central.get_parameter(Name="/marker")  # nothing ran in the central account itself

    for account in accounts:
        for region in regions:
            there = client_factory(access_key=account, region=region)
            assert there.get_parameter(Name="/marker")["Parameter"]["Value"] == f"{account}-{region}"
            kids = there.describe_automation_executions(
                Filters=[{"Key": "ParentExecutionId", "Values": [parent]}])["AutomationExecutionMetadataList"]
            assert len(kids) == 1
            kid = execution(there, kids[0]["AutomationExecutionId"])
            assert kid["ParentAutomationExecutionId"] == parent
            assert kid["AutomationExecutionStatus"] == "Success"
            assert kid["ExecutedBy"] == f"arn:aws:iam::{account}:role/RunbookRole"
            assert kid["Parameters"] == {"Note": ["hi"]}
            step = steps[f"{account}:{region}"]
            assert step["Action"] == "aws:executeAutomation" and step["StepStatus"] == "Success"
            assert step["Outputs"]["ExecutionId"] == [kid["AutomationExecutionId"]]
            assert step["TargetLocation"] == {"Accounts": [account], "Regions": [region],
                                              "ExecutionRoleName": "RunbookRole"}


def test_target_locations_with_targets_fan_out_in_each_location(client_factory):
    central = client_factory(access_key="111111111111")
    name = runbook(central, [put_marker_step("/marker/{{ Name }}", "{{ global:REGION }}")],
                   parameters={"Name": {"type": "String"}})
    parent = start(central, name, TargetParameterName="Name", Targets=[{"Key": "ParameterValues",
                                                                      "Values": ["a", "b"]}],
                   MaxConcurrency="1", TargetLocations=[{"Accounts": ["222222222222"],
                                                         "Regions": ["us-east-1", "us-west-2"]}])
    found = wait_execution(central, parent)
    assert found["AutomationExecutionStatus"] == "Success", found
    assert found["TargetParameterName"] == "Name" and found["Targets"][0]["Values"] == ["a", "b"]
    for region in ("us-east-1", "us-west-2"):
        there = client_factory(access_key="222222222222", region=region)
        for value in ("a", "b"):
            assert there.get_parameter(Name=f"/marker/{value}")["Parameter"]["Value"] == region
        location_child = there.describe_automation_executions(
            Filters=[{"Key": "ParentExecutionId", "Values": [parent]}])["AutomationExecutionMetadataList"][0]
        rate_parent = execution(there, location_child["AutomationExecutionId"])
        assert rate_parent["ResolvedTargets"]["ParameterValues"] == ["a", "b"]
        assert rate_parent["MaxConcurrency"] == "1"
        assert rate_parent["TargetsSummary"]["SuccessfulCount"] == 2

    error = aws_error(lambda: start(central, name, Parameters={"Name": ["x"]},
                                    TargetLocations=[{"Accounts": ["ou-ab12-cdef5678"]}]))
    assert error["Code"] == "InvalidAutomationExecutionParametersException"


def test_outputs_keep_within_the_models_limits(ssm):
    """AutomationParameterMap: a value at most 512 characters, at most 50 values an output (longer ones are cut)."""
    name = runbook(ssm, [{
        "name": "big", "action": "aws:executeScript",
        "inputs": {"Runtime": "python3.11", "Handler": "handler",
                   "Script": "def handler(events, context):\n"
                             "    return {'long': 'x' * 2000, 'many': [str(i) for i in range(60)]}\n"},
        "outputs": [{"Name": "Long", "Selector": "$.Payload.long", "Type": "String"},
                    {"Name": "Many", "Selector": "$.Payload.many", "Type": "StringList"}],
    }], outputs=["big.Long", "big.Many"])
    found = wait_execution(ssm, start(ssm, name))
    assert found["AutomationExecutionStatus"] == "Success", found
    step = steps_by_name(found)["big"]
    for shown in (step["Outputs"], {k.split(".")[1]: v for k, v in found["Outputs"].items()}):
        assert shown["Long"] == ["x" * 512]
        assert shown["Many"] == [str(i) for i in range(50)]
