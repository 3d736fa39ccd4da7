"""A raw RFC 6455 WebSocket client on a plain socket, shared by the tests that talk to the server's
websockets (test_websocket.py, test_session_manager.py): masked frames out, strict checks on frames in."""
from __future__ import annotations

import base64
import os
import select
import socket
import ssl
import struct

from emulator.websocket import TEST_ECHO_PATH

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class RawClient:
    """A minimal WebSocket client on a plain socket: masked frames out, strict checks on frames in."""

    def __init__(self, port: int, path: str = TEST_ECHO_PATH, headers: dict[str, str] | None = None,
                 version: str = "13", upgrade: bool = True, tls: ssl.SSLContext | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        if tls is not None:  # wss://
            self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "User-Agent: Go-http-client/1.1"]
        if upgrade:
            lines += ["Connection: Upgrade", "Upgrade: websocket",
                      f"Sec-Websocket-Key: {self.key}", f"Sec-Websocket-Version: {version}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed during handshake: {self.buf!r}"
            self.buf += chunk
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        # A bytearray: appends and front deletions are amortised O(1), so reading many frames out of one
        # large recv does not copy the rest of the buffer each time.
        self.buf = bytearray(rest)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True, masked: bool = True) -> None:
        self.sock.sendall(frame_bytes(opcode, payload, fin, masked))

    def _read(self, n: int) -> bytes:
        if n >= 1 << 16 and len(self.buf) < n:  # a large payload: straight into its own buffer, one copy
            out = bytearray(n)
            have = len(self.buf)
            out[:have] = self.buf
            self.buf.clear()
            with memoryview(out) as view:
                while have < n:
                    got = self.sock.recv_into(view[have:])
                    if not got:
                        raise EOFError(f"EOF with {have} of {n} bytes")
                    have += got
            return out  # type: ignore[return-value]  # bytes-like; not copied again into bytes
        while len(self.buf) < n:
            # No more than needed past a short read (4 KiB, gorilla's read buffer): a header read that pulled
            # in most of a large payload would copy it once more into that payload's own buffer.
            chunk = self.sock.recv(max(4096, n - len(self.buf)))
            if not chunk:
                raise EOFError(f"EOF with {len(self.buf)} of {n} bytes")
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def recv_frame(self) -> tuple[bool, int, bytes]:
        b0, b1 = self._read(2)
        assert b0 & 0x70 == 0, "server set reserved bits"
        assert not b1 & 0x80, "server frames must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
            assert n >= 126, "16-bit length used for a short payload"
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
            assert n >= 1 << 16, "64-bit length used for a short payload"
        return bool(b0 & 0x80), b0 & 0x0F, self._read(n)

    def rest_until_eof(self) -> bytes:
        """Everything the server still sends before closing the TCP connection."""
        out = bytes(self.buf)
        while chunk := self.sock.recv(65536):
            out += chunk
        return out

    def close(self) -> None:
        self.sock.close()


def frame_bytes(opcode: int, payload: bytes, fin: bool = True, masked: bool = True) -> bytes:
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    mask_bit = 0x80 if masked else 0
    if n < 126:
        header = struct.pack(">BB", b0, mask_bit | n)
    elif n < 1 << 16:
        header = struct.pack(">BBH", b0, mask_bit | 126, n)
    else:
        header = struct.pack(">BBQ", b0, mask_bit | 127, n)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 64 else \
        header + mask + _xor_fast(payload, mask)


def _xor_fast(payload: bytes, mask: bytes) -> bytes:
    key = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(len(payload), "little")



def readable(client: RawClient, timeout: float) -> bool:
    """Whether a frame (or its start) is waiting, within `timeout` seconds."""
    if client.buf or (isinstance(client.sock, ssl.SSLSocket) and client.sock.pending()):
        return True  # already decrypted: select() cannot see it
    return bool(select.select([client.sock], [], [], timeout)[0])
