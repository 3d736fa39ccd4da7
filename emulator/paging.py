"""Opaque NextToken values: what a listing needs to resume, never an offset.

A token carries the sort key of the last item returned (keyset pagination), so the next page
is a range scan that starts where the previous one stopped, whatever was written in between.
Tokens are base64url JSON tagged with the listing they belong to; anything a client did not
receive from that listing is answered with InvalidNextToken, as AWS does.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from api_models.errors import InvalidNextToken

INVALID_TOKEN_MESSAGE = "The specified token isn't valid."
T = TypeVar("T")


def encode(listing: str, position: Any) -> str:
    """A NextToken resuming `listing` (e.g. "DescribeParameters") after `position`."""
    raw = json.dumps([listing, position], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def decode(listing: str, token: str | None, kind: type | tuple[type, ...] = object) -> Any:
    """The position a token of `listing` resumes after; None when there is no token.

    Raises InvalidNextToken for a token that was not made by `encode(listing, ...)` or whose
    position is not of `kind` (e.g. str for a name, int for a version).
    """
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        tag, position = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidNextToken(INVALID_TOKEN_MESSAGE) from None
    if tag != listing or position is None or not isinstance(position, kind) or isinstance(position, bool):
        raise InvalidNextToken(INVALID_TOKEN_MESSAGE)
    return position


def page(listing: str, rows: Sequence[T], limit: int, position: Callable[[T], Any]) -> tuple[list[T], str | None]:
    """The first `limit` of `rows` (fetched as limit + 1, so one more says there is a next page) and the
    NextToken resuming after the last of them, or None when there is no more."""
    shown = list(rows[:limit])
    return shown, encode(listing, position(shown[-1])) if len(rows) > limit else None


def decode_time_and_id(listing: str, token: str | None) -> tuple[float, str] | None:
    """The (time, id) position a token of `listing` resumes after, for listings ordered by creation time then id;
    None when there is no token, InvalidNextToken for one of another shape."""
    position = decode(listing, token, list)
    if position is None:
        return None
    if len(position) != 2 or not isinstance(position[0], (int, float)) or isinstance(position[0], bool) \
            or not isinstance(position[1], str):
        raise InvalidNextToken(INVALID_TOKEN_MESSAGE)
    return float(position[0]), position[1]
