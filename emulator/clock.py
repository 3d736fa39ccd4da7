"""The emulator's notion of now: one place to read time, so schedules and tests agree."""
from __future__ import annotations

import time
from datetime import datetime, timezone


class Clock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def time(self) -> float:
        """Epoch seconds."""
        return time.time()


def instant(text: str) -> float | None:
    """Epoch seconds of a time a filter value gives: epoch seconds, or ISO 8601 (2024-01-02T03:04:05Z; UTC
    when it names no zone); None when it is neither."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def timestamp(epoch: float) -> datetime:
    """A stored epoch-seconds value as the aware UTC datetime the API models carry."""
    return datetime.fromtimestamp(epoch, timezone.utc)
