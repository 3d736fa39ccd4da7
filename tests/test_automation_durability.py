"""Automation across a crash of the emulator (kill -9) with a data folder: an execution waiting on aws:approve
goes on waiting and finishes once approved (an approval given before the crash still counts); an aws:sleep ends
when it would have; a step that was running fails as interrupted and the execution follows its onFailure; an
Interactive execution goes on waiting for StartStep; aws:executeAutomation waits again for the child it started
(which went on running) and aws:loop goes on in the iteration it was in."""
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
        {"name": "busy", "action": "aws:runCommand", "onFailure": "Continue", "isCritical": True, "inputs": {
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
    nap_started = steps_by_name(ssm.get_automation_execution(AutomationExecutionId=slept)["AutomationExecution"])[
        "nap"]["ExecutionStartTime"]

    server.kill_hard()
    restarted = start_emulator(*args, env=dict(FAST_INSTANCE_CHECKS))
    ready = time.time()
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
    # the sleep kept its start and ended 3 s after it (or as soon as the emulator was back), where a sleep begun
    # again would end 3 s after the restart at the earliest
    assert nap["ExecutionStartTime"] == nap_started
    assert (nap["ExecutionEndTime"] - nap_started).total_seconds() >= 2.9
    assert nap["ExecutionEndTime"].timestamp() < ready + 3

    assert ssm.get_automation_execution(AutomationExecutionId=approved)["AutomationExecution"][
        "AutomationExecutionStatus"] == "Waiting"
    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve", Payload={"Comment": ["second"]})
    found = wait_execution(ssm, approved, timeout=20)
    assert found["AutomationExecutionStatus"] == "Success"
    assert len(steps_by_name(found)["approve"]["Outputs"]["ApproverDecisions"]) == 2

    assert ssm.get_automation_execution(AutomationExecutionId=waiting)["AutomationExecution"][
        "AutomationExecutionStatus"] == "Waiting"
    ssm.send_automation_signal(AutomationExecutionId=waiting, SignalType="StartStep", Payload={"StepName": ["only"]})
    wait_for(lambda: steps_by_name(ssm.get_automation_execution(AutomationExecutionId=waiting)[
        "AutomationExecution"])["only"]["StepStatus"] == "Success", 20, "the step to run")
    ssm.stop_automation_execution(AutomationExecutionId=waiting, Type="Complete")  # Interactive: waits till then
    assert wait_execution(ssm, waiting, timeout=20)["AutomationExecutionStatus"] == "Success"


def test_child_executions_and_loops_go_on_after_a_crash(start_emulator, tmp_path):
    data = tmp_path / "data"
    args = ("--data-dir", str(data), "--log-level", "info")
    server = start_emulator(*args)
    ssm = make_client(server.url)

    child = runbook(ssm, [
        {"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT3S"}},
    ], parameters={"Who": {"type": "String"}}, outputs=["nap.Nothing"])
    parent = runbook(ssm, [
        {"name": "run", "action": "aws:executeAutomation", "inputs": {
            "DocumentName": child, "RuntimeParameters": {"Who": "parent"}}},
        {"name": "after", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ])
    looping = runbook(ssm, [
        {"name": "each", "action": "aws:loop", "inputs": {
            "Iterators": ["a", "b", "c"],
            "Steps": [
                {"name": "first", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
                {"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT2S"}},
            ]}},
        {"name": "after", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ])

    parent_id = start(ssm, parent)
    loop_id = start(ssm, looping)

    def naps_in(execution_id: str) -> list[dict]:
        found = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        return [s for s in found["StepExecutions"] if s["StepName"] == "nap"]

    def children() -> list[dict]:
        return ssm.describe_automation_executions(Filters=[{"Key": "ParentExecutionId", "Values": [parent_id]}])[
            "AutomationExecutionMetadataList"]

    wait_for(lambda: len(children()) == 1, 10, "the child execution to start")
    wait_for(lambda: [s["ParentStepDetails"]["Iteration"] for s in naps_in(loop_id)
                      if s["StepStatus"] == "InProgress"] == [2], 20, "the loop's second nap")
    time.sleep(0.5)
    second_nap_started = naps_in(loop_id)[1]["ExecutionStartTime"]

    server.kill_hard()
    restarted = start_emulator(*args)
    ready = time.time()
    ssm = make_client(restarted.url)

    found = wait_execution(ssm, parent_id, timeout=20)
    assert found["AutomationExecutionStatus"] == "Success", found
    kids = children()
    assert len(kids) == 1  # waited for again, not started twice
    step = steps_by_name(found)["run"]
    assert step["StepStatus"] == "Success"
    assert step["Outputs"]["ExecutionId"] == [kids[0]["AutomationExecutionId"]]
    assert step["Outputs"]["Status"] == ["Success"]
    assert wait_execution(ssm, kids[0]["AutomationExecutionId"])["Parameters"] == {"Who": ["parent"]}

    found = wait_execution(ssm, loop_id, timeout=20)
    assert found["AutomationExecutionStatus"] == "Success", found
    by_iteration: dict[int, list[str]] = {}
    for s in found["StepExecutions"]:
        if "ParentStepDetails" in s:
            assert s["StepStatus"] == "Success", s
            by_iteration.setdefault(s["ParentStepDetails"]["Iteration"], []).append(s["StepName"])
    # the second iteration went on where it was: its first step did not run again, its nap not twice
    assert by_iteration == {1: ["first", "nap"], 2: ["first", "nap"], 3: ["first", "nap"]}
    nap = [s for s in found["StepExecutions"] if s["StepName"] == "nap"][1]
    assert nap["ParentStepDetails"]["IteratorValue"] == "b"
    # kept its start: ended 2 s after it (or once the emulator was back), not 2 s after the restart or later
    assert nap["ExecutionStartTime"] == second_nap_started
    assert (nap["ExecutionEndTime"] - second_nap_started).total_seconds() >= 1.9
    assert nap["ExecutionEndTime"].timestamp() < ready + 2
    assert steps_by_name(found)["each"]["Outputs"]["CurrentIteration"] == ["3"]
