"""Association schedules, read and stepped in-process: when rate(), cron() (AWS's six fields, L, nL, n#k, names,
ranges, steps, years, the optional Seconds field) and at() next fall due, ScheduleOffset, and the test-only
scale."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from api_models.errors import InvalidSchedule
from emulator.state_manager import schedule
from emulator.state_manager.executions import first_run, next_run

# Thursday 26 November 2026, 12:00 UTC
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc).timestamp()


def due(expression: str, after: float = NOW) -> datetime | None:
    moment = schedule.parse(expression).next_after(after)
    return None if moment is None else datetime.fromtimestamp(moment, timezone.utc)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("expression, expected", [
    ("rate(30 minutes)", utc(2026, 11, 26, 12, 30)),
    ("rate(1 hour)", utc(2026, 11, 26, 13, 0)),
    ("rate(2 days)", utc(2026, 11, 28, 12, 0)),
    ("cron(0 2 ? * SUN *)", utc(2026, 11, 29, 2, 0)),
    ("cron(15 12 * * ? *)", utc(2026, 11, 26, 12, 15)),
    ("cron(0 */4 * * ? *)", utc(2026, 11, 26, 16, 0)),
    ("cron(0 0 L * ? *)", utc(2026, 11, 30, 0, 0)),
    ("cron(0 0 ? * 6L *)", utc(2026, 11, 27, 0, 0)),       # the last Friday of November
    ("cron(0 0 ? * FRIL *)", utc(2026, 11, 27, 0, 0)),
    ("cron(30 23 ? * TUE#3 *)", utc(2026, 12, 15, 23, 30)),  # the third Tuesday of December
    ("cron(0 9 ? * MON-FRI *)", utc(2026, 11, 27, 9, 0)),
    ("cron(0 9 1,15 * ? *)", utc(2026, 12, 1, 9, 0)),
    ("cron(0 0 1 JAN ? 2028)", utc(2028, 1, 1, 0, 0)),
    ("cron(0 0 0 1 1 ? 2028)", utc(2028, 1, 1, 0, 0)),      # with the optional Seconds field
    ("cron(0 2 ? * SUN)", utc(2026, 11, 29, 2, 0)),          # without the Year
    ("at(2027-01-01T08:30:00)", utc(2027, 1, 1, 8, 30)),
])
def test_next_due(expression, expected):
    assert due(expression) == expected


def test_never_again():
    assert due("at(2020-07-07T15:55:00)") is None
    assert due("cron(0 0 1 1 ? 2020)") is None


def test_schedule_offset_and_first_run():
    cron = schedule.parse("cron(0 0 ? * THU#2 *)")  # the second Thursday: 10 December 2026
    offset = next_run(cron, {"ScheduleOffset": 3}, NOW, 1.0)
    assert datetime.fromtimestamp(offset, timezone.utc) == utc(2026, 12, 13, 0, 0)  # three days later, a Sunday
    assert first_run(cron, {}, NOW, 1.0) == NOW  # applied at creation
    assert first_run(cron, {"ApplyOnlyAtCronInterval": True}, NOW, 1.0) == utc(2026, 12, 10).timestamp()
    assert first_run(None, {}, NOW, 1.0) == NOW
    at = schedule.parse("at(2027-01-01T00:00:00)")
    assert first_run(at, {}, NOW, 1.0) == utc(2027, 1, 1).timestamp()  # only at its time


def test_scale_shortens_rates_only():
    assert schedule.parse("rate(30 minutes)").next_after(NOW, 1800) == NOW + 1
    assert schedule.parse("cron(0 2 ? * SUN *)").next_after(NOW, 1800) == utc(2026, 11, 29, 2, 0).timestamp()


@pytest.mark.parametrize("expression", [
    "rate(29 minutes)", "rate(1 minutes)", "rate(2 hour)", "rate(0 days)", "cron(0 0 * * * *)", "cron(0 0 ? * ? *)",
    "cron(0 0 ?)",
    "cron(0 24 * * ? *)", "cron(0 0 ? * TUE#6 *)", "cron(0 0 32 * ? *)", "cron(a b c d e f)", "at(2026-02-30T00:00:00)",
])
def test_refused(expression):
    with pytest.raises(InvalidSchedule):
        schedule.parse(expression)
