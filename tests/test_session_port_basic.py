"""Port sessions without smux, end to end: boto3 StartSession against the real server, the data channel over a
real websocket with the independent protocol client (session_client.py), and real servers on the instance.

* stdio mode: AWS-StartSSHSession (no `type` in its properties), what `ssh -o ProxyCommand=...` uses: the
  plugin's stdin and stdout as raw Output payloads. Against the echo server, and against a real sshd.
* basic mode: AWS-StartPortForwardingSession with a client older than 1.1.70, which the agent does not
  multiplex: one local connection at a time, raw bytes, DisconnectToPort when it ends.

Connections to the echo server are counted from the instance's /proc/net/tcp*, so other modules' echo servers
(the container is shared) do not count."""
from __future__ import annotations

import base64
import os
import socket
import threading
import time

import paramiko
import pytest

from fixtures_instances import _free_port
from session_client import SessionClient
from test_managed_instances import wait_for
from test_session_manager import wait_history
from test_session_port_forwarding import ECHO_SERVER, Forward, _listening, server, ssm, target  # noqa: F401

OLD_CLIENT = "1.1.0.0"  # before 1.1.70: the agent gives it basic mode


@pytest.fixture(scope="module")
def echo_port(debian_container):
    """This module's own echo server (test_session_port_forwarding.py's ECHO_SERVER), stopped at the end."""
    port = _free_port()
    debian_container.exec_run(
        ["sh", "-c", 'echo $$ > "/tmp/echo-$2.pid"; exec perl -e "$1" "$2"', "sh", ECHO_SERVER, str(port)],
        detach=True)
    wait_for(lambda: _listening(port), 15, f"the echo server on {port}")
    yield port
    debian_container.exec_run(["sh", "-c", 'kill "$(cat "/tmp/echo-$1.pid")"', "sh", str(port)])


def connections_to(container, port: int) -> int:
    """Established TCP connections whose local end is `port`, as the instance sees them."""
    listing = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"]).output.decode()
    suffix = f":{port:04X}"
    return sum(1 for line in listing.splitlines()
               if len(fields := line.split()) > 3 and fields[1].endswith(suffix) and fields[3] == "01")


class Raw(Forward):
    """A stdio or basic-mode session: raw bytes both ways."""

    def send(self, data: bytes) -> None:
        self.send_frames(self.client.send_input(data, time.time()))

    @property
    def local(self) -> bytes:
        """What the local connection (stdout in stdio mode) was written."""
        return self.client.raw_received

    def accept(self) -> None:
        self.client.accept()

    def disconnect(self) -> None:
        self._send([self.client.disconnect(time.time())])


def start(server, ssm, target: str, document: str, client_version: str = "1.2.0.0", **parameters: str) -> Raw:
    started = ssm.start_session(Target=target, DocumentName=document,
                                Parameters={k: [v] for k, v in parameters.items()})
    client = SessionClient(started["TokenValue"], client_version=client_version, session_id=started["SessionId"])
    return Raw(server, started, client)


def stdio(server, ssm, target: str, port: int) -> Raw:
    return start(server, ssm, target, "AWS-StartSSHSession", portNumber=str(port))


def basic(server, ssm, target: str, port: int, client_version: str = OLD_CLIENT) -> Raw:
    return start(server, ssm, target, "AWS-StartPortForwardingSession", client_version,
                 portNumber=str(port), localPortNumber="0")


def no_connections(container, port: int, what: str = "earlier connections to end") -> None:
    wait_for(lambda: connections_to(container, port) == 0, 15, what)


def connected_basic(server, ssm, target: str, port: int, container) -> Raw:
    """A basic-mode session with a local connection accepted, once earlier connections to `port` are gone."""
    no_connections(container, port)
    raw = basic(server, ssm, target, port).ready()
    raw.accept()
    return raw


def echo(raw: Raw, data: bytes, expected: bytes) -> None:
    raw.send(data)
    raw.until(lambda: raw.local == expected, f"{expected!r} on the local connection")


def only_the_handshake_arrived(raw: Raw) -> bool:
    """No output_stream_data after HandshakeRequest (0) and HandshakeComplete (1): taken, dropped or buffered."""
    return raw.client.expected_seq == 2 and not raw.client.dropped and not raw.client._ahead


# --- stdio mode ----------------------------------------------------------------------------------------------
def test_ssh_session_document_asks_for_stdio_mode(server, ssm, target):
    raw = start(server, ssm, target, "AWS-StartSSHSession")
    raw.until(lambda: raw.client.properties is not None, "the HandshakeRequest")
    assert raw.client.properties == {"portNumber": "22"}  # the document's default, and no `type`
    assert raw.client.port_mode == "stdio"
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()


def test_stdio_mode_round_trips_a_mebibyte_byte_for_byte(server, ssm, target, echo_port, debian_container):
    no_connections(debian_container, echo_port)
    raw = stdio(server, ssm, target, echo_port).ready()
    data = os.urandom(1 << 20)
    raw.send(data)
    raw.until(lambda: len(raw.local) >= len(data), "the echo", timeout=60)
    assert len(raw.local) == len(data)
    assert raw.local == data
    assert connections_to(debian_container, echo_port) == 1
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()
    assert raw.client.closed_output == ""
    assert wait_history(ssm, raw.session_id)["Status"] == "Terminated"
    no_connections(debian_container, echo_port, "the connection to close")


def test_stdio_session_ends_when_the_destination_closes(server, ssm, target, echo_port):
    raw = stdio(server, ssm, target, echo_port).ready()
    raw.send(b"last words BYE")  # the echo server hangs up after echoing this
    raw.wait_closed()
    assert raw.local == b"last words BYE"  # delivered before channel_closed
    assert raw.client.closed_output == ""
    assert wait_history(ssm, raw.session_id)["Status"] == "Terminated"


def test_ssh_session_reads_the_sshd_banner(server, ssm, target, sshd):
    raw = stdio(server, ssm, target, sshd.port).ready()
    raw.until(lambda: b"\r\n" in raw.local, "the SSH banner")  # the server speaks first
    assert raw.local.startswith(b"SSH-2.0-")
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()


def test_ssh_logs_in_through_a_stdio_session(server, ssm, target, sshd):
    """What `ssh -o ProxyCommand="aws ssm start-session --document-name AWS-StartSSHSession ..."` does: a real
    SSH client (paramiko) whose socket is the session's stdin and stdout."""
    raw = stdio(server, ssm, target, sshd.port).ready()
    ours, theirs = socket.socketpair()
    host_key = paramiko.Ed25519Key(data=base64.b64decode(sshd.host_public_key.split()[1]))
    result: dict[str, object] = {}

    def ssh() -> None:
        try:
            with paramiko.Transport(theirs) as transport:
                transport.connect(hostkey=host_key, username="root",
                                  pkey=paramiko.Ed25519Key.from_private_key_file(str(sshd.key_file)))
                channel = transport.open_session()
                channel.exec_command("echo over-ssm-$((6*7))")
                result["output"] = channel.makefile("rb").read()
                result["status"] = channel.recv_exit_status()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            result["error"] = error

    client = threading.Thread(target=ssh, daemon=True)
    client.start()
    ours.setblocking(False)
    written, deadline = 0, time.monotonic() + 30
    while client.is_alive() and time.monotonic() < deadline:
        try:
            typed = ours.recv(65536)
        except BlockingIOError:
            typed = b""
        if typed:
            raw.send(typed)
        if len(raw.local) > written:
            ours.sendall(raw.local[written:])
            written = len(raw.local)
        raw.pump(0.01)
    client.join(1)
    assert result == {"output": b"over-ssm-42\n", "status": 0}
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()
    ours.close()
    theirs.close()


# --- basic mode ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("client_version", "mode"), [
    ("1.1.0.0", "basic"), ("1.1.69", "basic"), ("", "basic"), ("1.1.70", "mux"), ("1.2.0.0", "mux")])
def test_the_client_version_decides_between_smux_and_basic(server, ssm, target, echo_port, client_version, mode):
    raw = basic(server, ssm, target, echo_port, client_version).ready()
    assert raw.client.port_mode == mode  # what such a plugin does; the server must have chosen the same
    if mode == "basic":
        raw.accept()
        raw.send(b"raw bytes")
        raw.until(lambda: raw.local == b"raw bytes", "the raw echo")
    else:
        stream = raw.open()
        raw.write(stream, b"in a stream")
        raw.until(lambda: raw.client.mux.received[stream] == b"in a stream", "the echo in its smux stream")
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()


def test_basic_mode_round_trips_byte_for_byte(server, ssm, target, echo_port):
    raw = basic(server, ssm, target, echo_port).ready()
    raw.accept()
    data = os.urandom(256 * 1024)
    raw.send(data)
    raw.until(lambda: len(raw.local) >= len(data), "the echo", timeout=30)
    assert raw.local == data
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()


def test_disconnect_to_port_closes_the_connection_and_the_next_bytes_redial(server, ssm, target, echo_port,
                                                                           debian_container):
    raw = connected_basic(server, ssm, target, echo_port, debian_container)
    echo(raw, b"first", b"first")
    assert connections_to(debian_container, echo_port) == 1
    raw.disconnect()  # the local connection ended
    raw.until(lambda: connections_to(debian_container, echo_port) == 0, "DisconnectToPort to close the connection")
    assert not raw.client.closed
    raw.accept()  # the next local connection
    echo(raw, b"second", b"second")  # dialled again
    assert connections_to(debian_container, echo_port) == 1
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()
    no_connections(debian_container, echo_port, "TerminateSession to close the connection")


def test_in_basic_mode_the_destination_hanging_up_waits_for_the_next_bytes(server, ssm, target, echo_port,
                                                                          debian_container):
    raw = connected_basic(server, ssm, target, echo_port, debian_container)
    echo(raw, b"one BYE", b"one BYE")
    raw.until(lambda: connections_to(debian_container, echo_port) == 0, "the echo server to hang up")
    raw.pump(0.3)
    assert not raw.client.closed  # unlike stdio mode, the session goes on
    # The same local connection (the plugin never hears of the destination's end), a new destination connection.
    echo(raw, b" two", b"one BYE two")
    ssm.terminate_session(SessionId=raw.session_id)
    raw.wait_closed()


# --- both ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["stdio", "basic"])
def test_terminate_session_flag_ends_the_session(server, ssm, target, echo_port, debian_container, mode):
    no_connections(debian_container, echo_port)
    raw = (stdio if mode == "stdio" else basic)(server, ssm, target, echo_port).ready()
    # The agent dials right after the handshake, before any bytes.
    raw.until(lambda: connections_to(debian_container, echo_port) == 1, "the connection")
    raw._send([raw.client.send_flag(2, time.time())])  # TerminateSession, what Ctrl-C sends
    raw.wait_closed()
    assert raw.client.closed_output == ""
    assert wait_history(ssm, raw.session_id)["Status"] == "Terminated"
    no_connections(debian_container, echo_port, "the connection to close")


@pytest.mark.parametrize("mode", ["stdio", "basic"])
def test_a_refused_port_fails_the_session_without_writing_a_flag(server, ssm, target, mode):
    raw = (stdio if mode == "stdio" else basic)(server, ssm, target, _free_port())
    if mode == "basic":
        raw.accept()  # a local connection is there: a ConnectToPortError flag would be written into it
    raw.wait_closed()
    assert raw.client.closed_output.startswith("Unable to connect to specified port: ")
    assert only_the_handshake_arrived(raw) and raw.local == b""
    assert wait_history(ssm, raw.session_id)["Status"] == "Failed"
