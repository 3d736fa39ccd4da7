"""Parameter Store's tables, as migrations (component "parameter_store").

Every row belongs to an (account, region); every index leads with them, so each account and
region is its own slice of the B-trees and listings never touch another's rows.

- ps_parameter: one row per parameter with its latest version inlined, so GetParameter,
  GetParametersByPath and DescribeParameters read one row per result. `key` is the name with
  a leading slash (names.py), `parent` the path one level up, for OneLevel listings.
- ps_version: every retained version (the latest too), for history and `name:version`.
- ps_label: label -> version, unique per parameter (a label moves between versions).
- ps_tier_count: parameters per tier, kept in step with writes: tier limits are checked on
  every create without counting rows.
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "parameter_store"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE ps_parameter (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            key TEXT NOT NULL,
            parent TEXT NOT NULL,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            value TEXT NOT NULL,            -- base64 AES-GCM ciphertext for SecureString (kms.py)
            version INTEGER NOT NULL,
            first_version INTEGER NOT NULL, -- oldest retained version (versions are contiguous)
            last_modified REAL NOT NULL,
            last_modified_user TEXT NOT NULL,
            tier TEXT NOT NULL,
            data_type TEXT NOT NULL,
            key_id TEXT,
            description TEXT,
            allowed_pattern TEXT,
            policies TEXT,                  -- policies.Policies.stored
            expires_at REAL                 -- from an Expiration policy
        );
        CREATE UNIQUE INDEX ps_parameter_key ON ps_parameter (account, region, key);
        CREATE INDEX ps_parameter_parent ON ps_parameter (account, region, parent, key);
        CREATE INDEX ps_parameter_expiry ON ps_parameter (expires_at) WHERE expires_at IS NOT NULL;

        CREATE TABLE ps_version (
            parameter_id INTEGER NOT NULL REFERENCES ps_parameter (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            last_modified REAL NOT NULL,
            last_modified_user TEXT NOT NULL,
            tier TEXT NOT NULL,
            data_type TEXT NOT NULL,
            key_id TEXT,
            description TEXT,
            allowed_pattern TEXT,
            policies TEXT,
            PRIMARY KEY (parameter_id, version)
        ) WITHOUT ROWID;

        CREATE TABLE ps_label (
            parameter_id INTEGER NOT NULL REFERENCES ps_parameter (id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (parameter_id, label)
        ) WITHOUT ROWID;
        CREATE INDEX ps_label_version ON ps_label (parameter_id, version);

        CREATE TABLE ps_tier_count (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            tier TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (account, region, tier)
        ) WITHOUT ROWID;
        """,
    )
]
