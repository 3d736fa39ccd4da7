"""Resource policies as stored, and the question other capabilities ask of them: may this account do this
to that resource?

One row per policy, keyed by the owning account and region and the resource's ARN. Parameter Store reads
the policies of a parameter another account asks for by ARN, and deletes them with the parameter, in its own
transactions, so the functions take an open connection; `ResourcePolicyStore` is the in-process API.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from emulator.resource_policies import document
from emulator.store import Database
from emulator.store.database import Migration

COMPONENT = "resource_policies"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE resource_policy (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource_arn TEXT NOT NULL,
            policy_id TEXT NOT NULL,
            policy_hash TEXT NOT NULL,
            policy TEXT NOT NULL,
            created REAL NOT NULL,
            PRIMARY KEY (account, region, resource_arn, policy_id)
        ) WITHOUT ROWID;
        -- GetResourcePolicies lists a resource's policies oldest first and pages by (created, policy id).
        CREATE INDEX resource_policy_by_age ON resource_policy (account, region, resource_arn, created, policy_id);
        """,
    )
]


@dataclass(frozen=True)
class Policy:
    policy_id: str
    policy_hash: str
    policy: str
    created: float


def _policy(row: sqlite3.Row) -> Policy:
    return Policy(row["policy_id"], row["policy_hash"], row["policy"], row["created"])


def policies(conn: sqlite3.Connection, account: str, region: str, arn: str) -> list[Policy]:
    return [_policy(r) for r in conn.execute(
        "SELECT policy_id, policy_hash, policy, created FROM resource_policy"
        " WHERE account = ? AND region = ? AND resource_arn = ? ORDER BY created, policy_id",
        (account, region, arn),
    )]


def page(
    conn: sqlite3.Connection, account: str, region: str, arn: str, after: tuple[float, str] | None, limit: int,
) -> list[Policy]:
    sql = ("SELECT policy_id, policy_hash, policy, created FROM resource_policy"
           " WHERE account = ? AND region = ? AND resource_arn = ?")
    args: list[object] = [account, region, arn]
    if after is not None:
        sql += " AND (created, policy_id) > (?, ?)"
        args += list(after)
    return [_policy(r) for r in conn.execute(f"{sql} ORDER BY created, policy_id LIMIT ?", [*args, limit])]


def get(conn: sqlite3.Connection, account: str, region: str, arn: str, policy_id: str) -> Policy | None:
    row = conn.execute(
        "SELECT policy_id, policy_hash, policy, created FROM resource_policy"
        " WHERE account = ? AND region = ? AND resource_arn = ? AND policy_id = ?",
        (account, region, arn, policy_id),
    ).fetchone()
    return None if row is None else _policy(row)


def put(conn: sqlite3.Connection, account: str, region: str, arn: str, p: Policy) -> None:
    conn.execute(
        "INSERT INTO resource_policy (account, region, resource_arn, policy_id, policy_hash, policy, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
        " policy_hash = excluded.policy_hash, policy = excluded.policy",
        (account, region, arn, p.policy_id, p.policy_hash, p.policy, p.created),
    )


def delete(conn: sqlite3.Connection, account: str, region: str, arn: str, policy_id: str | None = None) -> None:
    """Delete one policy of the resource, or all of them (the resource itself is deleted)."""
    sql = "DELETE FROM resource_policy WHERE account = ? AND region = ? AND resource_arn = ?"
    args = [account, region, arn]
    if policy_id is not None:
        sql += " AND policy_id = ?"
        args.append(policy_id)
    conn.execute(sql, args)


class ResourcePolicyStore:
    """What capabilities owning shareable resources ask of resource policies."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate(COMPONENT, MIGRATIONS)

    def allows(
        self, conn: sqlite3.Connection, owner: str, region: str, arn: str, account: str, caller_arn: str, action: str,
    ) -> bool:
        """Whether the policies attached to `arn` (owned by `owner`) let `account` do `action` (ssm:GetParameter)
        on it: some statement allows it and none denies it."""
        verdict = None
        for p in policies(conn, owner, region, arn):
            said = document.allows(document.parse(p.policy), account, caller_arn, action, arn)
            if said == "Deny":
                return False
            verdict = verdict or said
        return verdict == "Allow"

    @staticmethod
    def delete_all(conn: sqlite3.Connection, owner: str, region: str, arn: str) -> None:
        delete(conn, owner, region, arn)
