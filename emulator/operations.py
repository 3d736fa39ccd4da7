"""How a capability declares which SSM operation a method answers, and how an operation that cannot
exist offline is declared unavailable.

A capability is a plain object; its methods marked with @operation("PutParameter") are found
by OperationTable and dispatched to by name. Grepping an operation's name lands here at once.
An operation no capability can answer offline is marked once, with its reason and the AWS error it is
answered with (emulator/unavailable.py); the table answers it like any other, after the request was
validated against the model, so a caller learns why rather than meeting a generic "not implemented".
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel

from api_models._runtime import ServiceError
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


@dataclass(frozen=True)
class Offline:
    """Why an operation, or a part of one, cannot be done by an offline emulator, and the AWS error shape
    (one of botocore's SSM model) it is answered with."""

    error: type[ServiceError]
    reason: str

    def exception(self, operation_name: str) -> ServiceError:
        return self.error(f"{operation_name} is not available in ssm-emulator, which runs offline: {self.reason}")

    def handler(self, operation_name: str) -> Handler:
        def refuse(ctx: RequestContext, request: Any) -> NoReturn:
            raise self.exception(operation_name)

        return refuse


class OperationTable:
    """Operation name → bound handler, gathered from capability objects, and the operations answered only
    with the reason they are unavailable offline."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._owners: dict[str, object] = {}
        self._unavailable: dict[str, Offline] = {}

    def add(self, capability: object) -> None:
        for attr in dir(type(capability)):
            name = getattr(getattr(type(capability), attr), _MARK, None)
            if name is None:
                continue
            self._claim(name)
            self._handlers[name] = getattr(capability, attr)
            self._owners[name] = capability

    def add_unavailable(self, unavailable: Mapping[str, Offline]) -> None:
        """Answer each operation of `unavailable` with its error (see emulator/unavailable.py)."""
        for name, offline in unavailable.items():
            self._claim(name)
            self._handlers[name] = offline.handler(name)
            self._unavailable[name] = offline

    def _claim(self, name: str) -> None:
        if name in self._handlers:
            raise ValueError(f"operation {name} is answered twice")

    def get(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def names(self) -> frozenset[str]:
        """Every operation the table answers: implemented or unavailable with its reason."""
        return frozenset(self._handlers)

    def implemented(self) -> frozenset[str]:
        return frozenset(self._owners)

    def owner(self, name: str) -> object | None:
        """The capability object implementing `name`, or None."""
        return self._owners.get(name)

    def unavailable(self) -> dict[str, Offline]:
        return dict(self._unavailable)
