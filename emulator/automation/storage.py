"""Automation's SQL. Functions take an open connection: callers own the transaction, so a state change and
what follows from it (a step's end, the execution's next step) are committed together before anyone sees them.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from emulator.store.database import newest_first

EXECUTION_COLUMNS = frozenset({
    "status", "ended_at", "failure_message", "current_step", "current_action", "next_step", "outputs",
    "resolved_targets", "next_target", "stopped", "cancel_requested", "stop_type", "awaiting_start", "done",
    "concurrency_limit", "error_limit", "change_request", "ops_item_id",
})
STEP_COLUMNS = frozenset({
    "status", "inputs", "outputs", "response", "response_code", "failure_message", "failure_type", "started_at",
    "ended_at", "attempt", "next_step", "signals",
})


@dataclass(frozen=True, slots=True)
class NewExecution:
    id: str
    account: str
    region: str
    document_name: str
    document_version: str
    document: str
    parameters: str
    mode: str
    status: str
    started_at: float
    executed_by: str
    next_step: str | None
    parent_id: str | None = None
    target: str | None = None
    target_parameter_name: str | None = None
    targets: str | None = None
    target_maps: str | None = None
    resolved_targets: str | None = None
    max_concurrency: str | None = None
    max_errors: str | None = None
    concurrency_limit: int | None = None
    error_limit: int | None = None
    client_token: str | None = None
    request_hash: str | None = None
    alarm_configuration: str | None = None
    automation_type: str = "Local"
    target_locations: str | None = None
    automation_subtype: str | None = None  # "ChangeRequest": a Change Manager change request
    change_request: str | None = None      # JSON, see emulator/change_manager/


# --- executions --------------------------------------------------------------------------------------------


def insert_execution(conn: sqlite3.Connection, new: NewExecution) -> int:
    values = asdict(new)
    names = ", ".join(values)
    cursor = conn.execute(
        f"INSERT INTO au_execution ({names}) VALUES ({', '.join('?' * len(values))})", list(values.values())
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def create(conn: sqlite3.Connection, new: NewExecution, main_steps: Sequence[dict[str, Any]]) -> int:
    """An execution with its mainSteps Pending; its seq."""
    seq = insert_execution(conn, new)
    insert_steps(conn, seq, main_steps, [str(uuid.uuid4()) for _ in main_steps])
    return seq


def update_execution(conn: sqlite3.Connection, seq: int, **changes: Any) -> None:
    unknown = set(changes) - EXECUTION_COLUMNS
    if unknown:
        raise ValueError(f"not execution columns: {unknown}")
    sets = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(f"UPDATE au_execution SET {sets} WHERE seq = ?", [*changes.values(), seq])


def by_id(conn: sqlite3.Connection, account: str, region: str, execution_id: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM au_execution WHERE id = ? AND account = ? AND region = ?", (execution_id, account, region)
    ).fetchone()


def by_any_id(conn: sqlite3.Connection, execution_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM au_execution WHERE id = ?", (execution_id,)).fetchone()


def by_seq(conn: sqlite3.Connection, seq: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM au_execution WHERE seq = ?", (seq,)).fetchone()


def by_token(conn: sqlite3.Connection, account: str, region: str, token: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM au_execution WHERE account = ? AND region = ? AND client_token = ?", (account, region, token)
    ).fetchone()


def children(conn: sqlite3.Connection, parent_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM au_execution WHERE parent_id = ? ORDER BY seq", (parent_id,)
    ).fetchall()


def unfinished(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM au_execution WHERE done = 0 ORDER BY seq").fetchall()


def unfinished_of_subtype(conn: sqlite3.Connection, subtype: str) -> list[sqlite3.Row]:
    """Unfinished executions of an AutomationSubtype (Change Manager's change requests), oldest first."""
    return conn.execute(
        "SELECT seq FROM au_execution WHERE automation_subtype = ? AND done = 0 ORDER BY seq", (subtype,)
    ).fetchall()


def list_executions(
    conn: sqlite3.Connection, account: str, region: str, where: Sequence[str], params: Sequence[object],
    before_seq: int | None, limit: int,
) -> list[sqlite3.Row]:
    """Executions newest first, with seq below `before_seq`, matching every `where` condition (alias e)."""
    return newest_first(conn, "SELECT e.* FROM au_execution e WHERE e.account = ? AND e.region = ?",
                        [account, region], where, params, before_seq, limit, "e.seq")


# --- steps -------------------------------------------------------------------------------------------------


def insert_steps(conn: sqlite3.Connection, seq: int, steps: Sequence[dict[str, Any]], ids: Sequence[str]) -> None:
    """The document's mainSteps, Pending, in document order."""
    conn.executemany(
        "INSERT INTO au_step (execution_seq, position, id, name, action, definition, status)"
        " VALUES (?, ?, ?, ?, ?, ?, 'Pending')",
        [(seq, position, ids[position], step["name"], step.get("action", ""), json.dumps(step))
         for position, step in enumerate(steps)],
    )


def add_step(conn: sqlite3.Connection, seq: int, step_id: str, definition: dict[str, Any],
             parent_step: dict[str, Any] | None) -> int:
    """A step execution beyond the Pending rows (a step run again, a loop's step); its position."""
    position = conn.execute(
        "SELECT coalesce(max(position), -1) + 1 FROM au_step WHERE execution_seq = ?", (seq,)
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO au_step (execution_seq, position, id, name, action, definition, status, parent_step)"
        " VALUES (?, ?, ?, ?, ?, ?, 'Pending', ?)",
        (seq, position, step_id, definition["name"], definition.get("action", ""), json.dumps(definition),
         json.dumps(parent_step) if parent_step else None),
    )
    return position


def unrun_step(conn: sqlite3.Connection, seq: int, name: str) -> sqlite3.Row | None:
    """The Pending row of a mainStep that has not run yet (None: it ran already, or is a loop's step)."""
    return conn.execute(
        "SELECT * FROM au_step WHERE execution_seq = ? AND name = ? AND status = 'Pending' AND parent_step IS NULL"
        " AND started_at IS NULL ORDER BY position LIMIT 1",
        (seq, name),
    ).fetchone()


def update_step(conn: sqlite3.Connection, seq: int, position: int, **changes: Any) -> None:
    unknown = set(changes) - STEP_COLUMNS
    if unknown:
        raise ValueError(f"not step columns: {unknown}")
    sets = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(f"UPDATE au_step SET {sets} WHERE execution_seq = ? AND position = ?",
                 [*changes.values(), seq, position])


def steps(conn: sqlite3.Connection, seq: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM au_step WHERE execution_seq = ? ORDER BY position", (seq,)).fetchall()


def step(conn: sqlite3.Connection, seq: int, position: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM au_step WHERE execution_seq = ? AND position = ?", (seq, position)).fetchone()


def running_step(conn: sqlite3.Connection, seq: int, top_level: bool = False) -> sqlite3.Row | None:
    """The step the execution is running (or waiting in), if any: the innermost (a loop's step inside its
    aws:loop), or with `top_level` the mainStep."""
    return conn.execute(
        "SELECT * FROM au_step WHERE execution_seq = ? AND status IN ('InProgress', 'Waiting')"
        + (" AND parent_step IS NULL" if top_level else "") + " ORDER BY position DESC LIMIT 1",
        (seq,),
    ).fetchone()


def loop_steps(conn: sqlite3.Connection, seq: int, loop_step_id: str) -> list[sqlite3.Row]:
    """The step executions an aws:loop step ran (its ParentStepDetails name it), in order."""
    return conn.execute(
        "SELECT * FROM au_step WHERE execution_seq = ? AND json_extract(parent_step, '$.StepExecutionId') = ?"
        " ORDER BY position",
        (seq, loop_step_id),
    ).fetchall()


def step_by_id(conn: sqlite3.Connection, seq: int, step_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM au_step WHERE execution_seq = ? AND id = ?", (seq, step_id)).fetchone()


def list_steps(
    conn: sqlite3.Connection, seq: int, where: Sequence[str], params: Sequence[object], after: int | None,
    reverse: bool, limit: int,
) -> list[sqlite3.Row]:
    sql = "SELECT s.* FROM au_step s WHERE s.execution_seq = ?"
    args: list[object] = [seq]
    if after is not None:
        sql += " AND s.position < ?" if reverse else " AND s.position > ?"
        args.append(after)
    for condition in where:
        sql += f" AND ({condition})"
    args += params
    order = "DESC" if reverse else "ASC"
    return conn.execute(f"{sql} ORDER BY s.position {order} LIMIT ?", [*args, limit]).fetchall()


# --- previews ----------------------------------------------------------------------------------------------


def insert_preview(conn: sqlite3.Connection, preview_id: str, account: str, region: str, status: str,
                   message: str | None, ended_at: float, preview: dict[str, Any] | None) -> None:
    conn.execute(
        "INSERT INTO au_preview (id, account, region, status, status_message, ended_at, preview)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (preview_id, account, region, status, message, ended_at, json.dumps(preview) if preview else None),
    )


def preview(conn: sqlite3.Connection, account: str, region: str, preview_id: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM au_preview WHERE id = ? AND account = ? AND region = ?", (preview_id, account, region)
    ).fetchone()
