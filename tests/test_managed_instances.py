"""Managed instances: every way in (admin API, CLI, config file, label discovery), stable IDs, facts from
os-release, PingStatus following the machine, tags, deregistration, secrets. Real containers and a real sshd;
boto3 over HTTP against the real server."""
from __future__ import annotations

import io
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FAST_INSTANCE_CHECKS, ROOT, EmulatorProcess, make_client
from fixtures_instances import BUSYBOX_IMAGE, DEBIAN_IMAGE, PASSWORD_USER, unavailable
from test_parameter_store import error_of

INSTANCE_ID = re.compile(r"mi-[0-9a-f]{17}\Z")


# --- helpers shared by the managed-instance test modules ----------------------------------------------------
def wait_for(check: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    """Poll `check` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def register(server: EmulatorProcess, body: dict, expect: int | tuple[int, ...] = (200, 201)) -> dict:
    status, answer = server.admin_call("POST", "/_emulator/instances", body)
    wanted = (expect,) if isinstance(expect, int) else expect
    assert status in wanted, (status, answer)
    return answer


def info(ssm, instance_id: str) -> dict | None:
    listed = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])
    found = listed["InstanceInformationList"]
    return found[0] if found else None


def tags_of(ssm, instance_id: str) -> dict[str, str]:
    listed = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)["TagList"]
    return {t["Key"]: t["Value"] for t in listed}


def unreachable_ssh(username: str, port: int = 9) -> dict:
    """An SSH machine nobody answers for (discard port on loopback): registers at once, ConnectionLost."""
    return {"backend": "ssh", "host": "127.0.0.1", "port": port, "username": username, "password": "x"}


def host_os_release() -> dict[str, str]:
    values = {}
    for line in Path("/etc/os-release").read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value.strip('"')
    return values


@pytest.fixture
def ssm(instance_emulator: EmulatorProcess):
    """A boto3 client on the fast-checking server, reset (which also removes containers it started)."""
    instance_emulator.admin("POST", "/_emulator/reset")
    return make_client(instance_emulator.url)


@pytest.fixture
def server(instance_emulator: EmulatorProcess, ssm) -> EmulatorProcess:
    return instance_emulator


# --- ways in ------------------------------------------------------------------------------------------------
def test_existing_container_by_name_then_by_id_is_one_instance_with_real_facts(server, ssm, make_container):
    container = make_container()
    first = register(server, {"backend": "docker", "container": container.name, "tags": {"env": "dev"}}, 201)
    instance_id = first["InstanceId"]
    assert INSTANCE_ID.match(instance_id)
    again = register(server, {"backend": "docker", "container": container.id, "tags": {"team": "red"}}, 200)
    assert again["InstanceId"] == instance_id

    found = info(ssm, instance_id)
    assert found["PingStatus"] == "Online"
    assert found["PlatformType"] == "Linux"
    assert found["PlatformName"] == "Debian GNU/Linux"
    assert found["PlatformVersion"] == "12"
    assert found["ResourceType"] == "ManagedInstance"
    assert found["AgentVersion"] == "3.3.1957.0" and found["IsLatestVersion"] is True
    assert found["SourceType"] == "AWS::SSM::ManagedInstance" and found["SourceId"] == instance_id
    assert found["ComputerName"] and found["IPAddress"]
    assert abs(found["LastPingDateTime"].timestamp() - time.time()) < 60
    assert abs(found["RegistrationDate"].timestamp() - time.time()) < 60
    assert "ActivationId" not in found and "Name" not in found
    assert tags_of(ssm, instance_id) == {"env": "dev", "team": "red"}


def test_computer_name_is_the_fully_qualified_host_name(server, ssm, make_container):
    # SSM Agent reports `hostname --fqdn` as ComputerName, the kernel's host name only when that fails or is
    # empty (amazon-ssm-agent agent/platform/platform_unix.go, fullyQualifiedDomainName); AWS's own example
    # reads "ip-198.51.100.0.us-east-2.compute.internal" (AWS CLI reference, describe-instance-information).
    box = make_container(network_mode="none", hostname="web", extra_hosts={"web.example.internal web": "127.0.1.1"})
    instance_id = register(server, {"backend": "docker", "container": box.name}, 201)["InstanceId"]
    assert info(ssm, instance_id)["ComputerName"] == "web.example.internal"


def test_machine_with_only_loopback_has_no_ip_address(server, ssm, make_container):
    # SSM Agent skips loopback interfaces and reports no address when nothing else is up
    # (amazon-ssm-agent agent/platform/platform.go, IP and filterInterface); IPAddress is at least 1 long.
    box = make_container(image=BUSYBOX_IMAGE, network_mode="none")
    instance_id = register(server, {"backend": "docker", "container": box.name}, 201)["InstanceId"]
    found = info(ssm, instance_id)
    assert found["PingStatus"] == "Online" and found["PlatformName"] == "BusyBox"
    assert "IPAddress" not in found
    node = ssm.list_nodes(Filters=[{"Key": "InstanceId", "Values": [instance_id]}])["Nodes"][0]
    assert "IpAddress" not in node["NodeType"]["Instance"]


def test_machine_that_names_no_platform_has_no_platform_name(server, ssm, make_container):
    # Without os-release, SSM Agent asks lsb_release; when that fails too it sends neither PlatformName nor
    # PlatformVersion (amazon-ssm-agent agent/platform/platform_unix.go getPlatformDetails, and its
    # UpdateInstanceInformation call, which leaves out what errs). The official busybox image is such a machine.
    box = make_container(image=BUSYBOX_IMAGE, network_mode="none")
    box.exec_run(["rm", "-f", "/etc/os-release"])
    instance_id = register(server, {"backend": "docker", "container": box.name}, 201)["InstanceId"]
    found = info(ssm, instance_id)
    assert found["PingStatus"] == "Online" and found["PlatformType"] == "Linux"
    assert "PlatformName" not in found and "PlatformVersion" not in found
    node = ssm.list_nodes(Filters=[{"Key": "InstanceId", "Values": [instance_id]}])["Nodes"][0]["NodeType"]["Instance"]
    assert "PlatformName" not in node and "PlatformVersion" not in node
    # ... and one with an lsb_release is named after it
    named = make_container(image=BUSYBOX_IMAGE, network_mode="none")
    lsb = 'case "$1" in -is) echo Devuan;; -rs) echo 5.0.1;; *) exit 1;; esac'
    named.exec_run(["sh", "-c", f"rm -f /etc/os-release && printf '%s\\n' '{lsb}' > /bin/lsb_release && chmod +x /bin/lsb_release"])
    named_id = register(server, {"backend": "docker", "container": named.name}, 201)["InstanceId"]
    assert (info(ssm, named_id)["PlatformName"], info(ssm, named_id)["PlatformVersion"]) == ("Devuan", "5.0.1")


def test_container_started_from_an_image_is_removed_with_the_instance(server, ssm, docker_client):
    name = f"ssm-emulator-test-{uuid.uuid4().hex[:8]}"
    instance_id = register(server, {"backend": "docker", "image": DEBIAN_IMAGE, "name": name}, 201)["InstanceId"]
    try:
        container = docker_client.containers.get(name)
        assert container.status == "running"
        assert container.attrs["HostConfig"]["NetworkMode"] == "host"
        assert info(ssm, instance_id)["PingStatus"] == "Online"
        # the same name again is the same instance, not a second container
        assert register(server, {"backend": "docker", "image": DEBIAN_IMAGE, "name": name}, 200)["InstanceId"] == instance_id
        assert server.admin_call("DELETE", f"/_emulator/instances/{instance_id}")[0] == 200
        assert name not in {c.name for c in docker_client.containers.list(all=True)}
        assert info(ssm, instance_id) is None
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_image_whose_command_exits_at_once_is_kept_running(server, ssm, docker_client):
    tag = f"ssm-emulator-test/shell-only:{uuid.uuid4().hex[:8]}"
    dockerfile = f'FROM {DEBIAN_IMAGE}\nCMD ["/bin/sh"]\n'
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)
    try:
        instance_id = register(server, {"backend": "docker", "image": tag}, 201)["InstanceId"]
        found = wait_for(lambda: (i := info(ssm, instance_id)) and i["PingStatus"] == "Online" and i, what="Online")
        assert found["PlatformName"] == "Debian GNU/Linux"
        server.admin_call("DELETE", f"/_emulator/instances/{instance_id}")
    finally:
        docker_client.images.remove(tag, force=True)


def test_ssh_hosts_with_key_text_key_file_and_password(server, ssm, sshd):
    by_key = register(
        server, {"backend": "ssh", "host": sshd.host, "port": sshd.port, "username": "root", "private_key": sshd.private_key}, 201
    )["InstanceId"]
    found = info(ssm, by_key)
    os_release = host_os_release()
    assert found["PingStatus"] == "Online"
    assert found["PlatformName"] == os_release["NAME"] and found["PlatformVersion"] == os_release["VERSION_ID"]
    # the key as a file on the emulator's machine: the same machine (host, port, user), so the same ID
    by_file = register(
        server, {"backend": "ssh", "host": sshd.host, "port": sshd.port, "username": "root", "key_file": str(sshd.key_file)}, 200
    )["InstanceId"]
    assert by_file == by_key
    if sshd.password is None:
        unavailable("no password user on this machine")
    by_password = register(
        server, {"backend": "ssh", "host": sshd.host, "port": sshd.port, "username": PASSWORD_USER, "password": sshd.password}, 201
    )["InstanceId"]
    assert by_password != by_key
    assert info(ssm, by_password)["PingStatus"] == "Online"


def test_wrong_ssh_password_registers_but_is_connection_lost(server, ssm, sshd):
    instance_id = register(
        server, {"backend": "ssh", "host": sshd.host, "port": sshd.port, "username": PASSWORD_USER, "password": "wrong"}, 201
    )["InstanceId"]
    assert info(ssm, instance_id)["PingStatus"] == "ConnectionLost"
    status, listed = server.admin_call("GET", f"/_emulator/instances/{instance_id}")
    assert status == 200 and listed["last_error"]


def test_secrets_are_stored_but_never_returned(server, ssm, sshd):
    secret_password = f"pw-{uuid.uuid4().hex}"
    register(server, {"backend": "ssh", "host": sshd.host, "port": sshd.port, "username": "root", "private_key": sshd.private_key})
    register(server, unreachable_ssh("someone") | {"password": secret_password})
    status, listed = server.admin_call("GET", "/_emulator/instances")
    text = str(listed)
    assert status == 200
    assert secret_password not in text
    assert sshd.private_key.strip().splitlines()[1] not in text
    targets = [i["target"] for i in listed["instances"]]
    assert {"<redacted>"} == {t.get("password") or t.get("private_key") for t in targets}
    described = ssm.describe_instance_information()
    assert secret_password not in str(described)
    # the stored key is used: the key-based instance answered
    assert {i["PingStatus"] for i in described["InstanceInformationList"]} == {"Online", "ConnectionLost"}


@pytest.mark.parametrize(
    "body, message",
    [
        ({"backend": "vm"}, '"backend"'),
        ({"backend": "docker"}, "exactly one of"),
        ({"backend": "docker", "container": "a", "image": "b"}, "exactly one of"),
        ({"backend": "docker", "container": "a", "nonsense": 1}, "nonsense"),
        ({"backend": "ssh", "host": "h"}, "exactly one of"),
        ({"backend": "ssh", "host": "h", "password": "p", "port": 70000}, "port"),
        ({"backend": "ssh", "host": "h", "password": "p", "region": "mars"}, "region"),
        ({"backend": "ssh", "host": "h", "password": "p", "account_id": "12"}, "account_id"),
        ({"backend": "ssh", "host": "h", "password": "p", "tags": {"aws:x": "1"}}, "aws:"),
        ({"backend": "ssh", "host": "h", "password": "p", "activation_id": "x"}, "activation_code"),
        ([1, 2], "object"),
    ],
)
def test_bad_registrations_are_400(server, body, message):
    status, answer = server.admin_call("POST", "/_emulator/instances", body)
    assert status == 400 and answer["error"] == "InvalidRequest" and message in answer["message"]


def test_missing_container_and_unknown_instance(server):
    status, answer = server.admin_call("POST", "/_emulator/instances", {"backend": "docker", "container": "no-such-container-xyz"})
    assert status == 400 and answer["error"] == "InvalidContainer"
    status, answer = server.admin_call("POST", "/_emulator/instances", {"backend": "docker", "image": "no-such/image:none"})
    assert status == 400 and answer["error"] == "InvalidContainer"
    assert server.admin_call("DELETE", "/_emulator/instances/mi-0123456789abcdef0")[0] == 404


def test_account_and_region_of_an_instance(server, ssm):
    everywhere = register(server, unreachable_ssh("everywhere"))["InstanceId"]
    west_only = register(server, unreachable_ssh("west-only") | {"region": "eu-west-1"})["InstanceId"]
    other_account = register(server, unreachable_ssh("other") | {"account_id": "111111111111"})["InstanceId"]

    def ids(client) -> set[str]:
        return {i["InstanceId"] for i in client.describe_instance_information()["InstanceInformationList"]}

    assert ids(ssm) == {everywhere}
    assert ids(make_client(server.url, region="eu-west-1")) == {everywhere, west_only}
    assert ids(make_client(server.url, access_key="111111111111")) == {other_account}


def test_cli_add_list_remove(server, ssm, sshd, make_container, tmp_path):
    container = make_container()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "emulator", "--port", str(server.port), "instances", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )

    added = cli("add", "docker", "--container", container.name, "--tag", "env=dev", "--tag", "team=red")
    assert added.returncode == 0, added.stderr
    docker_id = added.stdout.strip()
    assert INSTANCE_ID.match(docker_id)
    assert tags_of(ssm, docker_id) == {"env": "dev", "team": "red"}

    added = cli(
        "add", "ssh", "--host", sshd.host, "--port", str(sshd.port), "--username", "root",
        "--private-key-file", str(sshd.key_file), "--endpoint", server.url,
    )
    assert added.returncode == 0, added.stderr
    ssh_id = added.stdout.strip()
    assert info(ssm, ssh_id)["PingStatus"] == "Online"

    listed = cli("list")
    assert listed.returncode == 0
    assert docker_id in listed.stdout and ssh_id in listed.stdout and "Debian GNU/Linux 12" in listed.stdout
    assert sshd.private_key.strip().splitlines()[1] not in cli("list", "--json").stdout

    removed = cli("remove", docker_id)
    assert removed.returncode == 0 and info(ssm, docker_id) is None
    missing = cli("remove", docker_id)
    assert missing.returncode == 1 and "NotFound" in missing.stderr
    bad = cli("add", "ssh", "--host", "h")
    assert bad.returncode == 2 and "--password" in bad.stderr


def test_config_file_instances_are_registered_at_start(start_emulator, make_container, sshd, tmp_path):
    container = make_container()
    config = tmp_path / "emulator.toml"
    config.write_text(
        "[[instances]]\n"
        'backend = "docker"\n'
        f'container = "{container.name}"\n'
        'tags = { env = "config" }\n'
        "[[instances]]\n"
        'backend = "ssh"\n'
        f'host = "{sshd.host}"\n'
        f"port = {sshd.port}\n"
        'username = "root"\n'
        f'key_file = "{sshd.key_file}"\n'
        'region = "us-east-1"\n'
    )
    server = start_emulator("--ephemeral", "--config", str(config), env=dict(FAST_INSTANCE_CHECKS))
    ssm = make_client(server.url)

    def both_online() -> list[dict]:
        listed = ssm.describe_instance_information()["InstanceInformationList"]
        return listed if len(listed) == 2 and {i["PingStatus"] for i in listed} == {"Online"} else []

    listed = wait_for(both_online, what="both config instances Online")
    names = {i["PlatformName"] for i in listed}
    assert "Debian GNU/Linux" in names
    by_tag = ssm.describe_instance_information(Filters=[{"Key": "tag:env", "Values": ["config"]}])
    assert len(by_tag["InstanceInformationList"]) == 1
    assert make_client(server.url, region="eu-west-1").describe_instance_information()["InstanceInformationList"] != []


def test_bad_config_instance_is_a_usage_error(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[[instances]]\nbackend = "ssh"\nhost = "h"\n')
    run = subprocess.run(
        [sys.executable, "-m", "emulator", "--config", str(config)], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 2 and "[[instances]] entry 1" in run.stderr


def test_labelled_containers_are_discovered_and_go_connection_lost_when_gone(server, ssm, make_container):
    container = make_container(labels={"ssm-emulator.managed": "true", "ssm-emulator.tag.team": "blue"})
    unlabelled = make_container()

    def discovered() -> list[dict]:
        return [
            i for i in ssm.describe_instance_information()["InstanceInformationList"]
            if i["PingStatus"] == "Online"
        ]

    listed = wait_for(discovered, what="the labelled container to be discovered")
    assert len(listed) == 1
    instance_id = listed[0]["InstanceId"]
    assert tags_of(ssm, instance_id) == {"team": "blue"}
    assert listed[0]["PlatformVersion"] == "12"
    assert unlabelled.name not in str(server.admin_call("GET", "/_emulator/instances")[1])

    container.remove(force=True)
    gone = wait_for(lambda: (i := info(ssm, instance_id)) and i["PingStatus"] == "ConnectionLost" and i, what="ConnectionLost")
    assert gone["InstanceId"] == instance_id  # still managed, not deleted


def test_ids_are_stable_across_restarts_and_emulators(start_emulator, make_container, sshd, tmp_path):
    container = make_container()
    data = tmp_path / "data"
    docker_body = {"backend": "docker", "container": container.name}
    ssh_body = {"backend": "ssh", "host": sshd.host, "port": sshd.port, "username": "root", "private_key": sshd.private_key}

    first = start_emulator("--data-dir", str(data))
    docker_id = register(first, docker_body, 201)["InstanceId"]
    ssh_id = register(first, ssh_body, 201)["InstanceId"]
    first.stop()

    restarted = time.time()
    again = start_emulator("--data-dir", str(data), port=first.port)
    ssm = make_client(again.url)
    listed = {i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]}
    assert listed == {docker_id, ssh_id}
    assert register(again, docker_body, 200)["InstanceId"] == docker_id
    assert register(again, ssh_body, 200)["InstanceId"] == ssh_id
    # the stored SSH key still works after the restart
    wait_for(
        lambda: (i := info(ssm, ssh_id))["PingStatus"] == "Online" and i["LastPingDateTime"].timestamp() > restarted,
        what="the SSH instance answering after the restart",
    )

    other = start_emulator("--ephemeral")  # another emulator, empty: the ID is a hash of the machine
    assert register(other, docker_body, 201)["InstanceId"] == docker_id
    assert register(other, ssh_body, 201)["InstanceId"] == ssh_id


def test_ping_status_follows_the_container(server, ssm, make_container):
    container = make_container()
    instance_id = register(server, {"backend": "docker", "container": container.name})["InstanceId"]
    online = info(ssm, instance_id)
    assert online["PingStatus"] == "Online"
    later = wait_for(
        lambda: (i := info(ssm, instance_id))["LastPingDateTime"] > online["LastPingDateTime"] and i,
        what="LastPingDateTime to advance",
    )

    container.stop(timeout=5)
    lost = wait_for(lambda: (i := info(ssm, instance_id))["PingStatus"] == "ConnectionLost" and i, what="ConnectionLost")
    assert lost["LastPingDateTime"] >= later["LastPingDateTime"]
    assert ssm.describe_instance_information(
        InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["ConnectionLost"]}]
    )["InstanceInformationList"][0]["InstanceId"] == instance_id

    container.start()
    back = wait_for(lambda: (i := info(ssm, instance_id))["PingStatus"] == "Online" and i, what="Online again")
    assert back["LastPingDateTime"] > lost["LastPingDateTime"]
    assert back["PlatformName"] == "Debian GNU/Linux"


# --- SSM operations on one instance -------------------------------------------------------------------------
def test_tags_on_a_managed_instance(server, ssm):
    instance_id = register(server, unreachable_ssh("tagged") | {"tags": {"env": "dev"}})["InstanceId"]
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "prod"}]
    )
    assert tags_of(ssm, instance_id) == {"env": "prod", "team": "red"}
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=instance_id, TagKeys=["env"])
    assert tags_of(ssm, instance_id) == {"team": "red"}
    # visible in every region: the same tags from another region
    assert tags_of(make_client(server.url, region="ap-south-1"), instance_id) == {"team": "red"}
    other = make_client(server.url, access_key="222222222222")
    assert error_of(other.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId=instance_id)[0] == "InvalidResourceId"
    assert error_of(ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId="mi-0123456789abcdef0")[0] == "InvalidResourceId"
    too_many = [{"Key": f"k{n}", "Value": "v"} for n in range(50)]
    assert error_of(ssm.add_tags_to_resource, ResourceType="ManagedInstance", ResourceId=instance_id, Tags=too_many)[0] == "TooManyTagsError"


def test_update_managed_instance_role(server, ssm):
    instance_id = register(server, unreachable_ssh("role"))["InstanceId"]
    assert "IamRole" not in info(ssm, instance_id)
    ssm.update_managed_instance_role(InstanceId=instance_id, IamRole="service-role/HybridRole")
    assert info(ssm, instance_id)["IamRole"] == "service-role/HybridRole"
    code, _ = error_of(ssm.update_managed_instance_role, InstanceId="mi-0123456789abcdef0", IamRole="r")
    assert code == "InvalidInstanceId"


def test_deregister_managed_instance(server, ssm, docker_client):
    instance_id = register(server, unreachable_ssh("leaving") | {"tags": {"k": "v"}})["InstanceId"]
    ssm.deregister_managed_instance(InstanceId=instance_id)
    assert info(ssm, instance_id) is None
    assert error_of(ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId=instance_id)[0] == "InvalidResourceId"
    assert error_of(ssm.deregister_managed_instance, InstanceId=instance_id)[0] == "InvalidInstanceId"
    # registered again: the same ID, without the old tags
    assert register(server, unreachable_ssh("leaving"), 201)["InstanceId"] == instance_id
    assert tags_of(ssm, instance_id) == {}

    # a container the emulator started goes with it
    name = f"ssm-emulator-test-{uuid.uuid4().hex[:8]}"
    started = register(server, {"backend": "docker", "image": DEBIAN_IMAGE, "name": name})["InstanceId"]
    try:
        ssm.deregister_managed_instance(InstanceId=started)
        assert name not in {c.name for c in docker_client.containers.list(all=True)}
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_deregistered_labelled_container_is_not_discovered_again(server, ssm, make_container):
    make_container(labels={"ssm-emulator.managed": "true"})
    first = wait_for(lambda: ssm.describe_instance_information()["InstanceInformationList"], what="discovery")
    instance_id = first[0]["InstanceId"]
    ssm.deregister_managed_instance(InstanceId=instance_id)
    # a second labelled container being discovered proves discovery ran since the deregistration
    make_container(labels={"ssm-emulator.managed": "true"})
    listed = wait_for(lambda: ssm.describe_instance_information()["InstanceInformationList"], what="the second container")
    assert instance_id not in {i["InstanceId"] for i in listed}


def test_reset_removes_containers_the_emulator_started(server, docker_client):
    name = f"ssm-emulator-test-{uuid.uuid4().hex[:8]}"
    register(server, {"backend": "docker", "image": DEBIAN_IMAGE, "name": name})
    try:
        server.admin("POST", "/_emulator/reset")
        assert name not in {c.name for c in docker_client.containers.list(all=True)}
        assert server.admin_call("GET", "/_emulator/instances")[1]["instances"] == []
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_health_reports_the_docker_engine(server):
    assert server.admin("GET", "/_emulator/health")["components"]["docker"] == "running"



# --- the in-process API (what Run Command and Session Manager use) ------------------------------------------
def test_in_process_api_get_select_backend(make_container, tmp_path):
    from api_models.errors import InvalidInstanceId, InvalidTarget
    from emulator.background import Background
    from emulator.clock import Clock
    from emulator.config import Config
    from emulator.context import Caller, RequestContext
    from emulator.managed_instances import ManagedInstances
    from emulator.managed_instances.spec import parse
    from emulator.services import Services
    from emulator.store import Database

    background = Background()
    services = Services(config=Config(ephemeral=True), db=Database(None), clock=Clock(), background=background)
    instances = ManagedInstances(services)
    ctx = RequestContext(Caller("123456789012", "us-east-1", None, "arn:aws:iam::123456789012:root"), "req")
    try:
        web, db = make_container(), make_container()
        web_id = instances.register(parse({"backend": "docker", "container": web.name, "tags": {"role": "web"}})).instance_id
        db_id = instances.register(parse({"backend": "docker", "container": db.name, "tags": {"role": "db"}})).instance_id
        assert instances.check(web_id) == "Online"

        found = instances.get(ctx, web_id)
        assert found is not None and found.online and found.platform_name == "Debian GNU/Linux"
        assert found.tags == {"role": "web"}
        other_account = RequestContext(Caller("111111111111", "us-east-1", None, "arn:aws:iam::111111111111:root"), "r")
        assert instances.get(other_account, web_id) is None

        assert [i.instance_id for i in instances.select(ctx, instance_ids=[db_id, web_id])] == [db_id, web_id]
        assert [i.instance_id for i in instances.select(ctx, targets=[{"Key": "tag:role", "Values": ["db"]}])] == [db_id]
        assert {i.instance_id for i in instances.select(ctx, targets=[{"Key": "tag-key", "Values": ["role"]}])} == {web_id, db_id}
        assert {i.instance_id for i in instances.select(ctx, targets=[{"Key": "InstanceIds", "Values": ["*"]}])} == {web_id, db_id}
        with pytest.raises(InvalidInstanceId):
            instances.select(ctx, instance_ids=["mi-0123456789abcdef0"])
        with pytest.raises(InvalidTarget, match="resource-groups:Name"):
            instances.select(ctx, targets=[{"Key": "resource-groups:Name", "Values": ["g"]}])

        backend = instances.backend(web_id)
        assert instances.backend(web_id) is backend  # kept open for reuse
        result = backend.run(["cat", "/etc/debian_version"], timeout=30)
        assert result.exit_code == 0 and result.stdout.startswith(b"12")
    finally:
        background.stop()
        services.db.close()
