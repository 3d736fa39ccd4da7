"""Walking a paged listing page by page, checking no page is larger than asked."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def walk_pages(call: Callable[..., dict[str, Any]], result_key: str, page_size: int, **kwargs: Any) -> list[Any]:
    """Every item `call` lists under `result_key`, fetched `page_size` at a time through NextToken."""
    seen: list[Any] = []
    token = None
    while True:
        page = call(MaxResults=page_size, **kwargs, **({"NextToken": token} if token else {}))
        assert len(page[result_key]) <= page_size
        seen += page[result_key]
        token = page.get("NextToken")
        if not token:
            return seen
