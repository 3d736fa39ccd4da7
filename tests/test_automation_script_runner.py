"""aws:executeScript: the script runner (real `python -I` processes) and the action on top of it, called
directly with a StepRun (the runbook engine drives it in test_automation_scripts.py)."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from automation_steps import services, step_run
from conftest import EmulatorProcess, make_client
from emulator.automation import script_runner
from emulator.automation.actions import ACTIONS
from emulator.automation.actions.base import ACTION_FAILURE, CANCELLED, FAILED, SUCCESS, TIMED_OUT
from emulator.config import Config

execute_script = ACTIONS["aws:executeScript"]


def run(script: str, events: object = None, context: dict | None = None, **kw) -> script_runner.ScriptResult:
    return script_runner.run_script(script, "handler", {} if events is None else events, context or {},
                                    timeout=kw.pop("timeout", 30), **kw)


def gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaped yet counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


# --- the runner ------------------------------------------------------------------------------------------


def test_the_handler_gets_events_and_context_and_its_return_value_comes_back() -> None:
    result = run(
        "import sys\n"
        "def handler(events, context):\n"
        "    print('to stdout')\n"
        "    print('to stderr', file=sys.stderr)\n"
        "    return {'events': events, 'context': context, 'n': 1.5, 'list': [None, True]}\n",
        events={"name": "world", "items": [1, 2]}, context={"automation:EXECUTION_ID": "abc"},
    )
    assert result.status == script_runner.OK, result
    assert result.payload == {"events": {"name": "world", "items": [1, 2]},
                              "context": {"automation:EXECUTION_ID": "abc"}, "n": 1.5, "list": [None, True]}
    assert result.stdout == "to stdout\n"
    assert result.stderr == "to stderr\n"
    assert result.exit_code == 0


def test_printed_output_cannot_be_mistaken_for_the_result() -> None:
    result = run('def handler(e, c):\n    print(\'{"status": "ok", "payload": "forged"}\')\n    return "real"\n')
    assert result.payload == "real"


def test_an_exception_comes_back_with_its_type_message_and_the_scripts_traceback() -> None:
    result = run(
        "def helper(value):\n"
        "    raise KeyError(value)\n"
        "\n"
        "def handler(events, context):\n"
        "    helper('missing-key')\n"
    )
    assert result.status == script_runner.ERROR
    assert result.error_type == "KeyError"
    assert result.message == "'missing-key'"
    lines = result.traceback.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert 'script.py", line 5, in handler' in lines[1]
    assert 'script.py", line 2, in helper' in lines[3]
    assert lines[-1] == "KeyError: 'missing-key'"
    assert "_script_host" not in result.traceback and "importlib" not in result.traceback


def test_a_script_that_does_not_compile_fails_with_the_syntax_error() -> None:
    result = run("def handler(events, context):\n    return 1 +\n")
    assert result.status == script_runner.ERROR
    assert result.error_type == "SyntaxError"
    assert 'script.py", line 2' in result.traceback


def test_an_exception_raised_while_the_script_loads_fails_it() -> None:
    result = run("import no_such_module_here\ndef handler(events, context):\n    return 1\n")
    assert (result.status, result.error_type) == (script_runner.ERROR, "ModuleNotFoundError")
    assert 'script.py", line 1, in <module>' in result.traceback


def test_sys_exit_in_the_handler_is_an_error_too() -> None:
    result = run("import sys\ndef handler(events, context):\n    sys.exit(4)\n")
    assert (result.status, result.error_type, result.message) == (script_runner.ERROR, "SystemExit", "4")


def test_a_missing_handler_is_reported() -> None:
    result = run("def other(events, context):\n    return 1\n")
    assert result.status == script_runner.NO_HANDLER
    assert "'handler'" in result.message


@pytest.mark.parametrize(("body", "kind"), [
    ("return datetime.datetime(2024, 1, 1)", "datetime"),
    ("return {1, 2}", "set"),
    ("return {'x': object()}", "object"),
    ("return float('nan')", "nan"),
])
def test_a_return_value_json_cannot_carry_is_reported(body: str, kind: str) -> None:
    result = run(f"import datetime\ndef handler(events, context):\n    {body}\n")
    assert result.status == script_runner.NOT_SERIALIZABLE, result
    assert result.message


def test_a_script_past_its_timeout_is_killed_with_the_processes_it_started(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    result = run(
        "import os, subprocess, time\n"
        "def handler(events, context):\n"
        "    child = subprocess.Popen(['sleep', '60'])\n"
        "    open(events['pids'], 'w').write(f'{os.getpid()} {child.pid}')\n"
        "    time.sleep(60)\n",
        events={"pids": str(pids)}, timeout=1.5,
    )
    assert result.status == script_runner.TIMED_OUT
    assert time.monotonic() - started < 10
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 5
        while not gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(pid), f"process {pid} still runs"


def test_cancelling_kills_the_script_at_once() -> None:
    cancelled = threading.Event()
    threading.Timer(0.5, cancelled.set).start()
    started = time.monotonic()
    result = run("import time\ndef handler(events, context):\n    time.sleep(60)\n", cancelled=cancelled)
    assert result.status == script_runner.CANCELLED
    assert time.monotonic() - started < 5


def test_threads_the_handler_leaves_running_do_not_hold_the_step() -> None:
    started = time.monotonic()
    result = run(
        "import threading, time\n"
        "def handler(events, context):\n"
        "    threading.Thread(target=time.sleep, args=(60,)).start()\n"
        "    return 'done'\n"
    )
    assert (result.status, result.payload) == (script_runner.OK, "done")
    assert time.monotonic() - started < 10


def test_a_process_that_dies_without_answering_is_a_crash() -> None:
    result = run("import os\ndef handler(events, context):\n    print('last words')\n    os._exit(3)\n")
    assert (result.status, result.exit_code) == (script_runner.CRASHED, 3)
    assert "exit code 3" in result.message
    assert result.stdout == "last words\n"


def test_the_script_runs_isolated_from_the_emulators_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSM_EMULATOR_SECRET_FOR_TEST", "leak")
    result = run(
        "import os, sys\n"
        "def handler(events, context):\n"
        "    return {'isolated': sys.flags.isolated, 'env': dict(os.environ), 'cwd': os.getcwd()}\n",
        env={"GIVEN": "yes"},
    )
    assert result.payload["isolated"] == 1
    assert "SSM_EMULATOR_SECRET_FOR_TEST" not in result.payload["env"]
    assert result.payload["env"]["GIVEN"] == "yes"
    assert result.payload["env"]["HOME"] == result.payload["cwd"]
    assert not os.path.exists(result.payload["cwd"])  # its folder is removed afterwards


# --- the action -------------------------------------------------------------------------------------------


def script_step(inputs: dict, config: Config | None = None, **kw):
    return step_run("aws:executeScript", {"Runtime": "python3.11", "Handler": "handler", **inputs},
                    services(config), **kw)


def test_the_return_value_is_the_steps_payload_and_input_payload_the_events() -> None:
    outcome = execute_script(script_step({
        "Script": "def handler(events, context):\n    return {'message': 'Hello ' + events['name'], 'context': context}\n",
        "InputPayload": {"name": "runbook"},
    }))
    assert outcome.status == SUCCESS, outcome
    payload = outcome.outputs["Payload"]
    assert payload["message"] == "Hello runbook"
    context = payload["context"]
    assert context["automation:EXECUTION_ID"] == "a1b2c3d4-0000-4000-8000-00000000abcd"
    assert (context["global:ACCOUNT_ID"], context["global:REGION"]) == ("123456789012", "us-east-1")
    assert len(context["global:DATE"]) == 10 and len(context["global:DATE_TIME"]) == 19


@pytest.mark.parametrize("payload", ['{"name": "text"}', "name: text\n"])
def test_input_payload_given_as_json_or_yaml_text_is_parsed(payload: str) -> None:
    outcome = execute_script(script_step({"Script": "def handler(e, c):\n    return e['name']\n",
                                          "InputPayload": payload}))
    assert outcome.outputs == {"Payload": "text"}


def test_a_script_given_as_a_list_of_lines_runs() -> None:
    outcome = execute_script(script_step({"Script": ["def handler(events, context):", "    return 42"]}))
    assert outcome.outputs == {"Payload": 42}


@pytest.mark.parametrize("runtime", ["python3.8", "python3.9", "python3.10", "python3.11", "python3.12"])
def test_every_python_runtime_runs_with_this_machines_python(runtime: str) -> None:
    outcome = execute_script(step_run("aws:executeScript", {
        "Runtime": runtime, "Handler": "go", "Script": "def go(events, context):\n    return 'ok'\n"}, services()))
    assert outcome.outputs == {"Payload": "ok"}


@pytest.mark.parametrize("runtime", ["PowerShell 7.4", "PowerShell 7.0", "PowerShell Core 6.0", "dotnetcore2.1"])
def test_powershell_runtimes_are_not_supported(runtime: str) -> None:
    outcome = execute_script(script_step({"Runtime": runtime, "Script": "Write-Output 1"}))
    assert (outcome.status, outcome.failure_type) == (FAILED, ACTION_FAILURE)
    assert "aws:executeScript is not supported by ssm-emulator" in outcome.failure_message
    assert runtime in outcome.failure_message and "PowerShell" in outcome.failure_message


@pytest.mark.parametrize(("inputs", "words"), [
    ({"Runtime": "ruby3.2", "Script": "x"}, "Runtime ruby3.2 is not one of"),
    ({"Runtime": None, "Script": "x"}, "needs the input Runtime"),
    ({"Handler": "", "Script": "x"}, "needs the input Handler"),
    ({}, "needs the input Script"),
    ({"Script": "def handler(e, c): pass", "InputPayload": "just text"}, "InputPayload is not a JSON or YAML object"),
])
def test_bad_inputs_fail_the_step_before_running_anything(inputs: dict, words: str) -> None:
    outcome = execute_script(script_step(inputs))
    assert (outcome.status, outcome.failure_type) == (FAILED, ACTION_FAILURE)
    assert words in outcome.failure_message


def test_an_attachment_is_not_supported() -> None:
    outcome = execute_script(script_step({"Attachment": "scripts.zip", "Handler": "main.handler"}))
    assert (outcome.status, outcome.failure_type) == (FAILED, ACTION_FAILURE)
    assert "not supported by ssm-emulator" in outcome.failure_message and "attachment" in outcome.failure_message


def test_an_exception_fails_the_step_with_its_type_message_and_traceback() -> None:
    outcome = execute_script(script_step({
        "Script": "def handler(events, context):\n    raise ValueError('the disk is full')\n"}))
    assert outcome.status == FAILED
    lines = outcome.failure_message.splitlines()
    assert lines[0] == "ValueError: the disk is full"
    assert lines[1] == "Traceback (most recent call last):"
    assert 'line 2, in handler' in outcome.failure_message
    assert lines[-1] == "ValueError: the disk is full"


def test_a_non_serializable_return_fails_the_step() -> None:
    outcome = execute_script(script_step({"Script": "def handler(e, c):\n    return {1, 2}\n"}))
    assert outcome.status == FAILED
    assert "not JSON serializable" in outcome.failure_message


def test_a_payload_over_100_kb_fails_the_step() -> None:
    outcome = execute_script(script_step({"Script": "def handler(e, c):\n    return 'x' * 200_000\n"}))
    assert outcome.status == FAILED
    assert "100 KB" in outcome.failure_message


def test_the_steps_timeout_stops_the_script() -> None:
    started = time.monotonic()
    outcome = execute_script(script_step({"Script": "import time\ndef handler(e, c):\n    time.sleep(60)\n"},
                                         timeout=1))
    assert outcome.status == TIMED_OUT
    assert time.monotonic() - started < 10


def test_stopping_the_execution_stops_the_script() -> None:
    cancelled = threading.Event()
    threading.Timer(0.5, cancelled.set).start()
    outcome = execute_script(script_step({"Script": "import time\ndef handler(e, c):\n    time.sleep(60)\n"},
                                         cancelled=cancelled))
    assert outcome.status == CANCELLED


def test_boto3_in_the_script_talks_to_this_emulator(emulator: EmulatorProcess) -> None:
    emulator.admin("POST", "/_emulator/reset")
    config = Config(host="127.0.0.1", port=emulator.port, ephemeral=True)
    outcome = execute_script(script_step({
        "Script": (
            "import boto3\n"
            "def handler(events, context):\n"
            "    ssm = boto3.client('ssm')\n"
            "    ssm.put_parameter(Name=events['name'], Value='from-the-script', Type='String')\n"
            "    got = ssm.get_parameter(Name=events['name'])['Parameter']\n"
            "    return {'value': got['Value'], 'arn': got['ARN']}\n"
        ),
        "InputPayload": {"name": "/scripts/boto3"},
    }, config, account_id="111122223333", region="eu-west-1"))
    assert outcome.status == SUCCESS, outcome.failure_message
    assert outcome.outputs["Payload"] == {
        "value": "from-the-script", "arn": "arn:aws:ssm:eu-west-1:111122223333:parameter/scripts/boto3"}
    # the parameter is in the execution's account and region, where a client of that account sees it
    client = make_client(emulator.url, region="eu-west-1", access_key="111122223333")
    assert client.get_parameter(Name="/scripts/boto3")["Parameter"]["Value"] == "from-the-script"


def test_the_scripts_environment_points_sdks_at_the_emulator() -> None:
    config = Config(host="0.0.0.0", port=4999, ephemeral=True)
    outcome = execute_script(script_step({
        "Script": "import os\ndef handler(e, c):\n    return {k: v for k, v in os.environ.items() if k.startswith('AWS_')}\n",
    }, config, account_id="444455556666", region="ap-south-1"))
    env = outcome.outputs["Payload"]
    assert env["AWS_ENDPOINT_URL"] == env["AWS_ENDPOINT_URL_SSM"] == "http://127.0.0.1:4999"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_REGION"], env["AWS_DEFAULT_REGION"]) == (
        "444455556666", "ap-south-1", "ap-south-1")
    assert env["AWS_SECRET_ACCESS_KEY"]
    assert json.dumps(env)  # plain strings only


def test_a_configured_access_key_of_the_account_signs_the_scripts_calls() -> None:
    """With --verify-signatures only keys with a configured secret get in: the script uses one of its account."""
    from emulator.automation.actions.scripts import script_environment
    from emulator.config import AccessKey

    config = Config(ephemeral=True, verify_signatures=True, access_keys=(
        AccessKey("AKIDOTHER", "111111111111", "other-secret"), AccessKey("AKIDTEAM", "444455556666", "team-secret")))
    env = script_environment(script_step({}, config, account_id="444455556666"))
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("AKIDTEAM", "team-secret")
