"""A change calendar's meaning: its type, its events, and its state over time.

    calendar = read(content)                       # CalendarContentError when it is not valid
    state, next_change = evaluate([calendar], at)  # "OPEN"/"CLOSED", and when that changes (or None)

A DEFAULT_OPEN calendar is CLOSED while any of its events is under way; a DEFAULT_CLOSED one is OPEN
then. Several calendars together are CLOSED when any is, and the next transition is the first moment
after `at` at which that combined state changes.

Times: an event is expanded in its own time zone's wall-clock time (DTSTART's TZID, UTC for a Z
value) and each occurrence converted to UTC. Floating times and all-day DATE values, which name no
zone, are read in the calendar's X-WR-TIMEZONE (the console writes it), else UTC. An event's length is
DTEND - DTSTART (or DURATION; one day for an all-day event without either) in that wall-clock time, so
a 09:00-17:00 event stays 09:00-17:00 across a daylight-saving change.
"""
from __future__ import annotations

import heapq
from itertools import chain
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulator.change_calendar import icalendar, recurrence
from emulator.change_calendar.icalendar import CalendarContentError, Component, Property

OPEN, CLOSED = "OPEN", "CLOSED"
DEFAULT_OPEN, DEFAULT_CLOSED = "DEFAULT_OPEN", "DEFAULT_CLOSED"
CALENDAR_TYPES = (DEFAULT_OPEN, DEFAULT_CLOSED)
# How far ahead a next transition is looked for: recurring events without an end go on forever, and
# several calendars together may never change state.
HORIZON = timedelta(days=3653)
UTC = timezone.utc


@dataclass(frozen=True, slots=True)
class Event:
    """One VEVENT: its first occurrence and, if it recurs, its rule, in wall-clock time of `zone`."""

    uid: str | None
    summary: str | None
    description: str | None
    zone: tzinfo
    start: datetime                    # naive, wall-clock in `zone`
    length: timedelta
    all_day: bool
    rule: recurrence.Rule | None = None
    until: datetime | None = None      # the rule's UNTIL in wall-clock time
    rdates: tuple[datetime, ...] = ()  # extra starts (RDATE), wall-clock
    exdates: frozenset[datetime] = frozenset()  # excluded starts (EXDATE, overridden instances), UTC
    exdays: frozenset[date] = frozenset()       # excluded days (EXDATE;VALUE=DATE)

    def occurrences(self, after: datetime, limit: datetime) -> Iterator[tuple[datetime, datetime]]:
        """(start, end) in UTC, by start, of the occurrences that may end after `after`, up to `limit`."""
        zone = self.zone
        not_before = _wall(after, zone) - self.length - timedelta(days=2)
        limit_wall = _wall(limit, zone) + timedelta(days=2)
        if self.rule is None:
            starts: Iterator[datetime] = iter((self.start,))
        else:
            starts = recurrence.expand(self.rule, self.start, self.until, not_before, limit_wall)
        if self.rdates:
            starts = heapq.merge(starts, self.rdates)
        previous = None
        for start in starts:
            if start == previous:
                continue
            previous = start
            begins = _utc(start, zone)
            if begins >= limit:
                return
            if begins in self.exdates or start.date() in self.exdays:
                continue
            ends = _utc(start + self.length, zone)
            if ends > begins:
                yield begins, ends


@dataclass(frozen=True, slots=True)
class ChangeCalendar:
    calendar_type: str                 # DEFAULT_OPEN or DEFAULT_CLOSED
    description: str | None            # X-WR-CALDESC
    events: tuple[Event, ...]
    unsupported: str | None = None     # why its state can't be evaluated (UnsupportedCalendarException)

    def closed(self, in_event: bool) -> bool:
        return in_event if self.calendar_type == DEFAULT_OPEN else not in_event

    def busy(self, after: datetime, limit: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The times covered by events, as disjoint [start, end) intervals in order, from the one that
        holds or follows `after`; overlapping and touching occurrences are one interval."""
        current: list[datetime] | None = None
        for start, end in heapq.merge(*(e.occurrences(after, limit) for e in self.events)):
            if end <= after:
                continue
            if start >= limit:
                break
            if current is not None and start <= current[1]:
                current[1] = max(current[1], end)
                continue
            if current is not None:
                yield current[0], current[1]
            current = [start, end]
        if current is not None:
            yield current[0], current[1]


def evaluate(calendars: Sequence[ChangeCalendar], at: datetime) -> tuple[str, datetime | None]:
    """The combined state at `at` (aware) and the first later time it changes (None: not within HORIZON)."""
    limit = at + HORIZON
    in_event: list[bool] = []
    streams = []
    for index, cal in enumerate(calendars):
        now, boundaries = _timeline(cal, at, limit)
        in_event.append(now)
        streams.append(_tagged(index, boundaries))
    closed_now = any(c.closed(e) for c, e in zip(calendars, in_event))
    pending: datetime | None = None
    for when, index, entering in heapq.merge(*streams):
        if pending is not None and when != pending:
            if any(c.closed(e) for c, e in zip(calendars, in_event)) != closed_now:
                return (CLOSED if closed_now else OPEN), pending
        pending = when
        in_event[index] = entering
    if pending is not None and any(c.closed(e) for c, e in zip(calendars, in_event)) != closed_now:
        return (CLOSED if closed_now else OPEN), pending
    return (CLOSED if closed_now else OPEN), None


def _tagged(index: int, boundaries: Iterator[tuple[datetime, bool]]) -> Iterator[tuple[datetime, int, bool]]:
    for when, entering in boundaries:
        yield when, index, entering


def _timeline(cal: ChangeCalendar, at: datetime,
              limit: datetime) -> tuple[bool, Iterator[tuple[datetime, bool]]]:
    """Whether an event of `cal` is under way at `at`, and the later times events begin (True) and
    end (False). An interval still going at the horizon has no known end."""
    intervals = cal.busy(at, limit)
    first = next(intervals, None)
    now = first is not None and first[0] <= at

    def boundaries() -> Iterator[tuple[datetime, bool]]:
        if first is None:
            return
        for start, end in chain([first], intervals):
            if start > at:
                yield start, True
            if end >= limit:
                return
            yield end, False

    return now, boundaries()


def _utc(wall: datetime, zone: tzinfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _wall(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


# --- reading content -------------------------------------------------------------------------------


def read(content: str) -> ChangeCalendar:
    """The change calendar `content` describes; CalendarContentError when it isn't valid."""
    root = icalendar.parse(content)
    kind = root.first("X-CALENDAR-TYPE")
    calendar_type = DEFAULT_OPEN
    if kind is not None:
        calendar_type = kind.value.strip().upper()
        if calendar_type not in CALENDAR_TYPES:
            raise CalendarContentError(
                f"X-CALENDAR-TYPE:{kind.value} isn't valid. Use DEFAULT_OPEN or DEFAULT_CLOSED.", kind.line)
    described = root.first("X-WR-CALDESC")
    default_zone: tzinfo = UTC
    named = root.first("X-WR-TIMEZONE")
    if named is not None and named.value.strip():
        default_zone = _zone(named.value, named.line)
    vevents = root.children("VEVENT")
    overridden = _overridden(vevents, default_zone)
    events = []
    unsupported = None
    for component in vevents:
        event = _event(component, default_zone, overridden)
        status = component.first("STATUS")
        if status is not None and status.value.strip().upper() == "CANCELLED":
            continue  # a cancelled event, or a cancelled instance (its RECURRENCE-ID already excludes it)
        if event.rule is not None and event.rule.unsupported:
            unsupported = unsupported or event.rule.unsupported
        events.append(event)
    description = icalendar.unescape_text(described.value) if described is not None else None
    return ChangeCalendar(calendar_type, description, tuple(events), unsupported)


@dataclass(frozen=True, slots=True)
class _When:
    wall: datetime       # naive, wall-clock in `zone`
    zone: tzinfo
    is_date: bool


def _zone(tzid: str, line: int) -> tzinfo:
    name = tzid.strip().strip('"').lstrip("/")
    if name.upper() in ("UTC", "GMT", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarContentError(f"The time zone '{tzid}' isn't a known IANA time zone name.", line) from None


def _when(prop: Property, value: str, default_zone: tzinfo) -> _When:
    is_date = prop.params.get("VALUE", "").upper() == "DATE" or ("T" not in value.upper() and len(value.strip()) == 8)
    if is_date:
        return _When(datetime.combine(icalendar.parse_date(value, prop.line), time()), default_zone, True)
    wall, is_utc = icalendar.parse_date_time(value, prop.line)
    if is_utc:
        return _When(wall, UTC, False)
    tzid = prop.params.get("TZID")
    return _When(wall, _zone(tzid, prop.line) if tzid else default_zone, False)


def _whens(props: list[Property], default_zone: tzinfo) -> list[_When]:
    return [_when(p, v, default_zone) for p in props for v in p.value.split(",") if v.strip()]


def _overridden(vevents: list[Component], default_zone: tzinfo) -> dict[str, list[_When]]:
    """Instances of recurring events that another VEVENT (same UID, RECURRENCE-ID) replaces."""
    out: dict[str, list[_When]] = {}
    for component in vevents:
        rid, uid = component.first("RECURRENCE-ID"), component.first("UID")
        if rid is not None and uid is not None:
            out.setdefault(uid.value, []).append(_when(rid, rid.value, default_zone))
    return out


def _event(component: Component, default_zone: tzinfo, overridden: dict[str, list[_When]]) -> Event:
    for name in ("DTSTART", "DTEND", "DURATION", "RRULE", "UID", "SUMMARY", "RECURRENCE-ID"):
        if len(component.all(name)) > 1:
            raise CalendarContentError(f"VEVENT has more than one {name}.", component.all(name)[1].line)
    dtstart = component.first("DTSTART")
    if dtstart is None:
        raise CalendarContentError("VEVENT has no DTSTART.", component.line)
    start = _when(dtstart, dtstart.value, default_zone)
    zone = start.zone
    dtend, duration = component.first("DTEND"), component.first("DURATION")
    if dtend is not None and duration is not None:
        raise CalendarContentError("VEVENT can't have both DTEND and DURATION.", duration.line)
    if dtend is not None:
        end = _when(dtend, dtend.value, default_zone)
        if end.is_date != start.is_date:
            raise CalendarContentError("DTEND must be a DATE when DTSTART is a DATE, and a DATE-TIME otherwise.",
                                       dtend.line)
        end_wall = end.wall if end.zone is zone else _wall(_utc(end.wall, end.zone), zone)
        length = end_wall - start.wall
        if length < timedelta():
            raise CalendarContentError("DTEND is before DTSTART.", dtend.line)
    elif duration is not None:
        length = icalendar.parse_duration(duration.value, duration.line)
        if length < timedelta():
            raise CalendarContentError("DURATION can't be negative.", duration.line)
    else:
        length = timedelta(days=1) if start.is_date else timedelta()
    rule = until = None
    rrule = component.first("RRULE")
    if rrule is not None:
        rule = recurrence.parse_rule(rrule.value, rrule.line)
        until = _until(rule, zone)
    rdates = tuple(sorted(_wall(_utc(w.wall, w.zone), zone) for w in _whens(component.all("RDATE"), zone)))
    excluded = _whens(component.all("EXDATE"), zone)
    uid = component.first("UID")
    if uid is not None and component.first("RECURRENCE-ID") is None:
        excluded += overridden.get(uid.value, [])
    summary, description = component.first("SUMMARY"), component.first("DESCRIPTION")
    return Event(
        uid=uid.value if uid is not None else None,
        summary=icalendar.unescape_text(summary.value) if summary is not None else None,
        description=icalendar.unescape_text(description.value) if description is not None else None,
        zone=zone,
        start=start.wall,
        length=length,
        all_day=start.is_date,
        rule=rule,
        until=until,
        rdates=rdates,
        exdates=frozenset(_utc(w.wall, w.zone) for w in excluded if not w.is_date),
        exdays=frozenset(w.wall.date() for w in excluded if w.is_date),
    )


def _until(rule: recurrence.Rule, zone: tzinfo) -> datetime | None:
    if rule.until is None:
        return None
    if isinstance(rule.until, datetime):
        return _wall(rule.until.replace(tzinfo=UTC), zone) if rule.until_utc else rule.until
    return datetime.combine(rule.until, time.max)
