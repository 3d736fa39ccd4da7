"""ComplianceStringFilter: Key, Values and Type (EQUAL, NOT_EQUAL, BEGIN_WITH, LESS_THAN, GREATER_THAN).

A filter reads one attribute of a row through the listing's own key table; a row passes when every filter
matches. EQUAL and BEGIN_WITH match when any value does, NOT_EQUAL when none is equal; LESS_THAN and
GREATER_THAN compare times (ExecutionTime, CaptureTime: epoch seconds or ISO 8601) as times, other attributes
as strings.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from api_models.compliance import ComplianceStringFilter
from api_models.errors import InvalidFilter
from emulator.clock import instant

TIME_KEYS = frozenset({"ExecutionTime", "CaptureTime"})
Reader = Callable[[Any], "str | float | None"]


def _matches(kind: str, actual: str | float | None, values: Sequence[str], is_time: bool) -> bool:
    if kind == "NOT_EQUAL":
        return actual is None or all(not _matches("EQUAL", actual, [v], is_time) for v in values)
    if actual is None:
        return False
    for value in values:
        wanted = instant(value) if is_time else value
        here = actual if is_time else str(actual)
        if kind == "EQUAL" and here == wanted:
            return True
        if kind == "BEGIN_WITH" and str(here).startswith(str(value)):
            return True
        if kind == "LESS_THAN" and here < wanted:  # type: ignore[operator]
            return True
        if kind == "GREATER_THAN" and here > wanted:  # type: ignore[operator]
            return True
    return False


def compile_filters(
    filters: Sequence[ComplianceStringFilter] | None, readers: Mapping[str, Reader]
) -> Callable[[Any], bool]:
    """A predicate for the rows of a listing whose filterable attributes are `readers` (key → reader)."""
    checks: list[tuple[str, Reader, list[str], bool]] = []
    for f in filters or ():
        key = f.Key or ""
        if key not in readers:
            raise InvalidFilter(f"The filter key {key} isn't valid. Valid keys: {', '.join(sorted(readers))}.")
        if not f.Values:
            raise InvalidFilter(f"The filter {key} needs at least one value.")
        is_time = key in TIME_KEYS
        for value in f.Values if is_time else ():
            if instant(value) is None:
                raise InvalidFilter(f"The filter value {value} isn't a valid time: use epoch seconds or ISO 8601.")
        checks.append((f.Type or "EQUAL", readers[key], list(f.Values), is_time))
    return lambda row: all(_matches(kind, read(row), values, is_time) for kind, read, values, is_time in checks)
