"""Resource data syncs: one row per sync name in an account and region, its configuration as JSON."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from emulator.store import Database
from emulator.store.database import Migration

COMPONENT = "resource_data_sync"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE resource_data_sync (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            sync_type TEXT NOT NULL,
            s3_destination TEXT,
            sync_source TEXT,
            created REAL NOT NULL,
            modified REAL NOT NULL,
            last_sync REAL,
            last_success REAL,
            last_status TEXT,
            last_message TEXT,
            PRIMARY KEY (account, region, name)
        ) WITHOUT ROWID;
        """,
    )
]


@dataclass(frozen=True)
class Sync:
    account: str
    region: str
    name: str
    sync_type: str
    s3_destination: dict[str, Any] | None
    sync_source: dict[str, Any] | None
    created: float
    modified: float
    last_sync: float | None
    last_success: float | None
    last_status: str | None
    last_message: str | None


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def _sync(row: sqlite3.Row) -> Sync:
    return Sync(
        account=row["account"], region=row["region"], name=row["name"], sync_type=row["sync_type"],
        s3_destination=json.loads(row["s3_destination"]) if row["s3_destination"] else None,
        sync_source=json.loads(row["sync_source"]) if row["sync_source"] else None,
        created=row["created"], modified=row["modified"], last_sync=row["last_sync"],
        last_success=row["last_success"], last_status=row["last_status"], last_message=row["last_message"],
    )


def get(conn: sqlite3.Connection, account: str, region: str, name: str) -> Sync | None:
    row = conn.execute(
        "SELECT * FROM resource_data_sync WHERE account = ? AND region = ? AND name = ?", (account, region, name)
    ).fetchone()
    return _sync(row) if row else None


def listing(
    conn: sqlite3.Connection, account: str, region: str, sync_type: str, after: str | None, limit: int
) -> list[Sync]:
    return [
        _sync(row) for row in conn.execute(
            "SELECT * FROM resource_data_sync WHERE account = ? AND region = ? AND sync_type = ? AND name > ?"
            " ORDER BY name LIMIT ?", (account, region, sync_type, after or "", limit),
        )
    ]


def every(conn: sqlite3.Connection) -> list[Sync]:
    return [_sync(row) for row in conn.execute("SELECT * FROM resource_data_sync ORDER BY account, region, name")]


def count(conn: sqlite3.Connection, account: str, region: str) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM resource_data_sync WHERE account = ? AND region = ?", (account, region)
    ).fetchone()[0]


def insert(conn: sqlite3.Connection, sync: Sync) -> None:
    conn.execute(
        "INSERT INTO resource_data_sync (account, region, name, sync_type, s3_destination, sync_source, created,"
        " modified, last_sync, last_success, last_status, last_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sync.account, sync.region, sync.name, sync.sync_type,
         json.dumps(sync.s3_destination) if sync.s3_destination else None,
         json.dumps(sync.sync_source) if sync.sync_source else None,
         sync.created, sync.modified, sync.last_sync, sync.last_success, sync.last_status, sync.last_message),
    )


def update_source(
    conn: sqlite3.Connection, account: str, region: str, name: str, source: dict[str, Any], modified: float
) -> None:
    conn.execute(
        "UPDATE resource_data_sync SET sync_source = ?, modified = ? WHERE account = ? AND region = ? AND name = ?",
        (json.dumps(source), modified, account, region, name),
    )


def record_run(
    conn: sqlite3.Connection, sync: Sync, at: float, status: str, message: str | None
) -> None:
    """The outcome of one sweep of the sync (the row may have been deleted meanwhile: then nothing)."""
    conn.execute(
        "UPDATE resource_data_sync SET last_sync = ?, last_status = ?, last_message = ?,"
        " last_success = CASE WHEN ? = 'Successful' THEN ? ELSE last_success END"
        " WHERE account = ? AND region = ? AND name = ? AND created = ?",
        (at, status, message, status, at, sync.account, sync.region, sync.name, sync.created),
    )


def delete(conn: sqlite3.Connection, account: str, region: str, name: str) -> None:
    conn.execute(
        "DELETE FROM resource_data_sync WHERE account = ? AND region = ? AND name = ?", (account, region, name)
    )
