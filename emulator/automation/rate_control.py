"""Rate control: StartAutomationExecution with TargetParameterName and Targets (or TargetMaps) is a parent
execution that starts one child execution per target, as AWS does, MaxConcurrency at a time, and stops starting
them once more children failed than MaxErrors allows.

Targets resolve when the parent starts: `ParameterValues` are the values themselves; `InstanceIds` and
`tag:<key>` / `tag-key` select managed instances (their IDs are the values); a `ResourceGroup` is InvalidTarget
(there are no resource groups offline). TargetMaps give each child its own parameters. MaxConcurrency and
MaxErrors take numbers or percentages of the targets (run_command.rate's rules); when not given this emulator
uses 10 and 0 (AWS does not document Automation's defaults).

The parent is InProgress while children run; it ends Success when every target got a child and no more failed
than MaxErrors allows, Failed otherwise, Cancelled when stopped. Children not started never exist.

TargetLocations (multi-account and multi-Region) use the same machinery: the parent (AutomationType
CrossAccount) has one target per account and Region, TargetLocationMaxConcurrency/MaxErrors its limits, and each
child runs in its own account and Region of this emulator (which keeps every account+Region apart, as AWS does).
A child whose parent also had Targets is itself a rate-control parent, its targets resolved in its own account and
Region.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from emulator.automation import status, storage
from emulator.run_command import rate

if TYPE_CHECKING:
    from emulator.automation.engine import Engine

DEFAULT_MAX_CONCURRENCY = "10"
DEFAULT_MAX_ERRORS = "0"
CHILD_ERRORS = (status.FAILED, status.TIMED_OUT, status.CANCELLED)


def limits(max_concurrency: str | None, max_errors: str | None, targets: int) -> tuple[str, str, int, int]:
    concurrency = max_concurrency or DEFAULT_MAX_CONCURRENCY
    errors = max_errors or DEFAULT_MAX_ERRORS
    return concurrency, errors, rate.concurrency_limit(concurrency, targets), rate.error_limit(errors, targets)


class RateControl:
    def __init__(self, engine: Engine, clock: Any) -> None:
        self.engine = engine
        self.db = engine.db
        self.clock = clock

    def kick(self, parent_seq: int) -> None:
        """Start the children rate control allows now; end the parent when it is done."""
        started: list[tuple[int, bool]] = []
        ended: tuple[str, str | None] | None = None
        with self.engine.lock:
            with self.db.write() as conn:
                parent = storage.by_seq(conn, parent_seq)
                if parent is None or parent["done"]:
                    return
                kids = storage.children(conn, parent["id"])
                targets = json.loads(parent["resolved_targets"] or "[]")
                running = sum(1 for k in kids if not k["done"])
                errors = sum(1 for k in kids if k["status"] in CHILD_ERRORS)
                stopped = bool(parent["stopped"])
                if not stopped and rate.exceeded(errors, parent["error_limit"]):
                    stopped = True
                    storage.update_execution(conn, parent_seq, stopped=1)
                next_target = parent["next_target"]
                if not stopped and not parent["cancel_requested"]:
                    free = rate.free_slots(running, parent["concurrency_limit"])
                    for item in targets[next_target:next_target + free]:
                        started.append(self._child(conn, parent, item))
                    next_target += len(started)
                    storage.update_execution(conn, parent_seq, next_target=next_target)
                    running += len(started)
                if running == 0 and (stopped or parent["cancel_requested"] or next_target >= len(targets)):
                    if parent["cancel_requested"]:
                        ended = (status.CANCELLED, None)
                    elif rate.exceeded(errors, parent["error_limit"]):
                        ended = (status.FAILED, f"{errors} of the child executions failed, more than MaxErrors "
                                                f"({parent['max_errors']}) allows.")
                    else:
                        ended = (status.SUCCESS, None)
        for seq, fans_out in started:
            if fans_out:
                self.kick(seq)
            else:
                self.engine.submit(seq)
        if ended is not None:
            self.engine.finish(parent_seq, *ended)

    def child_ended(self, row: sqlite3.Row) -> None:
        """The engine's on_end: a rate-control child ended, its parent may start another."""
        if row["parent_id"] is None:
            return
        with self.db.read() as conn:
            parent = storage.by_any_id(conn, row["parent_id"])
        if parent is not None and parent["resolved_targets"] is not None:
            self.kick(parent["seq"])

    def recover(self, each: Callable[[int], None] | None = None) -> None:
        with self.db.read() as conn:
            parents = [r["seq"] for r in storage.unfinished(conn) if r["resolved_targets"] is not None]
        for seq in parents:
            (each or self.kick)(seq)

    def _child(self, conn: sqlite3.Connection, parent: sqlite3.Row, item: dict[str, Any]) -> tuple[int, bool]:
        """A child for one target (its seq), and whether it is a rate-control parent itself (a location's child
        that fans out over the location's targets)."""
        document = json.loads(parent["document"])
        main_steps = document.get("mainSteps", [])
        parameters = {**json.loads(parent["parameters"]), **item["parameters"]}
        fan_out = item.get("fan_out")
        new = storage.NewExecution(
            id=str(uuid.uuid4()), account=item.get("account", parent["account"]),
            region=item.get("region", parent["region"]),
            document_name=parent["document_name"], document_version=parent["document_version"],
            document=parent["document"], parameters=json.dumps(parameters), mode="Auto", status=status.PENDING,
            started_at=self.clock.time(), executed_by=item.get("executed_by", parent["executed_by"]),
            next_step=main_steps[0]["name"] if main_steps and not fan_out else None, parent_id=parent["id"],
            target=None if "account" in item else item["value"],
            target_parameter_name=parent["target_parameter_name"],
        )
        if fan_out:
            new = replace(new, status=status.IN_PROGRESS, **fan_out)
        return storage.create(conn, new, [] if fan_out else main_steps), bool(fan_out)
