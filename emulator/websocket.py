"""Server-side WebSockets (RFC 6455) over the WSGI server's own client socket. Knows nothing of SSM.

A view (or WSGI middleware) calls `accept(environ)`, talks over the returned `WebSocket`, and when
done returns `ws.response()`. A Flask route must be added with `websocket=True`: werkzeug's router
matches a request carrying `Upgrade: websocket` only to such rules (others answer 400), and answers
400 itself when a plain HTTP request reaches one.

    ws = accept(request.environ)
    try:
        while (message := ws.receive(timeout=30)) is not None or ...:
            ws.send(...)
    except ConnectionClosed:
        pass
    finally:
        ws.close()
    return ws.response()

Taking over the connection. `accept` writes the 101 itself on the raw socket
(`environ["gunicorn.socket"]` under gunicorn, `environ["werkzeug.socket"]` under werkzeug's server),
so the server never learns the request was upgraded. When the WebSocket is over we only shut the
connection down (both directions); the socket object stays the server's to close. `response()` then
calls start_response with 101 (so gunicorn's access log says 101) and returns a body whose first
read raises `ConnectionResetError`: both servers treat that as "the client went away" and write
nothing more on the connection (gunicorn's gthread `handle` logs ECONNRESET at debug level and
closes; werkzeug's `run_wsgi` calls `connection_dropped`, then finds EOF on its next read).

Threads. Neither server lets a request hand its socket to another thread: when the handler returns,
gunicorn's gthread worker and werkzeug both shut the connection down (`close_graceful` /
`shutdown_request`). So a WebSocket holds one server thread for its whole life, and gunicorn's
`threads` (16 by default here) bounds open WebSockets plus in-flight API calls together. Keep
open WebSockets well below `threads` (refuse extra ones, or raise `threads`), and do the work a
session needs (reading a shell's output, timers) on other threads, which may all call `send`.

One thread receives (pings are answered inside `receive`, so keep calling it); any thread sends.
"""
from __future__ import annotations

import base64
import errno
import hashlib
import os
import select
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.wrappers import Response
from werkzeug.exceptions import BadRequest, HTTPException, NotImplemented as ServerCannotUpgrade

# RFC 6455 section 1.3: the fixed GUID the Sec-WebSocket-Accept hash is salted with.
_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA_OPCODES = (CONTINUATION, TEXT, BINARY)
_CONTROL_OPCODES = (CLOSE, PING, PONG)

# Close codes, RFC 6455 section 7.4.1.
NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
INVALID_PAYLOAD = 1007
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
NO_STATUS = 1005  # never on the wire: the peer's close frame carried no code
ABNORMAL_CLOSURE = 1006  # never on the wire: the connection dropped without a close frame

DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
_CLOSE_TIMEOUT = 2.0
_RECV_CHUNK = 256 * 1024
_IOV_MAX = 1024  # buffers per sendmsg (Linux UIO_MAXIOV)


@dataclass(frozen=True)
class Message:
    """One complete (reassembled) data message: `str` for a text message, `bytes` for binary."""

    data: bytes | str

    @property
    def is_text(self) -> bool:
        return isinstance(self.data, str)


class ConnectionClosed(Exception):
    """The WebSocket is closed: by a close handshake, a protocol error, or the peer vanishing."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"websocket closed ({code}{': ' + reason if reason else ''})")
        self.code = code
        self.reason = reason


class NotAWebSocketRequest(BadRequest):
    """400: the request is not a valid WebSocket opening handshake."""


class UnsupportedWebSocketVersion(HTTPException):
    """426 with `Sec-WebSocket-Version: 13`, as RFC 6455 section 4.4 asks."""

    code = 426
    description = "Only WebSocket version 13 is supported."

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("Sec-WebSocket-Version", "13")]


class _ProtocolViolation(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class _PeerGone(Exception):
    pass


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _ACCEPT_GUID).digest()).decode("ascii")


def _tokens(value: str) -> list[str]:
    return [t.strip().lower() for t in value.split(",") if t.strip()]


def accept(
    environ: dict[str, Any],
    subprotocols: Sequence[str] = (),
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
) -> WebSocket:
    """Completes the opening handshake on the server's socket and returns the open WebSocket.

    Raises `NotAWebSocketRequest` (400) or `UnsupportedWebSocketVersion` (426), both usable as a
    Flask error or as a WSGI app, before anything is written. `subprotocols` are the ones this
    endpoint speaks, in preference order; the first the client also offers is echoed back.
    Headers the handshake does not need (Authorization, X-Amz-*) are ignored.
    """
    if environ.get("REQUEST_METHOD") != "GET":
        raise NotAWebSocketRequest("A WebSocket handshake must be a GET.")
    if environ.get("SERVER_PROTOCOL", "HTTP/1.1") in ("HTTP/1.0", "HTTP/0.9"):
        raise NotAWebSocketRequest("A WebSocket handshake needs HTTP/1.1.")
    if "websocket" not in _tokens(environ.get("HTTP_UPGRADE", "")):
        raise NotAWebSocketRequest("Expected 'Upgrade: websocket'.")
    if "upgrade" not in _tokens(environ.get("HTTP_CONNECTION", "")):
        raise NotAWebSocketRequest("Expected 'Connection: Upgrade'.")
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        raise NotAWebSocketRequest("Sec-WebSocket-Key must be 16 bytes, base64-encoded.") from None
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION", "").strip() != "13":
        raise UnsupportedWebSocketVersion()
    sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    if sock is None:
        raise ServerCannotUpgrade("This server does not expose its socket; WebSockets need gunicorn or werkzeug.")

    offered = [p.strip() for p in environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL", "").split(",") if p.strip()]
    chosen = next((p for p in subprotocols if p in offered), None)
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_key(key)}",
    ]
    if chosen:
        lines.append(f"Sec-WebSocket-Protocol: {chosen}")
    sock.settimeout(None)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    return WebSocket(sock, subprotocol=chosen, max_message_size=max_message_size)


class WebSocket:
    """An open server-side WebSocket. `send`/`ping`/`close` are thread-safe; `receive` is for one
    thread at a time (a second caller waits for the first)."""

    def __init__(self, sock: socket.socket, subprotocol: str | None = None,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.subprotocol = subprotocol
        self.max_message_size = max_message_size
        self.close_code: int | None = None
        self.close_reason = ""
        self._sock = sock
        self._send_lock = threading.Lock()
        self._recv_lock = threading.Lock()
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._fragments_opcode: int | None = None
        self._fragments_size = 0
        self._close_sent = False
        self._closed = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # -- receiving ---------------------------------------------------------------------------

    def receive(self, timeout: float | None = None) -> Message | None:
        """The next complete message; None if none arrived within `timeout` seconds (None waits
        forever). Answers pings and completes a close handshake on the way. Raises
        `ConnectionClosed` once the WebSocket is closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._recv_lock.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            return None
        try:
            while True:
                if self._closed.is_set():
                    raise ConnectionClosed(self.close_code or ABNORMAL_CLOSURE, self.close_reason)
                try:
                    frame = self._read_frame(deadline)
                except _ProtocolViolation as exc:
                    self._fail(exc.code, exc.reason)
                    continue
                except (_PeerGone, OSError):
                    self._finish(ABNORMAL_CLOSURE, "connection lost")
                    continue
                if frame is None:
                    return None
                message = self._on_frame(*frame)
                if message is not None:
                    return message
        finally:
            self._recv_lock.release()

    def _on_frame(self, fin: bool, opcode: int, payload: bytes) -> Message | None:
        if opcode == PING:
            self._try_send(PONG, payload)
            return None
        if opcode == PONG:
            return None
        if opcode == CLOSE:
            self._on_close_frame(payload)
            return None
        if opcode == CONTINUATION:
            if self._fragments_opcode is None:
                self._fail(PROTOCOL_ERROR, "continuation frame without a message to continue")
                return None
        elif self._fragments_opcode is not None:
            self._fail(PROTOCOL_ERROR, "new message before the fragmented one finished")
            return None
        else:
            self._fragments_opcode = opcode
        self._fragments.append(payload)
        self._fragments_size += len(payload)
        if not fin:
            return None
        data = b"".join(self._fragments)
        kind = self._fragments_opcode
        self._fragments, self._fragments_opcode, self._fragments_size = [], None, 0
        if kind == BINARY:
            return Message(data)
        try:
            return Message(data.decode("utf-8"))
        except UnicodeDecodeError:
            self._fail(INVALID_PAYLOAD, "text message is not valid UTF-8")
            return None

    def _on_close_frame(self, payload: bytes) -> None:
        code, reason = NO_STATUS, ""
        if len(payload) == 1:
            self._fail(PROTOCOL_ERROR, "close frame with a 1-byte payload")
            return
        if payload:
            code = int.from_bytes(payload[:2], "big")
            try:
                reason = payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                self._fail(INVALID_PAYLOAD, "close reason is not valid UTF-8")
                return
            if not (1000 <= code <= 1011 and code not in (1004, 1005, 1006)) and not 3000 <= code <= 4999:
                self._fail(PROTOCOL_ERROR, f"invalid close code {code}")
                return
        # Echo the peer's code (section 5.5.1) unless we began the closing handshake ourselves.
        self._try_send(CLOSE, payload[:2])
        self._finish(code, reason)

    def _read_frame(self, deadline: float | None) -> tuple[bool, int, bytes] | None:
        while True:
            frame = self._parse_frame()
            if frame is not None:
                return frame
            if not self._fill(deadline):
                return None

    def _parse_frame(self) -> tuple[bool, int, bytes] | None:
        buf = self._buffer
        if len(buf) < 2:
            return None
        b0, b1 = buf[0], buf[1]
        fin, opcode, length = bool(b0 & 0x80), b0 & 0x0F, b1 & 0x7F
        if b0 & 0x70:
            raise _ProtocolViolation(PROTOCOL_ERROR, "reserved bits set (no extension was negotiated)")
        if opcode not in _DATA_OPCODES and opcode not in _CONTROL_OPCODES:
            raise _ProtocolViolation(PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        if not b1 & 0x80:
            raise _ProtocolViolation(PROTOCOL_ERROR, "client frames must be masked")
        if opcode in _CONTROL_OPCODES and (not fin or length > 125):
            raise _ProtocolViolation(PROTOCOL_ERROR, "control frames must be whole and at most 125 bytes")
        header = 2
        if length == 126:
            header = 4
            if len(buf) < header:
                return None
            length = int.from_bytes(buf[2:4], "big")
        elif length == 127:
            header = 10
            if len(buf) < header:
                return None
            length = int.from_bytes(buf[2:10], "big")
            if length >> 63:
                raise _ProtocolViolation(PROTOCOL_ERROR, "64-bit length with the top bit set")
        # Refused from the header alone, before the payload is read into memory.
        if opcode in _DATA_OPCODES and self._fragments_size + length > self.max_message_size:
            raise _ProtocolViolation(MESSAGE_TOO_BIG, f"message exceeds {self.max_message_size} bytes")
        end = header + 4 + length
        if len(buf) < end:
            return None
        mask = bytes(buf[header:header + 4])
        payload = _unmask(bytes(buf[header + 4:end]), mask)
        del buf[:end]
        return fin, opcode, payload

    def _fill(self, deadline: float | None) -> bool:
        """Reads more bytes; False if none came before `deadline`."""
        tls = isinstance(self._sock, ssl.SSLSocket)
        if not (tls and self._sock.pending() > 0):  # decrypted bytes already waiting: select() cannot see them
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._selector.select(remaining):
                    return False
            elif tls:
                self._selector.select()  # wait here, not holding the lock below
        if tls:
            # OpenSSL forbids reading and writing one SSL object from two threads at once (openssl/openssl#20446)
            # and Python's ssl module need not serialise them: TLS reads take the senders' lock, once there is
            # something to read.
            with self._send_lock:
                chunk = self._sock.recv(_RECV_CHUNK)
        else:
            chunk = self._sock.recv(_RECV_CHUNK)
        if not chunk:
            raise _PeerGone()
        self._buffer += chunk
        return True

    # -- sending -----------------------------------------------------------------------------

    def send(self, data: bytes | str | Sequence[bytes]) -> None:
        """Sends one message: text for `str`, binary for `bytes` or for several buffers sent back to back
        (written with the frame header in one sendmsg, never joined). Raises `ConnectionClosed`."""
        if isinstance(data, str):
            self._send(TEXT, data.encode("utf-8"))
        elif isinstance(data, (bytes, bytearray, memoryview)):
            self._send(BINARY, data)
        else:
            self._send(BINARY, *data)

    def ping(self, payload: bytes = b"") -> None:
        self._send(PING, payload)

    def _send(self, opcode: int, *payload: bytes | bytearray | memoryview) -> None:
        if opcode in _CONTROL_OPCODES and sum(map(len, payload)) > 125:
            raise ValueError("control frame payloads are at most 125 bytes")
        with self._send_lock:
            if self._close_sent or self._closed.is_set():
                raise ConnectionClosed(self.close_code or NORMAL_CLOSURE, self.close_reason)
            if opcode == CLOSE:
                self._close_sent = True
            try:
                _send_all(self._sock, [_frame_header(opcode, sum(map(len, payload))), *payload])
            except OSError:
                self._finish_locked(ABNORMAL_CLOSURE, "connection lost")
                raise ConnectionClosed(ABNORMAL_CLOSURE, "connection lost") from None

    def _try_send(self, opcode: int, payload: bytes) -> None:
        try:
            self._send(opcode, payload)
        except ConnectionClosed:
            pass

    # -- closing -----------------------------------------------------------------------------

    def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Starts the closing handshake and waits (briefly) for the peer's answer, reading and
        dropping any messages still in flight. Safe to call more than once, from any thread."""
        if self._closed.is_set():
            return
        payload = code.to_bytes(2, "big") + reason.encode("utf-8")
        self._try_send(CLOSE, payload[:125])
        deadline = time.monotonic() + _CLOSE_TIMEOUT
        if self._recv_lock.acquire(timeout=_CLOSE_TIMEOUT):
            try:
                while not self._closed.is_set() and time.monotonic() < deadline:
                    try:
                        frame = self._read_frame(deadline)
                    except (_ProtocolViolation, _PeerGone, OSError):
                        break
                    if frame is None:
                        break
                    if frame[1] == CLOSE:
                        self._on_close_frame(frame[2])
            finally:
                self._recv_lock.release()
        else:  # another thread is in receive(): it will see the peer's close frame
            self._closed.wait(max(0.0, deadline - time.monotonic()))
        self._finish(code, reason)

    def _fail(self, code: int, reason: str) -> None:
        self._try_send(CLOSE, code.to_bytes(2, "big") + reason.encode("utf-8")[:123])
        self._linger()
        self._finish(code, reason)

    def _linger(self) -> None:
        """Half-close, then drop what the peer is still sending until it stops: closing a socket
        with unread input makes the kernel send a reset, which can destroy our close frame
        before the peer has read it (seen with a client mid-way through an oversized message)."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        deadline = time.monotonic() + _CLOSE_TIMEOUT
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                readable, _, _ = select.select([self._sock], [], [], remaining)
                if not readable or not self._sock.recv(65536):
                    return
            except (OSError, ValueError):
                return

    def _finish(self, code: int, reason: str) -> None:
        """Ends the TCP connection (the server closes the socket object itself, see the module doc)."""
        with self._send_lock:
            self._finish_locked(code, reason)

    def _finish_locked(self, code: int, reason: str) -> None:
        if self._closed.is_set():
            return
        self.close_code, self.close_reason = code, reason
        self._close_sent = True
        self._closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- ending the HTTP request -------------------------------------------------------------

    def response(self) -> Response:
        """What the view returns when the WebSocket is over: the server then writes nothing more."""
        self._finish(self.close_code or ABNORMAL_CLOSURE, self.close_reason)
        self._selector.close()
        return _TakenOverResponse()


class _TakenOverResponse(Response):
    """A Flask response (so Flask passes it through untouched) that is really the end of a
    connection the server no longer owns; see the module docstring."""

    def __call__(self, environ: Any, start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("101 Switching Protocols", [])
        return _ConnectionGone()


class _ConnectionGone:
    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        raise ConnectionResetError(errno.ECONNRESET, "connection taken over by a WebSocket")


def _frame_header(opcode: int, n: int) -> bytes:
    if n < 126:
        return bytes((0x80 | opcode, n))
    if n < 1 << 16:
        return bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    return bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")


def _send_all(sock: socket.socket, buffers: list[bytes | bytearray | memoryview]) -> None:
    """sendall for several buffers: sendmsg gathers them without a joined copy (a large message would
    otherwise be copied into fresh memory once more just to put a few header bytes in front)."""
    if isinstance(sock, ssl.SSLSocket):  # TLS sockets have no sendmsg
        sock.sendall(b"".join(buffers))
        return
    views = [memoryview(b).cast("B") for b in buffers if len(b)]
    while views:
        sent = sock.sendmsg(views[:_IOV_MAX])
        while views and sent >= len(views[0]):
            sent -= len(views.pop(0))
        if sent:
            views[0] = views[0][sent:]


def _unmask(payload: bytes, mask: bytes) -> bytes:
    n = len(payload)
    if n == 0:
        return payload
    # One big-integer XOR instead of a Python loop: a 1 MiB payload in about a millisecond.
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


# -- test support ---------------------------------------------------------------------------

TEST_ECHO_ENV = "SSM_EMULATOR_TEST_ECHO_WEBSOCKET"
TEST_ECHO_PATH = "/_emulator/test/websocket-echo"
TEST_ECHO_MAX_MESSAGE_SIZE = 4 * 1024 * 1024


def install_test_echo(app: Flask) -> None:
    """Adds an echo WebSocket at TEST_ECHO_PATH, only when SSM_EMULATOR_TEST_ECHO_WEBSOCKET=1:
    it lets tests exercise this module through the real server before any SSM route uses it.
    The text message "close-from-server" makes the server start the closing handshake (4000)."""
    if os.environ.get(TEST_ECHO_ENV) != "1":
        return

    def websocket_echo() -> Response:
        from flask import request

        ws = accept(request.environ, subprotocols=("echo",), max_message_size=TEST_ECHO_MAX_MESSAGE_SIZE)
        try:
            while True:
                message = ws.receive(timeout=60)
                if message is None:
                    break
                if message.data == "close-from-server":
                    break
                ws.send(message.data)
            ws.close(4000, "server closes")
        except ConnectionClosed:
            pass
        return ws.response()

    app.add_url_rule(TEST_ECHO_PATH, "test_websocket_echo", websocket_echo, websocket=True)
