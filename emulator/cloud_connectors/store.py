"""Cloud connectors as stored: one row each, keyed by account, region and id; the configuration is kept as the
wire JSON of its CloudConnectorConfiguration (a union: Azure or GCP)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from emulator.store import Database
from emulator.store.database import Migration

COMPONENT = "cloud_connectors"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE cloud_connector (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            description TEXT,
            role_arn TEXT NOT NULL,
            provider TEXT NOT NULL,
            configuration TEXT NOT NULL,
            config_connector_arn TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            PRIMARY KEY (account, region, id)
        ) WITHOUT ROWID;
        -- ListCloudConnectors lists oldest first and pages by (created, id).
        CREATE INDEX cloud_connector_by_age ON cloud_connector (account, region, created, id);
        """,
    )
]


@dataclass(frozen=True)
class Connector:
    id: str
    display_name: str
    description: str | None
    role_arn: str
    provider: str
    configuration: str
    config_connector_arn: str | None
    created: float
    updated: float


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


_COLUMNS = ("id, display_name, description, role_arn, provider, configuration, config_connector_arn, created,"
            " updated")


def _connector(row: sqlite3.Row) -> Connector:
    return Connector(*(row[k] for k in _COLUMNS.replace(" ", "").split(",")))


def get(conn: sqlite3.Connection, account: str, region: str, connector_id: str) -> Connector | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM cloud_connector WHERE account = ? AND region = ? AND id = ?",
        (account, region, connector_id),
    ).fetchone()
    return None if row is None else _connector(row)


def after(conn: sqlite3.Connection, account: str, region: str, position: tuple[float, str] | None) -> list[Connector]:
    """Every connector after `position` (created, id), oldest first: filters match on the configuration, so the
    caller filters and stops at a page; an account has few connectors."""
    sql = f"SELECT {_COLUMNS} FROM cloud_connector WHERE account = ? AND region = ?"
    args: list[object] = [account, region]
    if position is not None:
        sql += " AND (created, id) > (?, ?)"
        args += list(position)
    return [_connector(r) for r in conn.execute(sql + " ORDER BY created, id", args)]


def put(conn: sqlite3.Connection, account: str, region: str, c: Connector) -> None:
    conn.execute(
        f"INSERT OR REPLACE INTO cloud_connector (account, region, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account, region, c.id, c.display_name, c.description, c.role_arn, c.provider, c.configuration,
         c.config_connector_arn, c.created, c.updated),
    )


def delete(conn: sqlite3.Connection, account: str, region: str, connector_id: str) -> None:
    conn.execute("DELETE FROM cloud_connector WHERE account = ? AND region = ? AND id = ?",
                 (account, region, connector_id))
