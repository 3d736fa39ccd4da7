"""The WebSocket layer (emulator/websocket.py) through the real server, with a raw RFC 6455 client.

The server under test is `python -m emulator` (gunicorn, gthread) with the test-only echo route;
one test runs the same route under werkzeug's threaded server, the in-process mode.
"""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from conftest import EmulatorProcess, free_port, make_client
from ws_client import BINARY, CLOSE, CONT, PING, PONG, TEXT, RawClient, _xor_fast, frame_bytes
from emulator.websocket import TEST_ECHO_ENV, TEST_ECHO_MAX_MESSAGE_SIZE, TEST_ECHO_PATH, install_test_echo

HEALTH_PATH = "/_emulator/health"  # what EmulatorProcess.start polls until the server answers

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack(">H", code) + reason.encode()


def assert_closed_with(client: RawClient, code: int) -> None:
    """The server's next frame is a close with `code`, then it ends the TCP connection cleanly:
    nothing else follows (a stray HTTP response here means the takeover failed)."""
    fin, opcode, payload = client.recv_frame()
    assert (opcode, struct.unpack(">H", payload[:2])[0]) == (CLOSE, code), payload
    assert client.rest_until_eof() == b""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    # debug: gunicorn writes its access log, which shows what it thinks it answered
    process = EmulatorProcess(free_port(), ["--ephemeral", "--log-level", "debug"], {TEST_ECHO_ENV: "1"})
    process.start(tmp_path_factory.mktemp("logs"))
    yield process
    process.stop()


@pytest.fixture
def client(server: EmulatorProcess) -> Iterator[RawClient]:
    c = RawClient(server.port)
    assert c.status == 101, c.headers
    yield c
    c.close()


def test_handshake_answers_101_with_the_accept_hash_and_ignores_sigv4_headers(server):
    c = RawClient(server.port, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x", "X-Amz-Date": "20240101T000000Z"})
    expected = base64.b64encode(hashlib.sha1(c.key.encode() + GUID).digest()).decode()
    assert c.status == 101
    assert c.headers["sec-websocket-accept"] == expected
    assert c.headers["upgrade"].lower() == "websocket"
    assert c.headers["connection"].lower() == "upgrade"
    assert "sec-websocket-protocol" not in c.headers  # none offered, none chosen
    c.close()


def test_handshake_echoes_a_supported_subprotocol(server):
    c = RawClient(server.port, headers={"Sec-WebSocket-Protocol": "chat, echo"})
    assert c.status == 101 and c.headers["sec-websocket-protocol"] == "echo"
    c.close()


def test_non_upgrade_request_gets_400_and_wrong_version_426(server):
    plain = RawClient(server.port, upgrade=False)
    assert plain.status == 400
    old = RawClient(server.port, version="8")
    assert old.status == 426 and old.headers["sec-websocket-version"] == "13"
    plain.close(), old.close()


def test_echoes_text_and_binary_with_their_own_opcodes(client):
    client.send_frame(TEXT, "héllo".encode())
    assert client.recv_frame() == (True, TEXT, "héllo".encode())
    client.send_frame(BINARY, b"\x00\xff\x10")
    assert client.recv_frame() == (True, BINARY, b"\x00\xff\x10")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 1 << 20])
def test_echoes_every_length_encoding_up_to_1_mib(client, size):
    data = os.urandom(size)
    client.send_frame(BINARY, data)
    assert client.recv_frame() == (True, BINARY, data)


def test_reassembles_a_fragmented_message_with_a_ping_in_between(client):
    text = "Hello, wörld".encode()
    split = text.index("ö".encode()) + 1  # a UTF-8 character split across fragments
    client.send_frame(TEXT, text[:5], fin=False)
    client.send_frame(PING, b"mid")
    client.send_frame(CONT, text[5:split], fin=False)
    client.send_frame(CONT, text[split:], fin=True)
    assert client.recv_frame() == (True, PONG, b"mid")
    assert client.recv_frame() == (True, TEXT, text)


def test_ping_is_answered_with_a_pong_carrying_its_payload(client):
    client.send_frame(PING, b"keepalive")  # what session-manager-plugin sends every 5 minutes
    assert client.recv_frame() == (True, PONG, b"keepalive")
    client.send_frame(PONG, b"unsolicited")  # ignored, per RFC 6455 section 5.5.3
    client.send_frame(TEXT, b"after")
    assert client.recv_frame() == (True, TEXT, b"after")


def test_client_close_is_echoed_then_the_server_ends_the_connection(client):
    client.send_frame(CLOSE, close_payload(1000, "bye"))
    assert_closed_with(client, 1000)


def test_server_initiated_close_waits_for_the_answer(client):
    client.send_frame(TEXT, b"close-from-server")
    fin, opcode, payload = client.recv_frame()
    assert opcode == CLOSE and payload == close_payload(4000, "server closes")
    client.send_frame(CLOSE, payload[:2])
    assert client.rest_until_eof() == b""


@pytest.mark.parametrize(
    "frame, code",
    [
        (frame_bytes(TEXT, b"plain", masked=False), 1002),  # clients must mask
        (frame_bytes(TEXT, b"\xc3\x28"), 1007),  # not UTF-8
        (frame_bytes(CONT, b"orphan"), 1002),  # nothing to continue
        (frame_bytes(PING, b"x" * 126), 1002),  # control frame too long
        (bytes([0x80 | 0x3, 0x80]) + os.urandom(4), 1002),  # reserved opcode
    ],
)
def test_protocol_errors_close_with_the_right_code(client, frame, code):
    client.sock.sendall(frame)
    assert_closed_with(client, code)


def test_oversized_message_is_refused_from_its_header_alone(client):
    # Only the header is sent: the server must not wait for (or buffer) the 5 MiB it announces.
    client.sock.sendall(struct.pack(">BBQ", 0x80 | BINARY, 0x80 | 127, TEST_ECHO_MAX_MESSAGE_SIZE + 1) + os.urandom(4))
    assert_closed_with(client, 1009)


def test_oversized_fragmented_message_is_refused(client):
    half = TEST_ECHO_MAX_MESSAGE_SIZE // 2 + 1
    client.send_frame(BINARY, bytes(half), fin=False)
    client.send_frame(CONT, bytes(half), fin=True)
    assert_closed_with(client, 1009)


def test_five_websockets_at_once_while_the_api_keeps_answering(server):
    ssm = make_client(server.url)
    clients = [RawClient(server.port) for _ in range(5)]
    assert [c.status for c in clients] == [101] * 5
    errors: list[BaseException] = []
    stop = threading.Event()

    def chatter(i: int, c: RawClient) -> None:
        try:
            n = 0
            while not stop.is_set():
                data = f"{i}:{n}".encode() * 100
                c.send_frame(BINARY, data)
                assert c.recv_frame() == (True, BINARY, data)
                n += 1
            assert n > 10, f"websocket {i} managed only {n} echoes"
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=chatter, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    try:
        started = time.monotonic()
        for n in range(30):
            ssm.put_parameter(Name=f"/ws/p{n}", Value=str(n), Type="String", Overwrite=True)
            assert ssm.get_parameter(Name=f"/ws/p{n}")["Parameter"]["Value"] == str(n)
        assert time.monotonic() - started < 20
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=20)
    assert not errors, errors
    for c in clients:
        c.send_frame(CLOSE, close_payload(1000))
        assert_closed_with(c, 1000)


def test_server_keeps_serving_after_clients_vanish_mid_frame(server):
    # More vanishing clients than gunicorn has threads (16): a leaked thread per client would hang the server.
    for _ in range(20):
        c = RawClient(server.port)
        c.sock.sendall(frame_bytes(BINARY, os.urandom(1000))[:40])  # header and part of the payload
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, as a crash would
        c.close()
    survivor = RawClient(server.port)
    survivor.send_frame(TEXT, b"still here")
    assert survivor.recv_frame() == (True, TEXT, b"still here")
    ssm = make_client(server.url)
    ssm.put_parameter(Name="/ws/after", Value="v", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name="/ws/after")["Parameter"]["Value"] == "v"
    survivor.close()


def test_server_log_shows_no_errors_and_no_response_after_the_101(server):
    """Runs after the gunicorn tests: gunicorn logged no error, and it never believed it had a
    response of its own to write after an accepted handshake (its access log says 101)."""
    def echo_statuses(log: str) -> list[str]:
        return [
            line.split('HTTP/1.1" ')[1].split()[0]
            for line in log.splitlines()
            if f"GET {TEST_ECHO_PATH} HTTP/1.1\"" in line
        ]

    for _ in range(30):  # accepted handshakes of its own, so the check does not rest on earlier tests
        client = RawClient(server.port)
        assert client.status == 101
        client.close()
    # gunicorn writes an access line when a connection's handler ends: wait for them, with a deadline
    deadline = time.monotonic() + 10
    while len(echo_statuses(server.log())) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.log()
    assert "Traceback" not in log and "[ERROR]" not in log, log[-3000:]
    statuses = echo_statuses(log)
    assert statuses.count("101") >= 30 and set(statuses) <= {"101", "400", "426"}, (statuses, log[-3000:])
    # Nothing was written on a websocket connection already gone. (The harness's start-up health polls may
    # give up on a slow server, which then answers a client that left: that EPIPE is not the websocket's.)
    assert [request for request in _requests_with_epipe(log) if HEALTH_PATH not in request] == []


def _requests_with_epipe(log: str) -> list[str]:
    """The request each "Ignoring connection epipe" happened on: gunicorn writes the request's access line
    first, then handles the error, so it is the access line just before."""
    lines = log.splitlines()
    found = []
    for i, line in enumerate(lines):
        if "Ignoring connection epipe" in line:
            found.append(next((earlier for earlier in reversed(lines[:i]) if earlier.startswith("127.0.0.1 - - [")),
                              "(no access line)"))
    return found


def test_werkzeug_threaded_server_hands_over_its_socket(monkeypatch):
    monkeypatch.setenv(TEST_ECHO_ENV, "1")
    app = Flask("websocket_test")
    install_test_echo(app)
    app.add_url_rule("/plain", "plain", lambda: "ok")
    port = free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        c = RawClient(port)
        assert c.status == 101
        data = os.urandom(1 << 20)
        c.send_frame(BINARY, data)
        assert c.recv_frame() == (True, BINARY, data)
        c.send_frame(PING, b"p")
        assert c.recv_frame() == (True, PONG, b"p")
        c.send_frame(CLOSE, close_payload(1001, "going"))
        assert_closed_with(c, 1001)
        c.close()
        plain = RawClient(port, path="/plain", upgrade=False)
        assert plain.status == 200
        plain.close()
    finally:
        httpd.shutdown()


def test_echo_route_exists_only_when_asked_for(monkeypatch):
    monkeypatch.delenv(TEST_ECHO_ENV, raising=False)
    app = Flask("websocket_test")
    install_test_echo(app)
    assert TEST_ECHO_PATH not in {rule.rule for rule in app.url_map.iter_rules()}
