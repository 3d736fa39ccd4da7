"""The tags of every taggable resource, in one table keyed by account, region, type and id.

Capabilities that create or delete taggable resources write here in their own transactions
(PutParameter with Tags, DeleteParameter), so the functions take the open connection.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from emulator.store import Database
from emulator.store.database import Migration

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE resource_tag (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (account, region, resource_type, resource_id, key)
        ) WITHOUT ROWID;
        -- "resources of this type carrying tag key K", in resource id order: tag filters
        -- (DescribeParameters tag:K) scan it as a range and page by resource id.
        CREATE INDEX resource_tag_by_key ON resource_tag (account, region, resource_type, key, resource_id, value);
        """,
    )
]


def migrate(db: Database) -> None:
    db.migrate("tags", MIGRATIONS)


def list_tags(conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str) -> list[tuple[str, str]]:
    return [
        (row[0], row[1])
        for row in conn.execute(
            "SELECT key, value FROM resource_tag WHERE account = ? AND region = ? AND resource_type = ?"
            " AND resource_id = ? ORDER BY key",
            (account, region, rtype, rid),
        )
    ]


def count_after_put(
    conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str, keys: Iterable[str]
) -> int:
    """How many tags the resource would have with `keys` added (existing keys are replaced)."""
    existing = {k for k, _ in list_tags(conn, account, region, rtype, rid)}
    return len(existing | set(keys))


def put_tags(
    conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str, tags: Iterable[tuple[str, str]]
) -> None:
    conn.executemany(
        "INSERT INTO resource_tag (account, region, resource_type, resource_id, key, value)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
        [(account, region, rtype, rid, k, v) for k, v in tags],
    )


def remove_tags(
    conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str, keys: Iterable[str]
) -> None:
    conn.executemany(
        "DELETE FROM resource_tag WHERE account = ? AND region = ? AND resource_type = ?"
        " AND resource_id = ? AND key = ?",
        [(account, region, rtype, rid, k) for k in keys],
    )


def delete_resource(conn: sqlite3.Connection, account: str, region: str, rtype: str, rid: str) -> None:
    """Drop every tag of a resource that is being deleted."""
    conn.execute(
        "DELETE FROM resource_tag WHERE account = ? AND region = ? AND resource_type = ? AND resource_id = ?",
        (account, region, rtype, rid),
    )
