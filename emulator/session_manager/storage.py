"""Session Manager's SQL. Functions take an open connection: callers own the transaction."""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

ACTIVE_STATUSES = ("Connecting", "Connected", "Disconnected", "Terminating")
SESSION = (
    "seq, id, account, region, target, document_name, owner, reason, parameters, status, details,"
    " started_at, ended_at, max_session_duration, active"
)


@dataclass(frozen=True, slots=True)
class NewSession:
    id: str
    account: str
    region: str
    target: str
    document_name: str
    owner: str
    reason: str | None
    parameters: str
    started_at: float
    max_session_duration: str | None


def insert(conn: sqlite3.Connection, s: NewSession) -> None:
    conn.execute(
        "INSERT INTO sm_session (id, account, region, target, document_name, owner, reason, parameters, status,"
        " started_at, max_session_duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'Connecting', ?, ?)",
        (s.id, s.account, s.region, s.target, s.document_name, s.owner, s.reason, s.parameters, s.started_at,
         s.max_session_duration),
    )


def get(conn: sqlite3.Connection, session_id: str) -> sqlite3.Row | None:
    return conn.execute(f"SELECT {SESSION} FROM sm_session WHERE id = ?", (session_id,)).fetchone()


def set_status(conn: sqlite3.Connection, session_id: str, status: str) -> None:
    conn.execute("UPDATE sm_session SET status = ? WHERE id = ? AND active = 1", (status, session_id))


def end(conn: sqlite3.Connection, session_id: str, status: str, details: str | None, ended_at: float,
        transcript: bytes) -> None:
    conn.execute(
        "UPDATE sm_session SET status = ?, details = ?, ended_at = ?, active = 0, transcript = ?"
        " WHERE id = ? AND active = 1",
        (status, details or None, ended_at, transcript, session_id),
    )


def end_orphans(conn: sqlite3.Connection, ended_at: float, details: str) -> None:
    """Sessions left active by an earlier run of the emulator: their shells are gone."""
    conn.execute(
        "UPDATE sm_session SET status = 'Terminated', details = ?, ended_at = ?, active = 0 WHERE active = 1",
        (details, ended_at),
    )


def transcript(conn: sqlite3.Connection, session_id: str) -> bytes | None:
    row = conn.execute("SELECT transcript FROM sm_session WHERE id = ?", (session_id,)).fetchone()
    return None if row is None else bytes(row["transcript"])


def listing(conn: sqlite3.Connection, account: str, region: str, active: bool, where: Sequence[str],
            args: Sequence[object], before_seq: int | None, limit: int) -> list[sqlite3.Row]:
    """A page of the caller's sessions, newest first; `where`/`args` are DescribeSessions' filters."""
    clauses = ["account = ?", "region = ?", "active = ?", *where]
    params: list[object] = [account, region, 1 if active else 0, *args]
    if before_seq is not None:
        clauses.append("seq < ?")
        params.append(before_seq)
    params.append(limit)
    return conn.execute(
        f"SELECT {SESSION} FROM sm_session WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?", params
    ).fetchall()
