"""Run Command's own plugins beyond scripts, on real containers over boto3: aws:downloadContent (SSM documents
from the store, S3 objects and folders from the folder standing in for S3, GitHub/HTTP refused offline) and
aws:runDocument (stored documents and files on the instance, nested in the step), with the AWS-owned documents
that use them (AWS-RunRemoteScript, AWS-RunDocument); and State Manager's aws:refreshAssociation (AWS-RefreshAssociation)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FAST_INSTANCE_CHECKS, EmulatorProcess, free_port, make_client
from test_managed_instances import wait_for
from test_run_command import ORCHESTRATION, register_container, wait_invocation

GREETING = {
    "schemaVersion": "2.2",
    "description": "writes a greeting on the instance",
    "parameters": {"who": {"type": "String", "description": "whom to greet", "allowedPattern": "^[a-z]+$"}},
    "mainSteps": [{"action": "aws:runShellScript", "name": "greet", "inputs": {"runCommand": [
        "echo hello {{ who }} > /tmp/greeting", "cat /tmp/greeting",
    ]}}],
}


@pytest.fixture(scope="module")
def s3_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("buckets")


@pytest.fixture(scope="module")
def plugin_server(tmp_path_factory: pytest.TempPathFactory, s3_folder: Path) -> Iterator[EmulatorProcess]:
    """A server of its own: it reads S3 sources from its S3 stand-in folder (data_sync_dir)."""
    config = tmp_path_factory.mktemp("config") / "config.toml"
    config.write_text(f'data_sync_dir = "{s3_folder}"\n')
    server = EmulatorProcess(free_port(), ["--ephemeral", "--config", str(config)], dict(FAST_INSTANCE_CHECKS))
    server.start(tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


@pytest.fixture
def server(plugin_server: EmulatorProcess) -> EmulatorProcess:
    plugin_server.admin("POST", "/_emulator/reset")
    return plugin_server


@pytest.fixture
def ssm(server: EmulatorProcess):
    return make_client(server.url)


def managed_container(server: EmulatorProcess, make_container) -> tuple[object, str]:
    box = make_container()
    return box, register_container(server, box)


def command_document(ssm, name: str, description: str, steps: list[dict]) -> None:
    ssm.create_document(Name=name, DocumentType="Command", Content=json.dumps(
        {"schemaVersion": "2.2", "description": description, "mainSteps": steps}))


def run(ssm, instance_id: str, document: str, parameters: dict | None = None) -> str:
    return ssm.send_command(InstanceIds=[instance_id], DocumentName=document,
                            Parameters=parameters or {})["Command"]["CommandId"]


def read(container, path: str) -> str | None:
    found = container.exec_run(["cat", path])
    return found.output.decode() if found.exit_code == 0 else None


def test_document_downloaded_from_the_store_runs_from_its_local_path(ssm, server, make_container):
    box, instance_id = managed_container(server, make_container)
    ssm.create_document(Name="Plugins-Greeting", Content=json.dumps(GREETING), DocumentType="Command")
    command_document(ssm, "Plugins-Chain", "download a document, then run it", [
        {"action": "aws:downloadContent", "name": "fetch", "inputs": {
            "sourceType": "SSMDocument", "sourceInfo": '{"name": "Plugins-Greeting"}', "destinationPath": "docs/"}},
        {"action": "aws:runDocument", "name": "nested", "inputs": {
            "documentType": "LocalPath", "documentPath": "docs/Plugins-Greeting.json",
            "documentParameters": '{"who": "world"}'}},
    ])
    command_id = run(ssm, instance_id, "Plugins-Chain")
    downloads = ORCHESTRATION.format(instance=instance_id, command=command_id) + "/downloads"
    fetched = wait_invocation(ssm, command_id, instance_id, PluginName="fetch")
    assert (fetched["Status"], fetched["StandardOutputContent"]) == ("Success", f"Content downloaded to {downloads}/docs/\n")
    assert json.loads(read(box, f"{downloads}/docs/Plugins-Greeting.json")) == GREETING
    nested = wait_invocation(ssm, command_id, instance_id, PluginName="nested")
    assert (nested["Status"], nested["StandardOutputContent"]) == ("Success", "hello world\n")
    assert read(box, "/tmp/greeting") == "hello world\n"
    # the nested step wrote its script below the aws:runDocument step's folder
    assert read(box, ORCHESTRATION.format(instance=instance_id, command=command_id) + "/nested/greet/_script.sh")


def test_aws_run_document_runs_a_stored_document_with_its_parameters_checked(ssm, server, make_container):
    box, instance_id = managed_container(server, make_container)
    ssm.create_document(Name="Plugins-Greeting", Content=json.dumps(GREETING), DocumentType="Command")
    command_id = run(ssm, instance_id, "AWS-RunDocument", {
        "sourceType": ["SSMDocument"], "sourceInfo": ['{"name": "Plugins-Greeting"}'],
        "documentParameters": ['{"who": "there"}']})
    found = wait_invocation(ssm, command_id, instance_id, PluginName="runDocument")
    assert (found["Status"], found["StandardOutputContent"]) == ("Success", "hello there\n")
    assert read(box, "/tmp/greeting") == "hello there\n"
    # the nested document's parameters are validated as SendCommand validates them
    refused = run(ssm, instance_id, "AWS-RunDocument", {
        "sourceType": ["SSMDocument"], "sourceInfo": ['{"name": "Plugins-Greeting"}'],
        "documentParameters": ['{"who": "NOT lower case"}']})
    failed = wait_invocation(ssm, refused, instance_id, PluginName="runDocument")
    assert failed["Status"] == "Failed" and '"who"' in failed["StandardErrorContent"], failed
    assert read(box, "/tmp/greeting") == "hello there\n"


def test_run_document_by_name_reports_the_nested_steps_worst_status(ssm, server, make_container):
    box, instance_id = managed_container(server, make_container)
    command_document(ssm, "Plugins-ByName", "run AWS-RunShellScript nested", [
        {"action": "aws:runDocument", "name": "inner", "inputs": {
            "documentType": "SSMDocument", "documentPath": "AWS-RunShellScript",
            "documentParameters": {"commands": ["echo nested > /tmp/nested", "cat /tmp/nested", "exit 3"]}}}])
    command_id = run(ssm, instance_id, "Plugins-ByName")
    found = wait_invocation(ssm, command_id, instance_id)
    assert (found["Status"], found["ResponseCode"]) == ("Failed", 3)
    assert found["StandardOutputContent"] == "nested\n"
    assert read(box, "/tmp/nested") == "nested\n"


def test_aws_run_remote_script_runs_a_script_from_the_s3_folder(ssm, server, make_container, s3_folder):
    script = s3_folder / "tools" / "scripts" / "hello.sh"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("#!/bin/sh\necho \"remote says $1\" > /tmp/remote\ncat /tmp/remote\n")
    script.chmod(0o755)
    box, instance_id = managed_container(server, make_container)
    command_id = run(ssm, instance_id, "AWS-RunRemoteScript", {
        "sourceType": ["S3"], "sourceInfo": ['{"path": "https://s3.amazonaws.com/tools/scripts/hello.sh"}'],
        "commandLine": ["hello.sh hi"], "workingDirectory": ["/tmp"]})
    found = wait_invocation(ssm, command_id, instance_id, PluginName="runShellScript")
    assert (found["Status"], found["StandardOutputContent"]) == ("Success", "remote says hi\n"), (
        found["StandardErrorContent"], wait_invocation(ssm, command_id, instance_id, PluginName="downloadContent"))
    assert read(box, "/tmp/remote") == "remote says hi\n"
    assert read(box, "/tmp/hello.sh") == script.read_text()


def test_an_s3_folder_is_downloaded_with_its_sub_folders(ssm, server, make_container, s3_folder):
    site = s3_folder / "tools" / "site"
    (site / "sub").mkdir(parents=True, exist_ok=True)
    (site / "index.txt").write_text("index\n")
    (site / "sub" / "page.txt").write_text("page\n")
    _, instance_id = managed_container(server, make_container)
    command_document(ssm, "Plugins-Folder", "download an S3 folder and use it", [
        {"action": "aws:downloadContent", "name": "fetch", "inputs": {
            "sourceType": "S3", "sourceInfo": '{"path": "s3://tools/site/"}', "destinationPath": "site"}},
        {"action": "aws:runShellScript", "name": "useSite", "inputs": {
            "workingDirectory": "site", "runCommand": ["cat index.txt sub/page.txt"]}},
    ])
    command_id = run(ssm, instance_id, "Plugins-Folder")
    found = wait_invocation(ssm, command_id, instance_id, PluginName="useSite")
    assert (found["Status"], found["StandardOutputContent"]) == ("Success", "index\npage\n"), found


@pytest.mark.parametrize("source_type, info", [
    ("GitHub", {"owner": "awslabs", "repository": "amazon-ssm", "path": "x.sh"}),
    ("HTTP", {"url": "https://example.com/x.sh"}),
    ("S3", {"path": "https://example.com/x.sh"}),
])
def test_sources_out_of_reach_offline_fail_the_step_saying_so(ssm, server, make_container, source_type, info):
    _, instance_id = managed_container(server, make_container)
    command_document(ssm, "Plugins-Offline", "download from the internet", [
        {"action": "aws:downloadContent", "name": "fetch", "inputs": {
            "sourceType": source_type, "sourceInfo": json.dumps(info)}}])
    command_id = run(ssm, instance_id, "Plugins-Offline")
    found = wait_invocation(ssm, command_id, instance_id)
    assert (found["Status"], found["ResponseCode"]) == ("Failed", 1)
    assert "offline" in found["StandardErrorContent"], found


# --- aws:refreshAssociation (State Manager's plugin) -----------------------------------------------------------
def lines_in(container, path: str) -> int:
    return len((read(container, path) or "").splitlines())


def applied(ssm, association_id: str, times: int, container, path: str) -> None:
    """Wait until the association has written `times` lines and its run has ended."""
    def done():
        overview = ssm.describe_association(AssociationId=association_id)["AssociationDescription"]["Overview"]
        return lines_in(container, path) == times and overview["Status"] == "Success"
    wait_for(done, 30, f"association {association_id} applied {times} time(s)")


def test_aws_refresh_association_applies_the_instances_associations_now(ssm, server, make_container):
    box, instance_id = managed_container(server, make_container)

    def associate(path: str) -> str:
        return ssm.create_association(
            Name="AWS-RunShellScript", Targets=[{"Key": "InstanceIds", "Values": [instance_id]}],
            Parameters={"commands": [f"echo applied >> {path}"]}, ScheduleExpression="rate(30 minutes)",
        )["AssociationDescription"]["AssociationId"]

    first, second = associate("/tmp/first"), associate("/tmp/second")
    applied(ssm, first, 1, box, "/tmp/first")  # when created, on the instance it targets
    applied(ssm, second, 1, box, "/tmp/second")
    # the ids given only; the schedule (next in 30 minutes) is not what applies them
    command_id = run(ssm, instance_id, "AWS-RefreshAssociation", {"associationIds": [first]})
    found = wait_invocation(ssm, command_id, instance_id)
    assert (found["Status"], found["PluginName"]) == ("Success", "refreshAssociation")
    # (its first run may be ending still: then it is applied again once that run ends)
    assert found["StandardOutputContent"].startswith(f"Association {first} (AWS-RunShellScript) is ")
    assert second not in found["StandardOutputContent"]
    applied(ssm, first, 2, box, "/tmp/first")
    assert lines_in(box, "/tmp/second") == 1
    # no ids: every association of the instance
    wait_invocation(ssm, run(ssm, instance_id, "AWS-RefreshAssociation"), instance_id)
    applied(ssm, first, 3, box, "/tmp/first")
    applied(ssm, second, 2, box, "/tmp/second")
