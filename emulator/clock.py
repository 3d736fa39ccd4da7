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


def timestamp(epoch: float) -> datetime:
    """A stored epoch-seconds value as the aware UTC datetime the API models carry."""
    return datetime.fromtimestamp(epoch, timezone.utc)
