"""Automation on managed instances as EC2 instances: AWS-StopEC2Instance, AWS-StartEC2Instance,
AWS-RestartEC2Instance, AWS-CreateImage and AWS-DeleteImage run through StartAutomationExecution against real
containers (checked with docker inspect), aws:createTags read back with ListTagsForResource, and the actions that
need AWS failing their step.

These tests skip, with the reason "needs the automation engine", only while StartAutomationExecution answers
NotImplementedException (before the runbook engine is merged); any other answer runs them, in CI too.
"""
from __future__ import annotations

import re
import time
import uuid

import docker.errors
import pytest
from botocore.exceptions import ClientError

from conftest import EmulatorProcess, make_client
from fixtures_instances import BUSYBOX_IMAGE
from test_managed_instances import info, register, tags_of, wait_for
from test_run_command import server  # noqa: F401 - the fixture: the fast-checking server, reset

AMI_ID = re.compile(r"ami-[0-9a-f]{17}\Z")
ENDED = {"Success", "Failed", "TimedOut", "Cancelled", "CompletedWithSuccess", "CompletedWithFailure"}


# --- fixtures and helpers ------------------------------------------------------------------------------------
@pytest.fixture
def ssm(server: EmulatorProcess):
    client = make_client(server.url)
    try:
        client.start_automation_execution(DocumentName=f"ssm-emulator-test-no-such-runbook-{uuid.uuid4().hex[:8]}")
    except ClientError as e:
        if e.response["Error"]["Code"] == "NotImplementedException":
            pytest.skip("needs the automation engine: StartAutomationExecution answers NotImplementedException")
    return client


@pytest.fixture
def images(docker_client):
    """AMI IDs a test made (`images.append(ami)`): their Docker images are deleted after it. Ask for it before
    make_container, so containers run from them are gone first."""
    made: list[str] = []
    yield made
    for ami in made:
        try:
            docker_client.api.remove_image(f"{ami}:latest", force=True)
        except docker.errors.DockerException:
            pass


def managed_container(server: EmulatorProcess, ssm, make_container, **options) -> tuple[object, str]:
    """A running test container registered as a managed instance, Online."""
    container = make_container(**options)
    instance_id = register(server, {"backend": "docker", "container": container.name})["InstanceId"]
    wait_for(lambda: (info(ssm, instance_id) or {}).get("PingStatus") == "Online", what=f"{instance_id} Online")
    return container, instance_id


def run_runbook(ssm, name: str, parameters: dict[str, list[str]], timeout: float = 90) -> dict:
    """Start the runbook and wait for the execution to end; the AutomationExecution."""
    # an empty Parameters map breaks the model's min length of 1 (ValidationException): leave it out
    given = {"Parameters": parameters} if parameters else {}
    execution_id = ssm.start_automation_execution(DocumentName=name, **given)["AutomationExecutionId"]
    deadline = time.monotonic() + timeout
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        if execution["AutomationExecutionStatus"] in ENDED:
            return execution
        if time.monotonic() > deadline:
            pytest.fail(f"{name} still {execution['AutomationExecutionStatus']} after {timeout}s: {execution}")
        time.sleep(0.2)


def runbook(ssm, steps: str, parameters: str = "") -> str:
    """A runbook of our own (YAML `mainSteps` and `parameters` bodies); its name."""
    name = f"ssm-emulator-test-{uuid.uuid4().hex[:12]}"
    content = "schemaVersion: '0.3'\n" + (f"parameters:\n{parameters}" if parameters else "") + f"mainSteps:\n{steps}"
    ssm.create_document(Name=name, Content=content, DocumentType="Automation", DocumentFormat="YAML")
    return name


def state(docker_client, container) -> dict:
    return docker_client.api.inspect_container(container.id)["State"]


def ping_status(ssm, instance_id: str) -> str | None:
    return (info(ssm, instance_id) or {}).get("PingStatus")


def succeeded(execution: dict) -> dict:
    assert execution["AutomationExecutionStatus"] == "Success", execution
    return execution


# --- state ---------------------------------------------------------------------------------------------------
def test_stop_start_and_restart_runbooks_change_the_container(server, ssm, make_container, docker_client) -> None:
    container, instance_id = managed_container(server, ssm, make_container)

    succeeded(run_runbook(ssm, "AWS-StopEC2Instance", {"InstanceId": [instance_id]}))
    assert not state(docker_client, container)["Running"]
    wait_for(lambda: ping_status(ssm, instance_id) == "ConnectionLost", what="ConnectionLost once stopped")

    succeeded(run_runbook(ssm, "AWS-StartEC2Instance", {"InstanceId": [instance_id]}))
    assert state(docker_client, container)["Running"]
    assert ping_status(ssm, instance_id) == "Online"  # the step waits for it

    started = state(docker_client, container)["StartedAt"]
    execution = succeeded(run_runbook(ssm, "AWS-RestartEC2Instance", {"InstanceId": [instance_id]}))
    assert [(s["StepName"], s["StepStatus"]) for s in execution["StepExecutions"]] == [
        ("stopInstances", "Success"), ("startInstances", "Success"),
    ]
    after = state(docker_client, container)
    assert after["Running"] and after["StartedAt"] != started
    assert ping_status(ssm, instance_id) == "Online"


def test_stop_many_at_once_then_assert_the_state(server, ssm, make_container, docker_client) -> None:
    first, first_id = managed_container(server, ssm, make_container)
    second, second_id = managed_container(server, ssm, make_container, image=BUSYBOX_IMAGE)
    succeeded(run_runbook(ssm, "AWS-StopEC2Instance", {"InstanceId": [first_id, second_id]}))
    assert not state(docker_client, first)["Running"] and not state(docker_client, second)["Running"]

    assert_state = runbook(
        ssm,
        "- name: assertStopped\n  action: aws:changeInstanceState\n  timeoutSeconds: 3\n  inputs:\n"
        "    InstanceIds: '{{ InstanceId }}'\n    CheckStateOnly: true\n    DesiredState: '{{ State }}'\n",
        "  InstanceId:\n    type: StringList\n  State:\n    type: String\n",
    )
    asserted = succeeded(run_runbook(ssm, assert_state, {"InstanceId": [first_id, second_id], "State": ["stopped"]}))
    # AWS's get-automation-execution examples show the step's InstanceStates output
    assert asserted["StepExecutions"][0]["Outputs"] == {"InstanceStates": ["stopped", "stopped"]}
    # Asserting only: nothing is started, and the step times out waiting.
    waited = run_runbook(ssm, assert_state, {"InstanceId": [first_id], "State": ["running"]})
    assert waited["AutomationExecutionStatus"] in ("TimedOut", "Failed"), waited
    assert not state(docker_client, first)["Running"]


def test_terminated_removes_the_container_and_the_managed_instance(server, ssm, make_container, docker_client) -> None:
    container, instance_id = managed_container(server, ssm, make_container, image=BUSYBOX_IMAGE)
    terminate = runbook(
        ssm,
        "- name: terminate\n  action: aws:changeInstanceState\n  inputs:\n"
        "    InstanceIds: ['{{ InstanceId }}']\n    DesiredState: terminated\n    Force: true\n",
        "  InstanceId:\n    type: String\n",
    )
    succeeded(run_runbook(ssm, terminate, {"InstanceId": [instance_id]}))
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container(container.id)
    assert info(ssm, instance_id) is None


def test_unknown_instances_and_ssh_hosts_fail_the_step(server, ssm, make_container, docker_client, sshd) -> None:
    container, instance_id = managed_container(server, ssm, make_container, image=BUSYBOX_IMAGE)
    failed = run_runbook(ssm, "AWS-StopEC2Instance", {"InstanceId": [instance_id, "i-0123456789abcdef0"]})
    assert failed["AutomationExecutionStatus"] == "Failed"
    assert "i-0123456789abcdef0" in failed["StepExecutions"][0]["FailureMessage"]
    assert state(docker_client, container)["Running"]  # nothing is stopped when one ID is wrong

    ssh_id = register(server, {
        "backend": "ssh", "host": sshd.host, "port": sshd.port, "username": "root", "private_key": sshd.private_key,
    })["InstanceId"]
    failed = run_runbook(ssm, "AWS-StopEC2Instance", {"InstanceId": [ssh_id]})
    assert failed["AutomationExecutionStatus"] == "Failed"
    assert "not possible on an SSH host" in failed["StepExecutions"][0]["FailureMessage"]


# --- images --------------------------------------------------------------------------------------------------
def test_create_image_then_run_a_container_from_it(images, server, ssm, make_container, docker_client) -> None:
    container, instance_id = managed_container(server, ssm, make_container)
    assert container.exec_run(["sh", "-c", "echo from-the-instance > /marker"]).exit_code == 0
    started = state(docker_client, container)["StartedAt"]

    execution = succeeded(run_runbook(ssm, "AWS-CreateImage", {"InstanceId": [instance_id], "NoReboot": ["true"]}))
    ami = execution["Outputs"]["createImage.ImageId"][0]
    images.append(ami)
    assert AMI_ID.match(ami)
    assert execution["StepExecutions"][0]["Outputs"]["ImageState"] == ["available"]
    assert state(docker_client, container)["StartedAt"] == started  # NoReboot: not restarted

    labels = docker_client.api.inspect_image(f"{ami}:latest")["Config"]["Labels"]
    assert labels["ssm-emulator.image.id"] == ami
    assert labels["ssm-emulator.image.instance"] == instance_id
    assert labels["ssm-emulator.image.name"] == f"{instance_id}_{execution['AutomationExecutionId']}"
    child = make_container(image=ami)
    assert child.exec_run(["cat", "/marker"]).output == b"from-the-instance\n"


def test_create_image_reboots_a_running_instance_by_default(images, server, ssm, make_container, docker_client) -> None:
    container, instance_id = managed_container(server, ssm, make_container, image=BUSYBOX_IMAGE)
    started = state(docker_client, container)["StartedAt"]
    execution = succeeded(run_runbook(ssm, "AWS-CreateImage", {"InstanceId": [instance_id]}))
    images.append(execution["Outputs"]["createImage.ImageId"][0])
    after = state(docker_client, container)
    assert after["Running"] and after["StartedAt"] != started  # shut down for the image, then started again
    wait_for(lambda: ping_status(ssm, instance_id) == "Online", what="Online again")


def test_delete_image(images, server, ssm, make_container, docker_client) -> None:
    _, instance_id = managed_container(server, ssm, make_container, image=BUSYBOX_IMAGE)
    created = succeeded(run_runbook(ssm, "AWS-CreateImage", {"InstanceId": [instance_id], "NoReboot": ["true"]}))
    ami = created["Outputs"]["createImage.ImageId"][0]
    images.append(ami)

    succeeded(run_runbook(ssm, "AWS-DeleteImage", {"ImageId": [ami]}))
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.api.inspect_image(f"{ami}:latest")

    again = run_runbook(ssm, "AWS-DeleteImage", {"ImageId": [ami]})
    assert again["AutomationExecutionStatus"] == "Failed"
    assert f"The image id '[{ami}]' does not exist" in again["StepExecutions"][0]["FailureMessage"]
    other = run_runbook(ssm, "AWS-DeleteImage", {"ImageId": ["my-image"]})
    assert "aws:deleteImage is not supported by ssm-emulator" in other["StepExecutions"][0]["FailureMessage"]


# --- tags ----------------------------------------------------------------------------------------------------
def test_create_tags_then_list_tags_for_resource(images, server, ssm, make_container, docker_client) -> None:
    _, instance_id = managed_container(server, ssm, make_container, image=BUSYBOX_IMAGE)
    created = succeeded(run_runbook(ssm, "AWS-CreateImage", {"InstanceId": [instance_id], "NoReboot": ["true"]}))
    ami = created["Outputs"]["createImage.ImageId"][0]
    images.append(ami)
    tag = runbook(
        ssm,
        "- name: tag\n  action: aws:createTags\n  inputs:\n    ResourceIds: ['{{ InstanceId }}', '{{ ImageId }}']\n"
        "    Tags:\n    - Key: env\n      Value: dev\n    - Key: team\n      Value: ''\n",
        "  InstanceId:\n    type: String\n  ImageId:\n    type: String\n",
    )
    succeeded(run_runbook(ssm, tag, {"InstanceId": [instance_id], "ImageId": [ami]}))
    assert tags_of(ssm, instance_id) == {"env": "dev", "team": ""}
    labels = docker_client.api.inspect_image(f"{ami}:latest")["Config"]["Labels"]
    assert labels["ssm-emulator.image.tags"] == '{"env": "dev", "team": ""}'
    assert labels["ssm-emulator.image.id"] == ami  # the same AMI after its labels changed

    as_managed = runbook(
        ssm,
        "- name: tag\n  action: aws:createTags\n  inputs:\n    ResourceType: ManagedInstance\n"
        "    ResourceIds: ['{{ InstanceId }}', 'mi-0123456789abcdef0']\n    Tags:\n    - Key: env\n      Value: prod\n",
        "  InstanceId:\n    type: String\n",
    )
    refused = run_runbook(ssm, as_managed, {"InstanceId": [instance_id]})
    assert refused["AutomationExecutionStatus"] == "Failed"  # one ID only, unless ResourceType is EC2
    assert tags_of(ssm, instance_id)["env"] == "dev"


# --- actions that need AWS -----------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["aws:createStack", "aws:invokeLambdaFunction", "aws:copyImage"])
def test_actions_that_need_aws_fail_their_step(server, ssm, action: str) -> None:
    name = runbook(ssm, f"- name: needsAws\n  action: {action}\n  inputs:\n    Anything: x\n")
    execution = run_runbook(ssm, name, {})
    assert execution["AutomationExecutionStatus"] == "Failed"
    step = execution["StepExecutions"][0]
    assert step["StepStatus"] == "Failed"
    assert f"{action} is not supported by ssm-emulator" in step["FailureMessage"]
