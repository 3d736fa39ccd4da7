"""What StartSession reads from a Session document besides its preferences: the session type, and the
`properties` handed to the agent, with the StartSession parameters filled in (Port: the session
properties; InteractiveCommands and NonInteractiveCommands: the shell properties)."""
from __future__ import annotations

import re
from typing import Any

from emulator.session_manager.channel.handshake import SessionType

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


def session_type(content: Any) -> SessionType | None:
    """The document's sessionType; None when it names none the emulator knows."""
    kind = content.get("sessionType") if isinstance(content, dict) else None
    return SessionType(kind) if kind in tuple(SessionType) else None


def session_properties(content: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The document's `properties` with {{ parameter }} placeholders filled in (strings stay strings)."""
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: "" if values.get(m.group(1)) is None else str(values[m.group(1)]),
                                    value)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    properties = content.get("properties")
    return fill(properties) if isinstance(properties, dict) else {}
