"""Automation across a crash of the emulator (kill -9) with a data folder: an execution waiting on aws:approve
goes on waiting and finishes once approved (an approval given before the crash still counts); an aws:sleep ends
when it would have; a step that was running fails as interrupted and the execution follows its onFailure; an
Interactive execution goes on waiting for StartStep."""
from __future__ import annotations

import time

from conftest import FAST_INSTANCE_CHECKS, make_client
from test_automation import runbook, start, steps_by_name, wait_execution
from test_managed_instances import wait_for
from test_run_command import processes_in_container, register_container


def test_waiting_executions_survive_a_crash(start_emulator, make_container, tmp_path):
    data = tmp_path / "data"
    args = ("--data-dir", str(data), "--log-level", "info")
    server = start_emulator(*args, env=dict(FAST_INSTANCE_CHECKS))
    ssm = make_client(server.url)
    box = make_container()
    instance_id = register_container(server, box)

    approval = runbook(ssm, [
        {"name": "approve", "action": "aws:approve", "inputs": {"Approvers": ["me"], "MinRequiredApprovals": 2}},
        {"name": "after", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ])
    sleeper = runbook(ssm, [
        {"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT3S"}},
        {"name": "after", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ])
    marker = f"sleep 5{int(time.time()) % 10**5}"
    running = runbook(ssm, [
        {"name": "busy", "action": "aws:runCommand", "onFailure": "Continue", "inputs": {
            "DocumentName": "AWS-RunShellScript", "InstanceIds": [instance_id],
            "Parameters": {"commands": [marker]}}},
        {"name": "after", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ])
    interactive = runbook(ssm, [{"name": "only", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}])

    approved = start(ssm, approval)
    wait_execution(ssm, approved, wanted=("Waiting",))
    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve", Payload={"Comment": ["first"]})
    slept = start(ssm, sleeper)
    began = time.monotonic()
    interrupted = start(ssm, running)
    waiting = start(ssm, interactive, Mode="Interactive")
    wait_for(lambda: processes_in_container(box, marker), 20, "the command to run")
    wait_for(lambda: steps_by_name(ssm.get_automation_execution(AutomationExecutionId=slept)["AutomationExecution"])
             ["nap"]["StepStatus"] == "InProgress", 10, "the sleep to start")
    time.sleep(max(0.0, began + 1.5 - time.monotonic()))  # half the sleep done before the crash

    server.kill_hard()
    restarted = start_emulator(*args, env=dict(FAST_INSTANCE_CHECKS))
    ssm = make_client(restarted.url)

    found = wait_execution(ssm, interrupted, timeout=20)
    busy = steps_by_name(found)["busy"]
    assert busy["StepStatus"] == "Failed"
    assert "interrupted by an emulator restart" in busy["FailureMessage"]
    assert steps_by_name(found)["after"]["StepStatus"] == "Success"  # onFailure: Continue
    assert found["AutomationExecutionStatus"] == "Failed"  # busy is critical

    found = wait_execution(ssm, slept, timeout=20)
    assert found["AutomationExecutionStatus"] == "Success"
    nap = steps_by_name(found)["nap"]
    # the sleep kept its start: 3 s in all, not 1.5 s + the restart + 3 s again
    assert 2.9 <= (nap["ExecutionEndTime"] - nap["ExecutionStartTime"]).total_seconds() < 4.2

    assert ssm.get_automation_execution(AutomationExecutionId=approved)["AutomationExecution"][
        "AutomationExecutionStatus"] == "Waiting"
    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve", Payload={"Comment": ["second"]})
    found = wait_execution(ssm, approved, timeout=20)
    assert found["AutomationExecutionStatus"] == "Success"
    assert len(steps_by_name(found)["approve"]["Outputs"]["ApproverDecisions"]) == 2

    assert ssm.get_automation_execution(AutomationExecutionId=waiting)["AutomationExecution"][
        "AutomationExecutionStatus"] == "Waiting"
    ssm.send_automation_signal(AutomationExecutionId=waiting, SignalType="StartStep", Payload={"StepName": ["only"]})
    assert wait_execution(ssm, waiting, timeout=20)["AutomationExecutionStatus"] == "Success"
