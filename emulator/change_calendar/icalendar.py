"""iCalendar (RFC 5545) text: content lines, components, and the value types Change Calendar reads.

Only the lexical layer lives here: unfolding (CRLF, LF or CR line ends; a line that starts with a
space or a tab continues the one before), `NAME;PARAM=value:value` content lines, BEGIN/END
nesting, and DATE / DATE-TIME / DURATION / TEXT values. What a VEVENT means is calendar.py's.

Anything malformed raises CalendarContentError with the line it is on; the capability turns it into
SSM's InvalidDocumentContent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar


D = TypeVar("D", date, datetime)


class CalendarContentError(ValueError):
    """The content is not an iCalendar object Change Calendar can read."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"Line {line}: {message}" if line is not None else message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Property:
    name: str                  # upper case: DTSTART, RRULE, X-CALENDAR-TYPE, ...
    params: dict[str, str]     # parameter names upper case: {"TZID": "Europe/Paris", "VALUE": "DATE"}
    value: str
    line: int                  # where the (unfolded) line starts, for error messages


@dataclass(slots=True)
class Component:
    name: str                  # VCALENDAR, VEVENT, VTODO, VTIMEZONE, ...
    line: int
    properties: list[Property] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def first(self, name: str) -> Property | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None

    def all(self, name: str) -> list[Property]:
        return [p for p in self.properties if p.name == name]

    def children(self, name: str) -> list[Component]:
        return [c for c in self.components if c.name == name]


# --- content lines --------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9-]+")


def unfold(text: str) -> list[tuple[int, str]]:
    """(line number, logical line) pairs; blank lines are skipped (some exporters leave them)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((number, raw))
    return out


def parse_line(text: str, line: int) -> Property:
    """One content line: name *(";" param) ":" value; parameter values may be double-quoted."""
    m = _NAME.match(text)
    if m is None:
        raise _not_a_line(text, line)
    name, i = m.group(0).upper(), m.end()
    params: dict[str, str] = {}
    while i < len(text) and text[i] == ";":
        pm = _NAME.match(text, i + 1)
        if pm is None or pm.end() >= len(text) or text[pm.end()] != "=":
            raise CalendarContentError(f"The parameters of {name} aren't valid.", line)
        key, i = pm.group(0).upper(), pm.end() + 1
        values: list[str] = []
        while True:
            if i < len(text) and text[i] == '"':
                end = text.find('"', i + 1)
                if end < 0:
                    raise CalendarContentError(f"The {key} parameter of {name} has an unclosed quote.", line)
                values.append(text[i + 1:end])
                i = end + 1
            else:
                start = i
                while i < len(text) and text[i] not in ",;:":
                    i += 1
                values.append(text[start:i])
            if i < len(text) and text[i] == ",":
                i += 1
                continue
            break
        params[key] = ",".join(values)
    if i >= len(text) or text[i] != ":":
        raise _not_a_line(text, line)
    return Property(name, params, text[i + 1:], line)


def _not_a_line(text: str, line: int) -> CalendarContentError:
    return CalendarContentError(f"'{_clip(text)}' isn't an iCalendar content line (NAME;PARAM=value:value).", line)


def parse(text: str) -> Component:
    """The one VCALENDAR object `text` holds, with its nested components."""
    lines = unfold(text)
    if not lines:
        raise CalendarContentError("The calendar content is empty. It must be an iCalendar object "
                                   "starting with BEGIN:VCALENDAR and ending with END:VCALENDAR.")
    stack: list[Component] = []
    root: Component | None = None
    for number, raw in lines:
        prop = parse_line(raw, number)
        if root is not None:
            raise CalendarContentError("Nothing may follow END:VCALENDAR.", number)
        if prop.name == "BEGIN":
            kind = prop.value.strip().upper()
            if not _NAME.fullmatch(kind):
                raise CalendarContentError(f"BEGIN:{_clip(prop.value)} isn't a component name.", number)
            if not stack and kind != "VCALENDAR":
                raise CalendarContentError("The calendar must start with BEGIN:VCALENDAR.", number)
            component = Component(kind, number)
            if stack:
                stack[-1].components.append(component)
            stack.append(component)
        elif prop.name == "END":
            kind = prop.value.strip().upper()
            if not stack or stack[-1].name != kind:
                expected = f"END:{stack[-1].name}" if stack else "BEGIN:VCALENDAR"
                raise CalendarContentError(f"END:{kind} found where {expected} was expected.", number)
            done = stack.pop()
            if not stack:
                root = done
        else:
            if not stack:
                raise CalendarContentError("The calendar must start with BEGIN:VCALENDAR.", number)
            stack[-1].properties.append(prop)
    if stack:
        raise CalendarContentError(f"BEGIN:{stack[-1].name} has no END:{stack[-1].name}.", stack[-1].line)
    assert root is not None
    return root


# --- values ------------------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)")
# Years a calendar may name: wide enough for any real calendar, and far enough from datetime's own limits
# (years 1 and 9999) that converting between zones and adding lengths can't overflow.
FIRST_YEAR, LAST_YEAR = 1000, 9000
_DURATION = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def parse_date(value: str, line: int) -> date:
    m = _DATE.fullmatch(value.strip())
    try:
        if m is None:
            raise ValueError
        return _in_range(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    except ValueError:
        raise CalendarContentError(f"'{_clip(value)}' isn't a valid DATE (YYYYMMDD).", line) from None


def parse_date_time(value: str, line: int) -> tuple[datetime, bool]:
    """(naive date-time, whether it is UTC: a trailing Z)."""
    m = _DATE_TIME.fullmatch(value.strip())
    try:
        if m is None:
            raise ValueError
        y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
        # RFC 5545 allows a leap second (60); it falls on the next minute
        extra = timedelta(seconds=1) if s == 60 else timedelta()
        return _in_range(datetime(y, mo, d, h, mi, min(s, 59)) + extra), m.group(7) == "Z"
    except ValueError:
        raise CalendarContentError(
            f"'{_clip(value)}' isn't a valid DATE-TIME (YYYYMMDDTHHMMSS, or with Z for UTC).", line
        ) from None


def _in_range(value: D) -> D:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(value)
    return value


def parse_duration(value: str, line: int) -> timedelta:
    m = _DURATION.fullmatch(value.strip())
    if m is None or not any(m.groups()[1:]):
        raise CalendarContentError(f"'{_clip(value)}' isn't a valid DURATION (such as PT1H or P1D).", line)
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in m.groups()[1:])
    delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return -delta if m.group(1) == "-" else delta


def unescape_text(value: str) -> str:
    """A TEXT value as written: \\n, \\N, \\, \\; and \\\\ are escapes."""
    return re.sub(r"\\([nN,;\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _clip(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "..."
