"""Command sessions end to end: AWS-StartInteractiveCommand / AWS-StartNonInteractiveCommand and custom
Session documents of those types, through boto3 StartSession on the real server, the data channel over a real
websocket with the independent protocol client, and the command in a real container.

As the agent runs them: InteractiveCommands as `sh -c <command>` in a pty; NonInteractiveCommands split into
words and run without a shell, a pty or stdin, stdout and stderr merged as Output, or with
separateOutputStream stderr as StdErr (11) and the exit status as ExitCode (12) before channel_closed
(reference 6.3, 9). The command's exit ends the session (History Terminated); the emulator's History Details
give its status."""
from __future__ import annotations

import json
import uuid

from session_client import SessionClient
from test_managed_instances import wait_for
from test_parameter_store import error_of
from test_session_manager import Shell, running, server, session, ssm, target, wait_history  # noqa: F401

# server, ssm, target: test_session_manager's fixtures (the instance emulator, a client, the Debian container).


class RecordingClient(SessionClient):
    """Remembers the SessionType the handshake asked for and every payload shown, with its type."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.requested_types: list[str] = []
        self.payloads: list[tuple[int, bytes]] = []

    def _handshake_response(self, request: dict) -> bytes:
        self.requested_types += [a["ActionParameters"]["SessionType"] for a in request.get("RequestedClientActions", [])
                                 if a["ActionType"] == "SessionType"]
        return super()._handshake_response(request)

    def _process(self, message, now):
        if message.payload_type not in (5, 7, 8):
            self.payloads.append((message.payload_type, message.payload))
        return super()._process(message, now)


def connect(server, ssm, target: str, **kwargs) -> Shell:
    started = ssm.start_session(Target=target, **kwargs)
    return Shell(server, started, RecordingClient(started["TokenValue"], session_id=started["SessionId"])).ready()


def run(server, ssm, target: str, **kwargs) -> tuple[Shell, dict]:
    """A session from start to its end by itself, and its History entry."""
    shell = connect(server, ssm, target, **kwargs)
    shell.wait_closed()
    return shell, wait_history(ssm, shell.session_id)


def of_type(shell: Shell, payload_type: int) -> bytes:
    return b"".join(p for t, p in shell.client.payloads if t == payload_type)


def create_session_document(ssm, session_type: str, linux: dict, parameters: dict | None = None) -> str:
    name = f"{session_type}-{uuid.uuid4().hex[:8]}"
    content = {"schemaVersion": "1.0", "sessionType": session_type, "parameters": parameters or {},
               "properties": {"linux": linux}}
    ssm.create_document(Name=name, DocumentType="Session", Content=json.dumps(content))
    return name


# --- InteractiveCommands --------------------------------------------------------------------------------------
def test_interactive_command_runs_under_sh_in_a_pty_and_its_exit_ends_the_session(server, ssm, target):
    shell, ended = run(server, ssm, target, DocumentName="AWS-StartInteractiveCommand",
                       Parameters={"command": ["echo hi; test -t 0 && echo in-a-tty; exit 3"]})
    assert shell.client.requested_types == ["InteractiveCommands"]
    assert "hi\r\nin-a-tty\r\n" in shell.text  # the pty turns \n into \r\n
    assert shell.client.closed_output == ""
    assert ended["Status"] == "Terminated" and ended["DocumentName"] == "AWS-StartInteractiveCommand"
    assert ended["Details"] == "Exit code: 3"
    assert {t for t, _ in shell.client.payloads} == {1}  # no StdErr, no ExitCode: the agent sends neither here
    assert session(ssm, shell.session_id, "Active") is None


def test_interactive_command_takes_keystrokes_and_terminal_size(server, ssm, target):
    name = create_session_document(
        ssm, "InteractiveCommands",
        {"commands": "printf '{{ prompt }}> '; read line; stty size; echo got-$line; exit 5"},
        {"prompt": {"type": "String"}})
    shell = connect(server, ssm, target, DocumentName=name, Parameters={"prompt": ["name"]})
    shell.expect("name> ")
    shell.resize(101, 33)
    shell.type("abc\r")
    shell.expect("got-abc")
    shell.wait_closed()
    assert "33 101" in shell.text
    assert wait_history(ssm, shell.session_id)["Details"] == "Exit code: 5"


# --- NonInteractiveCommands -----------------------------------------------------------------------------------
def test_non_interactive_command_merges_its_output_without_a_pty(server, ssm, target):
    shell, ended = run(server, ssm, target, DocumentName="AWS-StartNonInteractiveCommand", Parameters={"command": [
        "sh -c 'echo one; echo two >&2; echo three; echo four >&2; test -t 1 || echo no-tty; exit 3'"]})
    assert shell.client.requested_types == ["NonInteractiveCommands"]
    # One pipe for both streams, as the agent's one output file: in the order written, all as Output.
    assert of_type(shell, 1) == b"one\ntwo\nthree\nfour\nno-tty\n"
    assert {t for t, _ in shell.client.payloads} == {1}  # no separateOutputStream in AWS's document
    assert ended["Status"] == "Terminated" and ended["Details"] == "Exit code: 3"


def test_non_interactive_command_runs_without_a_shell_or_stdin(server, ssm, target, debian_container):
    # The agent splits the command into words and runs them: no shell reads `;` or `$HOME`.
    shell, _ = run(server, ssm, target, DocumentName="AWS-StartNonInteractiveCommand",
                   Parameters={"command": ["echo 'a  b'; $HOME \"c d\""]})
    assert of_type(shell, 1) == b"a  b; $HOME c d\n"
    # No stdin: what the client types reaches nothing, and cat, started after the typing, ends at once
    # (with a pipe it would print the keys, then wait for its end, and the session with it).
    go = f"/tmp/typed-{uuid.uuid4().hex[:8]}"
    shell = connect(server, ssm, target, DocumentName="AWS-StartNonInteractiveCommand",
                    Parameters={"command": [f"sh -c 'while [ ! -e {go} ]; do sleep 0.05; done; cat; echo done'"]})
    shell.type("typed\r")
    shell.until(lambda: not shell.client.outgoing, "the keys to be acknowledged")
    debian_container.exec_run(["touch", go])
    shell.wait_closed()
    debian_container.exec_run(["rm", "-f", go])
    assert of_type(shell, 1) == b"done\n"


def test_ctrl_c_and_ctrl_backslash_signal_a_non_interactive_command(server, ssm, target, debian_container):
    # No stdin and no pty: the keys become SIGINT and SIGQUIT for the command itself, as the agent sends them.
    ready = f"/tmp/traps-{uuid.uuid4().hex[:8]}"
    script = (f"trap 'echo got-INT' INT; trap 'echo got-QUIT; exit 7' QUIT; touch {ready}; "
              "while :; do sleep 0.05; done")
    shell = connect(server, ssm, target, DocumentName="AWS-StartNonInteractiveCommand",
                    Parameters={"command": [f"sh -c \"{script}\""]})
    wait_for(lambda: debian_container.exec_run(["test", "-e", ready]).exit_code == 0, 15, "the traps to be set")
    shell.type("\x03")
    shell.until(lambda: b"got-INT" in of_type(shell, 1), "SIGINT to reach the command")
    shell.type("\x1c")
    shell.wait_closed()
    debian_container.exec_run(["rm", "-f", ready])
    assert of_type(shell, 1) == b"got-INT\ngot-QUIT\n"
    assert wait_history(ssm, shell.session_id)["Details"] == "Exit code: 7"


def test_separate_output_streams_send_stderr_and_the_exit_code_apart(server, ssm, target):
    name = create_session_document(
        ssm, "NonInteractiveCommands",
        {"commands": "sh -c 'echo {{ word }}; echo oops >&2; exit {{ code }}'", "separateOutputStream": True,
         "stdOutSeparatorPrefix": "OUT:", "stdErrSeparatorPrefix": "ERR:", "runAsElevated": False},
        {"word": {"type": "String", "default": "hi"}, "code": {"type": "String", "default": "3"}})
    shell, ended = run(server, ssm, target, DocumentName=name)
    assert shell.client.requested_types == ["NonInteractiveCommands"]
    assert of_type(shell, 1) == b"OUT:hi\n" and of_type(shell, 11) == b"ERR:oops\n"
    assert shell.client.payloads[-1] == (12, b"EXIT_CODE: 3")  # the last payload, before channel_closed
    assert of_type(shell, 12) == b"EXIT_CODE: 3"
    assert ended["Status"] == "Terminated" and ended["Details"] == "Exit code: 3"

    shell, _ = run(server, ssm, target, DocumentName=name, Parameters={"word": ["bye"], "code": ["0"]})
    assert of_type(shell, 1) == b"OUT:bye\n" and of_type(shell, 12) == b"EXIT_CODE: 0"


def test_a_terminated_command_sends_no_exit_code(server, ssm, target, debian_container):
    marker = f"terminated-{uuid.uuid4().hex[:8]}"
    name = create_session_document(ssm, "NonInteractiveCommands",
                                   {"commands": f"sh -c 'sleep 60; echo {marker}'", "separateOutputStream": "true"})
    shell = connect(server, ssm, target, DocumentName=name)
    wait_for(lambda: running(debian_container, marker), 15, "the command to run")
    ssm.terminate_session(SessionId=shell.session_id)
    shell.wait_closed()
    assert shell.client.payloads == []  # killed: no EXIT_CODE, as the agent sends none when cancelled
    ended = wait_history(ssm, shell.session_id)
    assert ended["Status"] == "Terminated" and "Details" not in ended
    wait_for(lambda: not running(debian_container, marker), 15, "the command to be killed")


# --- refusals -------------------------------------------------------------------------------------------------
def test_bad_parameters_are_refused(ssm, target):
    for document, parameters in [
        ("AWS-StartInteractiveCommand", {}),  # command is required
        ("AWS-StartNonInteractiveCommand", {}),
        ("AWS-StartInteractiveCommand", {"command": ["true"], "nope": ["x"]}),
        ("AWS-StartNonInteractiveCommand", {"cmd": ["true"]}),
    ]:
        code, _ = error_of(ssm.start_session, Target=target, DocumentName=document, Parameters=parameters)
        assert code == "InvalidParameters", (document, parameters)


def test_shell_properties_the_agent_would_refuse_are_refused(ssm, target):
    refused = [
        ("AWS-StartNonInteractiveCommand", {"command": ["echo 'unbalanced"]}, "split"),
        (create_session_document(ssm, "InteractiveCommands", {"commands": ["echo", "hi"]}), None, "string"),
        (create_session_document(ssm, "NonInteractiveCommands",
                                 {"commands": "true", "separateOutputStream": True, "stdErrSeparatorPrefix": "E!"}),
         None, "stdErrSeparatorPrefix"),
        (create_session_document(ssm, "NonInteractiveCommands",
                                 {"commands": "true", "separateOutputStream": "yes"}), None, "separateOutputStream"),
    ]
    for document, parameters, why in refused:
        code, message = error_of(ssm.start_session, Target=target, DocumentName=document,
                                 **({"Parameters": parameters} if parameters else {}))
        assert code == "InvalidDocument" and why in message, (document, code, message)
