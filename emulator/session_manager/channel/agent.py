"""The agent's side of one session's data channel: what the emulator (playing MGS and the SSM agent)
sends and how it reacts, frame by frame, with time passed in.

Flow: `start` sends HandshakeRequest as output seq 0; the client's HandshakeResponse yields
HandshakeComplete and a `HandshakeDone` event; after that `send` streams output, `receive` turns client
frames into acks and events, `poll` (every 100 ms) retransmits, `resume` resends all unacked output
on a new websocket, and `close` produces `channel_closed`. The first output after HandshakeComplete is
usually dropped by the plugin (its handler is not ready yet) and arrives through retransmission.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .handshake import AGENT_VERSION, HandshakeComplete, HandshakeError, HandshakeResponse, SessionType, \
    handshake_request
from .messages import ChannelMessage, MessageFormatError, MessageType, PayloadType, Acknowledgement, \
    Payload, acknowledge, decode_message, encode_message, encode_parts
from .sequencing import IncomingStream, OutgoingStream
from .terminal import PayloadFlag, TerminalSize, channel_closed, parse_flag

# The agent hands the client at most 1024 bytes of shell output per message.
MAX_OUTPUT_PAYLOAD = 1024


@dataclass(frozen=True, slots=True)
class HandshakeDone:
    response: HandshakeResponse
    accepted: bool  # False: the client refused the session type; close the session with a reason


@dataclass(frozen=True, slots=True)
class InputReceived:
    """Keystrokes for a shell, bytes (or smux frames) for a port session."""

    data: bytes


@dataclass(frozen=True, slots=True)
class SizeChanged:
    size: TerminalSize


@dataclass(frozen=True, slots=True)
class FlagReceived:
    flag: PayloadFlag | int


ChannelEvent = HandshakeDone | InputReceived | SizeChanged | FlagReceived


@dataclass(frozen=True, slots=True)
class Step:
    """The result of one received frame: frames to send back (acks, HandshakeComplete) and events."""

    frames: tuple[bytes, ...] = ()
    events: tuple[ChannelEvent, ...] = ()
    rejected: str = ""  # why the frame was dropped, for the log


class AgentChannel:
    def __init__(self, session_id: str, session_type: SessionType, properties: dict[str, Any] | None = None,
                 agent_version: str = AGENT_VERSION, max_payload: int = MAX_OUTPUT_PAYLOAD) -> None:
        self.session_id = session_id
        self.max_payload = max_payload
        self.session_type = session_type
        self.properties = properties
        self.agent_version = agent_version
        self.outgoing = OutgoingStream(MessageType.OUTPUT_STREAM_DATA)
        self.incoming = IncomingStream()
        self.handshake_complete = False
        self.client_version = ""  # the accepted HandshakeResponse's ClientVersion: picks the port mode
        self.terminal_size: TerminalSize | None = None
        self.closed = False
        self._started_at = 0.0

    @property
    def all_acked(self) -> bool:
        return not self.outgoing.unacked

    def start(self, now: float) -> list[bytes]:
        self._started_at = now
        payload = handshake_request(self.session_type, self.properties, self.agent_version)
        return [encode_message(self.outgoing.send(PayloadType.HANDSHAKE_REQUEST, payload, now))]

    def send(self, data: Payload, now: float,
             payload_type: PayloadType = PayloadType.OUTPUT) -> list[tuple[bytes | memoryview, ...]]:
        """Output as frames of buffers, each one websocket message, unjoined so that large payloads are not
        copied on their way out. Bytes are cut into max_payload messages; pieces go as one message."""
        if isinstance(data, tuple):
            return [encode_parts(self.outgoing.send(payload_type, data, now))] if data else []
        size = self.max_payload
        return [encode_parts(self.outgoing.send(payload_type, data[i:i + size], now))
                for i in range(0, len(data), size)]

    def poll(self, now: float) -> list[bytes]:
        return [encode_message(message) for message in self.outgoing.due(now)]

    def resume(self, now: float) -> list[bytes]:
        return [encode_message(message) for message in self.outgoing.resume(now)]

    def close(self, now: float, output: str = "") -> bytes:
        self.closed = True
        return encode_message(channel_closed(self.session_id, output, now))

    def receive(self, frame: bytes, now: float, ready: bool = True) -> Step:
        """`ready` False while the handler cannot take input (no pty yet, port not connected): the expected
        message is then left unacked so the client resends it. Handshake messages are always taken."""
        try:
            message = decode_message(frame)
        except MessageFormatError as error:
            return Step(rejected=str(error))
        if problems := message.problems():
            return Step(rejected="; ".join(problems))
        if message.message_type == MessageType.ACKNOWLEDGE:
            try:
                self.outgoing.acknowledge(Acknowledgement.from_json(message.payload).sequence_number, now)
            except MessageFormatError as error:
                return Step(rejected=str(error))
            return Step()
        if message.message_type != MessageType.INPUT_STREAM_DATA:
            return Step(rejected=f"unexpected {message.message_type!r} from the client")
        handshake = message.payload_type == PayloadType.HANDSHAKE_RESPONSE
        receipt = self.incoming.receive(message, ready=ready or handshake or not self.handshake_complete)
        frames = [encode_message(acknowledge(message, now))] if receipt.acknowledge else []
        events: list[ChannelEvent] = []
        for delivered in receipt.delivered:
            self._process(delivered, now, frames, events)
        return Step(tuple(frames), tuple(events))

    def _process(self, message: ChannelMessage, now: float, frames: list[bytes], events: list[ChannelEvent]) -> None:
        kind = message.payload_type
        if kind == PayloadType.HANDSHAKE_RESPONSE:
            if self.handshake_complete:
                return
            try:
                response = HandshakeResponse.from_json(message.payload)
            except HandshakeError:
                response = HandshakeResponse("", ())
            accepted = response.session_type_accepted
            if accepted:
                self.handshake_complete = True
                self.client_version = response.client_version
                elapsed_ns = max(0, int((now - self._started_at) * 1e9))
                complete = HandshakeComplete(elapsed_ns).to_json()
                frames.append(encode_message(self.outgoing.send(PayloadType.HANDSHAKE_COMPLETE, complete, now)))
            events.append(HandshakeDone(response, accepted))
        elif kind == PayloadType.SIZE:
            try:
                self.terminal_size = TerminalSize.from_json(message.payload)
            except ValueError:
                return
            events.append(SizeChanged(self.terminal_size))
        elif kind == PayloadType.FLAG:
            try:
                events.append(FlagReceived(parse_flag(message.payload)))
            except ValueError:
                return
        elif kind == PayloadType.OUTPUT and self.handshake_complete:
            # Like the agent: input before the handshake finishes is acked and discarded.
            events.append(InputReceived(message.payload))
