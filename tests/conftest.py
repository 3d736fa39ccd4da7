"""Fixtures that start real things: the emulator server as a subprocess, spoken to over HTTP."""
from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent

# Managed instances (containers, sshd) and the browser live in modules of their own, shared by every test module.
pytest_plugins = ["fixtures_instances", "fixtures_browser"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EmulatorProcess:
    """A running `python -m emulator` on a loopback port; stopped by its own PID."""

    port: int
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def tls_cert(self) -> str | None:
        """The certificate the server serves HTTPS with (--tls-cert), trusted by the helpers below."""
        if "--tls-cert" in self.args:
            return self.args[self.args.index("--tls-cert") + 1]
        return self.env.get("SSM_EMULATOR_TLS_CERT")

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_cert else 'http'}://127.0.0.1:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.tls_cert) if self.tls_cert else None

    def start(self, log_dir: Path) -> EmulatorProcess:
        self.log_path = log_dir / f"emulator-{self.port}.log"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's worker dies with it
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/_emulator/health", timeout=1, context=self.ssl_context()) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"emulator not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def kill_hard(self) -> None:
        """kill -9 of the whole server, master and worker, as a crash would."""
        self.stop(signal.SIGKILL)

    def admin(self, method: str, path: str) -> dict:
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10, context=self.ssl_context()) as r:
            return json.loads(r.read())

    def admin_call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        """An admin API call with a JSON body; (status, JSON answer) whatever the status."""
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(
            self.url + path, method=method, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=60, context=self.ssl_context()) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One server for the whole run (ephemeral state)."""
    server = EmulatorProcess(free_port(), ["--ephemeral", "--log-level", "info"])
    server.start(tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


# Managed instances are checked (PingStatus) and labelled containers looked for this often on
# `instance_emulator`, so tests wait on state changes for a fraction of a second, not the default 5 s.
FAST_INSTANCE_CHECKS = {"SSM_EMULATOR_PING_INTERVAL": "0.3", "SSM_EMULATOR_DISCOVERY_INTERVAL": "0.3"}


@pytest.fixture(scope="session")
def instance_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A server for managed-instance tests: ephemeral, with fast instance checks and discovery."""
    server = EmulatorProcess(free_port(), ["--ephemeral", "--log-level", "info"], dict(FAST_INSTANCE_CHECKS))
    server.start(tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


# State Manager's rate() schedules run this much faster on `state_manager_emulator`: rate(30 minutes), the shortest
# State Manager takes, falls due every second.
FAST_SCHEDULES = {"SSM_EMULATOR_SCHEDULE_SCALE": "1800"}


@pytest.fixture(scope="session")
def state_manager_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A server for State Manager tests: fast instance checks and fast association schedules."""
    server = EmulatorProcess(free_port(), ["--ephemeral", "--log-level", "info"],
                             {**FAST_INSTANCE_CHECKS, **FAST_SCHEDULES})
    server.start(tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


# Maintenance windows on `maintenance_window_emulator` run on a test clock 60 times faster: rate(5 minutes) opens
# every 5 seconds, and an hour of Duration or Cutoff lasts a minute.
WINDOW_CLOCK = {"SSM_EMULATOR_SCHEDULE_SCALE": "60"}


@pytest.fixture(scope="session")
def maintenance_window_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A server for Maintenance Windows tests: fast instance checks and the windows' test clock."""
    server = EmulatorProcess(free_port(), ["--ephemeral", "--log-level", "info"],
                             {**FAST_INSTANCE_CHECKS, **WINDOW_CLOCK})
    server.start(tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


# ... and on `fast_window_emulator` 3600 times faster, for what hinges on a window's Duration and Cutoff: an hour
# lasts a second, so a window of Duration 6 is open for six seconds (and rate(1 hour) opens every second).
FAST_WINDOW_CLOCK = {"SSM_EMULATOR_SCHEDULE_SCALE": "3600"}


@pytest.fixture(scope="session")
def fast_window_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A server for Maintenance Windows tests on Duration, Cutoff and overlap: windows open for seconds."""
    server = EmulatorProcess(free_port(), ["--ephemeral", "--log-level", "info"],
                             {**FAST_INSTANCE_CHECKS, **FAST_WINDOW_CLOCK})
    server.start(tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


@pytest.fixture
def start_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., EmulatorProcess]]:
    """Start extra servers with their own flags (durability, signatures...); all stopped after."""
    started: list[EmulatorProcess] = []

    def start(*args: str, port: int | None = None, env: dict[str, str] | None = None) -> EmulatorProcess:
        server = EmulatorProcess(port or free_port(), list(args), env or {})
        started.append(server.start(tmp_path_factory.mktemp("logs")))
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files): for --tls-cert/--tls-key,
    and as the CA bundle clients trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ssm-emulator test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def make_client(
    url: str,
    region: str = "us-east-1",
    access_key: str = "AKIDEXAMPLE",
    secret_key: str = "secret",
    service: str = "ssm",
    verify: str | None = None,
):
    """A boto3 client of the emulator at `url`; `verify`: a CA bundle for an https `url`."""
    return boto3.client(
        service,
        endpoint_url=url,
        verify=verify,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=BotoConfig(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def ssm(emulator: EmulatorProcess):
    """A boto3 SSM client on a freshly reset emulator."""
    emulator.admin("POST", "/_emulator/reset")
    return make_client(emulator.url)


@pytest.fixture
def client_factory(emulator: EmulatorProcess) -> Callable[..., object]:
    emulator.admin("POST", "/_emulator/reset")
    return lambda **kw: make_client(emulator.url, **kw)
