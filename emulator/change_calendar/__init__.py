"""Change Calendar: ChangeCalendar documents (iCalendar) read for their meaning, GetCalendarState, and the
in-process API Change Manager, Automation, State Manager and Maintenance Windows use to honour calendars.

handlers.py holds the operation and the in-process API (ChangeCalendars.state / next_transition, see its
docstring), and the Documents hook that refuses calendar content it can't read; calendar.py what a calendar
means (events, types, state over time, transitions); recurrence.py RRULE; icalendar.py RFC 5545 text.
The calendars themselves are documents: CreateDocument/UpdateDocument with DocumentType ChangeCalendar and
DocumentFormat TEXT (emulator/documents).
"""
from emulator.change_calendar.handlers import CalendarState, ChangeCalendars

__all__ = ["CalendarState", "ChangeCalendars"]
