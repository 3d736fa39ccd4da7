"""Just-in-time node access's table, as migrations (component "just_in_time_access").

- jit_credential: the temporary keys GetAccessToken issued, one row per key, with the access request it was
  issued for (a revocation marks that request's keys revoked), whom it acts as (account, ARN) and when it expires. The
  access requests themselves are OpsItems (OpsCenter's oc_ops_item).
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "just_in_time_access"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE jit_credential (
            access_key_id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            access_request_id TEXT NOT NULL,
            arn TEXT NOT NULL,
            secret_access_key TEXT NOT NULL,
            session_token TEXT NOT NULL,
            expires_at REAL NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX jit_credential_request ON jit_credential (account, region, access_request_id);
        """,
    ),
]
