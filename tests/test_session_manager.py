"""Session Manager end to end: boto3 StartSession against the real server, then the data channel over a real
websocket with the independent protocol client (session_client.py), and a real bash in a real container.

The client follows the plugin's receiver rules (output before its handler is ready is dropped unacked,
duplicates are dropped silently, digests are enforced); `Shell.lose` drops frames as a lossy path would, to
prove the server retransmits."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest

from conftest import FAST_INSTANCE_CHECKS, ROOT, EmulatorProcess, make_client
from fixtures_instances import PASSWORD_USER, unavailable
from session_client import SessionClient, decode
from test_managed_instances import wait_for
from test_parameter_store import error_of
from test_run_command import register_container, register_sshd, send, wait_invocation
from ws_client import BINARY, CLOSE, PING, PONG, TEXT, RawClient, readable

POLICY_VIOLATION = 1008


@pytest.fixture(scope="module")
def server(instance_emulator: EmulatorProcess) -> EmulatorProcess:
    return instance_emulator


@pytest.fixture(scope="module")
def ssm(server: EmulatorProcess):
    return make_client(server.url)


@pytest.fixture(scope="module")
def target(server: EmulatorProcess, ssm, debian_container) -> str:
    instance_id = register_container(server, debian_container)
    wait_for(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "connected", 30,
             f"{instance_id} to be connected")
    return instance_id


class Shell:
    """One data-channel connection: a raw websocket carrying SessionClient's frames, pumped by hand."""

    def __init__(self, server: EmulatorProcess, started: dict, client: SessionClient | None = None) -> None:
        self.session_id = started["SessionId"]
        url = urlparse(started["StreamUrl"])
        tls = server.ssl_context()
        scheme = "wss" if tls else "ws"
        assert (url.scheme, url.netloc) == (scheme, f"127.0.0.1:{server.port}"), started["StreamUrl"]
        assert url.path == f"/v1/data-channel/{self.session_id}" and url.query == "role=publish_subscribe"
        self.ws = RawClient(server.port, f"{url.path}?{url.query}", tls=tls)
        assert self.ws.status == 101, self.ws.headers
        self.client = client or SessionClient(started["TokenValue"], session_id=self.session_id)
        opening = self.client.open_frame() if client is None else self.client.reconnect(started["TokenValue"])
        self.ws.send_frame(TEXT, opening.encode())
        self.close_code: int | None = None
        self.lose = 0  # output_stream_data frames to drop unseen, as if lost
        self.lost: list[int] = []
        self._next_poll = time.monotonic()

    @property
    def text(self) -> str:
        return self.client.display.decode("utf-8", "replace")

    def _send(self, frames) -> None:
        for frame in frames:
            self.ws.send_frame(BINARY, frame)

    def pump(self, wait: float = 0.05) -> None:
        deadline = time.monotonic() + wait
        while self.close_code is None and readable(self.ws, max(0.0, deadline - time.monotonic())):
            try:
                _, opcode, payload = self.ws.recv_frame()
            except EOFError:
                self.close_code = 1006
                return
            if opcode == CLOSE:
                self.close_code = int.from_bytes(payload[:2], "big") if payload else 1005
                self.ws.send_frame(CLOSE, payload[:2])
            elif opcode == PING:
                self.ws.send_frame(PONG, payload)
            elif opcode == TEXT:
                pytest.fail("the server sent a text frame on the data channel")
            elif self.lose and decode(payload).message_type == "output_stream_data":
                self.lose -= 1
                self.lost.append(decode(payload).seq)
            else:
                self._send(self.client.receive(payload, time.time()))
        if time.monotonic() >= self._next_poll:
            self._send(self.client.poll(time.time()))
            self._next_poll = time.monotonic() + 0.1

    def until(self, check, what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if self.close_code is not None and not self.client.closed:
                pytest.fail(f"websocket closed ({self.close_code}) waiting for {what}; shown:\n{self.text}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout}s waiting for {what}; shown:\n{self.text}")
            self.pump()

    def ready(self) -> Shell:
        self.until(lambda: self.client.handler_ready, "the handshake")
        assert self.client.session_type == "Standard_Stream"
        return self

    def type(self, keys: str) -> None:
        self._send(self.client.send_input(keys.encode(), time.time()))

    def expect(self, text: str, timeout: float = 15.0) -> None:
        self.until(lambda: text in self.text, repr(text), timeout)

    def resize(self, cols: int, rows: int) -> None:
        self._send([self.client.resize(cols, rows, time.time())])

    def wait_closed(self, timeout: float = 15.0) -> None:
        self.until(lambda: self.client.closed and self.close_code is not None, "channel_closed", timeout)

    def drop(self) -> None:
        self.ws.close()


def open_shell(server, ssm, target: str, **kwargs) -> Shell:
    return Shell(server, ssm.start_session(Target=target, **kwargs)).ready()


def session(ssm, session_id: str, state: str) -> dict | None:
    found = ssm.describe_sessions(State=state, Filters=[{"key": "SessionId", "value": session_id}])["Sessions"]
    return found[0] if found else None


def wait_history(ssm, session_id: str) -> dict:
    return wait_for(lambda: session(ssm, session_id, "History"), 15, f"{session_id} in history")  # type: ignore


def running(container, marker: str) -> bool:
    out = container.exec_run(["sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"]).output
    return marker in out.decode(errors="replace")


# --- the shell ---------------------------------------------------------------------------------------------
def test_shell_runs_commands_and_exit_ends_the_session(server, ssm, target):
    started = ssm.start_session(Target=target, Reason="checking the shell")
    assert started["SessionId"].startswith("root-") and len(started["SessionId"]) == len("root-") + 17
    shell = Shell(server, started).ready()
    shell.type("echo hi-$((40+2))\r")
    shell.expect("hi-42")
    active = session(ssm, shell.session_id, "Active")
    assert active and active["Status"] == "Connected" and active["Reason"] == "checking the shell"
    assert active["DocumentName"] == "SSM-SessionManagerRunShell"
    assert active["Owner"] == "arn:aws:iam::123456789012:root"

    shell.type("exit\r")
    shell.wait_closed()
    assert shell.client.closed_output == ""
    ended = wait_history(ssm, shell.session_id)
    assert ended["Status"] == "Terminated" and ended["EndDate"] >= ended["StartDate"]
    assert session(ssm, shell.session_id, "Active") is None
    with urllib.request.urlopen(ended["OutputUrl"]["S3OutputUrl"], timeout=10) as answer:
        assert b"hi-42" in answer.read()


def test_lost_output_is_retransmitted(server, ssm, target):
    shell = open_shell(server, ssm, target)
    shell.lose = 3
    shell.type("echo lost-$((6*7))\r")
    shell.expect("lost-42")
    assert len(shell.lost) == 3 and max(shell.lost) < shell.client.expected_seq  # all delivered since
    ssm.terminate_session(SessionId=shell.session_id)
    shell.wait_closed()


def test_resize_reaches_the_pty(server, ssm, target):
    shell = open_shell(server, ssm, target)
    shell.resize(123, 45)
    shell.type("stty size\r")
    shell.expect("45 123")
    shell.resize(90, 30)
    shell.type("stty size\r")
    shell.expect("30 90")
    ssm.terminate_session(SessionId=shell.session_id)
    shell.wait_closed()


def test_ctrl_c_interrupts_the_foreground_command(server, ssm, target, debian_container):
    marker = f"sleep {4000 + uuid.uuid4().int % 1000}"
    shell = open_shell(server, ssm, target)
    shell.type(f"{marker}\r")
    wait_for(lambda: running(debian_container, marker), 15, f"{marker} to run")
    shell.type("\x03")
    shell.type("echo back-$((1+1))\r")
    shell.expect("back-2", timeout=10)
    assert not running(debian_container, marker)
    shell.type("exit\r")
    shell.wait_closed()


def test_terminate_session_ends_a_running_shell(server, ssm, target, debian_container):
    marker = f"sleep {5000 + uuid.uuid4().int % 1000}"
    shell = open_shell(server, ssm, target)
    shell.type(f"{marker}\r")
    wait_for(lambda: running(debian_container, marker), 15, f"{marker} to run")
    assert ssm.terminate_session(SessionId=shell.session_id)["SessionId"] == shell.session_id
    shell.wait_closed()
    wait_for(lambda: not running(debian_container, marker), 10, f"{marker} to be gone")
    assert wait_history(ssm, shell.session_id)["Status"] == "Terminated"


def test_shell_profile_runs_first_and_idle_timeout_ends_the_session(server, ssm, target):
    name = f"Quick-Shell-{uuid.uuid4().hex[:8]}"
    content = {"schemaVersion": "1.0", "description": "test", "sessionType": "Standard_Stream",
               "inputs": {"idleSessionTimeout": "0.05", "shellProfile": {"linux": "export GREETING=profiled"}}}
    ssm.create_document(Name=name, DocumentType="Session", Content=json.dumps(content))
    shell = open_shell(server, ssm, target, DocumentName=name)
    shell.type("echo $GREETING-x\r")
    shell.expect("profiled-x")
    quiet_since = time.monotonic()
    shell.wait_closed(timeout=20)
    assert time.monotonic() - quiet_since >= 2.5  # 0.05 minutes of no input and no output
    assert "inactivity" in (shell.client.closed_output or "")
    assert wait_history(ssm, shell.session_id)["Status"] == "Terminated"


def test_max_session_duration_ends_a_busy_session(server, ssm, target):
    # 0.1 minutes at most; the idle timeout (0.05) is shorter, so only output that keeps flowing
    # proves it was the maximum duration, not inactivity, that ended the session.
    name = f"Short-Shell-{uuid.uuid4().hex[:8]}"
    content = {"schemaVersion": "1.0", "description": "test", "sessionType": "Standard_Stream",
               "inputs": {"maxSessionDuration": "0.1", "idleSessionTimeout": "0.05"}}
    ssm.create_document(Name=name, DocumentType="Session", Content=json.dumps(content))
    started_at = time.monotonic()
    shell = open_shell(server, ssm, target, DocumentName=name)
    shell.type("while :; do echo tick-$((1+1)); sleep 0.2; done\r")
    shell.expect("tick-2")
    seen, gaps, last = 0, [], time.monotonic()

    def busy_until_closed() -> bool:
        nonlocal seen, last
        if (count := shell.text.count("tick-2")) > seen:
            seen, now = count, time.monotonic()
            gaps.append(now - last)
            last = now
        return shell.client.closed and shell.close_code is not None

    shell.until(busy_until_closed, "channel_closed", timeout=20)
    lasted = time.monotonic() - started_at
    assert 6 <= lasted < 12, lasted  # 0.1 minutes, checked once a second
    assert seen >= 10 and max(gaps) < 1.5, (seen, gaps)  # output to the end: never idle for 3 s
    assert "maximum session duration" in (shell.client.closed_output or "")
    ended = wait_history(ssm, shell.session_id)
    assert ended["Status"] == "Terminated" and ended["DocumentName"] == name


def run_as_document(ssm, user: str) -> str:
    name = f"RunAs-Shell-{uuid.uuid4().hex[:8]}"
    content = {"schemaVersion": "1.0", "description": "test", "sessionType": "Standard_Stream",
               "inputs": {"runAsEnabled": True, "runAsDefaultUser": user}}
    ssm.create_document(Name=name, DocumentType="Session", Content=json.dumps(content))
    return name


def assert_runs_as(server, ssm, target: str, user: str) -> None:
    shell = open_shell(server, ssm, target, DocumentName=run_as_document(ssm, user))
    shell.type("echo user=$(id -un)-$((1+1))\r")
    shell.expect(f"user={user}-2")
    shell.type("exit\r")
    shell.wait_closed()
    assert wait_history(ssm, shell.session_id)["Status"] == "Terminated"


def assert_run_as_fails(server, ssm, target: str, user: str, message: str) -> None:
    """The agent's refusal: the session fails at once, channel_closed carrying its error."""
    shell = Shell(server, ssm.start_session(Target=target, DocumentName=run_as_document(ssm, user)))
    shell.wait_closed()
    assert shell.client.closed_output == f"Unable to start command: {message}"
    assert wait_history(ssm, shell.session_id)["Status"] == "Failed"


def test_run_as_user_on_a_container(server, ssm, target, debian_container):
    user = f"runas{uuid.uuid4().hex[:6]}"
    assert debian_container.exec_run(["useradd", "--create-home", user]).exit_code == 0
    assert_runs_as(server, ssm, target, user)


def test_run_as_a_missing_user_or_root_fails_the_session(server, ssm, target):
    missing = f"nobody{uuid.uuid4().hex[:6]}"
    assert_run_as_fails(server, ssm, target, missing,
                        f"failed to start pty since RunAs user {missing} does not exist")
    assert_run_as_fails(server, ssm, target, "", "please set the RunAs default user")
    assert_run_as_fails(server, ssm, target, "root", "invalid uid and gid")  # uid 0: refused by the agent


# --- tokens ------------------------------------------------------------------------------------------------
def _refused(server, started: dict, token: str, path_id: str | None = None) -> None:
    path = f"/v1/data-channel/{path_id or started['SessionId']}?role=publish_subscribe"
    ws = RawClient(server.port, path)
    assert ws.status == 101
    ws.send_frame(TEXT, SessionClient(token).open_frame().encode())
    _, opcode, payload = ws.recv_frame()
    assert (opcode, int.from_bytes(payload[:2], "big")) == (CLOSE, POLICY_VIOLATION)
    ws.close()


def test_tokens_are_checked_and_single_use(server, ssm, target):
    started = ssm.start_session(Target=target)
    other = ssm.start_session(Target=target)
    _refused(server, started, "not-a-token")
    _refused(server, started, other["TokenValue"])  # another session's token
    shell = Shell(server, started).ready()  # the refusals did not use up the right token
    _refused(server, started, started["TokenValue"])  # used once already
    shell.type("echo still-$((2*3))\r")
    shell.expect("still-6")  # the refused attempts did not disturb the live connection
    for s in (started, other):
        ssm.terminate_session(SessionId=s["SessionId"])
    shell.wait_closed()
    assert wait_history(ssm, other["SessionId"])["Status"] == "Terminated"


def test_a_channel_beyond_the_attached_limit_is_ended_with_a_reason(server, ssm, target):
    # Each attached data channel holds a server thread (handlers.MAX_ATTACHED_SESSIONS, 10). The next one gets
    # channel_closed saying so, which makes the plugin print it and exit; a bare close would make it resume and
    # retry forever.
    wait_for(lambda: not ssm.describe_sessions(State="Active")["Sessions"], 15, "earlier sessions to end")
    shells = [open_shell(server, ssm, target) for _ in range(10)]
    extra = Shell(server, ssm.start_session(Target=target))
    extra.wait_closed()
    assert "at most 10 data channels" in extra.client.closed_output
    assert extra.client.session_type is None  # ended before any handshake
    assert wait_history(ssm, extra.session_id)["Status"] == "Failed"
    shells[0].type("exit\r")
    shells[0].wait_closed()
    for shell in shells[1:]:
        ssm.terminate_session(SessionId=shell.session_id)
        shell.wait_closed()


def test_stopping_the_server_ends_open_sessions_with_channel_closed(start_emulator, debian_container):
    # Without channel_closed the plugin would try to resume against a server that is gone, and hang.
    own = start_emulator("--ephemeral", env=dict(FAST_INSTANCE_CHECKS))
    own_ssm = make_client(own.url)
    instance_id = register_container(own, debian_container)
    wait_for(lambda: own_ssm.get_connection_status(Target=instance_id)["Status"] == "connected", 30, "online")
    shell = open_shell(own, own_ssm, instance_id)
    shell.type("echo before-$((6*7))\r")
    shell.expect("before-42")
    os.killpg(own.proc.pid, signal.SIGTERM)  # what EmulatorProcess.stop sends, without waiting for the end
    shell.wait_closed()
    assert shell.client.closed_output == "ssm-emulator is shutting down."
    assert own.proc.wait(timeout=15) == 0


def test_resume_session_reattaches_to_the_same_shell(server, ssm, target):
    shell = open_shell(server, ssm, target)
    shell.type("X=kept-$((3*3)); sleep 1; echo late-$((5*5))\r")
    shell.until(lambda: len(shell.client.outgoing) == 0, "the input to be acked")
    shell.drop()  # the output of the echo comes while no websocket is open
    wait_for(lambda: (session(ssm, shell.session_id, "Active") or {}).get("Status") == "Disconnected", 10,
             "the session to be Disconnected")
    resumed = ssm.resume_session(SessionId=shell.session_id)
    assert resumed["StreamUrl"].endswith(f"/v1/data-channel/{shell.session_id}?role=publish_subscribe")
    again = Shell(server, {**resumed, "SessionId": shell.session_id}, client=shell.client)
    again.expect("late-25")
    again.type("echo $X\r")
    again.expect("kept-9")
    assert session(ssm, shell.session_id, "Active")["Status"] == "Connected"
    again.type("exit\r")
    again.wait_closed()


# --- the API -----------------------------------------------------------------------------------------------
def test_describe_sessions_filters_and_pages(server, ssm, target):
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    ids = [ssm.start_session(Target=target)["SessionId"] for _ in range(3)]
    ssm.terminate_session(SessionId=ids[0])
    wait_history(ssm, ids[0])

    def listed(state: str, *filters: tuple[str, str], **kwargs) -> list[str]:
        chosen = [{"key": k, "value": v} for k, v in filters]
        found = ssm.describe_sessions(State=state, Filters=chosen, **kwargs)["Sessions"]
        return [s["SessionId"] for s in found if s["SessionId"] in ids]  # earlier tests' sessions aside

    mine = ("InvokedAfter", before.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert listed("Active", mine, ("Target", target)) == [ids[2], ids[1]]
    assert ids[0] not in listed("Active", mine)
    assert listed("History", mine, ("Status", "Terminated")) == [ids[0]]
    assert listed("Active", mine, ("Status", "Connecting")) == [ids[2], ids[1]]
    assert listed("Active", mine, ("Owner", "arn:aws:iam::123456789012:root")) == [ids[2], ids[1]]
    assert listed("Active", mine, ("Owner", "arn:aws:iam::123456789012:user/else")) == []
    assert listed("Active", ("InvokedBefore", before.strftime("%Y-%m-%dT%H:%M:%SZ")), ("Target", target)) == []
    assert listed("Active", mine, ("Target", "mi-00000000000000000")) == []

    # only these two are Connecting: the other tests' sessions were all connected
    connecting = [{"key": "Status", "value": "Connecting"}]
    first = ssm.describe_sessions(State="Active", MaxResults=1, Filters=connecting)
    assert [s["SessionId"] for s in first["Sessions"]] == [ids[2]]
    rest = ssm.describe_sessions(State="Active", MaxResults=1, NextToken=first["NextToken"], Filters=connecting)
    assert [s["SessionId"] for s in rest["Sessions"]] == [ids[1]] and "NextToken" not in rest
    assert error_of(ssm.describe_sessions, State="Active", NextToken="junk")[0] == "InvalidNextToken"
    for session_id in ids[1:]:
        ssm.terminate_session(SessionId=session_id)
    # never connected: the session ends without a shell, and the token can no longer be resumed
    assert wait_history(ssm, ids[1])["Status"] == "Terminated"
    assert not ssm.resume_session(SessionId=ids[1]).get("TokenValue")


def test_start_session_refuses_unknown_targets_and_documents(ssm, target):
    assert error_of(ssm.start_session, Target="mi-0123456789abcdef0")[0] == "TargetNotConnected"
    assert error_of(ssm.start_session, Target=target, DocumentName="No-Such-Document")[0] == "InvalidDocument"
    assert error_of(ssm.start_session, Target=target, DocumentName="AWS-RunShellScript")[0] == "InvalidDocument"
    assert error_of(ssm.resume_session, SessionId="root-0123456789abcdef0")[0] == "DoesNotExistException"
    assert ssm.get_connection_status(Target="mi-0123456789abcdef0")["Status"] == "notconnected"


def test_terminate_session_of_an_unknown_session_answers_its_id(ssm):
    # TerminateSession's only modelled error is InternalServerError (botocore's service-2.json and the API
    # reference): an ID that names no session is terminated already, not DoesNotExistException.
    assert ssm.terminate_session(SessionId="root-0123456789abcdef0")["SessionId"] == "root-0123456789abcdef0"
    assert error_of(ssm.resume_session, SessionId="root-0123456789abcdef0")[0] == "DoesNotExistException"


def test_start_session_to_an_offline_instance_fails_as_aws(server, ssm, make_container):
    container = make_container()
    instance_id = register_container(server, container)
    wait_for(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "connected", 30, "online")
    container.stop(timeout=0)
    wait_for(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "notconnected", 30, "offline")
    code, message = error_of(ssm.start_session, Target=instance_id)
    assert (code, message) == ("TargetNotConnected", f"{instance_id} is not connected.")


def test_shell_on_an_ssh_host(server, ssm, sshd):
    instance_id = register_sshd(server, sshd)
    wait_for(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "connected", 30, "online")
    shell = open_shell(server, ssm, instance_id)
    shell.resize(101, 33)
    shell.type("echo ssh-$((40+2)); stty size\r")
    shell.expect("ssh-42")
    shell.expect("33 101")
    shell.type("exit\r")
    shell.wait_closed()
    assert wait_history(ssm, shell.session_id)["Status"] == "Terminated"


def test_run_as_user_on_an_ssh_host(server, ssm, sshd):
    if sshd.password is None:  # the fixture could not make its user
        unavailable(f"the test user {PASSWORD_USER} is missing")
    if shutil.which("sudo") is None:
        unavailable("sudo is missing (runAs on an SSH host goes through it)")
    instance_id = register_sshd(server, sshd)
    wait_for(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "connected", 30, "online")
    assert_runs_as(server, ssm, instance_id, PASSWORD_USER)
    missing = f"nobody{uuid.uuid4().hex[:6]}"
    assert_run_as_fails(server, ssm, instance_id, missing,
                        f"failed to start pty since RunAs user {missing} does not exist")


# --- TLS ---------------------------------------------------------------------------------------------------
def test_over_tls_the_stream_url_is_wss_and_the_shell_works(start_emulator, tls_files, make_container):
    cert, key = (str(f) for f in tls_files)
    server = start_emulator("--ephemeral", "--tls-cert", cert, "--tls-key", key, env=dict(FAST_INSTANCE_CHECKS))
    assert server.url.startswith("https://")
    ssm = make_client(server.url, verify=cert)  # the self-signed certificate is the CA bundle
    instance_id = register_container(server, make_container())
    wait_for(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "connected", 30, "online")

    started = ssm.start_session(Target=instance_id)
    session_id = started["SessionId"]
    assert started["StreamUrl"] == f"wss://127.0.0.1:{server.port}/v1/data-channel/{session_id}?role=publish_subscribe"
    shell = Shell(server, started).ready()  # the websocket over TLS
    shell.type("echo tls-$((6*7))\r")
    shell.expect("tls-42")
    shell.type("seq 1 100000 | tr '\\n' ' '; echo; echo end-$((2*3))\r")  # ~1,000 messages, each acked
    shell.expect("end-6", timeout=60)
    assert "99999 100000" in shell.text
    shell.type("exit\r")
    shell.wait_closed()
    ended = wait_history(ssm, session_id)
    assert ended["Status"] == "Terminated"
    transcript_url = ended["OutputUrl"]["S3OutputUrl"]
    assert transcript_url.startswith(f"https://127.0.0.1:{server.port}/")
    with urllib.request.urlopen(transcript_url, timeout=10, context=server.ssl_context()) as answer:
        assert b"tls-42" in answer.read()

    # the other URLs it hands out, and its own CLI, speak https too
    command_id = send(ssm, [instance_id], ["echo out"])
    assert wait_invocation(ssm, command_id, instance_id)["StandardOutputUrl"].startswith("https://")
    listed = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", str(server.port), "--tls-cert", cert, "--tls-key", key,
         "instances", "list"], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert listed.returncode == 0 and instance_id in listed.stdout, listed.stderr
    assert "Traceback" not in server.log() and "[ERROR]" not in server.log(), server.log()[-3000:]


def test_behind_a_local_tls_proxy_the_stream_url_is_wss(server, target):
    proxied = make_client(server.url)
    proxied.meta.events.register(
        "before-sign.ssm.*", lambda request, **_: request.headers.__setitem__("X-Forwarded-Proto", "https"))
    started = proxied.start_session(Target=target)
    assert started["StreamUrl"].startswith(f"wss://127.0.0.1:{server.port}/v1/data-channel/")
    proxied.terminate_session(SessionId=started["SessionId"])
    assert wait_history(proxied, started["SessionId"])["OutputUrl"]["S3OutputUrl"].startswith("https://")
