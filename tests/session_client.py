"""A Session Manager data-channel CLIENT for the tests, playing the session-manager-plugin's side.

Written from the protocol reference alone and sharing no code with `emulator.session_manager.channel`
(not even the byte codec), so the two check each other. The core is transport-agnostic: feed frames
received from the server into `receive`, send whatever comes back; call `poll` every 100 ms.
It follows the plugin's receiver rules (reference section 7), including the ones that hurt: output
arriving before the session handler is ready is dropped unacked, duplicates are dropped silently,
digests are enforced, and an unacked head is resent on every poll once the first 200 ms have passed.
"""
from __future__ import annotations

import hashlib
import json
import struct
import time
import uuid
from dataclasses import dataclass, field

_SHELL_TYPES = {"Standard_Stream", "InteractiveCommands", "NonInteractiveCommands"}
_FIRST_RTO = 0.2
_MUX_AFTER_AGENT = "3.0.196.0"  # the plugin multiplexes with agents newer than this
_FIRST_MUX_CLIENT = (1, 1, 70)  # plugins older than this had no smux at all


@dataclass
class WireMessage:
    message_type: str
    seq: int
    flags: int
    message_id: uuid.UUID
    created: int
    payload_type: int
    payload: bytes | memoryview  # decoded: a view into the frame (as a Go slice is), not a copy
    digest: bytes = b""
    header_length: int = 116


def encode(message: WireMessage) -> bytes:
    frame = bytearray(120)
    frame[0:4] = (116).to_bytes(4, "big")
    name = message.message_type.encode()
    frame[4:36] = name + b" " * (32 - len(name))
    frame[36:40] = (1).to_bytes(4, "big")
    frame[40:48] = message.created.to_bytes(8, "big")
    frame[48:56] = message.seq.to_bytes(8, "big", signed=True)
    frame[56:64] = message.flags.to_bytes(8, "big")
    raw = message.message_id.bytes
    frame[64:72], frame[72:80] = raw[8:16], raw[0:8]
    frame[80:112] = hashlib.sha256(message.payload).digest()
    frame[112:116] = message.payload_type.to_bytes(4, "big")
    frame[116:120] = len(message.payload).to_bytes(4, "big")
    return bytes(frame) + message.payload


def decode(frame: bytes) -> WireMessage:
    header_length = int.from_bytes(frame[0:4], "big")
    return WireMessage(
        message_type=frame[4:36].strip(b"\x00").decode().strip(),
        seq=int.from_bytes(frame[48:56], "big", signed=True),
        flags=int.from_bytes(frame[56:64], "big"),
        message_id=uuid.UUID(bytes=bytes(frame[72:80] + frame[64:72])),
        created=int.from_bytes(frame[40:48], "big"),
        payload_type=int.from_bytes(frame[112:116], "big"),
        payload=memoryview(frame)[header_length + 4:],
        digest=frame[80:112],
        header_length=header_length,
    )


class ClientMux:
    """The plugin's smux v1 client, minimal: odd stream ids from 3, frames reassembled from any split."""

    def __init__(self, keep_data: bool = True) -> None:
        self.next_id = 3
        self.keep_data = keep_data  # False: only count (the throughput bench), sparing fresh memory per byte
        self.received: dict[int, bytearray] = {}
        self.received_bytes: dict[int, int] = {}
        self.closed_by_peer: set[int] = set()
        self._buffer = bytearray()

    def syn(self) -> tuple[int, bytes]:
        stream_id, self.next_id = self.next_id, self.next_id + 2
        self.received[stream_id] = bytearray()
        self.received_bytes[stream_id] = 0
        return stream_id, bytes([1, 0, 0, 0]) + stream_id.to_bytes(4, "little")

    @staticmethod
    def psh(stream_id: int, data: bytes) -> bytes:
        out = b""
        for i in range(0, len(data), 32768):
            piece = data[i:i + 32768]
            out += bytes([1, 2]) + len(piece).to_bytes(2, "little") + stream_id.to_bytes(4, "little") + piece
        return out

    @staticmethod
    def fin(stream_id: int) -> bytes:
        return bytes([1, 1, 0, 0]) + stream_id.to_bytes(4, "little")

    def feed(self, data: bytes) -> None:
        # Frames are parsed in place through a memoryview; only an incomplete tail is kept for next time.
        if self._buffer:
            self._buffer += data
            data = self._buffer
        with memoryview(data) as view:
            offset, end = 0, len(view)
            while end - offset >= 8:
                length = int.from_bytes(view[offset + 2:offset + 4], "little")
                if end - offset - 8 < length:
                    break
                command, stream_id = view[offset + 1], int.from_bytes(view[offset + 4:offset + 8], "little")
                if command == 2 and stream_id in self.received:
                    self.received_bytes[stream_id] += length
                    if self.keep_data:
                        self.received[stream_id] += view[offset + 8:offset + 8 + length]
                elif command == 1:
                    self.closed_by_peer.add(stream_id)
                offset += 8 + length
            self._buffer = bytearray(view[offset:])


@dataclass
class _Sent:
    frame: bytes
    first_sent: float


@dataclass
class SessionClient:
    token: str
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_version: str = "1.2.0.0"
    session_id: str = ""

    def __post_init__(self) -> None:
        self.session_type: str | None = None
        self.properties: dict | None = None
        self.agent_version = ""
        self.handler_ready = False
        self._handler_pending = False
        self.expected_seq = 0
        self._ahead: dict[int, WireMessage] = {}
        self.next_seq = 0
        self.outgoing: dict[int, _Sent] = {}
        self.display = bytearray()  # what a shell session prints
        self.closed = False
        self.closed_output: str | None = None
        self.customer_message = ""
        self.port_errors = 0
        self.mux = ClientMux()
        # Basic and stdio port modes: what was written raw to each local connection (stdio: one, stdout).
        self.connections: list[bytearray] = []
        self.local_open = False  # basic mode: a local connection is accepted (stdio: always, once ready)
        self.dropped: list[tuple[int, str]] = []  # (seq, why) of output_stream_data not taken
        self._port_mode_key: tuple | None = None
        self._port_mode = ""

    # --- sending ---
    def open_frame(self) -> str:
        return json.dumps({"MessageSchemaVersion": "1.0", "RequestId": str(uuid.uuid4()), "TokenValue": self.token,
                           "ClientId": self.client_id, "ClientVersion": self.client_version})

    def reconnect(self, token: str) -> str:
        """After ResumeSession: the new OpenDataChannelInput; unacked input is resent by `poll`."""
        self.token = token
        return self.open_frame()

    def _stream(self, payload_type: int, payload: bytes, now: float) -> bytes:
        if payload == b"\n":
            payload = b"\r"  # the plugin rewrites a lone newline
        message = WireMessage("input_stream_data", self.next_seq, 0, uuid.uuid4(), int(now * 1000) or 1,
                              payload_type, payload)
        frame = encode(message)
        self.outgoing[self.next_seq] = _Sent(frame, now)
        self.next_seq += 1
        return frame

    def send_input(self, data: bytes, now: float) -> list[bytes]:
        return [self._stream(1, data[i:i + 1024], now) for i in range(0, len(data), 1024)]

    def resize(self, cols: int, rows: int, now: float) -> bytes:
        return self._stream(3, json.dumps({"cols": cols, "rows": rows}).encode(), now)

    def send_flag(self, value: int, now: float) -> bytes:
        return self._stream(10, struct.pack(">I", value), now)

    def open_stream(self, now: float) -> tuple[int, list[bytes]]:
        stream_id, syn = self.mux.syn()
        return stream_id, self.send_input(syn, now)

    def write_stream(self, stream_id: int, data: bytes, now: float) -> list[bytes]:
        return self.send_input(ClientMux.psh(stream_id, data), now)

    def close_stream(self, stream_id: int, now: float) -> list[bytes]:
        return self.send_input(ClientMux.fin(stream_id), now)

    @property
    def port_mode(self) -> str:
        """The plugin's choice (reference 6.4): "mux", "basic" or "stdio". Asked for every message, so worked
        out again only when what it depends on changes (the plugin decides once, after the handshake)."""
        key = ((self.properties or {}).get("type"), self.client_version, self.agent_version)
        if key != self._port_mode_key:
            self._port_mode_key, self._port_mode = key, _port_mode(*key)
        return self._port_mode

    def accept(self) -> None:
        """Basic mode: a local TCP client connects; what comes next is written to it."""
        self.connections.append(bytearray())
        self.local_open = True

    def disconnect(self, now: float) -> bytes:
        """Basic mode: the local connection ended; the plugin tells the agent with DisconnectToPort."""
        self.local_open = False
        return self.send_flag(1, now)

    @property
    def raw_received(self) -> bytes:
        """Basic and stdio modes: what the current (last) local connection, or stdout, was written."""
        return bytes(self.connections[-1]) if self.connections else b""

    def poll(self, now: float) -> list[bytes]:
        """The 100 ms scheduler: the session handler comes up, and the head of the unacked list is resent
        once older than the first RTO (and then on every poll: the plugin's LastSentTime bug)."""
        if self._handler_pending:
            self._handler_pending, self.handler_ready = False, True
            if self.session_type == "Port" and self.port_mode == "stdio":
                self.accept()  # stdin and stdout are there at once
        if not self.outgoing:
            return []
        head = self.outgoing[min(self.outgoing)]
        return [head.frame] if now - head.first_sent >= _FIRST_RTO else []

    # --- receiving ---
    def _ack(self, message: WireMessage, now: float) -> bytes:
        body = json.dumps({"AcknowledgedMessageType": message.message_type,
                           "AcknowledgedMessageId": str(message.message_id),
                           "AcknowledgedMessageSequenceNumber": message.seq, "IsSequentialMessage": True}).encode()
        return encode(WireMessage("acknowledge", 0, 3, uuid.uuid4(), int(now * 1000) or 1, 0, body))

    def receive(self, frame: bytes, now: float | None = None) -> list[bytes]:
        now = time.time() if now is None else now
        message = decode(frame)
        if message.message_type in ("start_publication", "pause_publication"):
            return []
        if (message.header_length == 0 or not message.message_type or message.created == 0
                or (message.payload and hashlib.sha256(message.payload).digest() != message.digest)):
            self.dropped.append((message.seq, "invalid"))
            return []
        if message.message_type == "acknowledge":
            self.outgoing.pop(json.loads(bytes(message.payload))["AcknowledgedMessageSequenceNumber"], None)
            return []
        if message.message_type == "channel_closed":
            self.closed = True
            self.closed_output = json.loads(bytes(message.payload)).get("Output", "")
            return []
        if message.message_type != "output_stream_data":
            return []
        if message.seq < self.expected_seq:
            self.dropped.append((message.seq, "duplicate"))
            return []
        if message.seq > self.expected_seq:
            self._ahead.setdefault(message.seq, message)
            return [self._ack(message, now)]
        out: list[bytes] = []
        if message.payload_type in (5, 7, 8):
            out.append(self._ack(message, now))
            out += self._process(message, now)
        else:
            if self.session_type is None and message.payload_type == 1:
                self.session_type, self.handler_ready = "Standard_Stream", True  # no-handshake fallback
            if not self.handler_ready or (self.session_type == "Port" and self.port_mode != "mux"
                                          and not self.local_open):
                self.dropped.append((message.seq, "not ready"))
                return []
            out += self._process(message, now)
            out.append(self._ack(message, now))
        self.expected_seq += 1
        while self.expected_seq in self._ahead:  # readiness is not rechecked while draining
            out += self._process(self._ahead.pop(self.expected_seq), now)
            self.expected_seq += 1
        return out

    def _process(self, message: WireMessage, now: float) -> list[bytes]:
        if message.payload_type == 5:
            return [self._stream(6, self._handshake_response(json.loads(bytes(message.payload))), now)]
        if message.payload_type == 7:
            self.customer_message = json.loads(bytes(message.payload)).get("CustomerMessage", "")
            if self.session_type is not None:
                self._handler_pending = True
            return []
        if self.session_type == "Port" and self.port_mode != "mux":
            if self.connections:
                self.connections[-1] += message.payload  # any payload type, as the plugin writes them
            else:  # drained from the buffer before any local connection: readiness is not rechecked then
                self.dropped.append((message.seq, "no local connection"))
        elif self.session_type == "Port":
            if message.payload_type == 1:
                self.mux.feed(message.payload)
            elif message.payload_type == 10 and message.payload == b"\x00\x00\x00\x03":
                self.port_errors += 1
        else:
            self.display += message.payload
        return []

    def _handshake_response(self, request: dict) -> bytes:
        self.agent_version = request.get("AgentVersion", "")
        processed, errors = [], []
        for action in request.get("RequestedClientActions", []):
            if action["ActionType"] == "SessionType":
                wanted = action["ActionParameters"]["SessionType"]
                known = wanted in _SHELL_TYPES or wanted == "Port"
                if known:
                    self.session_type = "Port" if wanted == "Port" else "Standard_Stream"
                    self.properties = action["ActionParameters"].get("Properties")
                processed.append({"ActionType": "SessionType", "ActionStatus": 1 if known else 2,
                                  "ActionResult": None, "Error": "" if known else f"Unknown session type {wanted}"})
            else:
                errors.append(f"Unsupported action {action['ActionType']}")
                processed.append({"ActionType": action["ActionType"], "ActionResult": 3, "Error": errors[-1]})
        return json.dumps({"ClientVersion": self.client_version, "ProcessedClientActions": processed,
                           "Errors": errors or None}).encode()


def _port_mode(document_type: str | None, client_version: str, agent_version: str) -> str:
    if document_type != "LocalPortForwarding":
        return "stdio"
    new_client = _parts(client_version) >= _FIRST_MUX_CLIENT
    return "mux" if new_client and _newer(agent_version, _MUX_AFTER_AGENT) else "basic"


def _parts(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def _newer(version: str, than: str) -> bool:
    """The plugin's compare: unequal part counts or a non-number mean "not supported"."""
    mine, theirs = _parts(version), _parts(than)
    return len(mine) == len(theirs) and mine > theirs
