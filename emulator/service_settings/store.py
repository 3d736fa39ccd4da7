"""The settings an account changed from their default, per Region (component "service_settings").

A setting without a row has its default; ResetServiceSetting deletes the row.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from emulator.store import Database
from emulator.store.database import Migration

COMPONENT = "service_settings"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE service_setting (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            setting_id TEXT NOT NULL,
            value TEXT NOT NULL,
            modified_at REAL NOT NULL,
            modified_by TEXT NOT NULL,
            PRIMARY KEY (account, region, setting_id)
        ) WITHOUT ROWID;
        """,
    )
]


@dataclass(frozen=True)
class Customized:
    value: str
    modified_at: float
    modified_by: str


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def get(conn: sqlite3.Connection, account: str, region: str, setting_id: str) -> Customized | None:
    row = conn.execute(
        "SELECT value, modified_at, modified_by FROM service_setting WHERE account = ? AND region = ?"
        " AND setting_id = ?", (account, region, setting_id),
    ).fetchone()
    return Customized(row[0], row[1], row[2]) if row else None


def put(conn: sqlite3.Connection, account: str, region: str, setting_id: str, value: Customized) -> None:
    conn.execute(
        "INSERT INTO service_setting (account, region, setting_id, value, modified_at, modified_by)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value,"
        " modified_at = excluded.modified_at, modified_by = excluded.modified_by",
        (account, region, setting_id, value.value, value.modified_at, value.modified_by),
    )


def delete(conn: sqlite3.Connection, account: str, region: str, setting_id: str) -> None:
    conn.execute("DELETE FROM service_setting WHERE account = ? AND region = ? AND setting_id = ?",
                 (account, region, setting_id))
