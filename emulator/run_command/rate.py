"""Rate control: MaxConcurrency and MaxErrors as numbers of invocations, and what may be dispatched.

Both take a number ("10") or a percentage of the targets ("10%"); defaults 50 and 0 (AWS's).
A percentage of concurrency rounds up and is at least 1, so a command always makes progress ("10%"
of 3 targets runs one at a time); a percentage of errors rounds down ("10%" of 5 targets tolerates
none). Dispatch stops for good once errors exceed MaxErrors: invocations already running finish,
the ones not sent yet end Cancelled/Terminated (AWS: "the system stops sending the command to
additional targets").
"""
from __future__ import annotations

import math

DEFAULT_MAX_CONCURRENCY = "50"
DEFAULT_MAX_ERRORS = "0"


def _absolute(value: str, target_count: int, round_up: bool) -> int:
    if value.endswith("%"):
        share = int(value[:-1]) * target_count / 100
        return math.ceil(share) if round_up else math.floor(share)
    return int(value)


def concurrency_limit(value: str, target_count: int) -> int:
    return max(1, _absolute(value, target_count, round_up=True))


def error_limit(value: str, target_count: int) -> int:
    return _absolute(value, target_count, round_up=False)


def exceeded(errors: int, limit: int) -> bool:
    """Whether errors went beyond MaxErrors ("fails one more time beyond the value of MaxErrors")."""
    return errors > limit


def free_slots(active: int, limit: int) -> int:
    """How many more invocations may be sent while `active` are in flight."""
    return max(0, limit - active)
