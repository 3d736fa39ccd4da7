"""State Manager's queries: associations, their versions, runs (executions and their targets) and the status of
each association on each instance. The tables are described in schema.py."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RESOURCE_TYPE = "Association"


@dataclass(frozen=True)
class NewAssociation:
    id: str
    account: str
    region: str
    name: str
    document_type: str
    instance_id: str | None
    association_name: str | None
    definition: dict[str, Any]
    created_at: float
    next_run: float | None


def insert(conn: sqlite3.Connection, a: NewAssociation) -> None:
    conn.execute(
        "INSERT INTO sm_association (id, account, region, name, document_type, instance_id, association_name,"
        " version, definition, created_at, updated_at, overview_status, overview_detailed, overview_counts,"
        " next_run) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 'Pending', 'Creating', '{}', ?)",
        (a.id, a.account, a.region, a.name, a.document_type, a.instance_id, a.association_name,
         json.dumps(a.definition), a.created_at, a.created_at, a.next_run),
    )
    add_version(conn, a.id, 1, a.created_at, a.definition)


def add_version(conn: sqlite3.Connection, association_id: str, version: int, at: float,
                definition: dict[str, Any]) -> None:
    conn.execute("INSERT INTO sm_association_version (association_id, version, created_at, definition)"
                 " VALUES (?, ?, ?, ?)", (association_id, version, at, json.dumps(definition)))


def update(conn: sqlite3.Connection, association_id: str, *, name: str, document_type: str,
           association_name: str | None, version: int, definition: dict[str, Any], at: float,
           next_run: float | None) -> None:
    conn.execute(
        "UPDATE sm_association SET name = ?, document_type = ?, association_name = ?, version = ?,"
        " definition = ?, updated_at = ?, next_run = ? WHERE id = ?",
        (name, document_type, association_name, version, json.dumps(definition), at, next_run, association_id),
    )
    add_version(conn, association_id, version, at, definition)


def by_id(conn: sqlite3.Connection, account: str, region: str, association_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM sm_association WHERE id = ? AND account = ? AND region = ?",
                        (association_id, account, region)).fetchone()


def any_by_id(conn: sqlite3.Connection, association_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM sm_association WHERE id = ?", (association_id,)).fetchone()


def by_name_and_instance(conn: sqlite3.Connection, account: str, region: str, name: str,
                         instance_id: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM sm_association WHERE account = ? AND region = ? AND name = ? AND instance_id = ?",
        (account, region, name, instance_id),
    ).fetchone()


def count(conn: sqlite3.Connection, account: str, region: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM sm_association WHERE account = ? AND region = ?",
                        (account, region)).fetchone()[0]


def owned(conn: sqlite3.Connection, account: str, region: str, after: int | None) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM sm_association WHERE account = ? AND region = ? AND seq > ? ORDER BY seq",
                        (account, region, after or 0)).fetchall()


def every(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM sm_association ORDER BY seq").fetchall()


def of_document(conn: sqlite3.Connection, account: str, region: str, names: tuple[str, ...]) -> list[str]:
    """The ids of the associations whose document is given as one of `names`."""
    return [r[0] for r in conn.execute(
        f"SELECT id FROM sm_association WHERE account = ? AND region = ? AND name IN ({', '.join('?' * len(names))})",
        (account, region, *names),
    )]


def delete(conn: sqlite3.Connection, association_id: str) -> None:
    executions = [r[0] for r in conn.execute("SELECT id FROM sm_execution WHERE association_id = ?",
                                             (association_id,))]
    conn.executemany("DELETE FROM sm_execution_target WHERE execution_id = ?", [(e,) for e in executions])
    for table in ("sm_execution", "sm_instance_status", "sm_association_version"):
        conn.execute(f"DELETE FROM {table} WHERE association_id = ?", (association_id,))
    conn.execute("DELETE FROM sm_association WHERE id = ?", (association_id,))


def versions(conn: sqlite3.Connection, association_id: str, after: int | None, limit: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM sm_association_version WHERE association_id = ? AND version > ?"
                        " ORDER BY version LIMIT ?", (association_id, after or 0, limit)).fetchall()


def version(conn: sqlite3.Connection, association_id: str, number: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM sm_association_version WHERE association_id = ? AND version = ?",
                        (association_id, number)).fetchone()


def due(conn: sqlite3.Connection, now: float) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM sm_association WHERE running = 0 AND next_run IS NOT NULL"
                        " AND next_run <= ?", (now,)).fetchall()


def claim(conn: sqlite3.Connection, association_id: str, next_run: float | None, *, reschedule: bool = True) -> bool:
    """Mark the association running (False: it already is, or is gone) and, when `reschedule`, set when it next
    falls due (a run for new targets leaves the schedule as it is)."""
    if not reschedule:
        cursor = conn.execute("UPDATE sm_association SET running = 1 WHERE id = ? AND running = 0", (association_id,))
    else:
        cursor = conn.execute("UPDATE sm_association SET running = 1, next_run = ? WHERE id = ? AND running = 0",
                              (next_run, association_id))
    return cursor.rowcount == 1


def release(conn: sqlite3.Connection, association_id: str) -> None:
    conn.execute("UPDATE sm_association SET running = 0 WHERE id = ?", (association_id,))


def release_all(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE sm_association SET running = 0")


def set_next_run(conn: sqlite3.Connection, association_id: str, at: float | None) -> None:
    conn.execute("UPDATE sm_association SET next_run = ? WHERE id = ?", (at, association_id))


def set_status(conn: sqlite3.Connection, association_id: str, status: dict[str, Any]) -> None:
    conn.execute("UPDATE sm_association SET status = ? WHERE id = ?", (json.dumps(status), association_id))


def set_overview(conn: sqlite3.Connection, association_id: str, status: str, detailed: str,
                 counts: dict[str, int], ran_at: float | None, succeeded: bool) -> None:
    conn.execute(
        "UPDATE sm_association SET overview_status = ?, overview_detailed = ?, overview_counts = ?,"
        " last_execution = COALESCE(?, last_execution),"
        " last_success = CASE WHEN ? THEN COALESCE(?, last_success) ELSE last_success END WHERE id = ?",
        (status, detailed, json.dumps(counts), ran_at, succeeded, ran_at, association_id),
    )


# --- executions --------------------------------------------------------------------------------------------
def add_execution(conn: sqlite3.Connection, execution_id: str, association_id: str, version: int,
                  at: float) -> None:
    conn.execute("INSERT INTO sm_execution (id, association_id, version, status, detailed_status, created_at,"
                 " counts) VALUES (?, ?, ?, 'InProgress', 'InProgress', ?, '{}')",
                 (execution_id, association_id, version, round(at, 3)))  # to the ms, as CreatedTime filters


def end_execution(conn: sqlite3.Connection, execution_id: str, status: str, detailed: str,
                  counts: dict[str, int], at: float) -> None:
    conn.execute("UPDATE sm_execution SET status = ?, detailed_status = ?, counts = ?, ended_at = ? WHERE id = ?",
                 (status, detailed, json.dumps(counts), at, execution_id))


def interrupt_executions(conn: sqlite3.Connection, at: float) -> None:
    """Runs going on when the emulator stopped end Failed, with their instances' statuses."""
    conn.execute("UPDATE sm_execution SET status = 'Failed', detailed_status = 'Failed', ended_at = ?"
                 " WHERE status = 'InProgress'", (at,))
    conn.execute("UPDATE sm_instance_status SET status = 'Failed', detailed_status = 'Failed',"
                 " summary = 'The run was interrupted by an emulator restart.', at = ? WHERE status = 'InProgress'",
                 (at,))


def executions(conn: sqlite3.Connection, association_id: str, where: Sequence[str], params: Sequence[Any],
               before: int | None, limit: int) -> list[sqlite3.Row]:
    clauses = ["association_id = ?", *where]
    if before is not None:
        clauses.append("seq < ?")
    rows = conn.execute(f"SELECT * FROM sm_execution WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?",
                        (association_id, *params, *([before] if before is not None else []), limit))
    return rows.fetchall()


def execution(conn: sqlite3.Connection, association_id: str, execution_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM sm_execution WHERE association_id = ? AND id = ?",
                        (association_id, execution_id)).fetchone()


def put_target(conn: sqlite3.Connection, execution_id: str, resource_id: str, resource_type: str, status: str,
               detailed: str, at: float, output_id: str | None, output_type: str | None) -> None:
    conn.execute(
        "INSERT INTO sm_execution_target (execution_id, resource_id, resource_type, status, detailed_status, at,"
        " output_id, output_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(execution_id, resource_id) DO UPDATE"
        " SET status = excluded.status, detailed_status = excluded.detailed_status, at = excluded.at,"
        " output_id = excluded.output_id, output_type = excluded.output_type",
        (execution_id, resource_id, resource_type, status, detailed, at, output_id, output_type),
    )


def targets(conn: sqlite3.Connection, execution_id: str, where: Sequence[str], params: Sequence[Any],
            after: str | None, limit: int) -> list[sqlite3.Row]:
    clauses = ["execution_id = ?", *where]
    if after is not None:
        clauses.append("resource_id > ?")
    return conn.execute(
        f"SELECT * FROM sm_execution_target WHERE {' AND '.join(clauses)} ORDER BY resource_id LIMIT ?",
        (execution_id, *params, *([after] if after is not None else []), limit),
    ).fetchall()


# --- per-instance status -----------------------------------------------------------------------------------
def put_instance_status(conn: sqlite3.Connection, association_id: str, instance_id: str, version: int,
                        document_version: str, status: str, detailed: str, summary: str, error_code: str,
                        at: float) -> None:
    conn.execute(
        "INSERT INTO sm_instance_status (association_id, instance_id, version, document_version, status,"
        " detailed_status, summary, error_code, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(association_id, instance_id) DO UPDATE SET version = excluded.version,"
        " document_version = excluded.document_version, status = excluded.status,"
        " detailed_status = excluded.detailed_status, summary = excluded.summary,"
        " error_code = excluded.error_code, at = excluded.at",
        (association_id, instance_id, version, document_version, status, detailed, summary, error_code, at),
    )


def applied_instances(conn: sqlite3.Connection, association_id: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT instance_id FROM sm_instance_status WHERE association_id = ?",
                                       (association_id,))}


def status_counts(conn: sqlite3.Connection, association_id: str) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute(
        "SELECT status, COUNT(*) FROM sm_instance_status WHERE association_id = ? GROUP BY status",
        (association_id,))}


def instance_statuses(conn: sqlite3.Connection, instance_id: str, account: str, region: str,
                      after: str | None, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT s.*, a.name AS name, a.association_name AS association_name FROM sm_instance_status s"
        " JOIN sm_association a ON a.id = s.association_id"
        " WHERE s.instance_id = ? AND a.account = ? AND a.region = ? AND s.association_id > ?"
        " ORDER BY s.association_id LIMIT ?",
        (instance_id, account, region, after or "", limit),
    ).fetchall()


def instance_status_summary(conn: sqlite3.Connection, instance_id: str) -> tuple[dict[str, int], float | None,
                                                                                  float | None]:
    """The instance's associations counted by latest status, when one last ran there, and when one last
    succeeded there (in any run, not only the latest)."""
    counts = {r[0]: r[1] for r in conn.execute(
        "SELECT status, COUNT(*) FROM sm_instance_status WHERE instance_id = ? GROUP BY status", (instance_id,))}
    last_run = conn.execute("SELECT MAX(at) FROM sm_instance_status WHERE instance_id = ?",
                            (instance_id,)).fetchone()[0]
    last_success = conn.execute(
        "SELECT MAX(at) FROM (SELECT at FROM sm_instance_status WHERE instance_id = ? AND status = 'Success'"
        " UNION ALL SELECT at FROM sm_execution_target WHERE resource_id = ? AND status = 'Success')",
        (instance_id, instance_id)).fetchone()[0]
    return counts, last_run, last_success
