"""Maintenance Windows' queries: windows, their registered targets and tasks (both "members" of a window, kept the
same way), and the history (executions, task executions, invocations). The tables are described in schema.py."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

RESOURCE_TYPE = "MaintenanceWindow"
TARGETS = "mw_target"
TASKS = "mw_task"
RUNNING = ("PENDING", "IN_PROGRESS", "CANCELLING")


@dataclass(frozen=True)
class NewWindow:
    id: str
    account: str
    region: str
    name: str
    definition: dict[str, Any]
    enabled: bool
    created_at: float
    next_run: float | None
    client_token: str | None
    request_hash: str


# --- windows -------------------------------------------------------------------------------------------------
def insert_window(conn: sqlite3.Connection, w: NewWindow) -> None:
    conn.execute(
        "INSERT INTO mw_window (id, account, region, name, definition, enabled, created_at, modified_at, next_run,"
        " client_token, request_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (w.id, w.account, w.region, w.name, json.dumps(w.definition), int(w.enabled), w.created_at, w.created_at,
         w.next_run, w.client_token, w.request_hash))


def window(conn: sqlite3.Connection, account: str, region: str, window_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mw_window WHERE id = ? AND account = ? AND region = ?",
                        (window_id, account, region)).fetchone()


def any_window(conn: sqlite3.Connection, window_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mw_window WHERE id = ?", (window_id,)).fetchone()


def window_by_token(conn: sqlite3.Connection, account: str, region: str, token: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mw_window WHERE account = ? AND region = ? AND client_token = ?",
                        (account, region, token)).fetchone()


def windows(conn: sqlite3.Connection, account: str, region: str, after: int | None = None) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM mw_window WHERE account = ? AND region = ? AND seq > ? ORDER BY seq",
                        (account, region, after or 0)).fetchall()


def count_windows(conn: sqlite3.Connection, account: str, region: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM mw_window WHERE account = ? AND region = ?",
                        (account, region)).fetchone()[0]


def update_window(conn: sqlite3.Connection, window_id: str, *, definition: dict[str, Any], enabled: bool,
                  at: float, next_run: float | None) -> None:
    conn.execute("UPDATE mw_window SET name = ?, definition = ?, enabled = ?, modified_at = ?, next_run = ?"
                 " WHERE id = ?", (definition["Name"], json.dumps(definition), int(enabled), at, next_run, window_id))


def set_next_run(conn: sqlite3.Connection, window_id: str, next_run: float | None) -> None:
    conn.execute("UPDATE mw_window SET next_run = ? WHERE id = ?", (next_run, window_id))


def due_windows(conn: sqlite3.Connection, now: float) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM mw_window WHERE enabled = 1 AND next_run IS NOT NULL AND next_run <= ?",
                        (now,)).fetchall()


def delete_window(conn: sqlite3.Connection, window_id: str) -> None:
    executions = [(r[0],) for r in conn.execute("SELECT id FROM mw_execution WHERE window_id = ?", (window_id,))]
    conn.executemany("DELETE FROM mw_invocation WHERE execution_id = ?", executions)
    conn.executemany("DELETE FROM mw_task_execution WHERE execution_id = ?", executions)
    for table in ("mw_execution", TARGETS, TASKS):
        conn.execute(f"DELETE FROM {table} WHERE window_id = ?", (window_id,))
    conn.execute("DELETE FROM mw_window WHERE id = ?", (window_id,))


# --- members: registered targets and tasks --------------------------------------------------------------------
def insert_member(conn: sqlite3.Connection, table: str, member_id: str, window_id: str, definition: dict[str, Any],
                  client_token: str | None, request_hash: str) -> None:
    conn.execute(f"INSERT INTO {table} (id, window_id, definition, client_token, request_hash)"
                 " VALUES (?, ?, ?, ?, ?)", (member_id, window_id, json.dumps(definition), client_token, request_hash))


def member(conn: sqlite3.Connection, table: str, window_id: str, member_id: str) -> sqlite3.Row | None:
    return conn.execute(f"SELECT * FROM {table} WHERE window_id = ? AND id = ?", (window_id, member_id)).fetchone()


def member_by_token(conn: sqlite3.Connection, table: str, window_id: str, token: str) -> sqlite3.Row | None:
    return conn.execute(f"SELECT * FROM {table} WHERE window_id = ? AND client_token = ?",
                        (window_id, token)).fetchone()


def members(conn: sqlite3.Connection, table: str, window_id: str) -> list[sqlite3.Row]:
    return conn.execute(f"SELECT * FROM {table} WHERE window_id = ? ORDER BY seq", (window_id,)).fetchall()


def update_member(conn: sqlite3.Connection, table: str, member_id: str, definition: dict[str, Any]) -> None:
    conn.execute(f"UPDATE {table} SET definition = ? WHERE id = ?", (json.dumps(definition), member_id))


def delete_member(conn: sqlite3.Connection, table: str, member_id: str) -> None:
    conn.execute(f"DELETE FROM {table} WHERE id = ?", (member_id,))


# --- history ---------------------------------------------------------------------------------------------------
def insert_execution(conn: sqlite3.Connection, execution_id: str, window_id: str, status: str, details: str | None,
                     start: float, ends_by: float, cutoff_at: float) -> None:
    conn.execute("INSERT INTO mw_execution (id, window_id, status, status_details, start_time, ends_by, cutoff_at,"
                 " end_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (execution_id, window_id, status, details, start, ends_by, cutoff_at,
                  start if status == "SKIPPED_OVERLAPPING" else None))


def execution(conn: sqlite3.Connection, account: str, region: str, execution_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT e.* FROM mw_execution e JOIN mw_window w ON w.id = e.window_id"
                        " WHERE e.id = ? AND w.account = ? AND w.region = ?",
                        (execution_id, account, region)).fetchone()


def any_execution(conn: sqlite3.Connection, execution_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mw_execution WHERE id = ?", (execution_id,)).fetchone()


def executions(conn: sqlite3.Connection, window_id: str) -> list[sqlite3.Row]:
    """A window's executions, newest first."""
    return conn.execute("SELECT * FROM mw_execution WHERE window_id = ? ORDER BY seq DESC", (window_id,)).fetchall()


def running_execution(conn: sqlite3.Connection, window_id: str) -> sqlite3.Row | None:
    return conn.execute(f"SELECT * FROM mw_execution WHERE window_id = ? AND status IN {RUNNING}",
                        (window_id,)).fetchone()


def insert_task_execution(conn: sqlite3.Connection, task_execution_id: str, execution_id: str, task_id: str,
                          definition: dict[str, Any], start: float) -> None:
    conn.execute("INSERT INTO mw_task_execution (id, execution_id, task_id, definition, status, start_time)"
                 " VALUES (?, ?, ?, ?, 'IN_PROGRESS', ?)",
                 (task_execution_id, execution_id, task_id, json.dumps(definition), start))


def task_executions(conn: sqlite3.Connection, execution_id: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM mw_task_execution WHERE execution_id = ? ORDER BY seq",
                        (execution_id,)).fetchall()


def task_execution(conn: sqlite3.Connection, execution_id: str, task_execution_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mw_task_execution WHERE execution_id = ? AND id = ?",
                        (execution_id, task_execution_id)).fetchone()


def insert_invocation(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    conn.execute(f"INSERT INTO mw_invocation ({columns}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))


def invocations(conn: sqlite3.Connection, task_execution_id: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM mw_invocation WHERE task_execution_id = ? ORDER BY seq",
                        (task_execution_id,)).fetchall()


def invocation(conn: sqlite3.Connection, task_execution_id: str, invocation_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mw_invocation WHERE task_execution_id = ? AND id = ?",
                        (task_execution_id, invocation_id)).fetchone()


HISTORY_TABLES = {"execution": "mw_execution", "task": "mw_task_execution", "invocation": "mw_invocation"}


def set_status(conn: sqlite3.Connection, kind: str, row_id: str, status: str, details: str | None = None,
               end: float | None = None, only_running: bool = True, **more: Any) -> bool:
    """Move an execution, task execution or invocation (`kind`) to `status`; with `only_running`, only one not
    ended yet (what ended first stays as it ended). True when it moved."""
    sets = {"status": status, **more}
    if details is not None:
        sets["status_details"] = details
    if end is not None:
        sets["end_time"] = end
    clause = f" AND status IN {RUNNING}" if only_running else ""
    cursor = conn.execute(
        f"UPDATE {HISTORY_TABLES[kind]} SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?{clause}",
        (*sets.values(), row_id))
    return cursor.rowcount == 1


def interrupt(conn: sqlite3.Connection, at: float) -> None:
    """What was running when the emulator stopped ends FAILED (CANCELLED when a cancel was asked for): its commands
    and Automation executions may have finished unseen."""
    details = "The emulator stopped while this ran; its outcome is unknown."
    for table in HISTORY_TABLES.values():
        conn.execute(f"UPDATE {table} SET status = CASE status WHEN 'CANCELLING' THEN 'CANCELLED' ELSE 'FAILED' END,"
                     f" status_details = ?, end_time = ? WHERE status IN {RUNNING}", (details, at))


def cancelling(conn: sqlite3.Connection, execution_id: str) -> None:
    """A cancel was asked for: the execution and what of it still runs show CANCELLING until they have stopped."""
    conn.execute(f"UPDATE mw_execution SET status = 'CANCELLING' WHERE id = ? AND status IN {RUNNING}",
                 (execution_id,))
    for table in ("mw_task_execution", "mw_invocation"):
        conn.execute(f"UPDATE {table} SET status = 'CANCELLING' WHERE execution_id = ? AND status IN {RUNNING}",
                     (execution_id,))
