"""aws:executeScript: runs the step's Python handler in a process of its own (emulator.automation.script_runner).

Inputs as AWS documents them: Runtime (python3.8 to python3.12 run with this machine's Python; PowerShell
runtimes are not run here), Handler (a function of the script taking `events` and `context`), Script (inline;
a list of lines is joined), Attachment (not supported: document attachments are recorded, their content is never
fetched offline), InputPayload (an object, or its JSON/YAML text: the handler's `events`).

The handler's return value is the step's output `Payload` ({"Payload": value}; the engine applies the step's
selectors, e.g. `$.Payload.message`). AWS returns up to 100 KB of it: a larger payload fails the step. An
uncaught exception fails the step with `Type: message`, then its traceback as Python prints it.

boto3 in the script talks to this emulator: the process gets AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_SSM set to the
emulator's own URL (Config.local_url), AWS_CA_BUNDLE when it serves TLS, the execution's region, and credentials
that act as the execution's account (its 12-digit account ID as the access key, or a configured access key of that
account with its secret when signatures are verified). AWS's runtime ships boto3; if the Python scripts run with
lacks it but the emulator's own environment has it, the site-packages holding the emulator's boto3 is appended to
the script's sys.path (after the interpreter's own, so a boto3 of its own wins).
"""
from __future__ import annotations

import importlib.util
import json
import logging
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from emulator.automation import script_runner
from emulator.automation.actions.base import (
    ACTION_FAILURE,
    CANCELLED,
    SUCCESS,
    TIMED_OUT,
    StepOutcome,
    StepRun,
    action,
    failed,
    unsupported,
)

log = logging.getLogger("ssm_emulator.automation")

ACTION = "aws:executeScript"
PYTHON_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11", "python3.12")
# AWS's names of its PowerShell runtimes, old and new.
POWERSHELL_RUNTIMES = ("PowerShell Core 6.0", "PowerShell 7.0", "PowerShell 7.4", "dotnetcore2.1", "dotnetcore3.1")
MAX_SECONDS = 600           # "Each aws:executeScript action can run up to a maximum duration of 600 seconds"
MAX_PAYLOAD_BYTES = 100_000  # "Payload: ... Up to 100KB is returned"


@action(ACTION)
def execute_script(step: StepRun) -> StepOutcome:
    inputs = step.inputs
    runtime = inputs.get("Runtime")
    if not runtime:
        return failed(f"{ACTION} needs the input Runtime ({', '.join(PYTHON_RUNTIMES)}).", ACTION_FAILURE)
    if runtime in POWERSHELL_RUNTIMES or str(runtime).lower().startswith(("powershell", "dotnetcore")):
        return unsupported(ACTION, f"the runtime {runtime} (PowerShell) is not run offline; use a Python runtime "
                                   f"({', '.join(PYTHON_RUNTIMES)})")
    if runtime not in PYTHON_RUNTIMES:
        return failed(f"{ACTION}: Runtime {runtime} is not one of {', '.join(PYTHON_RUNTIMES + POWERSHELL_RUNTIMES)}.",
                      ACTION_FAILURE)
    handler = inputs.get("Handler")
    if not isinstance(handler, str) or not handler:
        return failed(f"{ACTION} needs the input Handler: the name of the script's function to call.", ACTION_FAILURE)
    script = inputs.get("Script")
    if isinstance(script, list):
        script = "\n".join(str(line) for line in script)
    if not script:
        if inputs.get("Attachment"):
            return unsupported(ACTION, "scripts in document attachments are not run offline (attachments are "
                                       "recorded, their content is not fetched); put the script in the Script input")
        return failed(f"{ACTION} needs the input Script (or Attachment).", ACTION_FAILURE)
    try:
        events = _events(inputs.get("InputPayload"))
    except ValueError as exc:
        return failed(f"{ACTION}: InputPayload is not a JSON or YAML object: {exc}", ACTION_FAILURE)

    timeout = min(MAX_SECONDS, step.remaining() if step.deadline is not None else MAX_SECONDS)
    result = script_runner.run_script(
        script, handler, events, script_context(step),
        timeout=timeout, cancelled=step.cancelled, env=script_environment(step), extra_path=_boto3_path(),
    )
    if result.stdout or result.stderr:
        log.debug("%s %s/%s stdout=%r stderr=%r", ACTION, step.execution_id, step.step_name,
                  result.stdout, result.stderr)
    return _outcome(result, timeout, step)


def _outcome(result: script_runner.ScriptResult, timeout: float, step: StepRun) -> StepOutcome:
    if result.status == script_runner.OK:
        size = len(json.dumps(result.payload).encode())
        if size > MAX_PAYLOAD_BYTES:
            return failed(f"The script's output is {size} bytes; {ACTION} returns at most 100 KB (Payload).")
        return StepOutcome(SUCCESS, {"Payload": result.payload})
    if result.status == script_runner.ERROR:
        # the exception first (what FailureMessage's first line says), then where it came from
        summary = f"{result.error_type}: {result.message}" if result.message else result.error_type
        return failed(f"{summary}\n{result.traceback.rstrip()}")
    if result.status == script_runner.NO_HANDLER:
        return failed(f"{ACTION}: {result.message} (Handler).", ACTION_FAILURE)
    if result.status == script_runner.NOT_SERIALIZABLE:
        return failed(f"The handler's return value cannot be the step's output: it is not JSON serializable "
                      f"({result.error_type}: {result.message}).")
    # the engine also sets `cancelled` when the step's time is up
    if result.status == script_runner.TIMED_OUT or (result.status == script_runner.CANCELLED and step.remaining() == 0.0):
        return StepOutcome(TIMED_OUT, failure_message=f"The script did not end within {timeout:g} seconds; "
                                                      "it was stopped.")
    if result.status == script_runner.CANCELLED:
        return StepOutcome(CANCELLED, failure_message="The script was stopped: the execution was cancelled.")
    tail = result.stderr.strip()[-2000:]
    return failed(result.message + (f"\n{tail}" if tail else ""))


def _events(payload: Any) -> Any:
    """The handler's `events`: InputPayload as given, or parsed when the runbook gave its text."""
    if payload is None:
        return {}
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            parsed = yaml.safe_load(payload)
            if not isinstance(parsed, (dict, list)):
                raise ValueError(f"{payload[:80]!r}") from None
            return json.loads(json.dumps(parsed, default=str))
    return payload


def script_context(step: StepRun, now: datetime | None = None) -> dict[str, Any]:
    """The handler's `context`: the execution's ID under `automation:EXECUTION_ID`, as AWS passes it, with
    the Automation system variables of the execution (`global:ACCOUNT_ID`, `global:REGION`, ...)."""
    now = now or datetime.now(timezone.utc)
    return {
        "automation:EXECUTION_ID": step.execution_id,
        "global:ACCOUNT_ID": step.account_id,
        "global:REGION": step.region,
        "global:AWS_PARTITION": "aws",
        "global:AWS_URL_SUFFIX": "amazonaws.com",
        "global:DATE": now.strftime("%Y-%m-%d"),
        "global:DATE_TIME": now.strftime("%Y-%m-%d_%H.%M.%S"),
    }


def script_environment(step: StepRun) -> dict[str, str]:
    """Variables that point an AWS SDK in the script at this emulator, as the execution's account and region."""
    config = step.services.config
    access_key, secret = step.account_id, "ssm-emulator"
    for key in getattr(config, "access_keys", ()):
        if key.account_id == step.account_id and key.secret_access_key:
            access_key, secret = key.access_key_id, key.secret_access_key
            break
    env = {
        "AWS_ENDPOINT_URL": config.local_url,
        "AWS_ENDPOINT_URL_SSM": config.local_url,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_REGION": step.region,
        "AWS_DEFAULT_REGION": step.region,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if getattr(config, "tls_cert", None):
        env["AWS_CA_BUNDLE"] = str(config.tls_cert)
    return env


@lru_cache(maxsize=1)
def _boto3_path() -> list[str]:
    """The emulator's site-packages when boto3 is importable there (see the module's docstring)."""
    spec = importlib.util.find_spec("boto3")
    if spec is None or not spec.origin:
        return []
    return [str(Path(spec.origin).resolve().parent.parent)]
