"""Documents' SQL. Functions take an open connection: callers own the transaction.

Rows come back as sqlite3.Row: `DOCUMENT` columns for doc_document, `VERSION` for doc_version.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from emulator.documents.filters import Plan

DOCUMENT = (
    "d.id, d.account, d.region, d.name, d.document_type, d.created, d.latest_version, d.default_version, "
    "d.approved_version, d.pending_review_version, d.shared, d.d_version_name, d.d_display_name, "
    "d.d_schema_version, d.d_format, d.d_platforms, d.d_target_type, d.d_requires, d.d_review_status"
)
VERSION = (
    "v.version, v.version_name, v.content, v.format, v.hash, v.schema_version, v.description, "
    "v.parameters, v.platforms, v.target_type, v.display_name, v.requires, v.attachments, v.created, "
    "v.review_status"
)
# What a version listing needs: no content.
VERSION_INFO = "v.version, v.version_name, v.format, v.display_name, v.created, v.review_status"
TAG_TYPE = "Document"


@dataclass(frozen=True, slots=True)
class VersionContent:
    """What one CreateDocument/UpdateDocument writes as a version."""

    version_name: str | None
    content: str
    format: str
    hash: str
    schema_version: str | None
    description: str | None
    parameters: str  # JSON list of DocumentParameter dicts
    platforms: int
    target_type: str | None
    display_name: str | None
    requires: str | None
    attachments: str | None
    created: float
    review_status: str | None


# --- documents and versions --------------------------------------------------------------------


def get(conn: sqlite3.Connection, account: str, region: str, name: str) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {DOCUMENT} FROM doc_document d WHERE d.account = ? AND d.region = ? AND d.name = ?",
        (account, region, name),
    ).fetchone()


def count(conn: sqlite3.Connection, account: str, region: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM doc_document WHERE account = ? AND region = ?", (account, region)
    ).fetchone()[0]


def get_version(conn: sqlite3.Connection, document_id: int, version: int) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {VERSION} FROM doc_version v WHERE v.document_id = ? AND v.version = ?", (document_id, version)
    ).fetchone()


def version_named(conn: sqlite3.Connection, document_id: int, version_name: str) -> int | None:
    row = conn.execute(
        "SELECT version FROM doc_version WHERE document_id = ? AND version_name = ?", (document_id, version_name)
    ).fetchone()
    return None if row is None else row[0]


def has_hash(conn: sqlite3.Connection, document_id: int, content_hash: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM doc_version WHERE document_id = ? AND hash = ? LIMIT 1", (document_id, content_hash)
    ).fetchone() is not None


def version_count(conn: sqlite3.Connection, document_id: int) -> int:
    return conn.execute("SELECT count(*) FROM doc_version WHERE document_id = ?", (document_id,)).fetchone()[0]


def versions(conn: sqlite3.Connection, document_id: int, after: int, limit: int,
             only: Sequence[int] | None = None) -> list[sqlite3.Row]:
    """Versions in version order after `after`; `only` restricts to those version numbers."""
    sql = f"SELECT {VERSION_INFO} FROM doc_version v WHERE v.document_id = ? AND v.version > ?"
    params: list[object] = [document_id, after]
    if only is not None:
        sql += f" AND v.version IN ({', '.join('?' * len(only))})"
        params += list(only)
    return conn.execute(sql + " ORDER BY v.version LIMIT ?", [*params, limit]).fetchall()


def _insert_version(conn: sqlite3.Connection, document_id: int, version: int, c: VersionContent) -> None:
    conn.execute(
        "INSERT INTO doc_version (document_id, version, version_name, content, format, hash, schema_version,"
        " description, parameters, platforms, target_type, display_name, requires, attachments, created,"
        " review_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (document_id, version, c.version_name, c.content, c.format, c.hash, c.schema_version, c.description,
         c.parameters, c.platforms, c.target_type, c.display_name, c.requires, c.attachments, c.created,
         c.review_status),
    )


def create(conn: sqlite3.Connection, account: str, region: str, name: str, document_type: str,
           c: VersionContent) -> int:
    cursor = conn.execute(
        "INSERT INTO doc_document (account, region, name, document_type, created, latest_version,"
        " default_version, d_version_name, d_display_name, d_schema_version, d_format, d_platforms,"
        " d_target_type, d_requires, d_review_status) VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account, region, name, document_type, c.created, c.version_name, c.display_name, c.schema_version,
         c.format, c.platforms, c.target_type, c.requires, c.review_status),
    )
    document_id = cursor.lastrowid
    assert document_id is not None
    _insert_version(conn, document_id, 1, c)
    return document_id


def add_version(conn: sqlite3.Connection, document: sqlite3.Row, c: VersionContent) -> int:
    version = document["latest_version"] + 1
    _insert_version(conn, document["id"], version, c)
    conn.execute("UPDATE doc_document SET latest_version = ? WHERE id = ?", (version, document["id"]))
    return version


def set_default(conn: sqlite3.Connection, document_id: int, version: int) -> sqlite3.Row:
    """Make `version` the default, inlining what ListDocuments shows of it; returns that version."""
    v = get_version(conn, document_id, version)
    assert v is not None
    conn.execute(
        "UPDATE doc_document SET default_version = ?, d_version_name = ?, d_display_name = ?,"
        " d_schema_version = ?, d_format = ?, d_platforms = ?, d_target_type = ?, d_requires = ?,"
        " d_review_status = ? WHERE id = ?",
        (version, v["version_name"], v["display_name"], v["schema_version"], v["format"], v["platforms"],
         v["target_type"], v["requires"], v["review_status"], document_id),
    )
    return v


def delete(conn: sqlite3.Connection, document_id: int) -> None:
    """Delete a document with its versions, shares and reviews (cascade); tags are the caller's."""
    conn.execute("DELETE FROM doc_document WHERE id = ?", (document_id,))


def delete_version(conn: sqlite3.Connection, document: sqlite3.Row, version: int) -> None:
    conn.execute("DELETE FROM doc_version WHERE document_id = ? AND version = ?", (document["id"], version))
    if version == document["latest_version"]:
        conn.execute(
            "UPDATE doc_document SET latest_version ="
            " (SELECT max(version) FROM doc_version WHERE document_id = ?) WHERE id = ?",
            (document["id"], document["id"]),
        )


def set_review_status(conn: sqlite3.Connection, document_id: int, version: int, status: str | None) -> None:
    conn.execute(
        "UPDATE doc_version SET review_status = ? WHERE document_id = ? AND version = ?",
        (status, document_id, version),
    )
    conn.execute(
        "UPDATE doc_document SET d_review_status = ? WHERE id = ? AND default_version = ?",
        (status, document_id, version),
    )


def set_review_pointers(conn: sqlite3.Connection, document_id: int, approved: int | None, pending: int | None) -> None:
    conn.execute(
        "UPDATE doc_document SET approved_version = ?, pending_review_version = ? WHERE id = ?",
        (approved, pending, document_id),
    )


# --- sharing -----------------------------------------------------------------------------------


def share_for(conn: sqlite3.Connection, document_id: int, account: str) -> str | None:
    """The version a document is shared with `account` at ($DEFAULT, $LATEST, $ALL), privately
    or publicly (a private share wins), or None."""
    rows = dict(conn.execute(
        "SELECT shared_with, shared_version FROM doc_share WHERE document_id = ? AND shared_with IN (?, 'all')",
        (document_id, account),
    ).fetchall())
    return rows.get(account, rows.get("all"))


def is_public(conn: sqlite3.Connection, document_id: int) -> bool:
    return conn.execute(
        "SELECT 1 FROM doc_share WHERE document_id = ? AND shared_with = 'all'", (document_id,)
    ).fetchone() is not None


def shares(conn: sqlite3.Connection, document_id: int, after: str, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT shared_with, shared_version FROM doc_share WHERE document_id = ? AND shared_with > ?"
        " ORDER BY shared_with LIMIT ?",
        (document_id, after, limit),
    ).fetchall()


def share_count(conn: sqlite3.Connection, document_id: int) -> int:
    return conn.execute("SELECT count(*) FROM doc_share WHERE document_id = ?", (document_id,)).fetchone()[0]


def public_count(conn: sqlite3.Connection, account: str, region: str) -> int:
    """How many documents of an account and region are shared publicly."""
    return conn.execute(
        "SELECT count(*) FROM doc_share WHERE shared_with = 'all' AND region = ? AND owner = ?", (region, account)
    ).fetchone()[0]


def put_shares(conn: sqlite3.Connection, document: sqlite3.Row, accounts: Iterable[str], shared_version: str) -> None:
    conn.executemany(
        "INSERT INTO doc_share (document_id, shared_with, region, name, owner, shared_version)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET shared_version = excluded.shared_version",
        [(document["id"], a, document["region"], document["name"], document["account"], shared_version)
         for a in accounts],
    )
    _recount(conn, document["id"])


def remove_shares(conn: sqlite3.Connection, document_id: int, accounts: Iterable[str]) -> None:
    conn.executemany(
        "DELETE FROM doc_share WHERE document_id = ? AND shared_with = ?", [(document_id, a) for a in accounts]
    )
    _recount(conn, document_id)


def _recount(conn: sqlite3.Connection, document_id: int) -> None:
    conn.execute(
        "UPDATE doc_document SET shared = (SELECT count(*) FROM doc_share WHERE document_id = ?) WHERE id = ?",
        (document_id, document_id),
    )


def get_shared(conn: sqlite3.Connection, owner: str, region: str, name: str, reader: str) -> tuple[sqlite3.Row, str] | None:
    """Another account's document `reader` may read (shared with it or public), with the
    version it is shared at."""
    row = get(conn, owner, region, name)
    if row is None or not row["shared"]:
        return None
    shared_version = share_for(conn, row["id"], reader)
    return None if shared_version is None else (row, shared_version)


# --- listing -----------------------------------------------------------------------------------


def _filtered(plan: Plan, sql: str, params: list[object]) -> tuple[str, list[object]]:
    conditions, extra = plan.sql()
    for condition in conditions:
        sql += f" AND {condition}"
    return sql, params + extra


def list_own(conn: sqlite3.Connection, account: str, region: str, plan: Plan,
             after: tuple[str, str] | None, limit: int) -> list[sqlite3.Row]:
    """The caller's documents the plan selects, in name order, after the (name, owner) key."""
    sql = f"SELECT {DOCUMENT} FROM doc_document d WHERE d.account = ? AND d.region = ?"
    params: list[object] = [account, region]
    if after is not None:
        name, owner = after
        sql += " AND d.name > ?" if owner >= account else " AND d.name >= ?"
        params.append(name)
    sql, params = _filtered(plan, sql, params)
    return conn.execute(sql + " ORDER BY d.name LIMIT ?", [*params, limit]).fetchall()


def list_shared(conn: sqlite3.Connection, shared_with: str, region: str, reader: str, plan: Plan,
                after: tuple[str, str] | None, limit: int) -> list[sqlite3.Row]:
    """Other accounts' documents shared with `shared_with` (an account, or 'all' for public),
    in (name, owner) order after the key, each with the version it is shared at."""
    sql = (
        f"SELECT {DOCUMENT}, s.shared_version FROM doc_share s JOIN doc_document d ON d.id = s.document_id"
        " WHERE s.shared_with = ? AND s.region = ? AND s.owner != ?"
    )
    params: list[object] = [shared_with, region, reader]
    if after is not None:
        name, owner = after
        sql += " AND s.name >= ? AND (s.name > ? OR s.owner > ?)"
        params += [name, name, owner]
    sql, params = _filtered(plan, sql, params)
    return conn.execute(sql + " ORDER BY s.name, s.owner LIMIT ?", [*params, limit]).fetchall()


def tags_of(conn: sqlite3.Connection, account: str, region: str, names: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """The tags of several of an account's documents, in one query."""
    if not names:
        return {}
    out: dict[str, list[tuple[str, str]]] = {}
    for rid, key, value in conn.execute(
        "SELECT resource_id, key, value FROM resource_tag WHERE account = ? AND region = ? AND resource_type = ?"
        f" AND resource_id IN ({', '.join('?' * len(names))}) ORDER BY resource_id, key",
        (account, region, TAG_TYPE, *names),
    ):
        out.setdefault(rid, []).append((key, value))
    return out


# --- reviews -----------------------------------------------------------------------------------


def add_review(conn: sqlite3.Connection, document_id: int, version: int, status: str, comment: str | None,
               reviewer: str, now: float) -> None:
    seq = conn.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM doc_review WHERE document_id = ?", (document_id,)
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO doc_review (document_id, seq, version, status, comment, reviewer, created, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (document_id, seq, version, status, comment, reviewer, now, now),
    )


def reviews(conn: sqlite3.Connection, document_id: int, version: int, after: int, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT seq, status, comment, reviewer, created, updated FROM doc_review"
        " WHERE document_id = ? AND version = ? AND seq > ? ORDER BY seq LIMIT ?",
        (document_id, version, after, limit),
    ).fetchall()


def last_review(conn: sqlite3.Connection, document_id: int, version: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT status, reviewer, updated FROM doc_review WHERE document_id = ? AND version = ?"
        " ORDER BY seq DESC LIMIT 1",
        (document_id, version),
    ).fetchone()
