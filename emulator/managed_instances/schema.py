"""Managed instances' and hybrid activations' tables, as migrations (component "managed_instances").

- mi_instance: one row per managed instance. `id` is derived from the machine (model.instance_id_for),
  so it is the primary key across accounts: one machine is one managed instance. `region` NULL means
  visible in every region of its account. `target` says how to reach the machine and is shown by the
  admin API; `secret` (passwords, private keys) is only ever read to open a backend.
- mi_activation: hybrid activations. `seq` orders DescribeActivations and is its NextToken position;
  the code is kept as a SHA-256 digest only. Deleted activations stay (`deleted` = 1) so that using one
  again answers InvalidActivation rather than InvalidActivationId.
- mi_discovery_ignored: Docker IDs of labelled containers that were deregistered: discovery leaves
  them alone (a new container under the same name is discovered again).
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "managed_instances"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE mi_instance (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT,
            backend TEXT NOT NULL,          -- "docker" | "ssh"
            target TEXT NOT NULL,           -- JSON, no secrets
            secret TEXT,                    -- JSON: password, private_key, passphrase
            source TEXT NOT NULL,           -- "api" | "config" | "discovery"
            owned INTEGER NOT NULL DEFAULT 0,  -- a container the emulator created (removed with it)
            container_id TEXT,
            name TEXT,
            iam_role TEXT,
            activation_id TEXT,
            registered REAL NOT NULL,
            ping_status TEXT NOT NULL,
            last_ping REAL,
            facts TEXT,                     -- JSON of backends.HostFacts
            facts_at REAL,
            last_error TEXT
        );
        CREATE INDEX mi_instance_account ON mi_instance (account, id);

        CREATE TABLE mi_activation (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            code_sha256 TEXT NOT NULL,
            description TEXT,
            default_instance_name TEXT,
            iam_role TEXT NOT NULL,
            registration_limit INTEGER NOT NULL,
            registrations_count INTEGER NOT NULL DEFAULT 0,
            expires REAL NOT NULL,
            created REAL NOT NULL,
            tags TEXT NOT NULL,             -- JSON list of [key, value], fixed at creation
            metadata TEXT,                  -- JSON of RegistrationMetadata
            deleted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX mi_activation_scope ON mi_activation (account, region, seq);

        CREATE TABLE mi_discovery_ignored (
            container_id TEXT PRIMARY KEY
        ) WITHOUT ROWID;
        """,
    )
]
