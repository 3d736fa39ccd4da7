"""State Manager's tables, as migrations (component "state_manager").

- sm_association: one row per association, its current version's definition as JSON (`definition`: the
  fields CreateAssociation/UpdateAssociation take, as DescribeAssociation shows them), its overview and when it
  next falls due (`next_run`; NULL: not scheduled).
- sm_association_version: every version's definition (ListAssociationVersions).
- sm_execution: one row per run of an association (DescribeAssociationExecutions).
- sm_execution_target: one row per resource of a run (DescribeAssociationExecutionTargets).
- sm_instance_status: the latest run of each association on each instance (DescribeInstanceAssociationsStatus);
  an instance that matches an association's targets and has no row here has not had it applied yet.
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "state_manager"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE sm_association (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,                -- the document's name, as given
            document_type TEXT NOT NULL,       -- Command or Automation
            instance_id TEXT,                  -- the legacy InstanceId form
            association_name TEXT,
            version INTEGER NOT NULL,
            definition TEXT NOT NULL,          -- JSON
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            last_execution REAL,
            last_success REAL,
            status TEXT,                       -- JSON AssociationStatus (UpdateAssociationStatus, legacy form)
            overview_status TEXT NOT NULL,
            overview_detailed TEXT NOT NULL,
            overview_counts TEXT NOT NULL,     -- JSON {status: count}
            next_run REAL,
            running INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sm_association_owner ON sm_association (account, region, seq);
        CREATE TABLE sm_association_version (
            association_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at REAL NOT NULL,
            definition TEXT NOT NULL,
            PRIMARY KEY (association_id, version)
        );
        CREATE TABLE sm_execution (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            association_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            detailed_status TEXT NOT NULL,
            created_at REAL NOT NULL,
            ended_at REAL,
            counts TEXT NOT NULL               -- JSON {status: count}
        );
        CREATE INDEX sm_execution_association ON sm_execution (association_id, seq);
        CREATE TABLE sm_execution_target (
            execution_id TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            status TEXT NOT NULL,
            detailed_status TEXT NOT NULL,
            at REAL NOT NULL,
            output_id TEXT,
            output_type TEXT,
            PRIMARY KEY (execution_id, resource_id)
        );
        CREATE TABLE sm_instance_status (
            association_id TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            document_version TEXT NOT NULL,
            status TEXT NOT NULL,
            detailed_status TEXT NOT NULL,
            summary TEXT NOT NULL,
            error_code TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (association_id, instance_id)
        );
        CREATE INDEX sm_instance_status_instance ON sm_instance_status (instance_id);
        """,
    ),
]
