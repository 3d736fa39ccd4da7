"""RRULE (RFC 5545 section 3.3.10): parsing, and expanding a rule into the starts of its occurrences.

Evaluated: FREQ DAILY, WEEKLY, MONTHLY and YEARLY with INTERVAL, COUNT, UNTIL, BYDAY (with ordinals
such as 2TU or -1FR under MONTHLY and YEARLY), BYMONTHDAY (negative: from the month's end), BYMONTH,
BYSETPOS and WKST: what the Change Calendar console's repeat options write, and what Google Calendar,
Outlook and iCloud exports use for day-granular repeats. Valid rule parts that are finer than a day
(FREQ HOURLY/MINUTELY/SECONDLY, BYHOUR, BYMINUTE, BYSECOND) or count weeks and days of the year
(BYWEEKNO, BYYEARDAY) are kept as `unsupported`: the document is valid iCalendar, and GetCalendarState
answers UnsupportedCalendarException for it.

Expansion works on naive wall-clock date-times in the event's own time zone, as RFC 5545 defines
recurrence; calendar.py converts each start to UTC.
"""
from __future__ import annotations

import calendar as _monthrange
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from emulator.change_calendar.icalendar import CalendarContentError, parse_date, parse_date_time

DAILY, WEEKLY, MONTHLY, YEARLY = "DAILY", "WEEKLY", "MONTHLY", "YEARLY"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY, YEARLY)
FINER_FREQUENCIES = ("SECONDLY", "MINUTELY", "HOURLY")
UNSUPPORTED_PARTS = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYWEEKNO", "BYYEARDAY")
WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")


@dataclass(frozen=True, slots=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: date | datetime | None = None   # a DATE, or a DATE-TIME (naive)
    until_utc: bool = False                # the DATE-TIME ended in Z
    by_day: tuple[tuple[int, int], ...] = ()       # (ordinal or 0 for every, weekday 0=MO)
    by_month_day: tuple[int, ...] = ()
    by_month: tuple[int, ...] = ()
    by_set_pos: tuple[int, ...] = ()
    week_start: int = 0
    unsupported: str | None = None          # why GetCalendarState can't evaluate it, if it can't


def parse_rule(value: str, line: int) -> Rule:
    """An RRULE value such as FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20261231T235959Z."""
    parts: dict[str, str] = {}
    for item in value.strip().split(";"):
        if not item:
            continue
        key, sep, val = item.partition("=")
        key = key.strip().upper()
        if not sep or not val or key in parts:
            raise CalendarContentError(f"RRULE part '{item}' isn't valid.", line)
        parts[key] = val.strip().upper()
    freq = parts.pop("FREQ", None)
    if freq is None:
        raise CalendarContentError("RRULE has no FREQ.", line)
    unsupported = None
    if freq in FINER_FREQUENCIES:
        unsupported = f"RRULE FREQ={freq} isn't supported; use DAILY, WEEKLY, MONTHLY or YEARLY."
    elif freq not in FREQUENCIES:
        raise CalendarContentError(f"RRULE FREQ={freq} isn't a recurrence frequency.", line)
    kwargs: dict[str, object] = {}
    if "INTERVAL" in parts:
        kwargs["interval"] = _int(parts.pop("INTERVAL"), "INTERVAL", line, 1, 10**6)
    if "COUNT" in parts:
        kwargs["count"] = _int(parts.pop("COUNT"), "COUNT", line, 1, 10**6)
    if "UNTIL" in parts:
        if "count" in kwargs:
            raise CalendarContentError("RRULE can't have both COUNT and UNTIL.", line)
        until = parts.pop("UNTIL")
        if "T" in until:
            kwargs["until"], kwargs["until_utc"] = parse_date_time(until, line)
        else:
            kwargs["until"] = parse_date(until, line)
    if "BYDAY" in parts:
        by_day = []
        for token in parts.pop("BYDAY").split(","):
            m = _BYDAY.fullmatch(token)
            ordinal = int(m.group(1)) if m and m.group(1) else 0
            if m is None or abs(ordinal) > 53 or (m.group(1) and ordinal == 0):
                raise CalendarContentError(f"RRULE BYDAY value '{token}' isn't valid.", line)
            if ordinal and freq not in (MONTHLY, YEARLY):
                raise CalendarContentError(
                    f"RRULE BYDAY value '{token}' has a number, allowed with FREQ MONTHLY or YEARLY only.", line)
            by_day.append((ordinal, WEEKDAYS[m.group(2)]))
        kwargs["by_day"] = tuple(by_day)
    if "BYMONTHDAY" in parts:
        kwargs["by_month_day"] = _ints(parts.pop("BYMONTHDAY"), "BYMONTHDAY", line, 31)
    if "BYMONTH" in parts:
        kwargs["by_month"] = tuple(_int(v, "BYMONTH", line, 1, 12) for v in parts.pop("BYMONTH").split(","))
    if "BYSETPOS" in parts:
        kwargs["by_set_pos"] = _ints(parts.pop("BYSETPOS"), "BYSETPOS", line, 366)
    if "WKST" in parts:
        wkst = parts.pop("WKST")
        if wkst not in WEEKDAYS:
            raise CalendarContentError(f"RRULE WKST={wkst} isn't a weekday.", line)
        kwargs["week_start"] = WEEKDAYS[wkst]
    for key in list(parts):
        if key in UNSUPPORTED_PARTS:
            unsupported = unsupported or f"RRULE {key} isn't supported."
            parts.pop(key)
        elif key.startswith("X-"):
            parts.pop(key)
    if parts:
        raise CalendarContentError(f"RRULE part {next(iter(parts))} isn't a recurrence rule part.", line)
    return Rule(freq=freq, unsupported=unsupported, **kwargs)  # type: ignore[arg-type]


def _int(value: str, part: str, line: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise CalendarContentError(f"RRULE {part}={value} isn't valid.", line)
    return number


def _ints(value: str, part: str, line: int, bound: int) -> tuple[int, ...]:
    numbers = tuple(_int(v, part, line, -bound, bound) for v in value.split(","))
    if 0 in numbers:
        raise CalendarContentError(f"RRULE {part} can't be 0.", line)
    return numbers


# --- expansion ---------------------------------------------------------------------------------------


def expand(rule: Rule, dtstart: datetime, until: datetime | None, not_before: datetime,
           limit: datetime) -> Iterator[datetime]:
    """The starts of the rule's occurrences, in order, as naive wall-clock date-times: `dtstart` first
    (RFC 5545 counts it as the first instance), then every start the rule makes after it, up to
    `until` (inclusive, already in wall-clock time) and `limit`.

    A rule without COUNT skips the periods that end before `not_before`, so a daily rule that began
    years ago costs nothing; with COUNT every period from the first is walked, to count.
    """
    if until is not None and dtstart > until:
        return
    yield dtstart
    produced = 1
    first = 0
    if rule.count is None and not_before > dtstart:
        first = max(0, _period_index(rule, dtstart.date(), not_before.date()) - 1)
    clock = dtstart.time()
    k = first
    while True:
        period_start, days = _period(rule, dtstart.date(), k)
        if period_start > limit.date():
            return
        for day in days:
            start = datetime.combine(day, clock)
            if start <= dtstart:
                continue
            if (until is not None and start > until) or start > limit:
                return
            yield start
            produced += 1
            if rule.count is not None and produced >= rule.count:
                return
        k += 1


def _week_start(day: date, week_start: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def _period_index(rule: Rule, start: date, at: date) -> int:
    """The index of the period (of `interval` frequency units) that holds `at`."""
    if rule.freq == DAILY:
        units = (at - start).days
    elif rule.freq == WEEKLY:
        units = (_week_start(at, rule.week_start) - _week_start(start, rule.week_start)).days // 7
    elif rule.freq == MONTHLY:
        units = (at.year - start.year) * 12 + at.month - start.month
    else:
        units = at.year - start.year
    return units // rule.interval


def _period(rule: Rule, start: date, k: int) -> tuple[date, list[date]]:
    """The first day of period k and the days in it the rule selects, in order."""
    step = k * rule.interval
    if rule.freq == DAILY:
        day = start + timedelta(days=step)
        return day, [day] if _day_allowed(rule, day) else []
    if rule.freq == WEEKLY:
        first = _week_start(start, rule.week_start) + timedelta(weeks=step)
        weekdays = {wd for _, wd in rule.by_day} or {start.weekday()}
        days = [first + timedelta(days=i) for i in range(7)]
        days = [d for d in days if d.weekday() in weekdays and (not rule.by_month or d.month in rule.by_month)]
        return first, _set_pos(rule, days)
    if rule.freq == MONTHLY:
        months = start.year * 12 + start.month - 1 + step
        year, month = divmod(months, 12)
        first = date(year, month + 1, 1)
        if rule.by_month and first.month not in rule.by_month:
            return first, []
        return first, _set_pos(rule, _month_days(rule, year, month + 1, start.day))
    year = start.year + step
    first = date(year, 1, 1) if year <= 9999 else date.max
    if year > 9999:
        return first, []
    if rule.by_day and not rule.by_month and not rule.by_month_day:
        return first, _set_pos(rule, _year_weekdays(rule, year))
    months = rule.by_month or (tuple(range(1, 13)) if rule.by_day or rule.by_month_day else (start.month,))
    days = [d for m in sorted(months) for d in _month_days(rule, year, m, start.day)]
    return first, _set_pos(rule, days)


def _day_allowed(rule: Rule, day: date) -> bool:
    """BYMONTH, BYMONTHDAY and BYDAY limit a DAILY rule."""
    if rule.by_month and day.month not in rule.by_month:
        return False
    if rule.by_month_day:
        length = _monthrange.monthrange(day.year, day.month)[1]
        if not any(_month_day(d, length) == day.day for d in rule.by_month_day):
            return False
    return not rule.by_day or any(wd == day.weekday() for _, wd in rule.by_day)


def _month_day(given: int, length: int) -> int | None:
    day = given if given > 0 else length + given + 1
    return day if 1 <= day <= length else None


def _month_days(rule: Rule, year: int, month: int, default_day: int) -> list[date]:
    length = _monthrange.monthrange(year, month)[1]
    by_month_day = {d for d in (_month_day(g, length) for g in rule.by_month_day) if d is not None}
    by_day: set[int] = set()
    for ordinal, weekday in rule.by_day:
        matching = [d for d in range(1, length + 1) if date(year, month, d).weekday() == weekday]
        by_day.update(_pick(matching, ordinal))
    if rule.by_month_day and rule.by_day:
        chosen = by_month_day & by_day
    elif rule.by_month_day or rule.by_day:
        chosen = by_month_day | by_day
    else:
        chosen = {default_day} if default_day <= length else set()  # e.g. the 31st skips short months
    return [date(year, month, d) for d in sorted(chosen)]


def _year_weekdays(rule: Rule, year: int) -> list[date]:
    """BYDAY in a YEARLY rule without BYMONTH: ordinals count within the year."""
    chosen: set[date] = set()
    for ordinal, weekday in rule.by_day:
        first = date(year, 1, 1) + timedelta(days=(weekday - date(year, 1, 1).weekday()) % 7)
        matching = []
        while first.year == year:
            matching.append(first)
            first += timedelta(weeks=1)
        chosen.update(_pick(matching, ordinal))
    return sorted(chosen)


def _pick(items: list, ordinal: int) -> list:
    if ordinal == 0:
        return items
    index = ordinal - 1 if ordinal > 0 else len(items) + ordinal
    return [items[index]] if 0 <= index < len(items) else []


def _set_pos(rule: Rule, days: list[date]) -> list[date]:
    if not rule.by_set_pos:
        return days
    return sorted({d for pos in rule.by_set_pos for d in _pick(days, pos)})
