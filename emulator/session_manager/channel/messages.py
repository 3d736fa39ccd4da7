"""The binary message every data-channel websocket frame carries (ClientMessage / AgentMessage).

Layout (all big-endian; reference section 4): a uint32 header length (116, counting what follows it),
a 32-byte message type, schema version, created date in epoch ms, sequence number, flags, a 16-byte
message id, a SHA-256 payload digest, payload type, payload length, then the payload at HL+4.

Encoding matches the real agent byte for byte: the type is right-padded with spaces, the digest is
correct. Decoding is as lenient as the Go readers: the type may be padded with NULs or spaces on either
side, the payload runs from HL+4 to the end of the frame whatever PayloadLength says, and the digest is
kept but not enforced (ssm-session for npm sends a wrong one).
"""
from __future__ import annotations

import enum
import hashlib
import json
import struct
import uuid
from dataclasses import dataclass, field

HEADER_LENGTH = 116
PAYLOAD_OFFSET = HEADER_LENGTH + 4
SCHEMA_VERSION = 1
MESSAGE_TYPE_SIZE = 32

# HL | type | schema | created | seq | flags | id | digest | payload type | payload length
_HEADER = struct.Struct(">I32sIQqQ16s32sII")
assert _HEADER.size == PAYLOAD_OFFSET


class MessageType(enum.StrEnum):
    INPUT_STREAM_DATA = "input_stream_data"
    OUTPUT_STREAM_DATA = "output_stream_data"
    ACKNOWLEDGE = "acknowledge"
    CHANNEL_CLOSED = "channel_closed"
    START_PUBLICATION = "start_publication"
    PAUSE_PUBLICATION = "pause_publication"
    AGENT_SESSION_STATE = "agent_session_state"


class PayloadType(enum.IntEnum):
    NONE = 0  # acknowledge and channel_closed carry 0
    OUTPUT = 1
    ERROR = 2
    SIZE = 3
    PARAMETER = 4
    HANDSHAKE_REQUEST = 5
    HANDSHAKE_RESPONSE = 6
    HANDSHAKE_COMPLETE = 7
    ENC_CHALLENGE_REQUEST = 8
    ENC_CHALLENGE_RESPONSE = 9
    FLAG = 10
    STDERR = 11
    EXIT_CODE = 12


class MessageFlags(enum.IntFlag):
    NONE = 0
    SYN = 1
    FIN = 2


# What Go senders put on acks and channel_closed; nobody checks flags on receive.
CONTROL_FLAGS = MessageFlags.SYN | MessageFlags.FIN


# What a message carries: bytes, or for forwarded port data the pieces it is made of (smux headers and slices
# of what the destination sent), carried unjoined so that large payloads are never copied on their way out.
Payload = bytes | tuple[bytes | memoryview, ...]


class MessageFormatError(ValueError):
    """A frame too short or inconsistent to read a header from."""


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """One data-channel message. `payload_digest` is None when building (encode computes it) and the
    carried bytes after decoding. Unknown message or payload types decode as plain str/int."""

    message_type: MessageType | str
    sequence_number: int
    flags: MessageFlags | int
    message_id: uuid.UUID
    created_date: int  # epoch milliseconds, never 0 on the wire
    payload_type: PayloadType | int
    payload: Payload = b""
    schema_version: int = SCHEMA_VERSION
    payload_digest: bytes | None = field(default=None, compare=False)
    header_length: int = HEADER_LENGTH

    @property
    def digest_matches(self) -> bool:
        return self.payload_digest is None or self.payload_digest == payload_digest(self.payload)

    def problems(self) -> list[str]:
        """What the agent's Validate would reject (it does not check the digest)."""
        found = []
        if self.header_length == 0:
            found.append("HeaderLength is 0")
        if not self.message_type:
            found.append("MessageType is empty")
        if self.created_date == 0:
            found.append("CreatedDate is 0")
        return found


def payload_digest(payload: Payload) -> bytes:
    if isinstance(payload, tuple):
        digest = hashlib.sha256()
        for piece in payload:
            digest.update(piece)
        return digest.digest()
    return hashlib.sha256(payload).digest()


def payload_length(payload: Payload) -> int:
    return sum(map(len, payload)) if isinstance(payload, tuple) else len(payload)


def message_id_to_wire(message_id: uuid.UUID) -> bytes:
    """The Java-style two-long layout: the UUID's bytes 8-15 first, then bytes 0-7."""
    raw = message_id.bytes
    return raw[8:] + raw[:8]


def message_id_from_wire(wire: bytes) -> uuid.UUID:
    if len(wire) != 16:
        raise MessageFormatError(f"message id must be 16 bytes, got {len(wire)}")
    return uuid.UUID(bytes=wire[8:] + wire[:8])


def _encode_type(message_type: str) -> bytes:
    raw = message_type.encode("ascii")
    if len(raw) > MESSAGE_TYPE_SIZE:
        raise ValueError(f"message type longer than {MESSAGE_TYPE_SIZE} bytes: {message_type!r}")
    return raw.ljust(MESSAGE_TYPE_SIZE, b" ")


def _decode_type(raw: bytes) -> MessageType | str:
    text = raw.strip(b"\x00").decode("ascii", errors="replace").strip()
    try:
        return MessageType(text)
    except ValueError:
        return text


def encode_message(message: ChannelMessage) -> bytes:
    """The frame exactly as the real agent writes it (HL 116, space padding, fresh SHA-256)."""
    return b"".join(encode_parts(message))


def encode_parts(message: ChannelMessage) -> tuple[bytes | memoryview, ...]:
    """The same frame as buffers to write back to back (header, then the payload or its pieces)."""
    payload = message.payload
    header = _HEADER.pack(
        HEADER_LENGTH,
        _encode_type(str(message.message_type)),
        message.schema_version,
        message.created_date,
        message.sequence_number,
        int(message.flags),
        message_id_to_wire(message.message_id),
        payload_digest(payload),
        int(message.payload_type),
        payload_length(payload),
    )
    return (header, *payload) if isinstance(payload, tuple) else (header, payload)


def decode_message(frame: bytes) -> ChannelMessage:
    if len(frame) < PAYLOAD_OFFSET:
        raise MessageFormatError(f"frame of {len(frame)} bytes is shorter than the {PAYLOAD_OFFSET}-byte header")
    (header_length, raw_type, schema, created, sequence, flags, raw_id, digest, payload_type,
     _payload_length) = _HEADER.unpack_from(frame)
    # Readers slice the payload from HL+4, not by PayloadLength.
    start = header_length + 4
    if start > len(frame):
        raise MessageFormatError(f"header length {header_length} runs past the {len(frame)}-byte frame")
    try:
        payload_type = PayloadType(payload_type)
    except ValueError:
        pass
    try:
        flags = MessageFlags(flags)
    except ValueError:
        pass
    return ChannelMessage(
        message_type=_decode_type(raw_type),
        sequence_number=sequence,
        flags=flags,
        message_id=message_id_from_wire(raw_id),
        created_date=created,
        payload_type=payload_type,
        payload=bytes(frame[start:]),
        schema_version=schema,
        payload_digest=digest,
        header_length=header_length,
    )


def epoch_ms(now: float) -> int:
    """CreatedDate from epoch seconds; never 0, which both plugin and agent reject."""
    return max(1, int(now * 1000))


def stream_data(message_type: MessageType, sequence_number: int, payload_type: PayloadType | int,
                payload: Payload, now: float, message_id: uuid.UUID | None = None) -> ChannelMessage:
    """An input_stream_data/output_stream_data message. The agent flags its seq 0 SYN; input is always 0."""
    flags = MessageFlags.NONE
    if message_type is MessageType.OUTPUT_STREAM_DATA and sequence_number == 0:
        flags = MessageFlags.SYN
    return ChannelMessage(message_type, sequence_number, flags, message_id or uuid.uuid4(), epoch_ms(now),
                          payload_type, payload if isinstance(payload, tuple) else bytes(payload))


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The JSON an `acknowledge` message carries. Senders match acks by sequence number only."""

    message_type: str
    message_id: str
    sequence_number: int
    is_sequential: bool = True

    def to_json(self) -> bytes:
        return json.dumps({
            "AcknowledgedMessageType": self.message_type,
            "AcknowledgedMessageId": self.message_id,
            "AcknowledgedMessageSequenceNumber": self.sequence_number,
            "IsSequentialMessage": self.is_sequential,
        }, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, payload: bytes) -> Acknowledgement:
        try:
            body = json.loads(payload)
            return cls(str(body.get("AcknowledgedMessageType", "")), str(body.get("AcknowledgedMessageId", "")),
                       int(body["AcknowledgedMessageSequenceNumber"]), bool(body.get("IsSequentialMessage", True)))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise MessageFormatError(f"not an acknowledge payload: {payload[:80]!r}") from error


def acknowledge(received: ChannelMessage, now: float) -> ChannelMessage:
    """The ack for a received stream-data message: seq 0, flags SYN|FIN, payload type 0."""
    content = Acknowledgement(str(received.message_type), str(received.message_id), received.sequence_number)
    return ChannelMessage(MessageType.ACKNOWLEDGE, 0, CONTROL_FLAGS, uuid.uuid4(), epoch_ms(now),
                          PayloadType.NONE, content.to_json())
