"""How a capability declares which SSM operation a method answers.

A capability is a plain object; its methods marked with @operation("PutParameter") are found
by OperationTable and dispatched to by name. Grepping an operation's name lands here at once.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from emulator.context import RequestContext

Handler = Callable[[RequestContext, Any], BaseModel | None]
F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__ssm_operation__"


def operation(name: str) -> Callable[[F], F]:
    """Mark a capability method as the handler of the SSM operation `name`."""

    def mark(fn: F) -> F:
        setattr(fn, _MARK, name)
        return fn

    return mark


class OperationTable:
    """Operation name → bound handler, gathered from capability objects."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, capability: object) -> None:
        for attr in dir(type(capability)):
            name = getattr(getattr(type(capability), attr), _MARK, None)
            if name is None:
                continue
            if name in self._handlers:
                raise ValueError(f"operation {name} is answered twice")
            self._handlers[name] = getattr(capability, attr)

    def get(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def names(self) -> frozenset[str]:
        return frozenset(self._handlers)
