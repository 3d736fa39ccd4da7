"""Fixtures that start real managed instances: Docker containers from the test images and an OpenSSH server
on a loopback port. `scripts/setup-test-machine.sh` (run by `make test`) provides the engine, images and sshd.

In CI (CI=true) a missing piece fails the run: a suite that silently skips its instances proves nothing.
Elsewhere those tests are skipped with the reason.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DEBIAN_IMAGE = "ssm-emulator-test/debian:bookworm"
BUSYBOX_IMAGE = "ssm-emulator-test/busybox:latest"
DNF_IMAGE = "ssm-emulator-test/dnf:bookworm"  # Debian with dnf, rpm and createrepo_c: RPM patching
SSHD = "/usr/sbin/sshd"
# One user per test run, made for it and deleted after: runs side by side on one machine would otherwise set
# each other's password, or lock it at their end while another still logs in with it.
PASSWORD_USER = f"ssm-emulator-test-{os.getpid()}"
_PASSWORD_USER_PREFIX = "ssm-emulator-test-"
SETUP_HINT = "run `sudo scripts/setup-test-machine.sh` (make test does)"


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} — required in CI; {SETUP_HINT}", pytrace=False)
    pytest.skip(f"{reason}; {SETUP_HINT}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Docker --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def docker_client():
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as e:  # no engine, no socket, no permission: all mean the same here
        unavailable(f"no Docker engine answers ({e})")
    yield client
    client.close()


def need_image(client, image: str) -> None:
    """The test image must be on the engine (the emulator never pulls; setup-test-machine.sh builds them)."""
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        unavailable(f"test image {image} is missing")


def run_test_container(client, image: str, **options):
    """A container idling on its image's CMD; on the host network unless told (test traffic stays on
    loopback)."""
    need_image(client, image)
    return client.containers.run(
        image,
        detach=True,
        name=f"ssm-emulator-test-{uuid.uuid4().hex[:8]}",
        labels={"ssm-emulator-test": "1", **options.pop("labels", {})},
        **{"network_mode": "host", **options},
    )


@pytest.fixture(scope="session")
def debian_container(docker_client) -> Iterator[object]:
    container = run_test_container(docker_client, DEBIAN_IMAGE)
    yield container
    container.remove(force=True)


@pytest.fixture
def make_container(docker_client):
    """Start test containers (`make_container(labels={...}, image=...)`); all removed after the test."""
    started = []

    def make(image: str = DEBIAN_IMAGE, **options):
        container = run_test_container(docker_client, image, **options)
        started.append(container)
        return container

    yield make
    for container in started:
        try:
            container.remove(force=True)
        except Exception:  # removed by the test (or by the emulator) already
            pass


@pytest.fixture(scope="session")
def busybox_container(docker_client) -> Iterator[object]:
    # No network at all, only its own loopback: a server inside (busybox nc listens on every address) is
    # unreachable from outside, and open_tcp must relay through an exec.
    container = run_test_container(docker_client, BUSYBOX_IMAGE, network_mode="none")
    yield container
    container.remove(force=True)


# --- OpenSSH server ------------------------------------------------------------------------------------------
@dataclass
class SshServer:
    """An sshd of our own on 127.0.0.1:port; root logs in with `private_key`, PASSWORD_USER with `password`."""

    port: int
    private_key: str
    key_file: Path
    host_public_key: str  # "ssh-ed25519 AAAA..." for known_hosts
    password: str | None
    log_path: Path
    proc: subprocess.Popen[bytes]

    host = "127.0.0.1"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _sshd_config(folder: Path, port: int) -> str:
    return f"""
Port {port}
ListenAddress 127.0.0.1
HostKey {folder}/host_ed25519
PidFile {folder}/sshd.pid
AuthorizedKeysFile {folder}/authorized_keys
# The key files sit under /tmp, which StrictModes rejects as world-writable.
StrictModes no
# Passwords checked against /etc/shadow directly: no PAM session modules on a test box.
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication yes
KbdInteractiveAuthentication no
AllowUsers root {PASSWORD_USER}
AllowTcpForwarding yes
Subsystem sftp internal-sftp
LogLevel VERBOSE
"""


def _remove_users_of_ended_runs() -> None:
    """Users an earlier run made and could not delete (it was killed): their run's process is gone."""
    for line in Path("/etc/passwd").read_text().splitlines():
        name = line.split(":", 1)[0]
        if name.startswith(_PASSWORD_USER_PREFIX) and name != PASSWORD_USER:
            pid = name[len(_PASSWORD_USER_PREFIX):]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                subprocess.run(["userdel", name], capture_output=True)


def _password_user() -> str | None:
    """PASSWORD_USER with a fresh random password (deleted at the end), or None if it cannot be made."""
    _remove_users_of_ended_runs()
    if subprocess.run(["id", PASSWORD_USER], capture_output=True).returncode != 0:
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/", "--shell", "/bin/sh", PASSWORD_USER],
            capture_output=True,
        )
        if made.returncode != 0:
            return None
    password = secrets.token_urlsafe(18)
    done = subprocess.run(["chpasswd"], input=f"{PASSWORD_USER}:{password}".encode(), capture_output=True)
    return password if done.returncode == 0 else None


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    if not os.path.exists(SSHD) or not shutil.which("ssh-keygen"):
        unavailable(f"{SSHD} or ssh-keygen is missing")
    if os.geteuid() != 0:
        unavailable("the test sshd must run as root (root login, password checks)")
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host_ed25519", "client_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_ed25519.pub").read_text())
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege-separation folder; /run is a tmpfs
    port = _free_port()
    (folder / "sshd_config").write_text(_sshd_config(folder, port))
    password = _password_user()
    log_path = folder / "sshd.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(folder / "sshd_config")], stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                unavailable(f"sshd did not start: {log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
    key_file = folder / "client_ed25519"
    host_key = (folder / "host_ed25519.pub").read_text().split()
    yield SshServer(port, key_file.read_text(), key_file, " ".join(host_key[:2]), password, log_path, proc)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    if password is not None:
        subprocess.run(["userdel", PASSWORD_USER], capture_output=True)
