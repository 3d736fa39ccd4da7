"""OpsCenter's tables, as migrations (component "ops_center").

- oc_ops_item: one row per OpsItem; `seq` orders them (newest first in DescribeOpsItems) and is what a
  NextToken resumes after. The maps and lists of an OpsItem (OperationalData, Notifications,
  RelatedOpsItems) are JSON. `dedup_key` is the hash of the /aws/dedup string (lower-cased) and the
  OpsItem's /aws/resources, which CreateOpsItem compares to find a duplicate.
- oc_event: ListOpsItemEvents' events, one per create, update and related-item change.
- oc_related_item: AssociateOpsItemRelatedItem's associations.
- oc_ops_metadata: OpsMetadata objects (Application Manager's), keyed by ResourceId; Metadata is JSON.
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "ops_center"
MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE oc_ops_item (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            source TEXT NOT NULL,
            status TEXT NOT NULL,
            ops_item_type TEXT NOT NULL,
            priority INTEGER,
            severity TEXT,
            category TEXT,
            operational_data TEXT NOT NULL DEFAULT '{}',
            notifications TEXT NOT NULL DEFAULT '[]',
            related_ops_items TEXT NOT NULL DEFAULT '[]',
            planned_start REAL,
            planned_end REAL,
            actual_start REAL,
            actual_end REAL,
            created_at REAL NOT NULL,
            created_by TEXT NOT NULL,
            modified_at REAL NOT NULL,
            modified_by TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            dedup_key TEXT
        );
        CREATE INDEX oc_ops_item_by_account ON oc_ops_item (account, region, seq);
        CREATE INDEX oc_ops_item_by_dedup ON oc_ops_item (account, region, dedup_key);
        CREATE TABLE oc_event (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            ops_item_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            source TEXT NOT NULL,
            detail_type TEXT NOT NULL,
            detail TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX oc_event_by_item ON oc_event (account, region, ops_item_id, seq);
        CREATE TABLE oc_related_item (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            ops_item_id TEXT NOT NULL,
            association_id TEXT NOT NULL UNIQUE,
            association_type TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            resource_uri TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (account, region, ops_item_id, resource_uri)
        );
        CREATE TABLE oc_ops_metadata (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            arn_path TEXT NOT NULL,             -- what follows "opsmetadata/" in its ARN
            metadata TEXT NOT NULL,
            created_at REAL NOT NULL,
            modified_at REAL NOT NULL,
            modified_by TEXT NOT NULL,
            PRIMARY KEY (account, region, resource_id),
            UNIQUE (account, region, arn_path)
        ) WITHOUT ROWID;
        """,
    )
]
