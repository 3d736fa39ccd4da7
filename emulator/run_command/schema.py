"""Run Command's tables, as migrations (component "run_command").

- rc_command: one row per SendCommand, with everything ListCommands answers (counters are kept in
  step with the invocations, in the same transactions) and the execution plan the invocations run
  (`plan`, JSON: plugin steps with their parameters already substituted).
- rc_invocation: one row per (command, instance). `dispatched` is 1 once rate control has let it
  go (it may still be Pending while its instance is offline).
- rc_plugin: one row per plugin step of an invocation, with the step's full stdout and stderr as
  bytes (the API truncates them; the output URLs serve them whole).

`seq` orders commands (newest first in listings) and is what the children point at.
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "run_command"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE rc_command (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after a reset
            id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            document_name TEXT NOT NULL,
            document_version TEXT NOT NULL,
            comment TEXT NOT NULL,
            parameters TEXT NOT NULL,          -- JSON, as the caller sent them
            instance_ids TEXT NOT NULL,        -- JSON list
            targets TEXT NOT NULL,             -- JSON list of {Key, Values}
            requested_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            deliver_by REAL NOT NULL,          -- requested_at + TimeoutSeconds
            timeout_seconds INTEGER NOT NULL,
            status TEXT NOT NULL,
            status_details TEXT NOT NULL,
            output_s3_region TEXT NOT NULL,
            output_s3_bucket TEXT NOT NULL,
            output_s3_prefix TEXT NOT NULL,
            max_concurrency TEXT NOT NULL,
            max_errors TEXT NOT NULL,
            concurrency_limit INTEGER NOT NULL,
            error_limit INTEGER NOT NULL,
            target_count INTEGER NOT NULL,
            completed_count INTEGER NOT NULL DEFAULT 0,
            error_count INTEGER NOT NULL DEFAULT 0,
            delivery_timed_out_count INTEGER NOT NULL DEFAULT 0,
            service_role TEXT NOT NULL,
            notification_config TEXT,          -- JSON or NULL
            cloudwatch_output_config TEXT,     -- JSON or NULL
            alarm_configuration TEXT,          -- JSON or NULL
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            stopped INTEGER NOT NULL DEFAULT 0, -- MaxErrors exceeded: nothing more is dispatched
            done INTEGER NOT NULL DEFAULT 0,
            plan TEXT NOT NULL
        );
        CREATE INDEX rc_command_listing ON rc_command (account, region, seq);
        CREATE INDEX rc_command_active ON rc_command (deliver_by) WHERE done = 0;

        CREATE TABLE rc_invocation (
            command_seq INTEGER NOT NULL REFERENCES rc_command (seq) ON DELETE CASCADE,
            instance_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            status TEXT NOT NULL,
            status_details TEXT NOT NULL,
            dispatched INTEGER NOT NULL DEFAULT 0,
            started_at REAL,
            ended_at REAL,
            response_code INTEGER NOT NULL DEFAULT -1,
            PRIMARY KEY (command_seq, position)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX rc_invocation_instance ON rc_invocation (instance_id, command_seq);

        CREATE TABLE rc_plugin (
            command_seq INTEGER NOT NULL,
            position INTEGER NOT NULL,         -- the invocation's
            step INTEGER NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            status_details TEXT NOT NULL,
            response_code INTEGER NOT NULL DEFAULT -1,
            started_at REAL,
            ended_at REAL,
            stdout BLOB NOT NULL DEFAULT x'',
            stderr BLOB NOT NULL DEFAULT x'',
            PRIMARY KEY (command_seq, position, step),
            FOREIGN KEY (command_seq, position) REFERENCES rc_invocation (command_seq, position) ON DELETE CASCADE
        ) WITHOUT ROWID;
        """,
    )
]
