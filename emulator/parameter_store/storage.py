"""Parameter Store's SQL. Functions take an open connection: callers own the transaction.

Rows come back as sqlite3.Row; `CURRENT` columns for ps_parameter, `VERSION` for ps_version.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from emulator.parameter_store.filters import Plan

CURRENT = (
    "p.id, p.key, p.name, p.type, p.value, p.version, p.first_version, p.last_modified, "
    "p.last_modified_user, p.tier, p.data_type, p.key_id, p.description, p.allowed_pattern, "
    "p.policies, p.expires_at"
)
VERSION = (
    "v.version, v.name, v.type, v.value, v.last_modified, v.last_modified_user, v.tier, "
    "v.data_type, v.key_id, v.description, v.allowed_pattern, v.policies"
)
_LIVE = "(p.expires_at IS NULL OR p.expires_at > ?)"


@dataclass(frozen=True, slots=True)
class Content:
    """What one PutParameter writes: a version's content, also inlined as the latest."""

    name: str
    type: str
    value: str
    last_modified: float
    last_modified_user: str
    tier: str
    data_type: str
    key_id: str | None
    description: str | None
    allowed_pattern: str | None
    policies: str | None
    expires_at: float | None


# --- reads -------------------------------------------------------------------------------------


def get(conn: sqlite3.Connection, account: str, region: str, key: str, now: float | None) -> sqlite3.Row | None:
    """The parameter `key`; `now=None` includes one whose Expiration passed but is not reaped yet."""
    if now is None:
        return conn.execute(
            f"SELECT {CURRENT} FROM ps_parameter p WHERE p.account = ? AND p.region = ? AND p.key = ?",
            (account, region, key),
        ).fetchone()
    return conn.execute(
        f"SELECT {CURRENT} FROM ps_parameter p WHERE p.account = ? AND p.region = ? AND p.key = ? AND {_LIVE}",
        (account, region, key, now),
    ).fetchone()


def get_many(
    conn: sqlite3.Connection, account: str, region: str, keys: Sequence[str], now: float
) -> dict[str, sqlite3.Row]:
    if not keys:
        return {}
    rows = conn.execute(
        f"SELECT {CURRENT} FROM ps_parameter p WHERE p.account = ? AND p.region = ?"
        f" AND p.key IN ({', '.join('?' * len(keys))}) AND {_LIVE}",
        (account, region, *keys, now),
    )
    return {row["key"]: row for row in rows}


def get_version(conn: sqlite3.Connection, parameter_id: int, version: int) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {VERSION} FROM ps_version v WHERE v.parameter_id = ? AND v.version = ?", (parameter_id, version)
    ).fetchone()


def get_versions(conn: sqlite3.Connection, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], sqlite3.Row]:
    """Versions by (parameter id, version), in one query."""
    if not wanted:
        return {}
    rows = conn.execute(
        f"SELECT v.parameter_id, {VERSION} FROM ps_version v WHERE (v.parameter_id, v.version) IN"
        f" (VALUES {', '.join('(?, ?)' for _ in wanted)})",
        [x for pair in wanted for x in pair],
    )
    return {(row["parameter_id"], row["version"]): row for row in rows}


def label_versions(conn: sqlite3.Connection, wanted: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The version each (parameter id, label) is on, in one query."""
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT parameter_id, label, version FROM ps_label WHERE (parameter_id, label) IN"
        f" (VALUES {', '.join('(?, ?)' for _ in wanted)})",
        [x for pair in wanted for x in pair],
    )
    return {(row[0], row[1]): row[2] for row in rows}


def labels_by_version(conn: sqlite3.Connection, parameter_id: int, low: int, high: int) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for version, label in conn.execute(
        "SELECT version, label FROM ps_label WHERE parameter_id = ? AND version BETWEEN ? AND ? ORDER BY version, label",
        (parameter_id, low, high),
    ):
        out.setdefault(version, []).append(label)
    return out


def history(conn: sqlite3.Connection, parameter_id: int, after: int, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        f"SELECT {VERSION} FROM ps_version v WHERE v.parameter_id = ? AND v.version > ? ORDER BY v.version LIMIT ?",
        (parameter_id, after, limit),
    ).fetchall()


def list_parameters(
    conn: sqlite3.Connection, account: str, region: str, plan: Plan, after: str, limit: int, now: float
) -> list[sqlite3.Row]:
    """Up to `limit` live parameters the plan selects, in key order, with keys after `after`.

    With a Label plan each row also has `label_version`: the newest version carrying one of
    the labels.
    """
    select, select_params = CURRENT, []
    if plan.labels is not None:
        marks = ", ".join("?" * len(plan.labels))
        select += (
            ", (SELECT max(l.version) FROM ps_label l WHERE l.parameter_id = p.id"
            f" AND l.label IN ({marks})) AS label_version"
        )
        select_params = list(plan.labels)
    if plan.tag_key is not None:
        order = "t.resource_id"
        sql = (
            "FROM resource_tag t JOIN ps_parameter p"
            " ON p.account = t.account AND p.region = t.region AND p.key = t.resource_id"
            " WHERE t.account = ? AND t.region = ? AND t.resource_type = 'Parameter' AND t.key = ?"
            f" AND t.resource_id > ?{plan.tag_condition}"
        )
        params: list[object] = [account, region, plan.tag_key, after, *plan.tag_params]
    elif plan.parent is not None:
        order = "p.key"
        sql = "FROM ps_parameter p WHERE p.account = ? AND p.region = ? AND p.parent = ? AND p.key > ?"
        params = [account, region, plan.parent, after]
    else:
        order = "p.key"
        sql = "FROM ps_parameter p WHERE p.account = ? AND p.region = ? AND p.key > ?"
        params = [account, region, after]
    if plan.low is not None:
        sql += f" AND {order} >= ? AND {order} < ?"
        params += [plan.low, plan.high]
    sql += f" AND {_LIVE}"
    params.append(now)
    for condition in plan.where:
        sql += f" AND {condition}"
    params += plan.params
    if plan.labels is not None:
        sql += f" AND label_version IS NOT NULL"
    return conn.execute(
        f"SELECT {select} {sql} ORDER BY {order} LIMIT ?", [*select_params, *params, limit]
    ).fetchall()


def tier_count(conn: sqlite3.Connection, account: str, region: str, tier: str) -> int:
    row = conn.execute(
        "SELECT n FROM ps_tier_count WHERE account = ? AND region = ? AND tier = ?", (account, region, tier)
    ).fetchone()
    return 0 if row is None else row[0]


def due_for_expiry(conn: sqlite3.Connection, now: float, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, account, region, key, tier FROM ps_parameter WHERE expires_at IS NOT NULL AND expires_at <= ?"
        " ORDER BY expires_at LIMIT ?",
        (now, limit),
    ).fetchall()


# --- writes ------------------------------------------------------------------------------------


def _bump_tier(conn: sqlite3.Connection, account: str, region: str, tier: str, delta: int) -> None:
    conn.execute(
        "INSERT INTO ps_tier_count (account, region, tier, n) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET n = n + excluded.n",
        (account, region, tier, delta),
    )


def _insert_version(conn: sqlite3.Connection, parameter_id: int, version: int, c: Content) -> None:
    conn.execute(
        "INSERT INTO ps_version (parameter_id, version, name, type, value, last_modified, last_modified_user,"
        " tier, data_type, key_id, description, allowed_pattern, policies) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (parameter_id, version, c.name, c.type, c.value, c.last_modified, c.last_modified_user, c.tier,
         c.data_type, c.key_id, c.description, c.allowed_pattern, c.policies),
    )


def create(conn: sqlite3.Connection, account: str, region: str, key: str, parent: str, c: Content) -> int:
    cursor = conn.execute(
        "INSERT INTO ps_parameter (account, region, key, parent, name, type, value, version, first_version,"
        " last_modified, last_modified_user, tier, data_type, key_id, description, allowed_pattern, policies,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account, region, key, parent, c.name, c.type, c.value, c.last_modified, c.last_modified_user, c.tier,
         c.data_type, c.key_id, c.description, c.allowed_pattern, c.policies, c.expires_at),
    )
    parameter_id = cursor.lastrowid
    assert parameter_id is not None
    _insert_version(conn, parameter_id, 1, c)
    _bump_tier(conn, account, region, c.tier, 1)
    return parameter_id


def add_version(
    conn: sqlite3.Connection, current: sqlite3.Row, account: str, region: str, c: Content, drop_oldest: bool
) -> int:
    """Make `c` the new latest version of the parameter `current`; returns its number."""
    version = current["version"] + 1
    first = current["first_version"]
    if drop_oldest:
        conn.execute("DELETE FROM ps_version WHERE parameter_id = ? AND version = ?", (current["id"], first))
        first += 1
    conn.execute(
        "UPDATE ps_parameter SET type = ?, value = ?, version = ?, first_version = ?, last_modified = ?,"
        " last_modified_user = ?, tier = ?, data_type = ?, key_id = ?, description = ?, allowed_pattern = ?,"
        " policies = ?, expires_at = ? WHERE id = ?",
        (c.type, c.value, version, first, c.last_modified, c.last_modified_user, c.tier, c.data_type, c.key_id,
         c.description, c.allowed_pattern, c.policies, c.expires_at, current["id"]),
    )
    _insert_version(conn, current["id"], version, c)
    if c.tier != current["tier"]:
        _bump_tier(conn, account, region, current["tier"], -1)
        _bump_tier(conn, account, region, c.tier, 1)
    return version


def delete(conn: sqlite3.Connection, parameter_id: int, account: str, region: str, tier: str) -> None:
    """Delete a parameter with its versions and labels (cascade); its tags are the caller's."""
    conn.execute("DELETE FROM ps_parameter WHERE id = ?", (parameter_id,))
    _bump_tier(conn, account, region, tier, -1)


def move_labels(conn: sqlite3.Connection, parameter_id: int, version: int, labels: Iterable[str]) -> None:
    conn.executemany(
        "INSERT INTO ps_label (parameter_id, label, version) VALUES (?, ?, ?)"
        " ON CONFLICT DO UPDATE SET version = excluded.version",
        [(parameter_id, label, version) for label in labels],
    )


def labels_of(conn: sqlite3.Connection, parameter_id: int, version: int) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT label FROM ps_label WHERE parameter_id = ? AND version = ? ORDER BY label", (parameter_id, version)
        )
    ]


def remove_labels(conn: sqlite3.Connection, parameter_id: int, labels: Iterable[str]) -> None:
    conn.executemany(
        "DELETE FROM ps_label WHERE parameter_id = ? AND label = ?", [(parameter_id, label) for label in labels]
    )
