"""Inventory's tables, as migrations (component "inventory").

- inv_item: the latest item of each type on each managed node (PutInventory replaces it), its Content as
  JSON. A deleted type's rows are removed.
- inv_custom_schema: the schema of each Custom: type, inferred from the items put (every attribute a
  string, as AWS infers), with its version and whether DeleteInventory's DisableSchema hid it.
- inv_deletion: one row per DeleteInventory (not DryRun), what DescribeInventoryDeletions answers, with
  its ClientToken.
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "inventory"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE inv_item (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            type_name TEXT NOT NULL,
            schema_version TEXT NOT NULL,
            capture_time TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            content TEXT NOT NULL,              -- JSON list of {attribute: value}
            PRIMARY KEY (account, region, instance_id, type_name)
        );
        CREATE TABLE inv_custom_schema (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            type_name TEXT NOT NULL,
            version TEXT NOT NULL,
            attributes TEXT NOT NULL,           -- JSON list of attribute names, in first-seen order
            disabled_version TEXT,              -- DisableSchema: this version and earlier are ignored
            PRIMARY KEY (account, region, type_name)
        );
        CREATE TABLE inv_deletion (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            deletion_id TEXT NOT NULL UNIQUE,
            type_name TEXT NOT NULL,
            started_at REAL NOT NULL,
            summary TEXT NOT NULL               -- JSON InventoryDeletionSummary
        );
        """,
    ),
    Migration(
        2,
        """
        -- DeleteInventory's idempotency token: the same token answers the same deletion again
        ALTER TABLE inv_deletion ADD COLUMN client_token TEXT;
        CREATE UNIQUE INDEX inv_deletion_token ON inv_deletion (account, region, client_token);
        """,
    ),
]
