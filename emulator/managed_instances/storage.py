"""SQL of managed instances and activations (tables in schema.py). Functions take an open connection,
so callers compose them in one transaction (register = consume an activation + insert + tag)."""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.tags import store as tag_store

RESOURCE_TYPE = "ManagedInstance"
# Instances are not regional by default (visible in every region of their account), so their tags are
# kept under one region key whatever the caller's region (see tags.registry TaggableType.tag_region).
TAG_REGION = "*"


# --- instances ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewInstance:
    id: str
    account: str
    region: str | None
    backend: str
    target: Mapping[str, Any]
    secret: Mapping[str, Any] | None
    source: str
    owned: bool
    container_id: str | None
    name: str | None
    iam_role: str | None
    activation_id: str | None
    registered: float
    ping_status: str


def insert(conn: sqlite3.Connection, new: NewInstance) -> None:
    conn.execute(
        "INSERT INTO mi_instance (id, account, region, backend, target, secret, source, owned, container_id,"
        " name, iam_role, activation_id, registered, ping_status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            new.id, new.account, new.region, new.backend, json.dumps(new.target),
            json.dumps(new.secret) if new.secret else None, new.source, int(new.owned), new.container_id,
            new.name, new.iam_role, new.activation_id, new.registered, new.ping_status,
        ),
    )


def get(conn: sqlite3.Connection, instance_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mi_instance WHERE id = ?", (instance_id,)).fetchone()


def all_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM mi_instance ORDER BY id")]


def all_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM mi_instance ORDER BY id").fetchall()


def owned_containers(conn: sqlite3.Connection) -> dict[str, str]:
    """Instance ID -> name of the container the emulator created for it."""
    return {
        r["id"]: json.loads(r["target"])["container"]
        for r in conn.execute("SELECT id, target FROM mi_instance WHERE owned = 1")
    }


def visible(conn: sqlite3.Connection, account: str, region: str, after: str = "") -> list[sqlite3.Row]:
    """Instances of `account` seen from `region`, by ID, after `after`."""
    return conn.execute(
        "SELECT * FROM mi_instance WHERE account = ? AND (region IS NULL OR region = ?) AND id > ? ORDER BY id",
        (account, region, after),
    ).fetchall()


def tags_of(conn: sqlite3.Connection, account: str, ids: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """Instance ID -> its tags, for every instance of `account` (or only `ids`)."""
    sql = (
        "SELECT resource_id, key, value FROM resource_tag WHERE account = ? AND region = ?"
        " AND resource_type = ?"
    )
    params: list[Any] = [account, TAG_REGION, RESOURCE_TYPE]
    if ids is not None:
        wanted = list(ids)
        sql += f" AND resource_id IN ({','.join('?' * len(wanted))})"
        params += wanted
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for rid, key, value in conn.execute(sql + " ORDER BY resource_id, key", params):
        found[rid][key] = value
    return found


def put_tags(conn: sqlite3.Connection, account: str, instance_id: str, tags: Mapping[str, str]) -> None:
    tag_store.put_tags(conn, account, TAG_REGION, RESOURCE_TYPE, instance_id, tags.items())


def delete(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    conn.execute("DELETE FROM mi_instance WHERE id = ?", (row["id"],))
    tag_store.delete_resource(conn, row["account"], TAG_REGION, RESOURCE_TYPE, row["id"])


def record_ping(
    conn: sqlite3.Connection,
    instance_id: str,
    status: str,
    at: float,
    facts: Mapping[str, Any] | None,
    error: str | None,
) -> None:
    """The outcome of one check: LastPingDateTime moves only when the machine answered."""
    sets = ["ping_status = ?", "last_error = ?"]
    params: list[Any] = [status, error]
    if status == "Online":
        sets.append("last_ping = ?")
        params.append(at)
    if facts is not None:
        sets += ["facts = ?", "facts_at = ?"]
        params += [json.dumps(facts), at]
    conn.execute(f"UPDATE mi_instance SET {', '.join(sets)} WHERE id = ?", (*params, instance_id))


def set_iam_role(conn: sqlite3.Connection, instance_id: str, role: str) -> None:
    conn.execute("UPDATE mi_instance SET iam_role = ? WHERE id = ?", (role, instance_id))


def ignore_container(conn: sqlite3.Connection, container_id: str) -> None:
    conn.execute("INSERT OR IGNORE INTO mi_discovery_ignored (container_id) VALUES (?)", (container_id,))


def ignored_containers(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT container_id FROM mi_discovery_ignored")}


# --- activations -------------------------------------------------------------------------------------------
def insert_activation(conn: sqlite3.Connection, **values: Any) -> None:
    values["tags"] = json.dumps(values["tags"])
    values["metadata"] = json.dumps(values["metadata"]) if values.get("metadata") is not None else None
    columns = ", ".join(values)
    conn.execute(
        f"INSERT INTO mi_activation ({columns}) VALUES ({', '.join('?' * len(values))})", tuple(values.values())
    )


def get_activation(conn: sqlite3.Connection, activation_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM mi_activation WHERE id = ?", (activation_id,)).fetchone()


def list_activations(
    conn: sqlite3.Connection, account: str, region: str, after: int, where: list[str], params: list[Any],
    limit: int,
) -> list[sqlite3.Row]:
    extra = "".join(f" AND {w}" for w in where)
    return conn.execute(
        "SELECT * FROM mi_activation WHERE account = ? AND region = ? AND deleted = 0 AND seq > ?"
        f"{extra} ORDER BY seq LIMIT ?",
        (account, region, after, *params, limit),
    ).fetchall()


def count_registration(conn: sqlite3.Connection, activation_id: str) -> None:
    conn.execute(
        "UPDATE mi_activation SET registrations_count = registrations_count + 1 WHERE id = ?", (activation_id,)
    )


def delete_activation(conn: sqlite3.Connection, activation_id: str) -> None:
    conn.execute("UPDATE mi_activation SET deleted = 1 WHERE id = ?", (activation_id,))


def activation_tags(row: sqlite3.Row) -> list[tuple[str, str]]:
    return [(k, v) for k, v in json.loads(row["tags"])]
