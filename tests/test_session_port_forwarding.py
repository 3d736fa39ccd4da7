"""Port forwarding sessions end to end: boto3 StartSession with AWS-StartPortForwardingSession(ToRemoteHost)
against the real server, the data channel over a real websocket with the independent protocol client and its
own smux (session_client.py), and a real TCP echo server inside a real container (host networking), reached
directly or through an SSH host. Basic and stdio modes: test_session_port_basic.py.

The echo server (perl, in the container) writes back everything a connection sends, and hangs up after echoing
a chunk that ends in BYE, so the destination's end (a FIN to the client) can be tested too. A client FIN closes
the destination connection: smux drops writes after a FIN, so nothing comes back for that stream."""
from __future__ import annotations

import array
import os
import socket
import sys
import time

import pytest

from fixtures_instances import _free_port
from test_managed_instances import wait_for
from test_parameter_store import error_of
from test_run_command import register_sshd
from test_session_manager import Shell, server, session, ssm, target, wait_history  # noqa: F401  (fixtures too)

ECHO_SERVER = r"""
use IO::Socket::INET; $SIG{CHLD} = 'IGNORE';
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ARGV[0], Listen => 16, ReuseAddr => 1)
    or die "listen: $!";
while (my $c = $s->accept) {
    if (!fork) {
        close $s; my $b;
        while (sysread($c, $b, 65536)) {
            my $o = 0; $o += syswrite($c, $b, length($b) - $o, $o) while $o < length $b;
            last if $b =~ /BYE$/;
        }
        shutdown($c, 1); exit 0;
    }
    close $c;
}
"""

# Sends the big-endian 32-bit integers 0, 1, ... n-1 for a request line "n": a long, checkable download.
COUNTER_SERVER = r"""
use IO::Socket::INET; $SIG{CHLD} = 'IGNORE';
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ARGV[0], Listen => 16, ReuseAddr => 1)
    or die "listen: $!";
while (my $c = $s->accept) {
    if (!fork) {
        close $s; my $n = int(<$c>);
        for (my $i = 0; $i < $n; $i += 65536) {
            my $end = $i + 65536 > $n ? $n : $i + 65536;
            my $b = pack("N*", $i .. $end - 1); my $o = 0;
            $o += syswrite($c, $b, length($b) - $o, $o) while $o < length $b;
        }
        shutdown($c, 1); exit 0;
    }
    close $c;
}
"""


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def start_service(container, script: str) -> int:
    """Run a perl `script` listening on a fresh port in the container; the port, once it listens."""
    port = _free_port()
    container.exec_run(["perl", "-e", script, str(port)], detach=True)
    wait_for(lambda: _listening(port), 15, f"a service on {port}")
    return port


@pytest.fixture(scope="module")
def echo_port(debian_container) -> int:
    return start_service(debian_container, ECHO_SERVER)


@pytest.fixture(scope="module")
def counter_port(debian_container) -> int:
    return start_service(debian_container, COUNTER_SERVER)


def echo_processes(container, port: int) -> int:
    """The echo server on `port` and its children, one per open connection."""
    script = (f"for f in /proc/[0-9]*/cmdline; do tr '\\0\\n' '  ' <$f 2>/dev/null | grep -q '^perl -e.* {port} $' "
              "&& echo x; done | wc -l")
    out = container.exec_run(["sh", "-c", script]).output
    return int(out.decode().strip() or 0)


class Forward(Shell):
    def ready(self) -> Forward:  # type: ignore[override]
        self.until(lambda: self.client.handler_ready, "the handshake")
        assert self.client.session_type == "Port"
        return self

    def open(self) -> int:
        stream_id, frames = self.client.open_stream(time.time())
        self._send(frames)
        return stream_id

    def write(self, stream_id: int, data: bytes) -> None:
        self.send_frames(self.client.write_stream(stream_id, data, time.time()))

    def send_frames(self, frames: list[bytes]) -> None:
        # A few messages at a time, reading in between, as the plugin (which reads and writes at once) would:
        # a client that only writes would block the server's acks and so its own writes.
        for i in range(0, len(frames), 16):
            self._send(frames[i:i + 16])
            self.pump(0)

    def close(self, stream_id: int) -> None:
        self._send(self.client.close_stream(stream_id, time.time()))

    def received(self, stream_id: int) -> bytes:
        return bytes(self.client.mux.received[stream_id])

    def fin_from_server(self, stream_id: int) -> bool:
        return stream_id in self.client.mux.closed_by_peer


def forward(server, ssm, target: str, port: int, **parameters: str) -> Forward:
    document = "AWS-StartPortForwardingSessionToRemoteHost" if "host" in parameters else \
        "AWS-StartPortForwardingSession"
    started = ssm.start_session(Target=target, DocumentName=document, Parameters={
        "portNumber": [str(port)], "localPortNumber": ["0"], **{k: [v] for k, v in parameters.items()}})
    return Forward(server, started).ready()


def test_handshake_asks_for_smux_port_forwarding(server, ssm, target, echo_port):
    fwd = forward(server, ssm, target, echo_port)
    assert fwd.client.properties == {"portNumber": str(echo_port), "type": "LocalPortForwarding",
                                     "localPortNumber": "0"}
    assert fwd.client.agent_version == "3.3.0.0"  # > 3.0.196.0: smux; > 3.1.1511.0: keepalive off
    active = session(ssm, fwd.session_id, "Active")
    assert active and active["DocumentName"] == "AWS-StartPortForwardingSession"
    ssm.terminate_session(SessionId=fwd.session_id)
    fwd.wait_closed()


def round_trip_a_mebibyte(fwd: Forward) -> None:
    data = os.urandom(1 << 20) + b"BYE"
    stream = fwd.open()
    fwd.write(stream, data)
    fwd.until(lambda: fwd.fin_from_server(stream), "the echo and the destination's FIN", timeout=60)
    assert len(fwd.received(stream)) == len(data)
    assert fwd.received(stream) == data


def test_a_mebibyte_round_trips_byte_for_byte(server, ssm, target, echo_port):
    fwd = forward(server, ssm, target, echo_port)
    round_trip_a_mebibyte(fwd)
    ssm.terminate_session(SessionId=fwd.session_id)
    fwd.wait_closed()


def counted(count: int) -> bytes:
    """What the counter server sends for `count`."""
    expected = array.array("I", range(count))
    if sys.byteorder == "little":
        expected.byteswap()
    return expected.tobytes()


def test_a_large_download_survives_a_reconnect_intact(server, ssm, target, counter_port):
    # 16 MiB is twice what a session may have unacked (port_forwarding.READ_BUFFERS x READ_SIZE), so read
    # buffers are reused after their acks. The websocket drops mid-way: everything unacked is resent on the
    # resumed one, and a buffer reused before its ack would show here as wrong bytes.
    count = 4 << 20
    fwd = forward(server, ssm, target, counter_port)
    stream = fwd.open()
    fwd.write(stream, f"{count}\n".encode())
    fwd.until(lambda: len(fwd.client.mux.received[stream]) >= 2 << 20, "the first 2 MiB", timeout=60)
    fwd.drop()
    wait_for(lambda: (session(ssm, fwd.session_id, "Active") or {}).get("Status") == "Disconnected", 10,
             "the session to be Disconnected")
    time.sleep(0.5)  # the destination goes on sending while no websocket is open
    resumed = ssm.resume_session(SessionId=fwd.session_id)
    again = Forward(server, {**resumed, "SessionId": fwd.session_id}, client=fwd.client)
    again.until(lambda: again.fin_from_server(stream), "the rest and the destination's FIN", timeout=120)
    received = again.received(stream)
    assert len(received) == 4 * count
    assert received == counted(count)
    ssm.terminate_session(SessionId=fwd.session_id)
    again.wait_closed()


def test_a_mebibyte_round_trips_through_an_ssh_host(server, ssm, sshd, echo_port):
    # On an SSH host open_tcp is a direct-tcpip channel: sshd dials localhost:<echo_port> from the host, where
    # the container's echo server listens (host networking).
    instance_id = register_sshd(server, sshd)
    wait_for(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "connected", 30, "online")
    fwd = forward(server, ssm, instance_id, echo_port)
    round_trip_a_mebibyte(fwd)
    ssm.terminate_session(SessionId=fwd.session_id)
    fwd.wait_closed()
    assert wait_history(ssm, fwd.session_id)["Status"] == "Terminated"


def test_three_concurrent_connections_stay_apart(server, ssm, target, echo_port):
    fwd = forward(server, ssm, target, echo_port)
    streams = [fwd.open() for _ in range(3)]
    sent = {s: bytearray() for s in streams}
    for round_ in range(20):
        for i, s in enumerate(streams):
            piece = bytes([0x41 + i]) * (700 + 37 * round_) + os.urandom(50)
            sent[s] += piece
            fwd.write(s, piece)
        fwd.pump(0.01)
    fwd.until(lambda: all(fwd.received(s) == bytes(sent[s]) for s in streams), "three echoes", timeout=30)
    fwd.close(streams[1])  # the client closing one stream leaves the others working
    fwd.write(streams[0], b"BYE")  # the destination hanging up on one sends a FIN for that one only
    fwd.until(lambda: fwd.fin_from_server(streams[0]), "the FIN of the ended connection")
    assert not fwd.fin_from_server(streams[2])
    fwd.write(streams[2], b"still-here")
    fwd.until(lambda: fwd.received(streams[2]).endswith(b"still-here"), "the third stream to echo on")
    ssm.terminate_session(SessionId=fwd.session_id)
    fwd.wait_closed()


def test_a_refused_port_is_reported_with_connect_to_port_error(server, ssm, target, echo_port):
    closed_port = _free_port()
    fwd = forward(server, ssm, target, closed_port)
    stream = fwd.open()
    fwd.write(stream, b"hello?")
    fwd.until(lambda: fwd.client.port_errors == 1, "ConnectToPortError")
    fwd.until(lambda: fwd.fin_from_server(stream), "the refused stream's FIN")
    assert fwd.received(stream) == b"" and not fwd.client.closed  # the session itself goes on
    again = fwd.open()
    fwd.until(lambda: fwd.client.port_errors == 2, "a second ConnectToPortError")
    assert fwd.fin_from_server(again) or fwd.until(lambda: fwd.fin_from_server(again), "FIN") is None
    ssm.terminate_session(SessionId=fwd.session_id)
    fwd.wait_closed()


def test_remote_host_document_dials_the_given_host(server, ssm, target, echo_port):
    fwd = forward(server, ssm, target, echo_port, host="127.0.0.1")
    assert fwd.client.properties["host"] == "127.0.0.1"
    stream = fwd.open()
    fwd.write(stream, b"over-there")
    fwd.until(lambda: fwd.received(stream) == b"over-there", "the remote echo")
    ssm.terminate_session(SessionId=fwd.session_id)
    fwd.wait_closed()


def test_client_fin_and_terminate_session_close_the_destination_connections(server, ssm, target, echo_port,
                                                                             debian_container):
    wait_for(lambda: echo_processes(debian_container, echo_port) == 1, 15, "earlier connections to end")
    fwd = forward(server, ssm, target, echo_port)
    first, second = fwd.open(), fwd.open()
    for stream in (first, second):
        fwd.write(stream, b"ping")
        fwd.until(lambda: fwd.received(stream) == b"ping", "the echo")
    assert echo_processes(debian_container, echo_port) == 3
    fwd.close(first)
    wait_for(lambda: echo_processes(debian_container, echo_port) == 2, 15, "the client's FIN to close its connection")
    ssm.terminate_session(SessionId=fwd.session_id)
    fwd.wait_closed()
    assert fwd.client.closed_output == ""
    assert wait_history(ssm, fwd.session_id)["Status"] == "Terminated"
    wait_for(lambda: echo_processes(debian_container, echo_port) == 1, 15, "TerminateSession to close the connection")


def test_ctrl_c_flag_ends_a_forwarding_session(server, ssm, target, echo_port):
    fwd = forward(server, ssm, target, echo_port)
    fwd._send([fwd.client.send_flag(2, time.time())])  # TerminateSession, what Ctrl-C sends
    fwd.wait_closed()
    assert wait_history(ssm, fwd.session_id)["Status"] == "Terminated"


def test_port_parameters_are_validated(ssm, target):
    code, _ = error_of(ssm.start_session, Target=target, DocumentName="AWS-StartPortForwardingSession",
                       Parameters={"portNumber": ["99999"]})
    assert code == "InvalidParameters"
    code, _ = error_of(ssm.start_session, Target=target, DocumentName="AWS-StartPortForwardingSessionToRemoteHost",
                       Parameters={"portNumber": ["80"]})  # host is required
    assert code == "InvalidParameters"
    code, _ = error_of(ssm.start_session, Target=target, DocumentName="AWS-StartSSHSession",
                       Parameters={"portNumber": ["0"]})
    assert code == "InvalidParameters"
