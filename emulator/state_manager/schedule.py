"""Association schedules: the shared schedule language (emulator/schedules.py) with State Manager's own rule,
that an association runs at most every 30 minutes. Cron and at() times are UTC; a cron's Seconds field is
accepted and ignored."""
from __future__ import annotations

from emulator.schedules import Cron, Schedule
from emulator.schedules import parse as parse_expression

MIN_RATE_SECONDS = 30 * 60

__all__ = ["Cron", "Schedule", "parse"]


def parse(expression: str) -> Schedule:
    """The schedule `expression` says; InvalidSchedule when State Manager would refuse it."""
    return parse_expression(expression, min_rate_seconds=MIN_RATE_SECONDS,
                            too_frequent="associations run at most every 30 minutes.")
