"""Maintenance windows running for real on containers (the server's test clock runs windows 60 times faster:
rate(5 minutes) opens every 5 seconds, an hour of Duration lasts a minute): a window opens by itself and runs its
RUN_COMMAND tasks on its targets in priority order, with the pseudo-parameters filled in; an AUTOMATION task runs
its runbook and a LAMBDA task fails saying why; MaxErrors stops a task before its next target; cancelling an
execution really stops the command it runs; a crash mid-run keeps what was recorded, the execution ending FAILED;
a window runs a patch scan (AWS-RunPatchBaseline on local apt repositories) before a command, by priority.

On a clock 3600 times faster (an hour of Duration lasts a second): when the Duration ends, the command still
running is killed and everything ends TIMED_OUT; past the cutoff no task starts, a CANCEL_TASK task's command is
stopped (TIMED_OUT) while a CONTINUE_TASK one runs on, and a CANCEL_TASK Automation task finishes the runbook it
runs but starts no more; a window due while its last execution still runs records
SKIPPED_OVERLAPPING."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import FAST_INSTANCE_CHECKS, WINDOW_CLOCK, EmulatorProcess, make_client
from test_automation import runbook, sleep_step
from test_managed_instances import wait_for
from test_maintenance_windows import server, ssm  # noqa: F401  (fixtures)
from test_run_command import processes_in_container, register_container

SCRIPT = "AWS-RunShellScript"
ENDED = ("SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING")


def lines_of(container, path: str) -> list[str]:
    result = container.exec_run(["sh", "-c", f"cat {path} 2>/dev/null || true"])
    return result.output.decode().splitlines()


def soon(seconds: float = 3) -> str:
    """An at() schedule a few seconds from now (at() is wall-clock UTC, not scaled by the test clock)."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def soon_window(ssm, name: str, targets: list[dict], commands: list[str]) -> str:
    """A window opening once, in a few seconds, with one shell-script task (one target at a time, no error
    tolerated) on `targets`."""
    window_id = ssm.create_maintenance_window(Name=name, Schedule=soon(), Duration=2, Cutoff=1,
                                              AllowUnassociatedTargets=True)["WindowId"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=targets, TaskArn=SCRIPT, TaskType="RUN_COMMAND", MaxConcurrency="1",
        MaxErrors="0", TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": commands}}})
    return window_id


def tagged(server: EmulatorProcess, make_container, team: str) -> tuple[object, str]:
    box = make_container()
    return box, register_container(server, box, tags={"team": team})


def first_execution(ssm, window_id: str, timeout: float = 60) -> dict:
    """The window's first execution, once it has ended."""
    def ended():
        runs = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
        first = runs[-1] if runs else None
        return first if first and first["Status"] in ENDED else None

    return wait_for(ended, timeout, f"window {window_id} to open and finish")  # type: ignore[return-value]


def running_execution(ssm, window_id: str, timeout: float = 30) -> str:
    """The ID of the window's execution once it is IN_PROGRESS."""
    def running():
        runs = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
        return runs[0]["WindowExecutionId"] if runs and runs[0]["Status"] == "IN_PROGRESS" else None

    return wait_for(running, timeout, f"window {window_id} to open")  # type: ignore[return-value]


def tasks_of(ssm, execution_id: str) -> dict[str, dict]:
    """The execution's task executions by task ARN."""
    found = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=execution_id)
    return {t["TaskArn"]: t for t in found["WindowExecutionTaskIdentities"]}


def invocations_of(ssm, execution_id: str, task_execution_id: str) -> list[dict]:
    return ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=execution_id, TaskId=task_execution_id)["WindowExecutionTaskInvocationIdentities"]


def command_document(ssm, name: str, command: str) -> str:
    """A Command document of its own for a task (task executions are told apart by their TaskArn)."""
    ssm.create_document(Name=name, DocumentType="Command", Content=(
        '{"schemaVersion": "2.2", "description": "mw test", "parameters": {"line": {"type": "String"}},'
        ' "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["'
        + command + '"]}}]}'))
    return name


def test_window_opens_by_itself_and_runs_tasks_by_priority(ssm, server, make_container):
    team = uuid.uuid4().hex[:8]
    box, instance_id = tagged(server, make_container, team)
    path = f"/tmp/mw-{team}"
    window_id = ssm.create_maintenance_window(Name="by-priority", Schedule="rate(5 minutes)", Duration=2, Cutoff=1,
                                              AllowUnassociatedTargets=False)["WindowId"]
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", Targets=[{"Key": "tag:team", "Values": [team]}],
        OwnerInformation="team " + team)["WindowTargetId"]
    targets = [{"Key": "WindowTargetIds", "Values": [target_id]}]
    # Each writes "<execution> <what>" to the file; the last checks, on the instance, that the first came first.
    first = command_document(ssm, f"mw-first-{team}", f"echo {{{{ line }}}} first >> {path}")
    second = command_document(ssm, f"mw-second-{team}", f"echo {{{{ line }}}} second >> {path}")
    check = command_document(ssm, f"mw-check-{team}",
                             f"grep '^{{{{ line }}}} ' {path} | cut -d' ' -f2 | tr '\\\\n' , | grep -x first,second,")
    for priority, document in ((3, check), (1, first), (2, second)):
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, Targets=targets, TaskArn=document, TaskType="RUN_COMMAND", Priority=priority,
            MaxConcurrency="1", MaxErrors="0",
            TaskInvocationParameters={"RunCommand": {"Parameters": {"line": ["{{WINDOW_EXECUTION_ID}}"]},
                                                     "Comment": "{{WINDOW_ID}} on {{TARGET_ID}}"}})
    ssm.register_task_with_maintenance_window(  # every pseudo-parameter, written out on the instance
        WindowId=window_id, Targets=targets, TaskArn=SCRIPT, TaskType="RUN_COMMAND", Priority=1,
        MaxConcurrency="1", MaxErrors="0", TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": [
            f"echo {{{{WINDOW_ID}}}} {{{{WINDOW_EXECUTION_ID}}}} {{{{TASK_EXECUTION_ID}}}} {{{{INVOCATION_ID}}}}"
            f" {{{{TARGET_ID}}}} {{{{TARGET_TYPE}}}} {{{{WINDOW_TARGET_ID}}}} >> {path}.pseudo"]}}})

    run = first_execution(ssm, window_id)
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)  # no more openings while we look
    assert run["Status"] == "SUCCESS", run
    execution_id = run["WindowExecutionId"]
    mine = [line.split()[1] for line in lines_of(box, path) if line.startswith(execution_id)]
    assert mine == ["first", "second"]
    tasks = tasks_of(ssm, execution_id)
    assert {t["Status"] for t in tasks.values()} == {"SUCCESS"} and len(tasks) == 4
    assert tasks[first]["EndTime"] <= tasks[second]["StartTime"]
    assert tasks[second]["EndTime"] <= tasks[check]["StartTime"]
    got = ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)
    assert sorted(got["TaskIds"]) == sorted(t["TaskExecutionId"] for t in tasks.values())
    detail = ssm.get_maintenance_window_execution_task(WindowExecutionId=execution_id,
                                                       TaskId=tasks[second]["TaskExecutionId"])
    assert (detail["Priority"], detail["Type"], detail["MaxErrors"], detail["Status"]) == (2, "RUN_COMMAND", "0",
                                                                                           "SUCCESS")
    [invocation] = invocations_of(ssm, execution_id, tasks[second]["TaskExecutionId"])
    assert (invocation["Status"], invocation["WindowTargetId"], invocation["OwnerInformation"]) == (
        "SUCCESS", target_id, "team " + team)
    command = ssm.list_commands(CommandId=invocation["ExecutionId"])["Commands"][0]
    assert command["Comment"] == f"{window_id} on {instance_id}" and command["DocumentName"] == second
    assert command["Parameters"] == {"line": [execution_id]}
    one = ssm.get_maintenance_window_execution_task_invocation(
        WindowExecutionId=execution_id, TaskId=tasks[second]["TaskExecutionId"],
        InvocationId=invocation["InvocationId"])
    assert one["ExecutionId"] == invocation["ExecutionId"] and execution_id in one["Parameters"]

    pseudo = [line.split() for line in lines_of(box, f"{path}.pseudo") if line.split()[1] == execution_id]
    [[window, execution, task_execution, invocation_id, target, target_type, window_target]] = pseudo
    [written] = invocations_of(ssm, execution_id, tasks[SCRIPT]["TaskExecutionId"])
    assert (window, execution, task_execution, invocation_id, target, target_type, window_target) == (
        window_id, execution_id, tasks[SCRIPT]["TaskExecutionId"], written["InvocationId"], instance_id, "INSTANCE",
        target_id)


def test_automation_task_runs_and_lambda_task_fails(ssm, server):
    name = runbook(ssm, [sleep_step("nap")], parameters={"Note": {"type": "String"}})
    window_id = ssm.create_maintenance_window(Name="automation", Schedule=soon(), Duration=2, Cutoff=1,
                                              AllowUnassociatedTargets=True)["WindowId"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, TaskArn=name, TaskType="AUTOMATION", Priority=1,
        TaskInvocationParameters={"Automation": {"DocumentVersion": "$LATEST",
                                                 "Parameters": {"Note": ["run {{WINDOW_EXECUTION_ID}}"]}}})
    ssm.register_task_with_maintenance_window(WindowId=window_id, TaskArn="SSMReportFunction", TaskType="LAMBDA",
                                              Priority=2)
    run = first_execution(ssm, window_id)
    assert (run["Status"], run["StatusDetails"]) == ("FAILED", "One or more tasks in the orchestration failed.")
    tasks = tasks_of(ssm, run["WindowExecutionId"])
    assert tasks[name]["Status"] == "SUCCESS" and tasks[name]["TaskType"] == "AUTOMATION"
    [automation] = invocations_of(ssm, run["WindowExecutionId"], tasks[name]["TaskExecutionId"])
    execution = ssm.get_automation_execution(AutomationExecutionId=automation["ExecutionId"])["AutomationExecution"]
    assert execution["AutomationExecutionStatus"] == "Success"
    assert execution["Parameters"]["Note"] == [f"run {run['WindowExecutionId']}"]
    failed = tasks["SSMReportFunction"]
    assert failed["Status"] == "FAILED" and "no AWS Lambda offline" in failed["StatusDetails"]
    [attempt] = invocations_of(ssm, run["WindowExecutionId"], failed["TaskExecutionId"])
    assert attempt["Status"] == "FAILED" and attempt["TaskType"] == "LAMBDA"
    assert ssm.get_maintenance_window(WindowId=window_id).get("NextExecutionTime") is None  # at() runs once


def test_max_errors_stops_further_targets(ssm, server, make_container):
    team = uuid.uuid4().hex[:8]
    boxes = [tagged(server, make_container, team)[0] for _ in range(2)]
    marker = f"/tmp/mw-tried-{team}"
    window_id = soon_window(ssm, "max-errors", [{"Key": "tag:team", "Values": [team]}], [f"touch {marker}", "exit 3"])
    run = first_execution(ssm, window_id)
    assert run["Status"] == "FAILED"
    [task] = tasks_of(ssm, run["WindowExecutionId"]).values()
    assert (task["Status"], task["StatusDetails"]) == (
        "FAILED", "The task stopped starting invocations: errors exceeded MaxErrors (0).")
    [invocation] = invocations_of(ssm, run["WindowExecutionId"], task["TaskExecutionId"])
    assert invocation["Status"] == "FAILED"
    tried = [box.exec_run(["test", "-e", marker]).exit_code == 0 for box in boxes]
    assert sorted(tried) == [False, True]  # the second target was never sent the command


def test_cancel_stops_the_running_command(ssm, server, make_container):
    team = uuid.uuid4().hex[:8]
    box, instance_id = tagged(server, make_container, team)
    sleeper = f"sleep 4{uuid.uuid4().int % 10**5}"
    window_id = soon_window(ssm, "cancelled", [{"Key": "InstanceIds", "Values": [instance_id]}], [sleeper])
    later = ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=[{"Key": "InstanceIds", "Values": [instance_id]}],
        TaskArn="AWS-RunPowerShellScript",
        TaskType="RUN_COMMAND", Priority=9, MaxConcurrency="1", MaxErrors="0",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["never"]}}})["WindowTaskId"]

    execution_id = running_execution(ssm, window_id)
    wait_for(lambda: processes_in_container(box, sleeper), 30, "the command to start")
    answer = ssm.cancel_maintenance_window_execution(WindowExecutionId=execution_id)
    assert answer["WindowExecutionId"] == execution_id
    run = first_execution(ssm, window_id, timeout=30)
    assert run["Status"] == "CANCELLED"
    assert processes_in_container(box, sleeper) == []
    tasks = tasks_of(ssm, execution_id)
    assert list(tasks) == [SCRIPT] and tasks[SCRIPT]["Status"] == "CANCELLED"  # the priority 9 task never started
    [invocation] = invocations_of(ssm, execution_id, tasks[SCRIPT]["TaskExecutionId"])
    assert invocation["Status"] == "CANCELLED"
    assert ssm.list_commands(CommandId=invocation["ExecutionId"])["Commands"][0]["Status"] == "Cancelled"
    assert later  # registered, and not run


def test_restart_mid_run_keeps_the_records(start_emulator, make_container, tmp_path):
    args = ("--data-dir", str(tmp_path / "data"), "--log-level", "info")
    first = start_emulator(*args, env={**FAST_INSTANCE_CHECKS, **WINDOW_CLOCK})
    ssm = make_client(first.url)
    box, instance_id = tagged(first, make_container, uuid.uuid4().hex[:8])
    sleeper = f"sleep 3{uuid.uuid4().int % 10**5}"
    window_id = soon_window(ssm, "interrupted", [{"Key": "InstanceIds", "Values": [instance_id]}], [sleeper])
    wait_for(lambda: processes_in_container(box, sleeper), 30, "the window's command to start")
    first.kill_hard()

    restarted = start_emulator(*args, env={**FAST_INSTANCE_CHECKS, **WINDOW_CLOCK})
    ssm = make_client(restarted.url)
    [run] = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
    assert run["Status"] == "FAILED" and "emulator stopped" in run["StatusDetails"]
    [task] = tasks_of(ssm, run["WindowExecutionId"]).values()
    [invocation] = invocations_of(ssm, run["WindowExecutionId"], task["TaskExecutionId"])
    assert task["Status"] == invocation["Status"] == "FAILED"
    assert invocation["ExecutionId"]  # the command it had sent, acknowledged before the crash
    assert ssm.get_maintenance_window(WindowId=window_id)["Name"] == "interrupted"


def test_window_runs_a_patch_scan_then_a_command_in_priority_order(ssm, server, make_container):
    from test_patch_manager_runs import OURS, counts, only, patch_compliance, patched_container, state, versions

    box = patched_container(make_container)  # local apt repositories: three security updates missing
    instance_id = register_container(server, box)
    window_id = ssm.create_maintenance_window(Name="patching", Schedule=soon(), Duration=2, Cutoff=1,
                                              AllowUnassociatedTargets=True)["WindowId"]
    targets = [{"Key": "InstanceIds", "Values": [instance_id]}]
    ssm.register_task_with_maintenance_window(  # registered first, runs second
        WindowId=window_id, Targets=targets, TaskArn=SCRIPT, TaskType="RUN_COMMAND", Priority=2,
        MaxConcurrency="1", MaxErrors="0",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["dpkg-query -W -f='${Version}' beta"]}}})
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=targets, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND", Priority=1,
        MaxConcurrency="1", MaxErrors="0",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"Operation": ["Scan"]}}})

    run = first_execution(ssm, window_id, timeout=180)
    assert run["Status"] == "SUCCESS", run
    tasks = tasks_of(ssm, run["WindowExecutionId"])
    scan, command = tasks["AWS-RunPatchBaseline"], tasks[SCRIPT]
    assert scan["EndTime"] <= command["StartTime"]
    patched = state(ssm, instance_id)
    assert patched["Operation"] == "Scan" and patched["OperationEndTime"] <= command["StartTime"]
    others = len(versions(box)) - len(OURS)
    assert counts(patched) == only(InstalledOtherCount=others + 1, MissingCount=3, NotApplicableCount=1,
                                   SecurityNonCompliantCount=3)
    [scanned] = invocations_of(ssm, run["WindowExecutionId"], scan["TaskExecutionId"])
    summary, _ = patch_compliance(ssm, instance_id)
    assert summary["Status"] == "NON_COMPLIANT" and summary["ExecutionSummary"]["ExecutionId"] == scanned["ExecutionId"]
    [listed] = invocations_of(ssm, run["WindowExecutionId"], command["TaskExecutionId"])
    output = ssm.get_command_invocation(CommandId=listed["ExecutionId"], InstanceId=instance_id)
    assert output["StandardOutputContent"] == "1.0"  # the scan installed nothing


# --- Duration, Cutoff and overlap, on a clock where an hour of Duration lasts a second -------------------------
@pytest.fixture
def fast_server(fast_window_emulator: EmulatorProcess) -> EmulatorProcess:
    fast_window_emulator.admin("POST", "/_emulator/reset")
    return fast_window_emulator


@pytest.fixture
def fast_ssm(fast_server: EmulatorProcess):
    return make_client(fast_server.url)


def shell_task(ssm, window_id: str, name: str, targets: list[dict], command: str, **kwargs) -> str:
    """A RUN_COMMAND task of a document of its own, `name`, running `command` (one target at a time, no error
    tolerated); its TaskArn."""
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=targets, TaskArn=command_document(ssm, name, command), TaskType="RUN_COMMAND",
        MaxConcurrency="1", MaxErrors="0",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"line": ["-"]}}}, **kwargs)
    return name


def executions_of(ssm, window_id: str) -> list[dict]:
    """The window's executions, oldest first."""
    return ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"][::-1]


def test_duration_end_times_out_what_still_runs(fast_ssm, fast_server, make_container):
    ssm = fast_ssm
    box, instance_id = tagged(fast_server, make_container, uuid.uuid4().hex[:8])
    targets = [{"Key": "InstanceIds", "Values": [instance_id]}]
    sleeper = f"sleep 6{uuid.uuid4().int % 10**5}"
    started = f"/tmp/mw-started-{uuid.uuid4().hex[:8]}"
    window_id = ssm.create_maintenance_window(Name="out-of-time", Schedule=soon(), Duration=6, Cutoff=1,
                                              AllowUnassociatedTargets=True)["WindowId"]
    for priority, command in ((1, f"touch {started}; {sleeper}"), (2, "true")):
        shell_task(ssm, window_id, f"mw-{priority}-{window_id}", targets, command, Priority=priority,
                   CutoffBehavior="CONTINUE_TASK")

    run = first_execution(ssm, window_id, timeout=60)
    assert (run["Status"], run["StatusDetails"]) == (
        "TIMED_OUT", "The maintenance window's Duration ended before its tasks did.")
    assert (run["EndTime"] - run["StartTime"]).total_seconds() >= 6  # open its whole Duration, not cut short
    assert box.exec_run(["test", "-e", started]).exit_code == 0  # it ran...
    assert processes_in_container(box, sleeper) == []  # ...and is gone
    [task] = tasks_of(ssm, run["WindowExecutionId"]).values()  # the priority 2 task never started
    assert (task["Status"], task["StatusDetails"]) == (
        "TIMED_OUT", "The maintenance window's Duration ended before the task did.")
    [invocation] = invocations_of(ssm, run["WindowExecutionId"], task["TaskExecutionId"])
    assert invocation["Status"] == "TIMED_OUT"
    command = ssm.list_commands(CommandId=invocation["ExecutionId"])["Commands"][0]
    assert command["Status"] == "Cancelled"


def test_cutoff_starts_nothing_new_and_cancels_only_cancel_task_tasks(fast_ssm, fast_server, make_container):
    ssm = fast_ssm
    team = uuid.uuid4().hex[:8]
    box, instance_id = tagged(fast_server, make_container, team)
    targets = [{"Key": "InstanceIds", "Values": [instance_id]}]
    sleeper = f"sleep 6{uuid.uuid4().int % 10**5}"
    go, later = f"/tmp/mw-go-{team}", f"/tmp/mw-later-{team}"
    # Open 8 s; the cutoff comes after 2 s (Duration 8 - Cutoff 6 hours).
    window_id = ssm.create_maintenance_window(Name="cut-off", Schedule=soon(), Duration=8, Cutoff=6,
                                              AllowUnassociatedTargets=True)["WindowId"]
    tasks = {  # name: (priority, CutoffBehavior, command)
        f"mw-cancelled-{team}": (1, "CANCEL_TASK", sleeper),
        f"mw-continued-{team}": (1, "CONTINUE_TASK", f"while [ ! -e {go} ]; do sleep 0.1; done"),
        f"mw-later-{team}": (2, "CONTINUE_TASK", f"touch {later}"),
    }
    for name, (priority, behavior, command) in tasks.items():
        shell_task(ssm, window_id, name, targets, command, Priority=priority, CutoffBehavior=behavior)
    cancelled, continued, _ = tasks
    # A CANCEL_TASK Automation task over two instances, one at a time: its first runbook waits for a signal.
    tagged(fast_server, make_container, team)
    held = runbook(ssm, [{"name": "hold", "action": "aws:pause", "inputs": {}}])
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=[{"Key": "tag:team", "Values": [team]}], TaskArn=held, TaskType="AUTOMATION",
        Priority=1, MaxConcurrency="1", MaxErrors="0", CutoffBehavior="CANCEL_TASK")
    # A window beside it whose only task is a CANCEL_TASK one: stopped at the cutoff, nothing left unstarted.
    alone = ssm.create_maintenance_window(Name="cut-off-alone", Schedule=soon(), Duration=8, Cutoff=6,
                                          AllowUnassociatedTargets=True)["WindowId"]
    alone_sleeper = f"sleep 7{uuid.uuid4().int % 10**5}"
    shell_task(ssm, alone, f"mw-alone-{team}", targets, alone_sleeper, CutoffBehavior="CANCEL_TASK")
    execution_id = running_execution(ssm, window_id)

    def cut_off():
        found = tasks_of(ssm, execution_id).get(cancelled)
        return found if found and found["Status"] == "TIMED_OUT" else None

    # The CANCEL_TASK task is stopped at the cutoff; the CONTINUE_TASK one beside it still runs then.
    stopped = wait_for(cut_off, 30, "the cutoff to stop the CANCEL_TASK task")
    assert stopped["StatusDetails"] == "The maintenance window reached its cutoff time; CutoffBehavior is CANCEL_TASK."
    assert processes_in_container(box, sleeper) == []
    still = tasks_of(ssm, execution_id)[continued]
    assert still["Status"] == "IN_PROGRESS"
    [going] = invocations_of(ssm, execution_id, still["TaskExecutionId"])
    assert going["Status"] == "IN_PROGRESS"
    # A CANCEL_TASK Automation task's running invocation continues too (it only starts no more).
    [waiting] = invocations_of(ssm, execution_id, tasks_of(ssm, execution_id)[held]["TaskExecutionId"])
    assert waiting["Status"] == "IN_PROGRESS"
    assert ssm.get_automation_execution(AutomationExecutionId=waiting["ExecutionId"])["AutomationExecution"][
        "AutomationExecutionStatus"] == "Waiting"
    box.exec_run(["touch", go])
    ssm.send_automation_signal(AutomationExecutionId=waiting["ExecutionId"], SignalType="Resume",
                               Payload={"StepName": ["hold"]})

    run = first_execution(ssm, window_id, timeout=30)
    assert (run["Status"], run["StatusDetails"]) == (
        "TIMED_OUT", "The maintenance window reached its cutoff time before every task could start.")
    ran = tasks_of(ssm, execution_id)
    assert sorted(ran) == sorted([cancelled, continued, held])  # the priority 2 task never started
    assert box.exec_run(["test", "-e", later]).exit_code != 0
    assert ran[continued]["Status"] == "SUCCESS"
    assert ran[continued]["EndTime"] > stopped["EndTime"]  # it ran on past the cutoff
    [finished] = invocations_of(ssm, execution_id, ran[continued]["TaskExecutionId"])
    assert finished["Status"] == "SUCCESS"
    [timed_out] = invocations_of(ssm, execution_id, ran[cancelled]["TaskExecutionId"])
    assert timed_out["Status"] == "TIMED_OUT"
    assert ssm.list_commands(CommandId=timed_out["ExecutionId"])["Commands"][0]["Status"] == "Cancelled"
    # The runbook it had started ran to its end; its second instance was never started: not completed, TIMED_OUT.
    assert (ran[held]["Status"], ran[held]["StatusDetails"]) == (
        "TIMED_OUT", "The maintenance window reached its cutoff time; CutoffBehavior is CANCEL_TASK.")
    [resumed] = invocations_of(ssm, execution_id, ran[held]["TaskExecutionId"])
    assert resumed["Status"] == "SUCCESS" and resumed["ExecutionId"] == waiting["ExecutionId"]

    stopped_alone = first_execution(ssm, alone, timeout=30)
    assert (stopped_alone["Status"], stopped_alone["StatusDetails"]) == (
        "TIMED_OUT",
        "The maintenance window reached its cutoff time; its CANCEL_TASK tasks still running were stopped.")
    [task] = tasks_of(ssm, stopped_alone["WindowExecutionId"]).values()
    assert task["Status"] == "TIMED_OUT" and processes_in_container(box, alone_sleeper) == []


def test_window_due_while_its_last_execution_runs_is_skipped(fast_ssm, fast_server, make_container):
    ssm = fast_ssm
    box, instance_id = tagged(fast_server, make_container, uuid.uuid4().hex[:8])
    sleeper = f"sleep 6{uuid.uuid4().int % 10**5}"
    # Opens every second, open three seconds, its task outlasting each opening.
    window_id = ssm.create_maintenance_window(Name="overlapping", Schedule="rate(1 hour)", Duration=3, Cutoff=1,
                                              AllowUnassociatedTargets=True)["WindowId"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=[{"Key": "InstanceIds", "Values": [instance_id]}], TaskArn=SCRIPT,
        TaskType="RUN_COMMAND", MaxConcurrency="1", MaxErrors="0",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": [sleeper]}}})

    def ran_again():
        runs = executions_of(ssm, window_id)
        return len(runs) > 1 and runs[0]["Status"] not in ("PENDING", "IN_PROGRESS") and any(
            r["Status"] != "SKIPPED_OVERLAPPING" for r in runs[1:])

    wait_for(ran_again, 60, "the window to open again once its first execution ended")
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    wait_for(lambda: all(r["Status"] in ENDED for r in executions_of(ssm, window_id)), 30, "every execution to end")
    first, *rest = executions_of(ssm, window_id)
    assert first["Status"] == "TIMED_OUT"
    index = next(i for i, r in enumerate(rest) if r["Status"] != "SKIPPED_OVERLAPPING")
    skipped, again = rest[:index], rest[index]
    assert skipped, "no opening came due while the first execution ran"
    for run in skipped:
        assert run["StatusDetails"] == "The previous execution of this maintenance window was still running."
        assert first["StartTime"] < run["StartTime"] == run["EndTime"] <= first["EndTime"]
        assert tasks_of(ssm, run["WindowExecutionId"]) == {}
        got = ssm.get_maintenance_window_execution(WindowExecutionId=run["WindowExecutionId"])
        assert got["Status"] == "SKIPPED_OVERLAPPING" and got["TaskIds"] == []
    assert again["Status"] == "TIMED_OUT" and again["StartTime"] > skipped[-1]["StartTime"]
    assert list(tasks_of(ssm, again["WindowExecutionId"])) == [SCRIPT]
    assert processes_in_container(box, sleeper) == []
