"""Automation with real managed instances (Docker containers): aws:runCommand runs a command for real, a runbook
branches on its output and waits for an approval (approved, and rejected), a failing command fails its step with
the command's outputs, rate control fans a runbook out over tagged instances (MaxConcurrency, MaxErrors), and the
issue's runbook runs whole: a command, a branch on its output, an approval, an image of the instance."""
from __future__ import annotations

import json

from conftest import EmulatorProcess
from test_automation import runbook, start, steps_by_name, wait_execution
from test_automation_instances import images  # noqa: F401  (fixture)
from test_run_command import register_container, server, ssm  # noqa: F401  (fixtures)

CHECK_AND_APPROVE = [
    {"name": "probe", "action": "aws:runCommand", "inputs": {
        "DocumentName": "AWS-RunShellScript", "InstanceIds": ["{{ InstanceId }}"],
        "Parameters": {"commands": ["cat /tmp/mode 2>/dev/null || echo normal"]}},
     "outputs": [{"Name": "Mode", "Selector": "$.Output", "Type": "String"}]},
    {"name": "route", "action": "aws:branch", "inputs": {"Choices": [
        {"NextStep": "approve", "Variable": "{{ probe.Output }}", "StartsWith": "maintenance"}],
        "Default": "report"}},
    {"name": "approve", "action": "aws:approve", "inputs": {"Approvers": ["arn:aws:iam::123456789012:root"],
                                                             "Message": "Restart {{ InstanceId }}?"}},
    {"name": "restart", "action": "aws:runCommand", "inputs": {
        "DocumentName": "AWS-RunShellScript", "InstanceIds": ["{{ InstanceId }}"],
        "Parameters": {"commands": ["echo restarted-by-{{ automation:EXECUTION_ID }} > /tmp/restarted"]}}},
    {"name": "report", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
]


def test_command_branch_and_approval(ssm, server: EmulatorProcess, make_container):
    box = make_container()
    box.exec_run(["sh", "-c", "echo maintenance > /tmp/mode"])
    instance_id = register_container(server, box)
    name = runbook(ssm, CHECK_AND_APPROVE, parameters={"InstanceId": {"type": "String"}},
                   outputs=["probe.CommandId", "probe.Mode"])

    approved = start(ssm, name, Parameters={"InstanceId": [instance_id]})
    found = wait_execution(ssm, approved, wanted=("Waiting",))
    steps = steps_by_name(found)
    assert steps["probe"]["StepStatus"] == "Success"
    assert steps["probe"]["Outputs"]["Output"] == ["maintenance\n"]
    assert steps["probe"]["Outputs"]["ResponseCode"] == ["0"]
    assert steps["probe"]["Outputs"]["Status"] == ["Success"]
    command_id = steps["probe"]["Outputs"]["CommandId"][0]
    invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    assert invocation["StandardOutputContent"] == "maintenance\n"
    assert json.loads(steps["probe"]["Inputs"]["InstanceIds"]) == [instance_id]
    assert found["CurrentStepName"] == "approve"
    assert box.exec_run(["test", "-e", "/tmp/restarted"]).exit_code != 0  # nothing restarted before approval

    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve",
                               Payload={"Comment": ["go ahead"]})
    found = wait_execution(ssm, approved)
    assert found["AutomationExecutionStatus"] == "Success", found
    assert box.exec_run(["cat", "/tmp/restarted"]).output.decode() == f"restarted-by-{approved}\n"
    assert found["Outputs"]["probe.Mode"] == ["maintenance\n"]
    assert found["Outputs"]["probe.CommandId"] == [command_id]
    assert steps_by_name(found)["report"]["StepStatus"] == "Success"

    box.exec_run(["rm", "/tmp/restarted"])
    rejected = start(ssm, name, Parameters={"InstanceId": [instance_id]})
    wait_execution(ssm, rejected, wanted=("Waiting",))
    ssm.send_automation_signal(AutomationExecutionId=rejected, SignalType="Reject", Payload={"Comment": ["not now"]})
    found = wait_execution(ssm, rejected)
    assert found["AutomationExecutionStatus"] == "Failed"
    steps = steps_by_name(found)
    assert steps["approve"]["Outputs"]["ApprovalStatus"] == ["Rejected"]
    assert steps["restart"]["StepStatus"] == "Pending"
    assert box.exec_run(["test", "-e", "/tmp/restarted"]).exit_code != 0

    box.exec_run(["rm", "/tmp/mode"])
    normal = start(ssm, name, Parameters={"InstanceId": [instance_id]})
    found = wait_execution(ssm, normal)
    steps = steps_by_name(found)
    assert found["AutomationExecutionStatus"] == "Success"
    assert [steps[n]["StepStatus"] for n in ("approve", "restart", "report")] == ["Pending", "Pending", "Success"]


def test_failing_command_fails_its_step(ssm, server: EmulatorProcess, make_container):
    instance_id = register_container(server, make_container())
    name = runbook(ssm, [
        {"name": "fail", "action": "aws:runCommand", "inputs": {
            "DocumentName": "AWS-RunShellScript", "InstanceIds": [instance_id],
            "Parameters": {"commands": ["echo oops >&2", "exit 3"]}}},
        {"name": "never", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ])
    found = wait_execution(ssm, start(ssm, name))
    assert found["AutomationExecutionStatus"] == "Failed"
    step = steps_by_name(found)["fail"]
    assert step["StepStatus"] == "Failed"
    assert step["Outputs"]["Status"] == ["Failed"] and step["Outputs"]["ResponseCode"] == ["3"]
    assert "Status=[Failed], ResponseCode=[3]" in step["FailureMessage"]
    assert "oops" in step["FailureMessage"]
    assert found["FailureMessage"] == step["FailureMessage"]

    unknown = runbook(ssm, [{"name": "bad", "action": "aws:runCommand", "inputs": {
        "DocumentName": "AWS-RunShellScript", "InstanceIds": ["mi-00000000000000000"],
        "Parameters": {"commands": ["true"]}}}])
    found = wait_execution(ssm, start(ssm, unknown))
    assert found["AutomationExecutionStatus"] == "Failed"
    assert "InvalidInstanceId" in steps_by_name(found)["bad"]["FailureMessage"]


def test_command_timeout_cancels_the_command(ssm, server: EmulatorProcess, make_container):
    instance_id = register_container(server, make_container())
    name = runbook(ssm, [{"name": "slow", "action": "aws:runCommand", "timeoutSeconds": 1, "inputs": {
        "DocumentName": "AWS-RunShellScript", "InstanceIds": [instance_id],
        "Parameters": {"commands": ["sleep 30"]}}}])
    found = wait_execution(ssm, start(ssm, name), timeout=20)
    assert found["AutomationExecutionStatus"] == "TimedOut"
    step = steps_by_name(found)["slow"]
    assert step["StepStatus"] == "TimedOut"
    command = ssm.list_commands(CommandId=step["Outputs"]["CommandId"][0])["Commands"][0]
    assert command["Status"] == "Cancelled"


def test_rate_control_over_tagged_instances(ssm, server: EmulatorProcess, make_container):
    boxes = [make_container() for _ in range(4)]
    ids = [register_container(server, box) for box in boxes]
    boxes[1].exec_run(["touch", "/tmp/broken"])
    for instance_id in ids:
        ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id,
                                 Tags=[{"Key": "fleet", "Value": "web"}])
    name = runbook(ssm, [{"name": "work", "action": "aws:runCommand", "inputs": {
        "DocumentName": "AWS-RunShellScript", "InstanceIds": ["{{ InstanceId }}"],
        "Parameters": {"commands": ["test -e /tmp/broken && exit 1", "echo done > /tmp/done"]}}}],
        parameters={"InstanceId": {"type": "String"}})

    parent = start(ssm, name, TargetParameterName="InstanceId", MaxConcurrency="1", MaxErrors="0",
                   Targets=[{"Key": "tag:fleet", "Values": ["web"]}])
    found = wait_execution(ssm, parent, timeout=60)
    assert found["AutomationExecutionStatus"] == "Failed"
    assert found["ResolvedTargets"]["ParameterValues"] == sorted(ids)
    assert found["TargetParameterName"] == "InstanceId" and found["MaxConcurrency"] == "1"
    children = ssm.describe_automation_executions(
        Filters=[{"Key": "ParentExecutionId", "Values": [parent]}])["AutomationExecutionMetadataList"]
    by_target = {c["Target"]: c["AutomationExecutionStatus"] for c in children}
    order = sorted(ids)
    broken_at = order.index(ids[1])
    # one at a time, in target order, and nothing more after the first failure
    assert by_target == {t: "Success" for t in order[:broken_at]} | {ids[1]: "Failed"}
    for box, instance_id in zip(boxes, ids):
        ran = box.exec_run(["test", "-e", "/tmp/done"]).exit_code == 0
        assert ran == (instance_id in order[:broken_at])

    everyone = start(ssm, name, TargetParameterName="InstanceId", MaxConcurrency="4", MaxErrors="1",
                     Targets=[{"Key": "tag:fleet", "Values": ["web"]}])
    found = wait_execution(ssm, everyone, timeout=60)
    assert found["AutomationExecutionStatus"] == "Success"
    assert found["TargetsSummary"]["TotalCount"] == 4 and found["TargetsSummary"]["FailedCount"] == 1
    assert all(box.exec_run(["test", "-e", "/tmp/done"]).exit_code == 0 for i, box in enumerate(boxes) if i != 1)


def test_issue_runbook_command_branch_approval_and_image(ssm, server: EmulatorProcess, images, make_container,
                                                         docker_client):
    """The issue's runbook, as one: run a command, branch on its output, wait for an approval, create an image."""
    box = make_container()
    box.exec_run(["sh", "-c", "echo ready > /etc/release-state"])
    instance_id = register_container(server, box)
    name = runbook(ssm, [
        {"name": "check", "action": "aws:runCommand", "inputs": {
            "DocumentName": "AWS-RunShellScript", "InstanceIds": ["{{ InstanceId }}"],
            "Parameters": {"commands": ["cat /etc/release-state"]}}},
        {"name": "decide", "action": "aws:branch", "inputs": {"Choices": [
            {"NextStep": "approve", "Variable": "{{ check.Output }}", "StartsWith": "ready"}],
            "Default": "skipped"}},
        {"name": "approve", "action": "aws:approve", "inputs": {
            "Approvers": ["arn:aws:iam::123456789012:root"], "Message": "Image {{ InstanceId }}?"}},
        {"name": "image", "action": "aws:createImage", "isEnd": True, "inputs": {
            "InstanceId": "{{ InstanceId }}", "ImageName": "{{ InstanceId }}-{{ automation:EXECUTION_ID }}",
            "NoReboot": True}},
        {"name": "skipped", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ], parameters={"InstanceId": {"type": "String"}},
        outputs=["check.Output", "approve.ApprovalStatus", "image.ImageId", "image.ImageState"])

    execution_id = start(ssm, name, Parameters={"InstanceId": [instance_id]})
    found = wait_execution(ssm, execution_id, wanted=("Waiting",))
    assert found["CurrentStepName"] == "approve"
    assert steps_by_name(found)["check"]["Outputs"]["Output"] == ["ready\n"]
    assert steps_by_name(found)["image"]["StepStatus"] == "Pending"  # nothing imaged before the approval

    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Approve", Payload={"Comment": ["ok"]})
    found = wait_execution(ssm, execution_id, timeout=90)
    assert found["AutomationExecutionStatus"] == "Success", found
    ami = found["Outputs"]["image.ImageId"][0]
    images.append(ami)
    steps = steps_by_name(found)
    assert [steps[n]["StepStatus"] for n in ("check", "decide", "approve", "image", "skipped")] == [
        "Success", "Success", "Success", "Success", "Pending"]
    assert found["Outputs"]["check.Output"] == ["ready\n"]
    assert found["Outputs"]["approve.ApprovalStatus"] == ["Approved"]
    assert found["Outputs"]["image.ImageState"] == ["available"]
    labels = docker_client.api.inspect_image(f"{ami}:latest")["Config"]["Labels"]
    assert labels["ssm-emulator.image.id"] == ami
    assert labels["ssm-emulator.image.instance"] == instance_id
    assert labels["ssm-emulator.image.name"] == f"{instance_id}-{execution_id}"
