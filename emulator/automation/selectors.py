"""Runbook selectors: the JSONPath subset Automation uses to pick values out of a step's output.

AWS documents selectors as JSONPath (`Selector` of a step's `outputs`, `PropertySelector` of
aws:assertAwsResourceProperty and aws:waitForAwsResourceProperty), e.g. `$.Parameter.Value`,
`$.Payload.message`, `$.Reservations[0].Instances[0].State.Name`, `$.Reservations..Instances..InstanceId`.

Supported here:

    $                 the whole output
    .Name  ['Name']   a member of an object (quotes: ' or "; the bracket form allows any characters)
    [2]  [-1]         an element of a list (negative counts from the end)
    .*  [*]           every member of an object / element of a list
    ..Name  ..[*]     Name (or every value) at any depth below (recursive descent)

Filters (`[?(...)]`), slices and unions are not supported: `compile_selector` raises SelectorError.

API:

    select(data, selector) -> Any
        A definite selector (no `*`, no `..`) gives the one value it names; an indefinite one gives the
        list of every value it reaches, in document order. Raises NoMatch when nothing is there (an
        indefinite selector that reaches nothing, a member or index that does not exist) and
        SelectorError when the selector is not of the subset.
    select_all(data, selector) -> list[Any]
        Every value the selector reaches (a definite selector: zero or one), never raises NoMatch.
    is_definite(selector) -> bool
        Whether `select` answers one value rather than a list.
    compile_selector(selector) -> Selector
        The parsed selector (cached); `Selector.find(data)` and `Selector.definite` as above.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["NoMatch", "Selector", "SelectorError", "compile_selector", "is_definite", "select", "select_all"]


class SelectorError(ValueError):
    """The selector is not JSONPath of the supported subset."""


class NoMatch(LookupError):
    """The selector is valid but names nothing in this data."""


# A step of a selector: ("member", name), ("index", n), ("all", None); `deep` for `..` before it.
@dataclass(frozen=True, slots=True)
class _Step:
    kind: str
    key: str | int | None
    deep: bool = False


@dataclass(frozen=True, slots=True)
class Selector:
    text: str
    steps: tuple[_Step, ...]

    @property
    def definite(self) -> bool:
        return not any(step.deep or step.kind == "all" for step in self.steps)

    def find(self, data: Any) -> list[Any]:
        """Every value the selector reaches in `data`, in document order."""
        current = [data]
        for step in self.steps:
            found: list[Any] = []
            for value in current:
                for node in (_descendants(value) if step.deep else (value,)):
                    found.extend(_apply(step, node))
            current = found
        return current


_NAME = re.compile(r"[^.\[\]\s]+")
_INDEX = re.compile(r"-?\d+")


@lru_cache(maxsize=512)
def compile_selector(selector: str) -> Selector:
    if not isinstance(selector, str):
        raise SelectorError(f"a selector must be a string, not {type(selector).__name__}")
    text = selector.strip()
    if not text.startswith("$"):
        raise SelectorError(f"selector {selector!r} must start with '$'")
    steps: list[_Step] = []
    pos = 1
    while pos < len(text):
        deep = False
        if text.startswith("..", pos):
            deep, pos = True, pos + 2
        elif text[pos] == ".":
            pos += 1
        elif text[pos] != "[":
            raise SelectorError(f"selector {selector!r}: unexpected {text[pos]!r} at position {pos}")
        if pos >= len(text):
            raise SelectorError(f"selector {selector!r} ends after a '.'")
        if text[pos] == "[":
            step, pos = _bracket(selector, text, pos, deep)
        elif text[pos] == "*":
            step, pos = _Step("all", None, deep), pos + 1
        else:
            match = _NAME.match(text, pos)
            if match is None:
                raise SelectorError(f"selector {selector!r}: expected a member name at position {pos}")
            step, pos = _Step("member", match.group(), deep), match.end()
        steps.append(step)
    return Selector(selector, tuple(steps))


def _bracket(selector: str, text: str, pos: int, deep: bool) -> tuple[_Step, int]:
    """The step of the `[...]` at `pos`, and the position after its `]`."""
    inside = pos + 1
    while inside < len(text) and text[inside] == " ":
        inside += 1
    if text[inside:inside + 1] in ("'", '"'):
        close = text.find(text[inside], inside + 1)
        end = text.find("]", close + 1) if close >= 0 else -1
        if end < 0 or text[close + 1:end].strip():
            raise SelectorError(f"selector {selector!r}: the quoted name at position {inside} is not closed by ']'")
        return _Step("member", text[inside + 1:close], deep), end + 1
    end = text.find("]", pos)
    if end < 0:
        raise SelectorError(f"selector {selector!r}: '[' at position {pos} is not closed")
    inner = text[pos + 1:end].strip()
    if inner == "*":
        return _Step("all", None, deep), end + 1
    if _INDEX.fullmatch(inner):
        return _Step("index", int(inner), deep), end + 1
    raise SelectorError(
        f"selector {selector!r}: [{inner}] is not supported (a name, an index or *; no filters, slices or unions)"
    )


def _apply(step: _Step, node: Any) -> list[Any]:
    if step.kind == "member":
        return [node[step.key]] if isinstance(node, dict) and step.key in node else []
    if step.kind == "index":
        if isinstance(node, list) and -len(node) <= step.key < len(node):  # type: ignore[operator]
            return [node[step.key]]  # type: ignore[index]
        return []
    if isinstance(node, dict):
        return list(node.values())
    return list(node) if isinstance(node, list) else []


def _descendants(value: Any) -> list[Any]:
    """`value` and everything below it, depth first in document order (what `..` applies its step to)."""
    out = [value]
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        out.extend(_descendants(child))
    return out


def select_all(data: Any, selector: str) -> list[Any]:
    return compile_selector(selector).find(data)


def select(data: Any, selector: str) -> Any:
    compiled = compile_selector(selector)
    found = compiled.find(data)
    if not found:
        raise NoMatch(f"selector {selector} matches nothing in the output")
    return found[0] if compiled.definite else found


def is_definite(selector: str) -> bool:
    return compile_selector(selector).definite
