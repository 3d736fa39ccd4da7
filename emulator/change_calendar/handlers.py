"""GetCalendarState, and the in-process API the capabilities that honour calendars use.

    calendars = ChangeCalendars(services, documents=documents)
    state = calendars.state(account, region, ["ProdFreeze", "arn:aws:ssm:...:document/Shared"])
    if not state.is_open: ...                     # wait until state.next_transition, or refuse
    calendars.next_transition(account, region, ["ProdFreeze"])   # datetime | None

Calendars are named as GetCalendarState names them: the caller's ChangeCalendar documents by name or
ARN, or another account's shared with the caller (by ARN), at their default version. Both raise what
GetCalendarState answers: InvalidDocument (no such document), InvalidDocumentType (not a
ChangeCalendar), UnsupportedCalendarException (a rule the emulator does not evaluate).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from api_models.change_manager import GetCalendarStateRequest, GetCalendarStateResponse
from api_models.errors import (
    InvalidDocumentContent,
    InvalidDocumentType,
    UnsupportedCalendarException,
    ValidationException,
)
from emulator.change_calendar import calendar
from emulator.change_calendar.calendar import ChangeCalendar
from emulator.change_calendar.icalendar import FIRST_YEAR, LAST_YEAR, CalendarContentError
from emulator.context import RequestContext, internal_context
from emulator.documents.content import CALENDAR
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.documents import Documents
    from emulator.services import Services

OPEN, CLOSED = calendar.OPEN, calendar.CLOSED
MAX_CALENDARS = 50  # a request names a handful; this bounds the work one request can ask for


@dataclass(frozen=True, slots=True)
class CalendarState:
    """The combined state of one or more change calendars at a time."""

    state: str                          # OPEN or CLOSED
    at: datetime                        # aware UTC, to the second
    next_transition: datetime | None    # when `state` changes; None when it doesn't within ten years

    @property
    def is_open(self) -> bool:
        return self.state == OPEN


def iso(moment: datetime) -> str:
    """A time as GetCalendarState writes it: UTC, to the second, e.g. 2020-07-19T21:15:19Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_at_time(given: str) -> datetime:
    """AtTime: ISO 8601 with an offset or Z (no offset: UTC), or a date (its midnight, UTC)."""
    try:
        moment = datetime.fromisoformat(given.strip())
    except ValueError:
        raise ValidationException(
            f"AtTime {given} isn't a valid ISO 8601 time. Use a time such as 2020-07-19T21:15:19Z."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def check_content(content: str) -> None:
    """The Documents hook: a ChangeCalendar's content must be iCalendar Change Calendar can read."""
    try:
        calendar.read(content)
    except CalendarContentError as exc:
        raise InvalidDocumentContent(f"The calendar content isn't valid. {exc}") from None


class ChangeCalendars:
    """Change Calendar: GetCalendarState over ChangeCalendar documents, and the same for other capabilities."""

    def __init__(self, services: Services, *, documents: Documents) -> None:
        self.clock = services.clock
        self.documents = documents
        documents.check_content(CALENDAR, check_content)
        self._read: OrderedDict[str, ChangeCalendar] = OrderedDict()  # by content hash
        self._lock = threading.Lock()

    # --- the operation -------------------------------------------------------------------------------

    @operation("GetCalendarState")
    def get_calendar_state(self, ctx: RequestContext, req: GetCalendarStateRequest) -> GetCalendarStateResponse:
        at = parse_at_time(req.AtTime) if req.AtTime is not None else None
        result = self.state_for(ctx, req.CalendarNames or [], at)
        return GetCalendarStateResponse.model_construct(
            State=result.state,
            AtTime=iso(result.at),
            NextTransitionTime=iso(result.next_transition) if result.next_transition else None,
        )

    # --- the in-process API --------------------------------------------------------------------------

    def state(self, account: str, region: str, names: Sequence[str], at: datetime | None = None) -> CalendarState:
        """The combined state of the calendars `names` (names or ARNs) for `account` in `region` at
        `at` (aware; default now)."""
        return self.state_for(internal_context(account, region, "change-calendar"), names, at)

    def next_transition(self, account: str, region: str, names: Sequence[str],
                        at: datetime | None = None) -> datetime | None:
        """When the combined state of `names` next changes after `at` (default now); None if it doesn't."""
        return self.state(account, region, names, at).next_transition

    def state_for(self, ctx: RequestContext, names: Sequence[str], at: datetime | None = None) -> CalendarState:
        """As `state`, for a caller's RequestContext."""
        if not names:
            raise ValidationException("CalendarNames must name at least one calendar.")
        if len(names) > MAX_CALENDARS:
            raise ValidationException(f"CalendarNames can name at most {MAX_CALENDARS} calendars.")
        try:
            moment = (at or self.clock.now()).astimezone(timezone.utc).replace(microsecond=0)
        except OverflowError:
            moment = datetime.max.replace(tzinfo=timezone.utc)
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValidationException(f"AtTime must be between the years {FIRST_YEAR} and {LAST_YEAR}.")
        calendars = [self.calendar(ctx, name) for name in names]
        state, next_change = calendar.evaluate(calendars, moment)
        return CalendarState(state, moment, next_change)

    def calendar(self, ctx: RequestContext, name: str) -> ChangeCalendar:
        """The calendar a name or ARN names, read from its document's default version."""
        doc = self.documents.resolve(ctx, name)
        if doc.document_type != CALENDAR:
            raise InvalidDocumentType(
                f"The document {doc.name} is of type {doc.document_type}. GetCalendarState accepts "
                f"documents of type {CALENDAR} only."
            )
        cal = self._calendar(doc.hash, doc.raw_content)
        if cal.unsupported:
            raise UnsupportedCalendarException(f"The calendar {doc.name} isn't supported: {cal.unsupported}")
        return cal

    def _calendar(self, content_hash: str, content: str) -> ChangeCalendar:
        with self._lock:
            hit = self._read.get(content_hash)
            if hit is not None:
                self._read.move_to_end(content_hash)
                return hit
        try:
            cal = calendar.read(content)
        except CalendarContentError as exc:
            # stored before content was checked this deeply: it can't be evaluated
            raise UnsupportedCalendarException(f"The calendar content isn't supported. {exc}") from None
        with self._lock:
            self._read[content_hash] = cal
            if len(self._read) > 256:
                self._read.popitem(last=False)
        return cal
