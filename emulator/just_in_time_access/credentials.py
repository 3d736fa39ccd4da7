"""The temporary credentials GetAccessToken issues: made here, kept in jit_credential, and read back by the
identity layer (emulator.protocol.identity.TemporaryKey) for every request signed with one.

AWS's come from STS; the emulator's look like them (an ASIA... access key id, a 40-character secret, a session
token) so SDKs treat them alike, and act as the requester's identity until the access request's access duration
ends or the request is revoked.
"""
from __future__ import annotations

import secrets
import sqlite3
import string

from emulator.protocol.identity import TEMPORARY_KEY_PREFIX, TemporaryKey

_KEY_CHARS = string.ascii_uppercase + string.digits
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"


def issue(conn: sqlite3.Connection, account: str, region: str, access_request_id: str, arn: str,
          expires_at: float) -> tuple[str, TemporaryKey]:
    """A new temporary key for an approved access request: its access key id and what it stands for.

    Keys are kept after they expire or are revoked, so that using one is refused as such: without verification a
    key the emulator did not know would act as the default account."""
    access_key_id = TEMPORARY_KEY_PREFIX + "".join(secrets.choice(_KEY_CHARS) for _ in range(16))
    key = TemporaryKey(
        account_id=account, arn=arn, expires_at=expires_at,
        secret_access_key="".join(secrets.choice(_SECRET_CHARS) for _ in range(40)),
        session_token=secrets.token_urlsafe(96),
    )
    conn.execute(
        "INSERT INTO jit_credential (access_key_id, account, region, access_request_id, arn, secret_access_key,"
        " session_token, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (access_key_id, account, region, access_request_id, arn, key.secret_access_key, key.session_token,
         expires_at),
    )
    return access_key_id, key


def lookup(conn: sqlite3.Connection, access_key_id: str) -> TemporaryKey | None:
    row = conn.execute(
        "SELECT account, arn, secret_access_key, session_token, expires_at, revoked FROM jit_credential"
        " WHERE access_key_id = ?", (access_key_id,)).fetchone()
    return None if row is None else TemporaryKey(*row[:5], revoked=bool(row[5]))


def revoke(conn: sqlite3.Connection, account: str, region: str, access_request_id: str) -> None:
    conn.execute("UPDATE jit_credential SET revoked = 1 WHERE account = ? AND region = ? AND access_request_id = ?",
                 (account, region, access_request_id))
