"""OpsItems as stored, their reserved OperationalData, and the queries on oc_ops_item, oc_event and
oc_related_item.

Reserved OperationalData keys (AWS's): /aws/dedup holds {"dedupString": "..."}, /aws/resources a JSON list of
{"arn": "..."} (the impacted resources), /aws/automations a JSON list of {"automationId": "...",
"automationType": "AWS::SSM::Automation"} (the runbooks run for the OpsItem; an automationId that is an execution
of the account links that execution to the OpsItem).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DEDUP = "/aws/dedup"
RESOURCES = "/aws/resources"
AUTOMATIONS = "/aws/automations"


@dataclass
class OpsItem:
    id: str
    account: str
    region: str
    title: str
    description: str
    source: str
    status: str
    ops_item_type: str
    created_at: float
    created_by: str
    modified_at: float
    modified_by: str
    priority: int | None = None
    severity: str | None = None
    category: str | None = None
    operational_data: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> {"Value", "Type"}
    notifications: list[str] = field(default_factory=list)  # SNS topic ARNs
    related_ops_items: list[str] = field(default_factory=list)
    planned_start: float | None = None
    planned_end: float | None = None
    actual_start: float | None = None
    actual_end: float | None = None
    version: int = 1
    dedup_key: str | None = None
    seq: int = 0

    def data_value(self, key: str) -> str | None:
        return (self.operational_data.get(key) or {}).get("Value")

    def json_list(self, key: str) -> list[dict[str, Any]]:
        """A reserved key's JSON list (/aws/resources, /aws/automations); [] when absent or not a list."""
        return json_list(self.data_value(key))

    def resource_arns(self) -> list[str]:
        return [str(r.get("arn")) for r in self.json_list(RESOURCES) if isinstance(r, dict) and r.get("arn")]

    def automation_ids(self) -> list[str]:
        return [str(a.get("automationId")) for a in self.json_list(AUTOMATIONS)
                if isinstance(a, dict) and a.get("automationId")]


def json_list(value: str | None) -> list[Any]:
    try:
        parsed = json.loads(value) if value else []
    except ValueError:
        return []
    return parsed if isinstance(parsed, list) else []


def dedup_string(value: str | None) -> str | None:
    """The deduplication string of a /aws/dedup value, or None when it has none; ValueError when it is not
    {"dedupString": "..."}."""
    if value is None:
        return None
    parsed = json.loads(value)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("dedupString"), str):
        raise ValueError("no dedupString")
    return parsed["dedupString"]


def dedup_key(dedup: str, resources: Sequence[str]) -> str:
    """What CreateOpsItem compares: AWS hashes the deduplication string (case-insensitively) with the resource
    the OpsItem is about, so one string on two resources makes two OpsItems."""
    raw = json.dumps([dedup.lower(), sorted(resources)])
    return hashlib.sha256(raw.encode()).hexdigest()


COLUMNS = ("id", "account", "region", "title", "description", "source", "status", "ops_item_type", "priority",
           "severity", "category", "operational_data", "notifications", "related_ops_items", "planned_start",
           "planned_end", "actual_start", "actual_end", "created_at", "created_by", "modified_at", "modified_by",
           "version", "dedup_key")
JSON_COLUMNS = ("operational_data", "notifications", "related_ops_items")


def _item(row: sqlite3.Row) -> OpsItem:
    values = {c: row[c] for c in COLUMNS}
    for column in JSON_COLUMNS:
        values[column] = json.loads(values[column])
    return OpsItem(seq=row["seq"], **values)


def _row(item: OpsItem) -> list[Any]:
    return [json.dumps(getattr(item, c)) if c in JSON_COLUMNS else getattr(item, c) for c in COLUMNS]


def insert(conn: sqlite3.Connection, item: OpsItem) -> None:
    conn.execute(f"INSERT INTO oc_ops_item ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                 _row(item))


def update(conn: sqlite3.Connection, item: OpsItem) -> None:
    conn.execute(f"UPDATE oc_ops_item SET {', '.join(c + ' = ?' for c in COLUMNS)} WHERE id = ?",
                 [*_row(item), item.id])


def get(conn: sqlite3.Connection, account: str, region: str, ops_item_id: str) -> OpsItem | None:
    row = conn.execute("SELECT * FROM oc_ops_item WHERE account = ? AND region = ? AND id = ?",
                       (account, region, ops_item_id)).fetchone()
    return _item(row) if row else None


def delete(conn: sqlite3.Connection, account: str, region: str, ops_item_id: str) -> None:
    for table in ("oc_ops_item", "oc_event", "oc_related_item"):
        column = "id" if table == "oc_ops_item" else "ops_item_id"
        conn.execute(f"DELETE FROM {table} WHERE account = ? AND region = ? AND {column} = ?",
                     (account, region, ops_item_id))


def by_dedup_key(conn: sqlite3.Connection, account: str, region: str, key: str) -> list[OpsItem]:
    return [_item(r) for r in conn.execute(
        "SELECT * FROM oc_ops_item WHERE account = ? AND region = ? AND dedup_key = ? ORDER BY seq",
        (account, region, key))]


def newest_first(conn: sqlite3.Connection, account: str, region: str, before: int | None) -> list[OpsItem]:
    """Every OpsItem of the account and Region older than `before` (a seq), newest first."""
    sql = "SELECT * FROM oc_ops_item WHERE account = ? AND region = ?"
    args: list[Any] = [account, region]
    if before is not None:
        sql += " AND seq < ?"
        args.append(before)
    return [_item(r) for r in conn.execute(sql + " ORDER BY seq DESC", args)]


def count(conn: sqlite3.Connection, account: str, region: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM oc_ops_item WHERE account = ? AND region = ?",
                        (account, region)).fetchone()[0]


# --- events -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    seq: int
    ops_item_id: str
    event_id: str
    source: str
    detail_type: str
    detail: str
    created_by: str
    created_at: float


def add_event(conn: sqlite3.Connection, account: str, region: str, event: Event) -> None:
    conn.execute(
        "INSERT INTO oc_event (account, region, ops_item_id, event_id, source, detail_type, detail, created_by,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account, region, event.ops_item_id, event.event_id, event.source, event.detail_type, event.detail,
         event.created_by, event.created_at),
    )


def events(conn: sqlite3.Connection, account: str, region: str, ops_item_ids: Sequence[str] | None,
           before: int | None, limit: int) -> list[Event]:
    """Events newest first, of these OpsItems (all when None), older than `before` (a seq)."""
    sql = ("SELECT seq, ops_item_id, event_id, source, detail_type, detail, created_by, created_at FROM oc_event"
           " WHERE account = ? AND region = ?")
    args: list[Any] = [account, region]
    if ops_item_ids is not None:
        sql += f" AND ops_item_id IN ({', '.join('?' * len(ops_item_ids))})"
        args += list(ops_item_ids)
    if before is not None:
        sql += " AND seq < ?"
        args.append(before)
    return [Event(*r) for r in conn.execute(sql + " ORDER BY seq DESC LIMIT ?", [*args, limit])]


# --- related items ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RelatedItem:
    seq: int
    ops_item_id: str
    association_id: str
    association_type: str
    resource_type: str
    resource_uri: str
    created_by: str
    created_at: float


RELATED = ("seq, ops_item_id, association_id, association_type, resource_type, resource_uri, created_by,"
           " created_at")


def add_related(conn: sqlite3.Connection, account: str, region: str, item: RelatedItem) -> None:
    conn.execute(
        "INSERT INTO oc_related_item (account, region, ops_item_id, association_id, association_type,"
        " resource_type, resource_uri, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account, region, item.ops_item_id, item.association_id, item.association_type, item.resource_type,
         item.resource_uri, item.created_by, item.created_at),
    )


def related(conn: sqlite3.Connection, account: str, region: str, ops_item_id: str | None) -> list[RelatedItem]:
    """The related items of an OpsItem (of every OpsItem when None), newest first."""
    sql = f"SELECT {RELATED} FROM oc_related_item WHERE account = ? AND region = ?"
    args: list[Any] = [account, region]
    if ops_item_id is not None:
        sql += " AND ops_item_id = ?"
        args.append(ops_item_id)
    return [RelatedItem(*r) for r in conn.execute(sql + " ORDER BY seq DESC", args)]


def remove_related(conn: sqlite3.Connection, account: str, region: str, ops_item_id: str,
                   association_id: str) -> RelatedItem | None:
    row = conn.execute(
        f"SELECT {RELATED} FROM oc_related_item WHERE account = ? AND region = ? AND ops_item_id = ?"
        " AND association_id = ?", (account, region, ops_item_id, association_id)).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM oc_related_item WHERE association_id = ?", (association_id,))
    return RelatedItem(*row)
