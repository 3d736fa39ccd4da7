"""Listeners: how one capability tells others that something ended, without knowing who listens.

The app factory wires them (OpsCenter listens for failed Automation executions, association runs and commands);
a capability keeps a Listeners and calls notify() once the outcome is stored. A listener that raises is logged
and the others still run: the capability that notifies carries on whatever its listeners do.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Listeners(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what  # e.g. "execution end", for the log
        self._listeners: list[Callable[[T], None]] = []

    def add(self, listener: Callable[[T], None]) -> None:
        self._listeners.append(listener)

    def notify(self, event: T) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a %s listener failed", self.what)
