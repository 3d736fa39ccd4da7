"""Session-type negotiation on the data channel, and the text frame that opens it.

The agent side sends HandshakeRequest (payload type 5) as its output seq 0; the client answers with a
HandshakeResponse (6); the agent side confirms with HandshakeComplete (7). The emulator always
handshakes, shells included (reference 6.3: tested to work, and one code path), and never asks for
KMSEncryption: the plugin's KMS client cannot be pointed at a local endpoint (reference section 2).
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

# 4 parts, because the plugin's version compare refuses unequal part counts; > 3.0.196.0 selects smux
# port forwarding and > 3.1.1511.0 turns the plugin's smux keepalive off (reference 6.4).
AGENT_VERSION = "3.3.0.0"
# The agent multiplexes a LocalPortForwarding session (smux) only for a client at least this new; an older
# one gets a single raw connection, "basic" mode (agent/session/plugins/port/port.go, reference 6.4).
MUX_SUPPORTED_CLIENT_VERSION = "1.1.70"


class SessionType(enum.StrEnum):
    STANDARD_STREAM = "Standard_Stream"
    INTERACTIVE_COMMANDS = "InteractiveCommands"
    NON_INTERACTIVE_COMMANDS = "NonInteractiveCommands"
    PORT = "Port"


class ActionType(enum.StrEnum):
    SESSION_TYPE = "SessionType"
    KMS_ENCRYPTION = "KMSEncryption"


class ActionStatus(enum.IntEnum):
    SUCCESS = 1
    FAILED = 2
    UNSUPPORTED = 3


class HandshakeError(ValueError):
    """A handshake or OpenDataChannelInput payload that cannot be read."""


def _json_object(payload: bytes | str, what: str) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise HandshakeError(f"{what} is not JSON") from error
    if not isinstance(body, dict):
        raise HandshakeError(f"{what} is not a JSON object")
    return body


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class HandshakeRequest:
    session_type: str
    properties: dict[str, Any] | None
    agent_version: str = AGENT_VERSION

    def to_json(self) -> bytes:
        # Properties are null for the shell types and the document's session properties for Port.
        return _dumps({
            "AgentVersion": self.agent_version,
            "RequestedClientActions": [{
                "ActionType": ActionType.SESSION_TYPE.value,
                "ActionParameters": {"SessionType": str(self.session_type), "Properties": self.properties},
            }],
        })

    @classmethod
    def from_json(cls, payload: bytes | str) -> HandshakeRequest:
        body = _json_object(payload, "HandshakeRequest")
        for action in body.get("RequestedClientActions") or []:
            if isinstance(action, dict) and action.get("ActionType") == ActionType.SESSION_TYPE:
                parameters = action.get("ActionParameters") or {}
                return cls(str(parameters.get("SessionType", "")), parameters.get("Properties"),
                           str(body.get("AgentVersion", "")))
        raise HandshakeError("HandshakeRequest has no SessionType action")


def handshake_request(session_type: SessionType, properties: dict[str, Any] | None = None,
                      agent_version: str = AGENT_VERSION) -> bytes:
    if session_type is not SessionType.PORT:
        properties = None
    return HandshakeRequest(session_type, properties, agent_version).to_json()


def port_forwarding_properties(port_number: int | str, local_port_number: int | str | None = None,
                               host: str | None = None) -> dict[str, str]:
    """Properties for AWS-StartPortForwardingSession(/ToRemoteHost): smux mode in the plugin."""
    properties = {"portNumber": str(port_number), "type": "LocalPortForwarding",
                  "localPortNumber": "" if local_port_number is None else str(local_port_number)}
    if host is not None:
        properties["host"] = host
    return properties


def ssh_session_properties(port_number: int | str = 22) -> dict[str, str]:
    """Properties for AWS-StartSSHSession: no `type`, which puts the plugin in stdin/stdout mode."""
    return {"portNumber": str(port_number)}


def client_supports_smux(client_version: str) -> bool:
    """The agent's choice of port mode from the HandshakeResponse's ClientVersion (missing: basic)."""
    return compare_versions(client_version, MUX_SUPPORTED_CLIENT_VERSION) >= 0


def compare_versions(this: str, other: str) -> int:
    """The agent's strict versionutil.Compare: part by part, as numbers where both parts are, else as text;
    equal up to the shorter one, the one with fewer parts is older. (It uses semver rules when both are
    semver, which orders plain x.y.z the same way.)"""
    these, others = this.split("."), other.split(".")
    for a, b in zip(these, others):
        if _numeric(a) and _numeric(b):
            order = (int(a) > int(b)) - (int(a) < int(b))
        else:
            order = (a > b) - (a < b)
        if order:
            return order
    return len(these) - len(others)


def _numeric(part: str) -> bool:
    return part.isascii() and part.isdigit()


@dataclass(frozen=True, slots=True)
class ProcessedClientAction:
    action_type: str
    action_status: int | None
    action_result: Any = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class HandshakeResponse:
    client_version: str
    processed_actions: tuple[ProcessedClientAction, ...]
    errors: tuple[str, ...] = ()

    @property
    def session_type_accepted(self) -> bool:
        return any(action.action_type == ActionType.SESSION_TYPE and action.action_status == ActionStatus.SUCCESS
                   for action in self.processed_actions)

    def to_json(self) -> bytes:
        return _dumps({
            "ClientVersion": self.client_version,
            "ProcessedClientActions": [
                {"ActionType": action.action_type, "ActionStatus": action.action_status,
                 "ActionResult": action.action_result, "Error": action.error}
                for action in self.processed_actions],
            "Errors": list(self.errors) or None,
        })

    @classmethod
    def from_json(cls, payload: bytes | str) -> HandshakeResponse:
        body = _json_object(payload, "HandshakeResponse")
        actions = []
        for action in body.get("ProcessedClientActions") or []:
            if not isinstance(action, dict):
                raise HandshakeError("ProcessedClientActions holds a non-object")
            # For an unknown action the plugin puts 3 (Unsupported) in ActionResult and leaves ActionStatus 0.
            status = action.get("ActionStatus")
            actions.append(ProcessedClientAction(str(action.get("ActionType", "")),
                                                 status if isinstance(status, int) else None,
                                                 action.get("ActionResult"), str(action.get("Error") or "")))
        errors = body.get("Errors") or []
        return cls(str(body.get("ClientVersion", "")), tuple(actions), tuple(str(e) for e in errors))


@dataclass(frozen=True, slots=True)
class HandshakeComplete:
    time_to_complete_ns: int  # a Go time.Duration
    customer_message: str = ""

    def to_json(self) -> bytes:
        return _dumps({"HandshakeTimeToComplete": self.time_to_complete_ns, "CustomerMessage": self.customer_message})

    @classmethod
    def from_json(cls, payload: bytes | str) -> HandshakeComplete:
        body = _json_object(payload, "HandshakeComplete")
        try:
            return cls(int(body.get("HandshakeTimeToComplete") or 0), str(body.get("CustomerMessage") or ""))
        except (TypeError, ValueError) as error:
            raise HandshakeError("HandshakeTimeToComplete is not an integer") from error


@dataclass(frozen=True, slots=True)
class OpenDataChannelInput:
    """The one text frame the client sends after the websocket opens. ClientId is one per plugin process
    (kept across reconnects); RequestId is fresh each time; ClientVersion is absent from older clients."""

    token_value: str
    message_schema_version: str = "1.0"
    request_id: str = ""
    client_id: str = ""
    client_version: str = ""

    def to_json(self) -> str:
        body = {"MessageSchemaVersion": self.message_schema_version, "RequestId": self.request_id,
                "TokenValue": self.token_value, "ClientId": self.client_id}
        if self.client_version:
            body["ClientVersion"] = self.client_version
        return json.dumps(body)

    @classmethod
    def from_json(cls, text: bytes | str) -> OpenDataChannelInput:
        body = _json_object(text, "OpenDataChannelInput")
        token = body.get("TokenValue")
        if not isinstance(token, str) or not token:
            raise HandshakeError("OpenDataChannelInput carries no TokenValue")
        return cls(token, str(body.get("MessageSchemaVersion") or ""), str(body.get("RequestId") or ""),
                   str(body.get("ClientId") or ""), str(body.get("ClientVersion") or ""))
