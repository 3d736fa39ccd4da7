"""When a maintenance window opens: its Schedule (cron() with or without Seconds, rate(), at()) read in its
ScheduleTimezone, moved by ScheduleOffset (cron only), held inside StartDate..EndDate; and how long it stays open
(Duration, Cutoff).

The test clock (SSM_EMULATOR_SCHEDULE_SCALE) divides rate intervals and the Duration and Cutoff hours alike, so
with scale 60 `rate(5 minutes)` opens every 5 seconds and a window of Duration 2 lasts 2 minutes. Cron and at()
are wall-clock times and are not scaled; nor is ScheduleOffset (days after a cron time).
"""
from __future__ import annotations

import math
from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api_models.errors import ValidationException
from emulator import schedules

HOUR = 3600.0
DAY = 86400.0
# DescribeMaintenanceWindowSchedule lists at most this many coming executions of a window (a rate() window
# opens without end; AWS pages through a bounded list too).
SCHEDULE_HORIZON = 100


def zone(name: str | None) -> tzinfo:
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationException(f"Invalid ScheduleTimezone: {name}. Use an IANA time zone, such as "
                                  "America/Los_Angeles.") from None


def parse(definition: dict[str, Any]) -> schedules.Schedule:
    """The window's schedule; ValidationException when SSM would refuse it."""
    return schedules.parse(definition["Schedule"], zone=zone(definition.get("ScheduleTimezone")), with_seconds=True,
                           error=ValidationException)


def instant(text: str, member: str) -> float:
    """An ISO-8601 StartDate/EndDate as epoch seconds (UTC when it names no offset)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationException(f"{member} {text} is not a valid ISO-8601 timestamp.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def first_opening(definition: dict[str, Any], now: float, scale: float) -> float | None:
    """When a window created (or rescheduled) at `now` first opens; None: never. A cron time that has passed in the
    current period does not count, even when ScheduleOffset would put the opening in the future (the user guide:
    "the maintenance window will not run in the period")."""
    return _opening(definition, after=now, occurrences_after=now, rate_base=now, scale=scale)


def next_opening(definition: dict[str, Any], previous: float, now: float, scale: float) -> float | None:
    """When a window that opened at `previous` next opens after `now`; None: never again. A rate() counts its
    intervals from `previous`; a time missed while the emulator was down is not made up for."""
    offset = (definition.get("ScheduleOffset") or 0) * DAY
    return _opening(definition, after=max(now, previous), occurrences_after=previous - offset, rate_base=previous,
                    scale=scale)


def _opening(definition: dict[str, Any], *, after: float, occurrences_after: float, rate_base: float,
             scale: float) -> float | None:
    sched = parse(definition)
    start = instant(definition["StartDate"], "StartDate") if definition.get("StartDate") else None
    end = instant(definition["EndDate"], "EndDate") if definition.get("EndDate") else None
    due: float | None
    if sched.kind == "rate":
        interval = sched.seconds / scale
        base = max(rate_base, start) if start is not None else rate_base
        due = base + max(1, math.floor((after - base) / interval) + 1) * interval
    elif sched.kind == "cron":
        assert sched.cron is not None
        offset = (definition.get("ScheduleOffset") or 0) * DAY
        since = max(occurrences_after, after - offset)
        if start is not None:  # an opening (the cron time plus the offset) at StartDate or later
            since = max(since, start - offset - 1e-6)
        found = sched.cron.next_after(since)
        due = None if found is None else found + offset
    else:
        due = sched.at if sched.at > after and (start is None or sched.at >= start) else None
    if due is not None and end is not None and due > end:
        return None
    return due


def upcoming(definition: dict[str, Any], first: float | None, scale: float) -> list[float]:
    """The window's coming openings from `first` (its stored next run), at most SCHEDULE_HORIZON."""
    out: list[float] = []
    moment = first
    while moment is not None and len(out) < SCHEDULE_HORIZON:
        out.append(moment)
        moment = next_opening(definition, moment, moment, scale)
    return out


def open_for(definition: dict[str, Any], scale: float) -> tuple[float, float]:
    """(seconds the window stays open, seconds after opening past which no new task starts)."""
    duration = definition["Duration"] * HOUR / scale
    return duration, duration - definition["Cutoff"] * HOUR / scale


def execution_time(moment: float, zone_name: str | None) -> str:
    """An opening as AWS writes NextExecutionTime and ExecutionTime: ISO-8601 to the minute (seconds when there
    are any), in the window's time zone, `Z` for UTC."""
    local = datetime.fromtimestamp(moment, zone(zone_name))
    text = local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")
    offset = local.strftime("%z")
    if not zone_name or offset in ("+0000", ""):
        return text + "Z"
    return f"{text}{offset[:3]}:{offset[3:]}"
