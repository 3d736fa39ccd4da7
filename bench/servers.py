"""The servers under test: how each is started, when it is ready, and how it is stopped.

Each runs as a subprocess of the bench on a free loopback port, in a session of its own, and is stopped by
the PID the bench started (its session is swept afterwards, so a gunicorn worker never outlives its master).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.wire import SsmConnection

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GTHREAD_THREADS = 16  # the emulator's gunicorn thread count; the ceiling must match it


@dataclass(frozen=True)
class ServerSpec:
    """A server the bench can run: its name, its command line for a port, and what it stands for."""

    name: str
    command: Callable[[int], list[str]]
    about: str
    # The ceiling answers everything alike, so measurements that need real state skip it.
    keeps_state: bool = True


@dataclass
class RunningServer:
    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"


class ServerDidNotStart(RuntimeError):
    """The server exited or never answered: `reason` in a few words, `log_tail` for the detail."""

    def __init__(self, reason: str, log_tail: str) -> None:
        super().__init__(f"{reason}\n{log_tail}")
        self.reason = reason
        self.log_tail = log_tail


def _python() -> str:
    return sys.executable


# Measured in this order; moto comes last so the slowest server gets whatever time the run has left.
SERVERS: dict[str, ServerSpec] = {
    spec.name: spec
    for spec in (
        ServerSpec(
            "emulator",
            lambda port: [_python(), "-m", "emulator", "--host", HOST, "--port", str(port),
                          "--ephemeral", "--log-level", "warning"],
            "this project: gunicorn, 1 worker, gthread",
        ),
        ServerSpec(
            "ceiling",
            lambda port: [_python(), "-m", "gunicorn", "-w", "1", "-k", "gthread",
                          "--threads", str(GTHREAD_THREADS), "-b", f"{HOST}:{port}",
                          "--log-level", "warning", "bench.ceiling_app:create_app()"],
            "fixed-answer Flask app on the emulator's stack",
            keeps_state=False,
        ),
        ServerSpec(
            "moto",
            lambda port: [_python(), "-m", "moto.server", "-H", HOST, "-p", str(port)],
            "moto's server (werkzeug, threaded)",
        ),
    )
}


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _log_tail(path: Path, lines: int = 8) -> str:
    text = path.read_text(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:]) or "(no output)"


def _answers(port: int) -> bool:
    """True once the server returns any HTTP response to an SSM call (an error status counts)."""
    connection = SsmConnection(HOST, port, timeout=5)
    try:
        connection.call("GetParameter", {"Name": "/bench/readiness"})
        return True
    except OSError:
        return False
    finally:
        connection.close()


def start(spec: ServerSpec, log_dir: Path, timeout: float = 60.0) -> RunningServer:
    """Start a server and wait until it answers; raise ServerDidNotStart otherwise."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{spec.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            spec.command(port), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    server = RunningServer(spec, port, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"exited with code {process.returncode}", _log_tail(log_path))
        if _answers(port):
            return server
        time.sleep(0.2)
    stop(server)
    raise ServerDidNotStart(f"no answer within {timeout:.0f} s", _log_tail(log_path))


def stop(server: RunningServer, grace: float = 10.0) -> None:
    """Stop the server by its PID, then sweep the session it leads (its own worker processes)."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@contextmanager
def running(spec: ServerSpec, log_dir: Path) -> Iterator[RunningServer]:
    """Run a server for the length of a with-block."""
    server = start(spec, log_dir)
    try:
        yield server
    finally:
        stop(server)
