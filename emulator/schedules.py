"""Schedules as Systems Manager writes them: `rate(...)`, `cron(...)` and `at(...)`, and when each next falls due.
State Manager (associations) and Maintenance Windows read the same language; each adds its own rules on top
(emulator/state_manager/schedule.py refuses rates under 30 minutes; maintenance windows take the Quartz
six-field form with Seconds and a time zone).

- rate(N minute|minutes|hour|hours|day|days): every N units.
- cron(...): AWS's form, Minutes Hours Day-of-month Month Day-of-week Year (Year may be left out; an optional
  Seconds field first), one of Day-of-month and Day-of-week being `?`. Day-of-month takes `L` (the last day);
  Day-of-week takes 1-7 or SUN-SAT, `L` / `nL` (the last n-day of the month) and `n#k` (the k-th n-day of the
  month). Wall-clock times in `zone` (UTC unless told).
- at(yyyy-mm-ddThh:mm:ss): once, at that time in `zone`.

`scale` (the test-only SSM_EMULATOR_SCHEDULE_SCALE) divides rate intervals, so `rate(30 minutes)` with scale 1800
falls due every second. Cron and at times are wall-clock times and are not scaled.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo

from api_models.errors import InvalidSchedule, ServiceError

UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
MONTHS = {name: i for i, name in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
SEARCH_DAYS = 366 * 5  # a cron that does not fall due within five years is never due
_RATE = re.compile(r"^rate\((\d+) (\w+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((.*)\)$")


@dataclass(frozen=True)
class Schedule:
    kind: str  # "rate" | "cron" | "at"
    seconds: float = 0.0  # rate
    at: float = 0.0  # at
    cron: Cron | None = None

    def next_after(self, moment: float, scale: float = 1.0) -> float | None:
        """The first time after `moment` (epoch seconds) the schedule falls due; None: never again."""
        if self.kind == "rate":
            return moment + self.seconds / scale
        if self.kind == "at":
            return self.at if self.at > moment else None
        assert self.cron is not None
        return self.cron.next_after(moment)


def parse(expression: str, *, min_rate_seconds: float = 0, too_frequent: str = "", zone: tzinfo = timezone.utc,
          with_seconds: bool = False, error: type[ServiceError] = InvalidSchedule) -> Schedule:
    """The schedule `expression` says; `error` when it is not one, or is a rate under `min_rate_seconds`
    (`too_frequent` says why). `with_seconds`: a cron's Seconds field is honoured, and six fields that are not
    AWS's form are read as Quartz's (Seconds Minutes Hours Day-of-month Month Day-of-week)."""
    text = expression.strip()
    invalid = f"Schedule expression {expression} is not valid."
    if m := _RATE.match(text):
        count, unit = int(m.group(1)), m.group(2)
        if unit not in UNITS or count < 1 or (count == 1) != (unit in ("minute", "hour", "day")):
            raise error(invalid)
        seconds = count * UNITS[unit]
        if seconds < min_rate_seconds:
            raise error(f"Schedule expression {expression} is not valid: {too_frequent}")
        return Schedule("rate", seconds=float(seconds))
    if m := _AT.match(text):
        try:
            moment = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=zone)
        except ValueError:
            raise error(invalid) from None
        return Schedule("at", at=moment.timestamp())
    if m := _CRON.match(text):
        return Schedule("cron", cron=Cron.parse(m.group(1), expression, zone=zone, with_seconds=with_seconds,
                                                error=error))
    raise error(invalid)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: `?`
    last_day: bool
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1 = Sunday; None: `?` (or only L/# rules)
    last_weekdays: frozenset[int]  # `nL`
    nth_weekdays: frozenset[tuple[int, int]]  # `n#k`
    years: frozenset[int] | None
    seconds: frozenset[int] = frozenset({0})
    zone: tzinfo = field(default=timezone.utc)

    @staticmethod
    def parse(body: str, expression: str, *, zone: tzinfo = timezone.utc, with_seconds: bool = False,
              error: type[ServiceError] = InvalidSchedule) -> Cron:
        fields = body.split()
        seconds = "0"
        if len(fields) == 7:
            seconds, fields = fields[0], fields[1:]  # the optional Seconds field
        elif len(fields) == 5:
            fields.append("*")  # the user guide counts five required fields for associations: Year may be left out
        elif len(fields) == 6 and with_seconds:
            try:
                return Cron._fields("0", fields, zone)
            except ValueError:  # not Minutes..Year: Quartz's Seconds..Day-of-week, as the user guide shows
                seconds, fields = fields[0], [*fields[1:], "*"]
        if len(fields) != 6:
            raise error(f"Schedule expression {expression} is not valid: a cron expression has six "
                        "fields (Minutes Hours Day-of-month Month Day-of-week Year).")
        try:
            return Cron._fields(seconds if with_seconds else "0", fields, zone)
        except ValueError as e:
            raise error(f"Schedule expression {expression} is not valid: {e}.") from None

    @staticmethod
    def _fields(seconds: str, fields: list[str], zone: tzinfo) -> Cron:
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ValueError("one of Day-of-month and Day-of-week must be ?")
        days, last_day = _day_of_month(dom)
        weekdays, last_weekdays, nth = _day_of_week(dow)
        return Cron(
            minutes=_values(minute, 0, 59), hours=_values(hour, 0, 23), days=days, last_day=last_day,
            months=_values(month, 1, 12, MONTHS), weekdays=weekdays, last_weekdays=last_weekdays,
            nth_weekdays=nth, years=None if year == "*" else _values(year, 1970, 2199),
            seconds=_values(seconds, 0, 59), zone=zone,
        )

    def next_after(self, moment: float) -> float | None:
        start = datetime.fromtimestamp(moment, self.zone)
        day = start.date()
        if self.years is not None:  # straight to the first year it names (cron(0 0 1 1 ? 2099) is far off)
            later = [year for year in self.years if year >= day.year]
            if not later:
                return None
            if min(later) > day.year:
                day = date(min(later), 1, 1)
        for _ in range(SEARCH_DAYS):
            if self._day_matches(day):
                today = day == start.date()
                for hour in sorted(self.hours):
                    if today and hour < start.hour:
                        continue
                    for minute in sorted(self.minutes):
                        if today and hour == start.hour and minute < start.minute:
                            continue
                        for second in sorted(self.seconds):
                            candidate = datetime(day.year, day.month, day.day, hour, minute, second,
                                                 tzinfo=self.zone).timestamp()
                            if candidate > moment:
                                return candidate
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        month_length = calendar.monthrange(day.year, day.month)[1]
        if self.days is not None or self.last_day:
            return day.day in (self.days or ()) or (self.last_day and day.day == month_length)
        weekday = (day.isoweekday() % 7) + 1  # Sunday 1 ... Saturday 7
        if self.weekdays is not None and weekday in self.weekdays:
            return True
        if weekday in self.last_weekdays and day.day + 7 > month_length:
            return True
        return (weekday, (day.day - 1) // 7 + 1) in self.nth_weekdays


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step in {field}")
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _number(a, names), _number(b, names)
        else:
            first = _number(part, names)
            last = high if step > 1 else first
        if not (low <= first <= high and low <= last <= high and first <= last):
            raise ValueError(f"{field} is out of range {low}-{high}")
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"{text} is not a value")
    return int(text)


def _day_of_month(field: str) -> tuple[frozenset[int] | None, bool]:
    if field == "?":
        return None, False
    parts = field.split(",")
    last = "L" in parts
    rest = [p for p in parts if p != "L"]
    return (_values(",".join(rest), 1, 31) if rest else frozenset()), last


def _day_of_week(field: str) -> tuple[frozenset[int] | None, frozenset[int], frozenset[tuple[int, int]]]:
    if field == "?":
        return None, frozenset(), frozenset()
    plain: list[str] = []
    last: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for part in field.split(","):
        if part == "L":
            last.add(7)  # Quartz: L alone in Day-of-week is the last Saturday
        elif part.endswith("L"):
            last.add(_number(part[:-1], WEEKDAYS))
        elif "#" in part:
            weekday, k = part.split("#", 1)
            if not k.isdigit() or not 1 <= int(k) <= 5:
                raise ValueError(f"{part}: # takes 1 to 5")
            nth.add((_number(weekday, WEEKDAYS), int(k)))
        else:
            plain.append(part)
    if any(not 1 <= d <= 7 for d in last | {w for w, _ in nth}):
        raise ValueError(f"{field} is out of range 1-7")
    return (_values(",".join(plain), 1, 7, WEEKDAYS) if plain else None), frozenset(last), frozenset(nth)
