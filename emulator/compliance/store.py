"""Compliance items and the upload each (resource, compliance type) last received.

An item is keyed by its resource, its compliance type and its Id (items uploaded without an Id get a key of
their own, so they never collide). `compliance_upload` keeps the ItemContentHash of the last upload per
(resource, compliance type), which is how an unchanged upload is recognised and skipped.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from emulator.store import Database
from emulator.store.database import Migration

COMPONENT = "compliance"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE compliance_item (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            compliance_type TEXT NOT NULL,
            item_key TEXT NOT NULL,
            item_id TEXT,
            title TEXT,
            severity TEXT NOT NULL,
            status TEXT NOT NULL,
            details TEXT,
            execution_time REAL NOT NULL,
            execution_id TEXT,
            execution_type TEXT,
            PRIMARY KEY (account, region, resource_type, resource_id, compliance_type, item_key)
        ) WITHOUT ROWID;
        CREATE TABLE compliance_upload (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            compliance_type TEXT NOT NULL,
            content_hash TEXT,
            PRIMARY KEY (account, region, resource_type, resource_id, compliance_type)
        ) WITHOUT ROWID;
        """,
    )
]


@dataclass(frozen=True)
class Item:
    """One compliance item as stored (and as ListComplianceItems shows it)."""

    resource_type: str
    resource_id: str
    compliance_type: str
    item_key: str
    item_id: str | None
    title: str | None
    severity: str
    status: str
    execution_time: float
    execution_id: str | None = None
    execution_type: str | None = None
    details: dict[str, str] | None = field(default=None)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def _item(row: sqlite3.Row) -> Item:
    return Item(
        resource_type=row["resource_type"], resource_id=row["resource_id"], compliance_type=row["compliance_type"],
        item_key=row["item_key"], item_id=row["item_id"], title=row["title"], severity=row["severity"],
        status=row["status"], execution_time=row["execution_time"], execution_id=row["execution_id"],
        execution_type=row["execution_type"], details=json.loads(row["details"]) if row["details"] else None,
    )


def items(
    conn: sqlite3.Connection, account: str, region: str, resource_id: str | None = None,
    compliance_type: str | None = None,
) -> list[Item]:
    """Items of the account and region (of one resource, of one type), by resource, type and key."""
    sql = "SELECT * FROM compliance_item WHERE account = ? AND region = ?"
    args: list[object] = [account, region]
    if resource_id is not None:
        sql += " AND resource_id = ?"
        args.append(resource_id)
    if compliance_type is not None:
        sql += " AND compliance_type = ?"
        args.append(compliance_type)
    sql += " ORDER BY resource_type, resource_id, compliance_type, item_key"
    return [_item(row) for row in conn.execute(sql, args)]


def items_after(
    conn: sqlite3.Connection, account: str, region: str, after: Sequence[str] | None,
    resource_ids: Sequence[str] | None, limit: int,
) -> list[Item]:
    """Up to `limit` items after the position `after` (resource type, resource, type, key), in that order: one
    range scan of the primary key, for a listing that pages."""
    sql = "SELECT * FROM compliance_item WHERE account = ? AND region = ?"
    args: list[object] = [account, region]
    if after is not None:
        sql += " AND (resource_type, resource_id, compliance_type, item_key) > (?, ?, ?, ?)"
        args += list(after)
    if resource_ids:
        sql += f" AND resource_id IN ({', '.join('?' * len(resource_ids))})"
        args += list(resource_ids)
    sql += " ORDER BY resource_type, resource_id, compliance_type, item_key LIMIT ?"
    return [_item(row) for row in conn.execute(sql, [*args, limit])]


def compliance_types(conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str) -> set[str]:
    return {
        row[0] for row in conn.execute(
            "SELECT DISTINCT compliance_type FROM compliance_item WHERE account = ? AND region = ?"
            " AND resource_type = ? AND resource_id = ?", (account, region, rtype, rid),
        )
    }


def content_hash(conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str, ctype: str) -> str | None:
    row = conn.execute(
        "SELECT content_hash FROM compliance_upload WHERE account = ? AND region = ? AND resource_type = ?"
        " AND resource_id = ? AND compliance_type = ?", (account, region, rtype, rid, ctype),
    ).fetchone()
    return row[0] if row else None


def put(
    conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str, ctype: str,
    new_items: Iterable[Item], complete: bool, item_hash: str | None,
) -> None:
    """Write an upload: COMPLETE (`complete`) replaces every item of the type, PARTIAL replaces the items whose
    keys it names."""
    key = (account, region, rtype, rid, ctype)
    if complete:
        conn.execute(
            "DELETE FROM compliance_item WHERE account = ? AND region = ? AND resource_type = ?"
            " AND resource_id = ? AND compliance_type = ?", key,
        )
    conn.executemany(
        "INSERT OR REPLACE INTO compliance_item (account, region, resource_type, resource_id, compliance_type,"
        " item_key, item_id, title, severity, status, details, execution_time, execution_id, execution_type)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (*key, i.item_key, i.item_id, i.title, i.severity, i.status,
             json.dumps(i.details, sort_keys=True) if i.details else None,
             i.execution_time, i.execution_id, i.execution_type)
            for i in new_items
        ],
    )
    conn.execute(
        "INSERT INTO compliance_upload (account, region, resource_type, resource_id, compliance_type, content_hash)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET content_hash = excluded.content_hash",
        (*key, item_hash),
    )


def touch(
    conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str, ctype: str,
    execution_time: float, execution_type: str,
) -> None:
    """Give every item of the type on the resource this execution time (State Manager's aggregation does)."""
    conn.execute(
        "UPDATE compliance_item SET execution_time = ?, execution_type = ? WHERE account = ? AND region = ?"
        " AND resource_type = ? AND resource_id = ? AND compliance_type = ?",
        (execution_time, execution_type, account, region, rtype, rid, ctype),
    )


def accounts_regions(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute("SELECT DISTINCT account, region FROM compliance_item")]
