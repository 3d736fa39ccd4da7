"""Filters and pages of Maintenance Windows' listings: each Describe* takes Filters of {Key, Values} (a row
matches when, for every filter, one of its values is among the filter's Values) and pages with MaxResults
(10-100 by the model) and an opaque NextToken."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from api_models.errors import ValidationException
from emulator import paging

DEFAULT_MAX_RESULTS = 50
T = TypeVar("T")


def filtered(rows: Sequence[T], filters: Sequence[Any] | None, keys: dict[str, Callable[[T], list[str]]],
             casefold: tuple[str, ...] = ()) -> list[T]:
    checks = []
    for f in filters or []:
        if f.Key not in keys:
            raise ValidationException(f"Filter key {f.Key} isn't supported. Use {', '.join(keys)}.")
        fold = f.Key in casefold
        wanted = {v.lower() if fold else v for v in f.Values or []}
        checks.append((keys[f.Key], wanted, fold))
    return [row for row in rows
            if all(any((v.lower() if fold else v) in wanted for v in values(row)) for values, wanted, fold in checks)]


def page(listing: str, rows: Sequence[T], req: Any, position: Callable[[T], Any]) -> tuple[list[T], str | None]:
    """One page of `rows` (in their order, `position` increasing along it) after req.NextToken."""
    after = paging.decode(listing, req.NextToken, (int, float, str))
    rest = [r for r in rows if after is None or position(r) > after]
    return paging.page(listing, rest, req.MaxResults or DEFAULT_MAX_RESULTS, position)
