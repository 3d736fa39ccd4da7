"""Run Command across a crash of the emulator (kill -9) with a data folder: what was Pending runs after the
restart; what was running is a lost agent, reported TimedOut/DeliveryTimedOut, its process killed."""
from __future__ import annotations

import uuid

from conftest import FAST_INSTANCE_CHECKS, make_client
from test_managed_instances import wait_for
from test_run_command import (
    invocation,
    processes_in_container,
    register_container,
    wait_command,
    wait_invocation,
)


def test_restart_runs_pending_invocations_and_reports_running_ones_lost(start_emulator, make_container, tmp_path):
    data = tmp_path / "data"
    server = start_emulator("--data-dir", str(data), "--log-level", "info", env=dict(FAST_INSTANCE_CHECKS))
    ssm = make_client(server.url)
    slow, quick = make_container(), make_container()
    slow.exec_run(["touch", "/tmp/slow"])
    slow_id, quick_id = register_container(server, slow), register_container(server, quick)
    marker = f"sleep 6{uuid.uuid4().int % 10**6}"
    # One at a time: the slow instance runs first, the quick one waits its turn.
    sent = ssm.send_command(InstanceIds=[slow_id, quick_id], DocumentName="AWS-RunShellScript", MaxConcurrency="1",
                            Parameters={"commands": [f"if [ -e /tmp/slow ]; then {marker}; fi", "echo ran"]})["Command"]
    command_id = sent["CommandId"]
    wait_for(lambda: processes_in_container(slow, marker), 20, "the slow script to start")
    assert invocation(ssm, command_id, quick_id)["Status"] == "Pending"

    server.kill_hard()
    assert processes_in_container(slow, marker), "a crash leaves the process running in the container"
    restarted = start_emulator("--data-dir", str(data), "--log-level", "info", env=dict(FAST_INSTANCE_CHECKS))
    ssm = make_client(restarted.url)

    lost = wait_invocation(ssm, command_id, slow_id)
    assert (lost["Status"], lost["StatusDetails"], lost["ResponseCode"]) == ("TimedOut", "DeliveryTimedOut", -1)
    wait_for(lambda: processes_in_container(slow, marker) == [], 20, "the left-over process to be killed")
    ran = wait_invocation(ssm, command_id, quick_id, timeout=30)
    assert (ran["Status"], ran["StandardOutputContent"]) == ("Success", "ran\n")
    listed = wait_command(ssm, command_id)
    # a delivery timeout doesn't count against MaxErrors, but the command is not a Success either
    assert (listed["Status"], listed["StatusDetails"]) == ("Failed", "Incomplete")
    assert (listed["CompletedCount"], listed["ErrorCount"], listed["DeliveryTimedOutCount"]) == (2, 0, 1)
