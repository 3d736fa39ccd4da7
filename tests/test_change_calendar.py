"""Change Calendar: ChangeCalendar documents' iCalendar read for real, and GetCalendarState over them
(one or several calendars, now or AtTime, NextTransitionTime), through boto3 and once the AWS CLI."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from test_awscli import aws

UTC = timezone.utc
OWNER, FRIEND = "123456789012", "111122223333"
# The AWS console's new calendar: no events yet, a VTODO placeholder (from AWS's CloudFormation example)
CONSOLE_EMPTY = (
    "BEGIN:VCALENDAR\r\nPRODID:-//AWS//Change Calendar 1.0//EN\r\nVERSION:2.0\r\nX-CALENDAR-TYPE:{kind}\r\n"
    "X-WR-CALDESC:test\r\nBEGIN:VTODO\r\nDTSTAMP:20200320T004207Z\r\nUID:3b5af39a-d0b3-4049-a839-d7bb8af01f92\r\n"
    "SUMMARY:Add events to this calendar.\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
)


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(*lines: str, uid: str = "e") -> str:
    return "BEGIN:VEVENT\r\n" + f"UID:{uid}\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n"


def ical(kind: str, *events: str, zone: str | None = None) -> str:
    head = f"BEGIN:VCALENDAR\r\nPRODID:-//AWS//Change Calendar 1.0//EN\r\nVERSION:2.0\r\nX-CALENDAR-TYPE:{kind}\r\n"
    if zone:
        head += f"X-WR-TIMEZONE:{zone}\r\n"
    return head + "".join(events) + "END:VCALENDAR\r\n"


def span(start: datetime, end: datetime, uid: str = "e", *extra: str) -> str:
    return event(f"DTSTART:{stamp(start)}", f"DTEND:{stamp(end)}", "SUMMARY:freeze", *extra, uid=uid)


def calendar(ssm, name: str, content: str) -> None:
    ssm.create_document(Name=name, Content=content, DocumentType="ChangeCalendar", DocumentFormat="TEXT")


def state(ssm, *names: str, at: str | None = None) -> dict:
    kwargs = {"AtTime": at} if at else {}
    answer = ssm.get_calendar_state(CalendarNames=list(names), **kwargs)
    answer.pop("ResponseMetadata")
    return answer


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- state now, and at a time ---------------------------------------------------------------------


def test_default_open_is_closed_during_an_event(ssm):
    t = now()
    calendar(ssm, "freeze", ical("DEFAULT_OPEN", span(t - timedelta(hours=1), t + timedelta(hours=1))))
    got = state(ssm, "freeze")
    assert got["State"] == "CLOSED"
    assert got["NextTransitionTime"] == iso(t + timedelta(hours=1))
    at = datetime.strptime(got["AtTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((at - t).total_seconds()) < 30
    # after the event: open, and nothing more to come
    assert state(ssm, "freeze", at=iso(t + timedelta(hours=2))) == {
        "State": "OPEN", "AtTime": iso(t + timedelta(hours=2))}


def test_default_closed_is_open_during_an_event(ssm):
    t = now()
    calendar(ssm, "window", ical("DEFAULT_CLOSED", span(t - timedelta(minutes=5), t + timedelta(minutes=55))))
    assert state(ssm, "window")["State"] == "OPEN"
    assert state(ssm, "window", at=iso(t - timedelta(hours=1))) == {
        "State": "CLOSED", "AtTime": iso(t - timedelta(hours=1)), "NextTransitionTime": iso(t - timedelta(minutes=5))}


def test_past_and_future_events(ssm):
    t = now()
    calendar(ssm, "cal", ical(
        "DEFAULT_OPEN",
        span(t - timedelta(days=3), t - timedelta(days=2), "past"),
        span(t + timedelta(days=2), t + timedelta(days=3), "future"),
    ))
    assert state(ssm, "cal")["State"] == "OPEN"
    assert state(ssm, "cal")["NextTransitionTime"] == iso(t + timedelta(days=2))
    inside_past = state(ssm, "cal", at=iso(t - timedelta(days=2, hours=12)))
    assert (inside_past["State"], inside_past["NextTransitionTime"]) == ("CLOSED", iso(t - timedelta(days=2)))
    # an event's end is not part of it; its start is
    assert state(ssm, "cal", at=iso(t - timedelta(days=2)))["State"] == "OPEN"
    assert state(ssm, "cal", at=iso(t + timedelta(days=2)))["State"] == "CLOSED"


def test_at_time_forms_are_answered_in_utc(ssm):
    calendar(ssm, "cal", ical("DEFAULT_OPEN", event("DTSTART:20240101T100000Z", "DTEND:20240101T120000Z")))
    want = {"State": "CLOSED", "AtTime": "2024-01-01T10:30:00Z", "NextTransitionTime": "2024-01-01T12:00:00Z"}
    assert state(ssm, "cal", at="2024-01-01T10:30:00Z") == want
    assert state(ssm, "cal", at="2024-01-01T05:30:00-0500") == want       # AWS's user guide writes -0700 offsets
    assert state(ssm, "cal", at="2024-01-01T11:30:00+01:00") == want
    assert state(ssm, "cal", at="2024-01-01T10:30:00.250Z") == want
    assert state(ssm, "cal", at="2024-01-01")["NextTransitionTime"] == "2024-01-01T10:00:00Z"


def test_a_calendar_without_events(ssm):
    calendar(ssm, "open", CONSOLE_EMPTY.format(kind="DEFAULT_OPEN"))
    calendar(ssm, "closed", CONSOLE_EMPTY.format(kind="DEFAULT_CLOSED"))
    assert state(ssm, "open", at="2030-01-01T00:00:00Z") == {"State": "OPEN", "AtTime": "2030-01-01T00:00:00Z"}
    assert state(ssm, "closed", at="2030-01-01T00:00:00Z") == {"State": "CLOSED", "AtTime": "2030-01-01T00:00:00Z"}


# --- recurring, time zones, all-day -------------------------------------------------------------------


def test_weekly_events_in_a_time_zone_follow_daylight_saving(ssm):
    # 09:00-17:00 New York time on Mondays and Fridays: 14:00-22:00 UTC in winter, 13:00-21:00 in summer
    calendar(ssm, "office", ical("DEFAULT_CLOSED", event(
        "DTSTART;TZID=America/New_York:20240105T090000",
        "DTEND;TZID=America/New_York:20240105T170000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20241231T235959Z",
        "EXDATE;TZID=America/New_York:20240108T090000",
    )))
    assert state(ssm, "office", at="2024-01-05T15:00:00Z") == {
        "State": "OPEN", "AtTime": "2024-01-05T15:00:00Z", "NextTransitionTime": "2024-01-05T22:00:00Z"}
    # Monday the 8th is excluded: closed until Friday the 12th
    assert state(ssm, "office", at="2024-01-06T00:00:00Z")["NextTransitionTime"] == "2024-01-12T14:00:00Z"
    assert state(ssm, "office", at="2024-01-08T15:00:00Z")["State"] == "CLOSED"
    summer = state(ssm, "office", at="2024-07-01T13:30:00Z")
    assert (summer["State"], summer["NextTransitionTime"]) == ("OPEN", "2024-07-01T21:00:00Z")
    assert state(ssm, "office", at="2024-07-02T13:30:00Z")["State"] == "CLOSED"   # a Tuesday
    # UNTIL ends it: after the last Friday of 2024 nothing changes any more
    assert state(ssm, "office", at="2025-01-06T15:00:00Z") == {"State": "CLOSED", "AtTime": "2025-01-06T15:00:00Z"}


def test_monthly_yearly_daily_rules(ssm):
    calendar(ssm, "patch", ical("DEFAULT_OPEN", event(
        "DTSTART:20240109T020000Z", "DURATION:PT4H", "RRULE:FREQ=MONTHLY;BYDAY=2TU")))       # Patch Tuesday
    assert state(ssm, "patch", at="2024-03-12T03:00:00Z")["State"] == "CLOSED"
    assert state(ssm, "patch", at="2024-03-05T03:00:00Z")["NextTransitionTime"] == "2024-03-12T02:00:00Z"
    calendar(ssm, "month-end", ical("DEFAULT_OPEN", event(
        "DTSTART;VALUE=DATE:20240131", "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3")))
    assert state(ssm, "month-end", at="2024-02-29T12:00:00Z")["State"] == "CLOSED"     # leap day, 2nd of 3
    assert state(ssm, "month-end", at="2024-03-31T12:00:00Z")["State"] == "CLOSED"     # 3rd of 3
    assert state(ssm, "month-end", at="2024-04-30T12:00:00Z") == {"State": "OPEN", "AtTime": "2024-04-30T12:00:00Z"}
    calendar(ssm, "holidays", ical("DEFAULT_OPEN", event(
        "DTSTART;VALUE=DATE:20201224", "DTEND;VALUE=DATE:20201227", "RRULE:FREQ=YEARLY")))
    assert state(ssm, "holidays", at="2031-12-26T23:00:00Z") == {
        "State": "CLOSED", "AtTime": "2031-12-26T23:00:00Z", "NextTransitionTime": "2031-12-27T00:00:00Z"}
    calendar(ssm, "nightly", ical("DEFAULT_OPEN", event(
        "DTSTART:20150101T230000Z", "DTEND:20150102T010000Z", "RRULE:FREQ=DAILY;INTERVAL=2")))
    # every other day since 2015, long ago: 2026-05-01 is an even number of days after it
    assert state(ssm, "nightly", at="2026-05-02T00:30:00Z")["NextTransitionTime"] == "2026-05-02T01:00:00Z"
    assert state(ssm, "nightly", at="2026-05-03T00:30:00Z")["NextTransitionTime"] == "2026-05-03T23:00:00Z"


def test_all_day_events_are_days_of_the_calendar_time_zone(ssm):
    calendar(ssm, "tokyo", ical("DEFAULT_OPEN", event("DTSTART;VALUE=DATE:20250101", "DTEND;VALUE=DATE:20250102",
                                                      "SUMMARY:New Year"), zone="Asia/Tokyo"))
    assert state(ssm, "tokyo", at="2024-12-31T15:00:00Z") == {
        "State": "CLOSED", "AtTime": "2024-12-31T15:00:00Z", "NextTransitionTime": "2025-01-01T15:00:00Z"}
    calendar(ssm, "utc", ical("DEFAULT_OPEN", event("DTSTART;VALUE=DATE:20250101")))   # one day without DTEND
    assert state(ssm, "utc", at="2024-12-31T15:00:00Z")["NextTransitionTime"] == "2025-01-01T00:00:00Z"
    assert state(ssm, "utc", at="2025-01-01T15:00:00Z")["NextTransitionTime"] == "2025-01-02T00:00:00Z"


def test_overlapping_events_are_one_closure_and_folded_lines_are_read(ssm):
    calendar(ssm, "cal", ical("DEFAULT_OPEN",
                              event("DTSTART:20240101T100000Z", "DTEND:20240101T120000Z", uid="a"),
                              event("DTSTART:20240101T110000Z", "DTEND:20240101T130000Z", uid="b"),
                              event("DTSTART:20240101T130000Z", "DTEND:20240101T140000Z", uid="c"),
                              # folded: "DTEND:20240102T100000Z" over three lines, LF only
                              "BEGIN:VEVENT\nUID:d\nDTSTART:20240102T090000Z\nDTEND:2024\n 0102T1\n\t00000Z\n"
                              "SUMMARY:long\\, folded\nEND:VEVENT\n"))
    assert state(ssm, "cal", at="2024-01-01T10:00:00Z")["NextTransitionTime"] == "2024-01-01T14:00:00Z"
    assert state(ssm, "cal", at="2024-01-02T09:30:00Z")["NextTransitionTime"] == "2024-01-02T10:00:00Z"


def test_rarer_rule_parts_overrides_and_cancelled_events(ssm):
    calendar(ssm, "cal", ical(
        "DEFAULT_OPEN",
        # Thanksgiving: the 4th Thursday of November, all day, New York
        event("DTSTART;VALUE=DATE:20231123", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", uid="thanks"),
        # the last weekday of each month, 18:00-20:00 UTC (BYSETPOS)
        event("DTSTART:20240131T180000Z", "DTEND:20240131T200000Z",
              "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", uid="month-close"),
        # every other Wednesday 10:00-11:00 UTC, moved once (RECURRENCE-ID) and once added (RDATE)
        event("DTSTART:20240103T100000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;INTERVAL=2",
              "RDATE:20240105T100000Z", uid="sync"),
        event("RECURRENCE-ID:20240117T100000Z", "DTSTART:20240118T150000Z", "DURATION:PT1H", uid="sync"),
        event("DTSTART:20240110T000000Z", "DTEND:20240111T000000Z", "STATUS:CANCELLED", uid="called-off"),
        zone="America/New_York"))
    closed = lambda at: state(ssm, "cal", at=at)["State"] == "CLOSED"  # noqa: E731
    assert closed("2024-11-28T12:00:00Z") and not closed("2024-11-21T12:00:00Z")
    # the day is New York's (X-WR-TIMEZONE): 27 Nov 2025 begins at 05:00 UTC
    assert not closed("2025-11-27T04:30:00Z") and closed("2025-11-27T05:30:00Z")
    assert closed("2024-08-30T19:00:00Z") and not closed("2024-08-31T19:00:00Z")   # Fri 30 Aug, not Sat 31
    assert closed("2024-03-29T19:00:00Z")
    assert closed("2024-01-03T10:30:00Z") and not closed("2024-01-10T10:30:00Z")   # every other week
    assert closed("2024-01-05T10:30:00Z")                                          # RDATE
    assert not closed("2024-01-17T10:30:00Z") and closed("2024-01-18T15:30:00Z")   # moved
    assert closed("2024-01-31T10:30:00Z")
    assert not closed("2024-01-10T12:00:00Z")                                      # cancelled


def test_the_in_process_api():
    from emulator.background import Background
    from emulator.change_calendar import ChangeCalendars
    from emulator.clock import Clock
    from emulator.config import Config
    from emulator.context import internal_context
    from emulator.documents import Documents
    from emulator.services import Services
    from emulator.store import Database
    from api_models.documents import CreateDocumentRequest
    from api_models.errors import InvalidDocument

    services = Services(config=Config(ephemeral=True), db=Database(None), clock=Clock(), background=Background())
    documents = Documents(services)
    calendars = ChangeCalendars(services, documents=documents)
    ctx = internal_context(OWNER, "eu-west-1", "test")
    content = ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "DTEND:20240102T000000Z"))
    documents.create_document(ctx, CreateDocumentRequest(
        Name="freeze", Content=content, DocumentType="ChangeCalendar", DocumentFormat="TEXT"))
    at = datetime(2024, 1, 1, 12, 0, 0, 500, tzinfo=UTC)
    got = calendars.state(OWNER, "eu-west-1", ["freeze"], at)
    assert (got.state, got.is_open) == ("CLOSED", False)
    assert (got.at, got.next_transition) == (at.replace(microsecond=0), datetime(2024, 1, 2, tzinfo=UTC))
    assert calendars.next_transition(OWNER, "eu-west-1", ["freeze"], datetime(2024, 1, 3, tzinfo=UTC)) is None
    assert calendars.state(OWNER, "eu-west-1", ["freeze"]).is_open       # now: long after
    with pytest.raises(InvalidDocument):
        calendars.state(OWNER, "us-east-1", ["freeze"])                 # another region's
    services.background.stop()


# --- several calendars ----------------------------------------------------------------------------


def test_several_calendars_are_closed_when_any_is(ssm):
    calendar(ssm, "freeze", ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "DTEND:20240102T000000Z")))
    calendar(ssm, "window", ical("DEFAULT_CLOSED", event(
        "DTSTART:20240101T120000Z", "DTEND:20240103T000000Z")))
    # 1 Jan 06:00: freeze closes, window closed: CLOSED until 2 Jan 00:00, when freeze ends inside the window
    assert state(ssm, "freeze", "window", at="2024-01-01T06:00:00Z") == {
        "State": "CLOSED", "AtTime": "2024-01-01T06:00:00Z", "NextTransitionTime": "2024-01-02T00:00:00Z"}
    assert state(ssm, "freeze", "window", at="2024-01-02T06:00:00Z") == {
        "State": "OPEN", "AtTime": "2024-01-02T06:00:00Z", "NextTransitionTime": "2024-01-03T00:00:00Z"}
    assert state(ssm, "window", "freeze", at="2024-01-03T06:00:00Z") == {
        "State": "CLOSED", "AtTime": "2024-01-03T06:00:00Z"}
    arn = f"arn:aws:ssm:us-east-1:{OWNER}:document/window"
    assert state(ssm, "freeze", arn, at="2024-01-02T06:00:00Z")["State"] == "OPEN"


def test_the_default_version_is_the_calendar(ssm):
    calendar(ssm, "cal", ical("DEFAULT_OPEN"))
    ssm.update_document(Name="cal", Content=ical("DEFAULT_CLOSED"), DocumentVersion="$LATEST", DocumentFormat="TEXT")
    assert state(ssm, "cal", at="2024-01-01T00:00:00Z")["State"] == "OPEN"
    ssm.update_document_default_version(Name="cal", DocumentVersion="2")
    assert state(ssm, "cal", at="2024-01-01T00:00:00Z")["State"] == "CLOSED"


def test_a_calendar_shared_with_another_account(client_factory):
    owner, friend = client_factory(), client_factory(access_key=FRIEND)
    calendar(owner, "shared-freeze", ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "DTEND:20240102T000000Z")))
    arn = f"arn:aws:ssm:us-east-1:{OWNER}:document/shared-freeze"
    assert error_of(friend.get_calendar_state, CalendarNames=[arn])[0] == "InvalidDocument"
    owner.modify_document_permission(Name="shared-freeze", PermissionType="Share", AccountIdsToAdd=[FRIEND])
    assert state(friend, arn, at="2024-01-01T12:00:00Z")["State"] == "CLOSED"


# --- errors ------------------------------------------------------------------------------------------


def test_errors(ssm):
    calendar(ssm, "cal", ical("DEFAULT_OPEN"))
    ssm.create_document(Name="cmd", DocumentType="Command", Content=json.dumps({
        "schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "s",
                                               "inputs": {"runCommand": ["true"]}}]}))
    assert error_of(ssm.get_calendar_state, CalendarNames=["missing"]) == (
        "InvalidDocument", "No matching value was found for Name.")
    assert error_of(ssm.get_calendar_state, CalendarNames=["cal", "missing"])[0] == "InvalidDocument"
    code, message = error_of(ssm.get_calendar_state, CalendarNames=["cal", "cmd"])
    assert code == "InvalidDocumentType" and "cmd" in message
    assert error_of(ssm.get_calendar_state, CalendarNames=["AWS-RunShellScript"])[0] == "InvalidDocumentType"
    assert error_of(ssm.get_calendar_state, CalendarNames=["cal"], AtTime="next tuesday")[0] == "ValidationException"
    assert error_of(ssm.get_calendar_state, CalendarNames=[])[0] == "ValidationException"
    assert error_of(ssm.get_calendar_state, CalendarNames=["cal"], AtTime="9999-12-31T23:00:00-05:00")[0] == (
        "ValidationException")
    # valid iCalendar, a rule finer than a day: stored, but not evaluated
    calendar(ssm, "hourly", ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "DURATION:PT10M",
                                                       "RRULE:FREQ=HOURLY")))
    code, message = error_of(ssm.get_calendar_state, CalendarNames=["hourly"])
    assert code == "UnsupportedCalendarException" and "HOURLY" in message


@pytest.mark.parametrize("content, says", [
    ("BEGIN:VCALENDAR\r\nX-CALENDAR-TYPE:DEFAULT_OPEN\r\nBEGIN:VEVENT\r\nDTSTART:20240101T000000Z\r\nEND:VCALENDAR",
     "END:VCALENDAR found where END:VEVENT was expected"),
    (ical("SOMETIMES_OPEN"), "X-CALENDAR-TYPE"),
    (ical("DEFAULT_OPEN", event("DTSTART:2024-01-01", "DTEND:20240102T000000Z")), "DATE"),
    (ical("DEFAULT_OPEN", event("DTSTART;TZID=Asia/Tokyo:00010101T000000", "DURATION:PT1H")), "DATE-TIME"),
    (ical("DEFAULT_OPEN", event("DTEND:20240102T000000Z")), "no DTSTART"),
    (ical("DEFAULT_OPEN", event("DTSTART:20240102T000000Z", "DTEND:20240101T000000Z")), "DTEND is before DTSTART"),
    (ical("DEFAULT_OPEN", event("DTSTART;TZID=Mars/Olympus_Mons:20240101T000000", "DURATION:PT1H")), "time zone"),
    (ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "DURATION:PT1H", "RRULE:FREQ=FORTNIGHTLY")), "FREQ"),
    (ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "DURATION:PT1H",
                                "RRULE:FREQ=DAILY;COUNT=2;UNTIL=20240105T000000Z")), "COUNT and UNTIL"),
    (ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=2MO")), "BYDAY"),
    (ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "no colon here")), "content line"),
    (ical("DEFAULT_OPEN") + "BEGIN:VEVENT\r\n", "ending with END:VCALENDAR"),
])
def test_invalid_content_is_refused(ssm, content, says):
    code, message = error_of(ssm.create_document, Name="bad", Content=content, DocumentType="ChangeCalendar",
                             DocumentFormat="TEXT")
    assert code == "InvalidDocumentContent"
    assert says in message
    assert error_of(ssm.describe_document, Name="bad")[0] == "InvalidDocument"   # nothing stored


def test_update_refuses_invalid_content_too(ssm):
    calendar(ssm, "cal", ical("DEFAULT_OPEN"))
    code, _ = error_of(ssm.update_document, Name="cal", DocumentVersion="$LATEST", DocumentFormat="TEXT",
                       Content=ical("DEFAULT_OPEN", event("DTSTART:20240101T000000Z", "RRULE:INTERVAL=2")))
    assert code == "InvalidDocumentContent"
    assert ssm.describe_document(Name="cal")["Document"]["LatestVersion"] == "1"


# --- the AWS CLI ----------------------------------------------------------------------------------------


def test_cli_get_calendar_state(emulator, client_factory, tmp_path: Path):
    # the CLI in test_awscli signs as AKIDCLI in eu-west-1: the calendar is made there
    cli_region = client_factory(region="eu-west-1", access_key="AKIDCLI")
    calendar(cli_region, "cli-cal", ical("DEFAULT_OPEN", event("DTSTART;VALUE=DATE:20200719")))
    out = aws(emulator.url, "get-calendar-state", "--calendar-names", "cli-cal", "--at-time", "2020-07-19T21:15:19Z",
              tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"State": "CLOSED", "AtTime": "2020-07-19T21:15:19Z",
                                      "NextTransitionTime": "2020-07-20T00:00:00Z"}
    missing = aws(emulator.url, "get-calendar-state", "--calendar-names", "nope", tmp=tmp_path)
    assert missing.returncode != 0
    assert "(InvalidDocument) when calling the GetCalendarState operation" in missing.stderr
