"""Payloads of shell-type sessions and of a session's end: terminal size, control flags, exit code and
the `channel_closed` message (reference sections 5, 8 and 9)."""
from __future__ import annotations

import enum
import json
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from .messages import CONTROL_FLAGS, ChannelMessage, MessageType, PayloadType, epoch_ms

# The plugin turns these signals into input bytes; the remote pty interprets them.
CTRL_C = b"\x03"       # SIGINT
CTRL_BACKSLASH = b"\x1c"  # SIGQUIT
CTRL_Z = b"\x1a"       # SIGTSTP


class PayloadFlag(enum.IntEnum):
    """The uint32 a Flag payload (type 10) carries."""

    DISCONNECT_TO_PORT = 1     # client -> agent, basic port mode: the local connection ended
    TERMINATE_SESSION = 2      # client -> agent: Ctrl-C in a port session
    CONNECT_TO_PORT_ERROR = 3  # agent -> client, smux mode only: dialing the destination failed


@dataclass(frozen=True, slots=True)
class TerminalSize:
    cols: int
    rows: int

    def to_json(self) -> bytes:
        return json.dumps({"cols": self.cols, "rows": self.rows}, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> TerminalSize:
        try:
            body = json.loads(payload)
            cols, rows = body["cols"], body["rows"]
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"not a size payload: {payload[:80]!r}") from error
        if not (isinstance(cols, int) and isinstance(rows, int)) or cols < 0 or rows < 0:
            raise ValueError(f"size needs non-negative integer cols and rows: {payload[:80]!r}")
        return cls(cols, rows)


def flag_payload(flag: PayloadFlag) -> bytes:
    return struct.pack(">I", flag)


def parse_flag(payload: bytes) -> PayloadFlag | int:
    if len(payload) != 4:
        raise ValueError(f"a Flag payload is 4 bytes, got {len(payload)}")
    (value,) = struct.unpack(">I", payload)
    try:
        return PayloadFlag(value)
    except ValueError:
        return value


_EXIT_CODE = re.compile(rb"^\s*EXIT_CODE:\s*(-?\d+)\s*$")


def exit_code_payload(code: int) -> bytes:
    """Payload type 12, sent only by NonInteractiveCommands with separateOutputStream; the plugin prints it."""
    return f"EXIT_CODE: {code}".encode()


def parse_exit_code(payload: bytes) -> int | None:
    match = _EXIT_CODE.match(payload)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class ChannelClosed:
    """What `channel_closed` carries. The plugin reads only `Output`: empty prints "Exiting session with
    sessionId", anything else "SessionId: <id> : <Output>"; it exits 0 either way, so the remote exit
    status never reaches `aws ssm start-session`."""

    session_id: str
    output: str = ""
    message_id: str = ""
    created_date: str = ""
    destination_id: str = ""

    def to_json(self) -> bytes:
        return json.dumps({
            "MessageId": self.message_id, "CreatedDate": self.created_date, "DestinationId": self.destination_id,
            "SessionId": self.session_id, "MessageType": MessageType.CHANNEL_CLOSED.value, "SchemaVersion": 1,
            "Output": self.output,
        }, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> ChannelClosed:
        try:
            body = json.loads(payload)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ValueError("channel_closed payload is not a JSON object")
        return cls(str(body.get("SessionId") or ""), str(body.get("Output") or ""), str(body.get("MessageId") or ""),
                   str(body.get("CreatedDate") or ""), str(body.get("DestinationId") or ""))


def channel_closed(session_id: str, output: str, now: float, destination_id: str = "") -> ChannelMessage:
    message_id = uuid.uuid4()
    created = epoch_ms(now)
    content = ChannelClosed(session_id, output, str(message_id), _iso_ms(created), destination_id)
    return ChannelMessage(MessageType.CHANNEL_CLOSED, 0, CONTROL_FLAGS, message_id, created, PayloadType.NONE,
                          content.to_json())


def _iso_ms(created_ms: int) -> str:
    moment = datetime.fromtimestamp(created_ms / 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created_ms % 1000:03d}Z"
