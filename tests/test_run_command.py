"""Run Command on one instance: real scripts on real containers and a real sshd, boto3 over HTTP against the
real server. Output, exit codes, timeouts and cancellation (the processes really gone), truncation and the
output URLs, parameters and {{ssm:...}} references, multi-step documents, and the AWS CLI's waiter."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import EmulatorProcess, make_client
from test_managed_instances import wait_for
from test_parameter_store import error_of

RUNNING = ("Pending", "InProgress", "Delayed", "Cancelling")
ORCHESTRATION = "/var/lib/amazon/ssm/{instance}/document/orchestration/{command}"


# --- helpers shared by the Run Command test modules ----------------------------------------------------------
def register(server: EmulatorProcess, body: dict) -> str:
    status, answer = server.admin_call("POST", "/_emulator/instances", body)
    assert status in (200, 201), answer
    return answer["InstanceId"]


def register_container(server: EmulatorProcess, container, tags: dict | None = None) -> str:
    return register(server, {"backend": "docker", "container": container.name, "tags": tags or {}})


def register_sshd(server: EmulatorProcess, sshd) -> str:
    return register(
        server,
        {"backend": "ssh", "host": sshd.host, "port": sshd.port, "username": "root", "private_key": sshd.private_key},
    )


def send(ssm, instance_ids: list[str], commands: list[str], **kwargs) -> str:
    parameters = {"commands": commands, **kwargs.pop("parameters", {})}
    answer = ssm.send_command(
        InstanceIds=instance_ids, DocumentName=kwargs.pop("DocumentName", "AWS-RunShellScript"),
        Parameters=parameters, **kwargs,
    )
    return answer["Command"]["CommandId"]


def invocation(ssm, command_id: str, instance_id: str, **kwargs) -> dict:
    return ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id, **kwargs)


def wait_invocation(ssm, command_id: str, instance_id: str, timeout: float = 30, **kwargs) -> dict:
    """The invocation once it is in a terminal status."""
    def done():
        found = invocation(ssm, command_id, instance_id, **kwargs)
        return found if found["Status"] not in RUNNING else None

    return wait_for(done, timeout, f"invocation {command_id} on {instance_id} to end")  # type: ignore[return-value]


def wait_status(ssm, command_id: str, instance_id: str, wanted: str, timeout: float = 30) -> dict:
    def reached():
        found = invocation(ssm, command_id, instance_id)
        return found if found["Status"] == wanted else None

    return wait_for(reached, timeout, f"invocation {command_id} on {instance_id} to be {wanted}")  # type: ignore[return-value]


def command(ssm, command_id: str) -> dict:
    return ssm.list_commands(CommandId=command_id)["Commands"][0]


def wait_command(ssm, command_id: str, timeout: float = 30) -> dict:
    def done():
        found = command(ssm, command_id)
        return found if found["Status"] not in RUNNING else None

    return wait_for(done, timeout, f"command {command_id} to end")  # type: ignore[return-value]


# Scans /proc for processes whose command line holds `needle`; the pattern is bracketed so the scan's own
# grep does not match itself.
PROCESS_SCAN = (
    'for d in /proc/[0-9]*; do tr "\\000" " " 2>/dev/null < "$d/cmdline" | grep -q "$1" && echo "${d#/proc/}"; done; '
    "true"
)


def processes_in_container(container, needle: str) -> list[str]:
    pattern = f"[{needle[0]}]{needle[1:]}"
    result = container.exec_run(["/bin/sh", "-c", PROCESS_SCAN, "scan", pattern], stderr=False)
    return result.output.decode().split()


def processes_on_host(needle: str) -> list[str]:
    pattern = f"[{needle[0]}]{needle[1:]}"
    result = subprocess.run(["/bin/sh", "-c", PROCESS_SCAN, "scan", pattern], capture_output=True, text=True)
    return result.stdout.split()


# --- fixtures ------------------------------------------------------------------------------------------------
@pytest.fixture
def server(instance_emulator: EmulatorProcess) -> EmulatorProcess:
    instance_emulator.admin("POST", "/_emulator/reset")
    return instance_emulator


@pytest.fixture
def ssm(server: EmulatorProcess):
    return make_client(server.url)


@pytest.fixture
def container(make_container):
    return make_container()


class Machine:
    """One managed instance of either backend: its ID, and how to look inside it from the test."""

    def __init__(self, instance_id: str, read_file: Callable[[str], bytes | None], processes: Callable[[str], list]):
        self.instance_id = instance_id
        self.read_file = read_file
        self.processes = processes


@pytest.fixture(params=["docker", "ssh"])
def machine(request, server) -> Machine:
    if request.param == "docker":
        box = request.getfixturevalue("container")

        def read(path: str) -> bytes | None:
            result = box.exec_run(["cat", path])
            return result.output if result.exit_code == 0 else None

        return Machine(register_container(server, box), read, lambda needle: processes_in_container(box, needle))
    sshd = request.getfixturevalue("sshd")
    instance_id = register_sshd(server, sshd)
    request.addfinalizer(lambda: shutil.rmtree(f"/var/lib/amazon/ssm/{instance_id}", ignore_errors=True))
    return Machine(
        instance_id,
        lambda path: Path(path).read_bytes() if Path(path).exists() else None,
        processes_on_host,
    )


# --- running -------------------------------------------------------------------------------------------------
def test_success_keeps_stdout_and_stderr_apart_and_writes_the_script_as_the_agent_does(ssm, machine):
    script = ["echo out-line", "echo err-line >&2", "pwd",
              'echo "id=$AWS_SSM_INSTANCE_ID region=$AWS_SSM_REGION_NAME command=$SSM_COMMAND_ID"']
    command_id = send(ssm, [machine.instance_id], script, Comment="hello")
    found = wait_invocation(ssm, command_id, machine.instance_id)
    folder = ORCHESTRATION.format(instance=machine.instance_id, command=command_id) + "/awsrunShellScript/0.awsrunShellScript"
    assert found["Status"] == "Success" and found["StatusDetails"] == "Success"
    assert found["ResponseCode"] == 0
    assert found["PluginName"] == "aws:runShellScript"
    assert found["Comment"] == "hello"
    assert found["StandardOutputContent"] == (
        f"out-line\n{folder}\nid={machine.instance_id} region=us-east-1 command={command_id}\n"
    )
    assert found["StandardErrorContent"] == "err-line\n"
    assert found["ExecutionElapsedTime"].startswith("PT") and found["ExecutionElapsedTime"].endswith("S")
    assert found["ExecutionStartDateTime"] <= found["ExecutionEndDateTime"]
    # the script is where SSM Agent writes it, with the commands one per line, each ending with a newline
    assert machine.read_file(f"{folder}/_script.sh") == "".join(line + "\n" for line in script).encode()
    listed = wait_command(ssm, command_id)
    assert (listed["Status"], listed["StatusDetails"]) == ("Success", "Success")
    assert (listed["TargetCount"], listed["CompletedCount"], listed["ErrorCount"]) == (1, 1, 0)


def test_non_zero_exit_is_failed_with_the_exit_code_as_response_code(ssm, machine):
    command_id = send(ssm, [machine.instance_id], ["echo about to fail", "echo oops >&2", "exit 7"])
    found = wait_invocation(ssm, command_id, machine.instance_id)
    assert (found["Status"], found["StatusDetails"], found["ResponseCode"]) == ("Failed", "Failed", 7)
    assert found["StandardOutputContent"] == "about to fail\n"
    assert found["StandardErrorContent"] == "oops\nfailed to run commands: exit status 7"
    listed = wait_command(ssm, command_id)
    assert (listed["Status"], listed["ErrorCount"], listed["CompletedCount"]) == ("Failed", 1, 1)


def test_execution_timeout_kills_the_process_and_reports_timed_out(ssm, machine):
    marker = f"sleep 4{uuid.uuid4().int % 10**6}"
    # 5 seconds: SSM Agent's shortest execution timeout
    command_id = send(ssm, [machine.instance_id], ["echo started", marker], parameters={"executionTimeout": ["5"]})
    wait_for(lambda: machine.processes(marker), 10, "the script to start")
    found = wait_invocation(ssm, command_id, machine.instance_id, timeout=20)
    assert (found["Status"], found["StatusDetails"]) == ("TimedOut", "ExecutionTimedOut")
    assert found["StandardOutputContent"] == "started\n"
    assert machine.processes(marker) == []
    listed = wait_command(ssm, command_id)
    assert (listed["Status"], listed["StatusDetails"], listed["ErrorCount"]) == ("TimedOut", "ExecutionTimedOut", 1)


def test_execution_timeout_under_five_seconds_is_the_default_hour(ssm, server, container):
    # SSM Agent takes a timeoutSeconds outside 5..172800 as its default 3600 (pluginutil.ValidateExecutionTimeout);
    # AWS-RunShellScript's executionTimeout pattern allows 1..172800, so "1" is sent and runs for up to an hour.
    instance_id = register_container(server, container)
    command_id = send(ssm, [instance_id], ["sleep 2", "echo finished"], parameters={"executionTimeout": ["1"]})
    found = wait_invocation(ssm, command_id, instance_id)
    assert (found["Status"], found["StandardOutputContent"]) == ("Success", "finished\n")
    sent = command(ssm, command_id)
    assert (sent["ExpiresAfter"] - sent["RequestedDateTime"]).total_seconds() == pytest.approx(3600 + 3600, abs=1)


def test_exit_code_137_reports_timed_out_as_the_agent_does(ssm, server, container):
    # SSM Agent reads 137 (128 + SIGKILL: what it kills a step with) as the step stopped early: TimedOut,
    # not Failed, and adds no "failed to run commands" line (amazon-ssm-agent pluginutil.GetStatus).
    instance_id = register_container(server, container)
    command_id = send(ssm, [instance_id], ["echo before", "echo dying >&2", "exit 137"])
    found = wait_invocation(ssm, command_id, instance_id)
    assert (found["Status"], found["StatusDetails"], found["ResponseCode"]) == ("TimedOut", "ExecutionTimedOut", 137)
    assert (found["StandardOutputContent"], found["StandardErrorContent"]) == ("before\n", "dying\n")
    listed = wait_command(ssm, command_id)
    assert (listed["Status"], listed["StatusDetails"], listed["ErrorCount"]) == ("TimedOut", "ExecutionTimedOut", 1)


def test_relative_working_directory_is_under_the_commands_downloads_folder(ssm, server, container):
    # SSM Agent looks for a relative workingDirectory in the command's downloads folder (where
    # aws:downloadContent puts files) and, when it isn't there, runs in the default one (runscript plugin).
    instance_id = register_container(server, container)
    default = send(ssm, [instance_id], ["pwd"], parameters={"workingDirectory": ["tmp"]})
    found = wait_invocation(ssm, default, instance_id)
    folder = ORCHESTRATION.format(instance=instance_id, command=default)
    assert (found["Status"], found["StandardOutputContent"]) == (
        "Success", f"{folder}/awsrunShellScript/0.awsrunShellScript\n"
    )
    # the first step makes downloads/site (as aws:downloadContent would), the second runs there
    ssm.create_document(Name="RC-Downloads", DocumentType="Command", Content=json.dumps({
        "schemaVersion": "2.2", "description": "relative working directory",
        "mainSteps": [
            {"action": "aws:runShellScript", "name": "fetch", "inputs": {"runCommand": ["mkdir -p ../downloads/site"]}},
            {"action": "aws:runShellScript", "name": "useSite",
             "inputs": {"workingDirectory": "site", "runCommand": ["pwd"]}},
        ],
    }))
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName="RC-Downloads")["Command"]["CommandId"]
    found = wait_invocation(ssm, command_id, instance_id, PluginName="useSite")
    folder = ORCHESTRATION.format(instance=instance_id, command=command_id)
    assert (found["Status"], found["StandardOutputContent"]) == ("Success", f"{folder}/downloads/site\n")


def test_cancel_kills_the_process_and_reports_cancelled(ssm, machine):
    marker = f"sleep 5{uuid.uuid4().int % 10**6}"
    command_id = send(ssm, [machine.instance_id], [marker])
    wait_status(ssm, command_id, machine.instance_id, "InProgress")
    wait_for(lambda: machine.processes(marker), 10, "the script to start")
    ssm.cancel_command(CommandId=command_id)
    found = wait_invocation(ssm, command_id, machine.instance_id, timeout=20)
    assert (found["Status"], found["StatusDetails"]) == ("Cancelled", "Cancelled")
    assert machine.processes(marker) == []
    assert (wait_command(ssm, command_id)["Status"]) == "Cancelled"


# --- output --------------------------------------------------------------------------------------------------
def test_large_output_is_truncated_in_the_api_and_whole_at_the_output_urls(ssm, server, container):
    instance_id = register_container(server, container)
    # 30,000 characters of stdout (300 lines of 99 + newline), a little stderr
    command_id = send(ssm, [instance_id], ['i=0; while [ $i -lt 300 ]; do printf "%099d\\n" $i; i=$((i+1)); done',
                                          "echo warn >&2"])
    found = wait_invocation(ssm, command_id, instance_id)
    full = "".join(f"{i:099d}\n" for i in range(300))
    assert found["Status"] == "Success"
    assert found["StandardOutputContent"] == full[:24000]
    with urllib.request.urlopen(found["StandardOutputUrl"], timeout=10) as answer:
        assert answer.read() == full.encode()
    with urllib.request.urlopen(found["StandardErrorUrl"], timeout=10) as answer:
        assert answer.read() == b"warn\n"
    listed = ssm.list_command_invocations(CommandId=command_id, Details=True)["CommandInvocations"][0]
    output = listed["CommandPlugins"][0]["Output"]
    assert len(output) <= 2500
    assert output.startswith(full[:1000]) and "---Output truncated---" in output and output.endswith("warn\n")
    assert listed["CommandPlugins"][0]["StandardOutputUrl"] == found["StandardOutputUrl"]
    assert listed["StandardOutputUrl"] == found["StandardOutputUrl"]  # one plugin: the invocation's own too
    # without Details, no plugins
    assert ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"][0]["CommandPlugins"] == []


def test_output_that_is_not_utf8_is_shown_with_replacement_characters_and_served_as_written(ssm, server, container):
    instance_id = register_container(server, container)
    command_id = send(ssm, [instance_id], ["printf 'caf\\351 \\377\\376 ok\\n'"])
    found = wait_invocation(ssm, command_id, instance_id)
    assert found["Status"] == "Success"
    assert found["StandardOutputContent"] == "caf\ufffd \ufffd\ufffd ok\n"
    with urllib.request.urlopen(found["StandardOutputUrl"], timeout=10) as answer:
        assert answer.read() == b"caf\xe9 \xff\xfe ok\n"
    listed = ssm.list_command_invocations(CommandId=command_id, Details=True)
    assert listed["CommandInvocations"][0]["CommandPlugins"][0]["Output"] == "caf\ufffd \ufffd\ufffd ok\n"


def test_output_urls_of_unknown_things_are_404(server):
    status, answer = server.admin_call("GET", f"/_emulator/commands/{uuid.uuid4()}/mi-00000000000000000/x/stdout")
    assert status == 404 and answer["error"] == "NotFound"


# --- what SendCommand refuses --------------------------------------------------------------------------------
def test_send_command_refuses_what_aws_refuses(ssm, server, container):
    instance_id = register_container(server, container)
    refused = f"document AWS-RunShellScript does not support parameters."
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                    Parameters={}) == ("InvalidParameters", refused)
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                    Parameters={"commands": ["true"], "nope": ["x"]}) == ("InvalidParameters", refused)
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                    Parameters={"commands": ["true"], "executionTimeout": ["soon"]}) == ("InvalidParameters", refused)
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="No-Such-Document",
                    Parameters={"commands": ["true"]})[0] == "InvalidDocument"
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                    DocumentVersion="9", Parameters={"commands": ["true"]})[0] == "InvalidDocumentVersion"
    assert error_of(ssm.send_command, InstanceIds=["mi-0123456789abcdef0"], DocumentName="AWS-RunShellScript",
                    Parameters={"commands": ["true"]}) == ("InvalidInstanceId", "")
    assert error_of(ssm.send_command, InstanceIds=[instance_id, instance_id], DocumentName="AWS-RunShellScript",
                    Parameters={"commands": ["true"]})[0] == "DuplicateInstanceId"
    assert error_of(ssm.send_command, DocumentName="AWS-RunShellScript",
                    Parameters={"commands": ["true"]})[0] == "InvalidParameters"
    # the document hash must be the version's
    described = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                    DocumentHash="0" * 64, DocumentHashType="Sha256", Parameters={"commands": ["true"]})[0] == "InvalidDocument"
    good = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", DocumentHash=described["Hash"],
                            DocumentHashType="Sha256", Parameters={"commands": ["true"]})
    # a document a caller can't run with SendCommand
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-StopEC2Instance",
                    Parameters={})[0] == "InvalidDocument"
    # nothing refused was stored: only the good command is listed
    assert [c["CommandId"] for c in ssm.list_commands()["Commands"]] == [good["Command"]["CommandId"]]


def test_command_echoes_what_was_sent(ssm, server, container):
    instance_id = register_container(server, container)
    sent = ssm.send_command(
        InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", DocumentVersion="$LATEST",
        Parameters={"commands": ["true"]}, Comment="echo me", TimeoutSeconds=120, MaxConcurrency="10%",
        MaxErrors="1", OutputS3BucketName="my-bucket", OutputS3KeyPrefix="out", OutputS3Region="eu-west-1",
        ServiceRoleArn="arn:aws:iam::123456789012:role/sns", CloudWatchOutputConfig={"CloudWatchOutputEnabled": True},
        NotificationConfig={"NotificationArn": "arn:aws:sns:us-east-1:123456789012:t", "NotificationEvents": ["All"],
                            "NotificationType": "Command"},
    )["Command"]
    assert sent["Status"] == "Pending" and sent["TargetCount"] == 1
    assert sent["DocumentVersion"] == "$LATEST" and sent["Comment"] == "echo me"
    assert sent["Parameters"] == {"commands": ["true"]}
    assert sent["InstanceIds"] == [instance_id] and sent["Targets"] == []
    assert (sent["MaxConcurrency"], sent["MaxErrors"], sent["TimeoutSeconds"]) == ("10%", "1", 120)
    assert (sent["OutputS3BucketName"], sent["OutputS3KeyPrefix"], sent["OutputS3Region"]) == ("my-bucket", "out", "eu-west-1")
    assert sent["ServiceRole"] == "arn:aws:iam::123456789012:role/sns"
    assert sent["NotificationConfig"]["NotificationType"] == "Command"
    assert sent["CloudWatchOutputConfig"]["CloudWatchOutputEnabled"] is True
    # ExpiresAfter: TimeoutSeconds + the execution timeout (AWS-RunShellScript's default 3600)
    assert (sent["ExpiresAfter"] - sent["RequestedDateTime"]).total_seconds() == pytest.approx(120 + 3600, abs=1)
    assert wait_invocation(ssm, sent["CommandId"], instance_id)["Status"] == "Success"


def test_invocation_that_does_not_exist(ssm, server, container):
    instance_id = register_container(server, container)
    assert error_of(ssm.get_command_invocation, CommandId=str(uuid.uuid4()), InstanceId=instance_id) == (
        "InvocationDoesNotExist", ""
    )
    command_id = send(ssm, [instance_id], ["true"])
    assert error_of(ssm.get_command_invocation, CommandId=command_id, InstanceId="mi-0123456789abcdef0")[0] == (
        "InvocationDoesNotExist"
    )
    assert error_of(ssm.get_command_invocation, CommandId=command_id, InstanceId=instance_id,
                    PluginName="aws:nothing")[0] == "InvalidPluginName"
    assert error_of(ssm.cancel_command, CommandId=str(uuid.uuid4()))[0] == "InvalidCommandId"
    assert error_of(ssm.cancel_command, CommandId=command_id, InstanceIds=["mi-0123456789abcdef0"])[0] == (
        "InvalidInstanceId"
    )


# --- parameters ----------------------------------------------------------------------------------------------
def test_ssm_references_are_resolved_from_parameter_store_when_sent(ssm, server, container):
    instance_id = register_container(server, container)
    ssm.put_parameter(Name="/rc/greeting", Value="hello from parameter store", Type="String")
    ssm.put_parameter(Name="/rc/secret", Value="s3cret", Type="SecureString")
    command_id = send(ssm, [instance_id], ["echo '{{ssm:/rc/greeting}}'", "echo '{{ ssm:/rc/greeting }}' again"])
    # changing the parameter after sending changes nothing: it was resolved at send time
    ssm.put_parameter(Name="/rc/greeting", Value="changed", Type="String", Overwrite=True)
    found = wait_invocation(ssm, command_id, instance_id)
    assert found["StandardOutputContent"] == "hello from parameter store\nhello from parameter store again\n"
    # the command shows the parameters as sent, references unresolved
    assert command(ssm, command_id)["Parameters"]["commands"][0] == "echo '{{ssm:/rc/greeting}}'"
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                    Parameters={"commands": ["echo {{ssm:/rc/missing}}"]})[0] == "InvalidParameters"
    assert error_of(ssm.send_command, InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                    Parameters={"commands": ["echo {{ssm:/rc/secret}}"]})[0] == "InvalidParameters"


MULTI_STEP = {
    "schemaVersion": "2.2",
    "description": "steps for every platform",
    "parameters": {
        "greeting": {"type": "String", "default": "hi"},
        "payload": {"type": "String", "interpolationType": "ENV_VAR", "allowedPattern": "^[^\"]*$"},
        "where": {"type": "String", "default": "/tmp"},
    },
    "mainSteps": [
        {"action": "aws:runShellScript", "name": "first", "precondition": {"StringEquals": ["platformType", "Linux"]},
         "inputs": {"runCommand": ["echo '{{ greeting }}' from first"]}},
        {"action": "aws:runPowerShellScript", "name": "windowsOnly",
         "precondition": {"StringEquals": ["platformType", "Windows"]},
         "inputs": {"runCommand": ["Write-Output nope"]}},
        {"action": "aws:runShellScript", "name": "third",
         "inputs": {"workingDirectory": "{{ where }}",
                    "runCommand": ["pwd", "printf '%s|' \"$SSM_payload\" '{{ payload }}'", "exit 4"]}},
    ],
}


def test_multi_step_document_runs_steps_in_order_with_preconditions_and_env_var_parameters(ssm, server, container):
    instance_id = register_container(server, container)
    ssm.create_document(Name="RC-MultiStep", Content=json.dumps(MULTI_STEP), DocumentType="Command")
    payload = "$(touch /tmp/injected); `id` ; $HOME"
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName="RC-MultiStep",
                                  Parameters={"payload": [payload]})["Command"]["CommandId"]
    first = wait_invocation(ssm, command_id, instance_id, PluginName="first")
    skipped = wait_invocation(ssm, command_id, instance_id, PluginName="windowsOnly")
    third = wait_invocation(ssm, command_id, instance_id, PluginName="third")
    assert (first["Status"], first["StandardOutputContent"]) == ("Success", "hi from first\n")
    assert (skipped["Status"], skipped["StatusDetails"], skipped["ResponseCode"]) == ("Success", "Skipped", 0)
    assert skipped["StandardOutputContent"] == (
        "Step execution skipped due to unsatisfied preconditions: "
        "'\"StringEquals\": [platformType, Windows]'. Step name: windowsOnly"
    )
    # ENV_VAR: the value reaches the script as SSM_payload, not spliced into it
    assert (third["Status"], third["ResponseCode"]) == ("Failed", 4)
    assert third["StandardOutputContent"] == "/tmp\n" + payload + "|{{ payload }}|"
    assert container.exec_run(["test", "-e", "/tmp/injected"]).exit_code != 0
    whole = wait_invocation(ssm, command_id, instance_id)  # several steps, no PluginName: the invocation
    assert (whole["Status"], whole["ResponseCode"]) == ("Failed", 4) and "PluginName" not in whole
    listed = ssm.list_command_invocations(CommandId=command_id, Details=True)["CommandInvocations"][0]
    assert [(p["Name"], p["Status"]) for p in listed["CommandPlugins"]] == [
        ("first", "Success"), ("windowsOnly", "Success"), ("third", "Failed")
    ]
    assert listed["StandardOutputUrl"] == ""  # several plugins: only theirs have URLs
    script = container.exec_run(["cat", ORCHESTRATION.format(instance=instance_id, command=command_id) + "/third/_script.sh"])
    assert b"{{ payload }}" in script.output


def test_powershell_steps_fail_on_linux_without_powershell_as_the_agent_reports(ssm, server, container):
    instance_id = register_container(server, container)
    command_id = send(ssm, [instance_id], ["Write-Output hello"], DocumentName="AWS-RunPowerShellScript")
    found = wait_invocation(ssm, command_id, instance_id)
    assert (found["Status"], found["ResponseCode"], found["PluginName"]) == ("Failed", 1, "aws:runPowerShellScript")
    assert 'executable file not found in $PATH' in found["StandardErrorContent"]


# --- the AWS CLI ---------------------------------------------------------------------------------------------
def aws(url: str, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ, "AWS_ACCESS_KEY_ID": "AKIDCLI", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "credentials"),
    }
    return subprocess.run([str(Path(sys.executable).parent / "aws"), "ssm", *args, "--endpoint-url", url, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=180)


def test_aws_cli_send_command_wait_and_get_invocation(server, container, tmp_path):
    instance_id = register_container(server, container)
    sent = aws(server.url, "send-command", "--instance-ids", instance_id, "--document-name", "AWS-RunShellScript",
               "--parameters", "commands=echo hello from the CLI", tmp=tmp_path)
    assert sent.returncode == 0, sent.stderr
    command_id = json.loads(sent.stdout)["Command"]["CommandId"]
    waited = aws(server.url, "wait", "command-executed", "--command-id", command_id, "--instance-id", instance_id,
                 tmp=tmp_path)
    assert waited.returncode == 0, waited.stderr
    got = aws(server.url, "get-command-invocation", "--command-id", command_id, "--instance-id", instance_id, tmp=tmp_path)
    assert got.returncode == 0, got.stderr
    found = json.loads(got.stdout)
    assert (found["Status"], found["StandardOutputContent"]) == ("Success", "hello from the CLI\n")
    # the waiter fails on a failed command, as AWS's does
    failed = aws(server.url, "send-command", "--instance-ids", instance_id, "--document-name", "AWS-RunShellScript",
                 "--parameters", "commands=exit 3", tmp=tmp_path)
    failed_id = json.loads(failed.stdout)["Command"]["CommandId"]
    waited = aws(server.url, "wait", "command-executed", "--command-id", failed_id, "--instance-id", instance_id,
                 tmp=tmp_path)
    assert waited.returncode == 255 and "Failed" in waited.stderr
