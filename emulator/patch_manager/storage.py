"""Patch Manager's tables (component "patch_manager") and their queries.

- pm_baseline: the account's own baselines, each definition as GetPatchBaseline shows it (JSON).
- pm_default: the default baseline an account registered per operating system (none: AWS's predefined one).
- pm_patch_group: patch group -> baseline, per operating system (a group has one baseline per operating system).
- pm_instance_state: each instance's last patch operation: its summary (DescribeInstancePatchStates' members) and
  every patch it reported (DescribeInstancePatches' items), both JSON.
- pm_snapshot: the baseline a SnapshotId stands for (GetDeployablePatchSnapshotForInstance), so the runs of one
  maintenance-window task use one baseline even if it changes meanwhile.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from emulator.store import Database
from emulator.store.database import Migration

COMPONENT = "patch_manager"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE pm_baseline (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            operating_system TEXT NOT NULL,
            definition TEXT NOT NULL,
            created REAL NOT NULL,
            modified REAL NOT NULL,
            client_token TEXT,
            PRIMARY KEY (account, region, id)
        ) WITHOUT ROWID;
        CREATE TABLE pm_default (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            operating_system TEXT NOT NULL,
            baseline_id TEXT NOT NULL,
            PRIMARY KEY (account, region, operating_system)
        ) WITHOUT ROWID;
        CREATE TABLE pm_patch_group (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            patch_group TEXT NOT NULL,
            operating_system TEXT NOT NULL,
            baseline_id TEXT NOT NULL,
            PRIMARY KEY (account, region, patch_group, operating_system)
        ) WITHOUT ROWID;
        CREATE TABLE pm_instance_state (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            patch_group TEXT NOT NULL,
            summary TEXT NOT NULL,
            patches TEXT NOT NULL,
            PRIMARY KEY (account, region, instance_id)
        ) WITHOUT ROWID;
        CREATE TABLE pm_snapshot (
            snapshot_id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            product TEXT NOT NULL,
            baseline TEXT NOT NULL,
            created REAL NOT NULL
        );
        """,
    )
]


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


@dataclass(frozen=True)
class StoredBaseline:
    id: str
    definition: dict[str, Any]
    created: float
    modified: float
    client_token: str | None = None


def _baseline(row: sqlite3.Row) -> StoredBaseline:
    return StoredBaseline(row["id"], json.loads(row["definition"]), row["created"], row["modified"],
                          row["client_token"])


def baselines(conn: sqlite3.Connection, account: str, region: str) -> list[StoredBaseline]:
    rows = conn.execute("SELECT * FROM pm_baseline WHERE account = ? AND region = ? ORDER BY id", (account, region))
    return [_baseline(r) for r in rows]


def baseline(conn: sqlite3.Connection, account: str, region: str, baseline_id: str) -> StoredBaseline | None:
    row = conn.execute("SELECT * FROM pm_baseline WHERE account = ? AND region = ? AND id = ?",
                       (account, region, baseline_id)).fetchone()
    return _baseline(row) if row else None


def by_client_token(conn: sqlite3.Connection, account: str, region: str, token: str) -> StoredBaseline | None:
    row = conn.execute("SELECT * FROM pm_baseline WHERE account = ? AND region = ? AND client_token = ?",
                       (account, region, token)).fetchone()
    return _baseline(row) if row else None


def put_baseline(conn: sqlite3.Connection, account: str, region: str, b: StoredBaseline) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO pm_baseline (account, region, id, name, operating_system, definition, created,"
        " modified, client_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account, region, b.id, b.definition["Name"], b.definition["OperatingSystem"], json.dumps(b.definition),
         b.created, b.modified, b.client_token),
    )


def delete_baseline(conn: sqlite3.Connection, account: str, region: str, baseline_id: str) -> None:
    conn.execute("DELETE FROM pm_baseline WHERE account = ? AND region = ? AND id = ?", (account, region, baseline_id))


def defaults(conn: sqlite3.Connection, account: str, region: str) -> dict[str, str]:
    rows = conn.execute("SELECT operating_system, baseline_id FROM pm_default WHERE account = ? AND region = ?",
                        (account, region))
    return {r["operating_system"]: r["baseline_id"] for r in rows}


def set_default(conn: sqlite3.Connection, account: str, region: str, operating_system: str, baseline_id: str) -> None:
    conn.execute("INSERT OR REPLACE INTO pm_default (account, region, operating_system, baseline_id)"
                 " VALUES (?, ?, ?, ?)", (account, region, operating_system, baseline_id))


def patch_groups(conn: sqlite3.Connection, account: str, region: str) -> list[tuple[str, str, str]]:
    """Every (patch group, operating system, baseline id), by patch group."""
    rows = conn.execute("SELECT patch_group, operating_system, baseline_id FROM pm_patch_group"
                        " WHERE account = ? AND region = ? ORDER BY patch_group, operating_system", (account, region))
    return [(r["patch_group"], r["operating_system"], r["baseline_id"]) for r in rows]


def register_group(conn: sqlite3.Connection, account: str, region: str, group: str, operating_system: str,
                   baseline_id: str) -> None:
    conn.execute("INSERT INTO pm_patch_group (account, region, patch_group, operating_system, baseline_id)"
                 " VALUES (?, ?, ?, ?, ?)", (account, region, group, operating_system, baseline_id))


def deregister_group(conn: sqlite3.Connection, account: str, region: str, group: str, baseline_id: str) -> int:
    return conn.execute("DELETE FROM pm_patch_group WHERE account = ? AND region = ? AND patch_group = ?"
                        " AND baseline_id = ?", (account, region, group, baseline_id)).rowcount


def put_state(conn: sqlite3.Connection, account: str, region: str, instance_id: str, patch_group: str,
              summary: dict[str, Any], patches: list[dict[str, Any]]) -> None:
    conn.execute("INSERT OR REPLACE INTO pm_instance_state (account, region, instance_id, patch_group, summary,"
                 " patches) VALUES (?, ?, ?, ?, ?, ?)",
                 (account, region, instance_id, patch_group, json.dumps(summary), json.dumps(patches)))


def states(conn: sqlite3.Connection, account: str, region: str, instance_ids: list[str] | None = None,
           patch_group: str | None = None) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(summary, patches) of instances, by instance id."""
    sql, args = "SELECT * FROM pm_instance_state WHERE account = ? AND region = ?", [account, region]
    if instance_ids is not None:
        sql += f" AND instance_id IN ({','.join('?' * len(instance_ids))})"
        args += instance_ids
    if patch_group is not None:
        sql += " AND patch_group = ?"
        args.append(patch_group)
    rows = conn.execute(sql + " ORDER BY instance_id", args)
    return [(json.loads(r["summary"]), json.loads(r["patches"])) for r in rows]


def put_snapshot(conn: sqlite3.Connection, snapshot_id: str, account: str, region: str, instance_id: str,
                 product: str, baseline_definition: dict[str, Any], created: float) -> None:
    conn.execute("INSERT OR REPLACE INTO pm_snapshot (snapshot_id, account, region, instance_id, product, baseline,"
                 " created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (snapshot_id, account, region, instance_id, product, json.dumps(baseline_definition), created))


def snapshot(conn: sqlite3.Connection, account: str, region: str, snapshot_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM pm_snapshot WHERE snapshot_id = ? AND account = ? AND region = ?",
                       (snapshot_id, account, region)).fetchone()
    return None if row is None else {"product": row["product"], "baseline": json.loads(row["baseline"]),
                                     "instance_id": row["instance_id"]}
