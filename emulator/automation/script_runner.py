"""Runs a Python handler the way aws:executeScript does, isolated in a process of its own.

Each run gets a fresh temporary folder (its working directory and HOME, removed afterwards) holding the
script as `script.py`, and a fresh interpreter started as `python -I -u` (isolated: no PYTHON* variables, no
user site-packages, the script's folder is the only addition to sys.path) running `_script_host.py`, which
calls `handler(events, context)`. `events` reach it as JSON on stdin; its answer comes back in a result file
only the host writes, so nothing the script prints can be mistaken for it. stdout and stderr go to files
(their last 64 KiB are kept). The process leads a session of its own: on timeout or cancellation the whole
group (the script's own children too) is killed with SIGKILL, and so is anything it leaves running when it ends.

The interpreter is the base Python the emulator runs on (outside its virtual environment, so the script
sees the standard library and whatever that Python has installed, as AWS's runtime offers the standard
library and boto3); `python=` picks another. `extra_path` is appended to the script's sys.path.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

HOST = Path(__file__).with_name("_script_host.py")
MODULE = "script"
OUTPUT_TAIL = 64 * 1024
_POLL_SECONDS = 0.1

# ScriptResult.status values
OK = "ok"
ERROR = "error"                        # the script or its handler raised (type, message, traceback)
NO_HANDLER = "no_handler"              # the script has no such function
NOT_SERIALIZABLE = "not_serializable"  # the handler returned something JSON cannot carry
TIMED_OUT = "timed_out"
CANCELLED = "cancelled"
CRASHED = "crashed"                    # the process ended without an answer (os._exit, a signal, no interpreter)


@dataclass(frozen=True)
class ScriptResult:
    status: str
    payload: Any = None
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0


@lru_cache(maxsize=1)
def default_python() -> str:
    """The interpreter scripts run with: the base Python under the emulator's virtual environment."""
    base = getattr(sys, "_base_executable", None)
    return base if base and os.access(base, os.X_OK) else sys.executable


def run_script(
    script: str,
    handler: str,
    events: Any,
    context: dict[str, Any],
    *,
    timeout: float,
    cancelled: threading.Event | None = None,
    env: dict[str, str] | None = None,
    extra_path: list[str] | None = None,
    python: str | None = None,
) -> ScriptResult:
    """Run `handler(events, context)` of `script` in a fresh process; never raises for what the script does.

    `env` is the process's whole environment besides HOME and TMPDIR (nothing of the emulator's own
    environment leaks in; PATH defaults to the emulator's). Whatever in `events` and `context` JSON cannot carry
    reaches the script as its str().
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ssm-emulator-script-", ignore_cleanup_errors=True) as folder:
        root = Path(folder)
        code = root / "code"
        code.mkdir()
        (code / f"{MODULE}.py").write_text(script, encoding="utf-8")
        result_file = root / "result.json"
        (root / "job.json").write_text(json.dumps({
            "file": str(code / f"{MODULE}.py"),
            "module": MODULE,
            "handler": handler,
            "context": context,
            "result": str(result_file),
            "extra_path": list(extra_path or []),
        }, default=str), encoding="utf-8")
        (root / "events.json").write_text(json.dumps(events, default=str), encoding="utf-8")
        environment = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", **(env or {}),
                       "HOME": str(root), "TMPDIR": str(root)}
        with open(root / "events.json", "rb") as stdin, open(root / "stdout", "wb") as stdout, \
                open(root / "stderr", "wb") as stderr:
            try:
                proc = subprocess.Popen(
                    [python or default_python(), "-I", "-u", str(HOST), str(root / "job.json")],
                    stdin=stdin, stdout=stdout, stderr=stderr, cwd=root, env=environment,
                    close_fds=True, start_new_session=True,
                )
            except OSError as exc:
                return ScriptResult(CRASHED, message=f"cannot start the interpreter: {exc}")
            ended = _wait(proc, started + timeout, cancelled)
            _kill_group(proc)  # whatever the script left running in the background ends with the step
        out, err = _tail(root / "stdout"), _tail(root / "stderr")
        seconds = time.monotonic() - started
        if ended != OK:
            return ScriptResult(ended, exit_code=proc.returncode, stdout=out, stderr=err, seconds=seconds)
        try:
            answer = json.loads(result_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ScriptResult(CRASHED, exit_code=proc.returncode, stdout=out, stderr=err, seconds=seconds,
                                message=f"the script's process ended (exit code {proc.returncode}) "
                                        "before its handler returned")
    return ScriptResult(
        answer["status"], payload=answer.get("payload"), error_type=answer.get("type", ""),
        message=answer.get("message", ""), traceback=answer.get("traceback", ""), exit_code=proc.returncode,
        stdout=out, stderr=err, seconds=seconds,
    )


def _wait(proc: subprocess.Popen[bytes], deadline: float, cancelled: threading.Event | None) -> str:
    """Wait for the process; kill its group once `deadline` (monotonic) passes or `cancelled` is set."""
    while True:
        try:
            proc.wait(timeout=max(0.0, min(_POLL_SECONDS, deadline - time.monotonic())))
            return OK
        except subprocess.TimeoutExpired:
            if cancelled is not None and cancelled.is_set():
                why = CANCELLED
            elif time.monotonic() >= deadline:
                why = TIMED_OUT
            else:
                continue
        _kill_group(proc)
        proc.wait()
        return why


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path) -> str:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - OUTPUT_TAIL))
        return f.read().decode("utf-8", errors="replace")
