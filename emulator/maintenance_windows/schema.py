"""Maintenance Windows' tables, as migrations (component "maintenance_windows").

- mw_window: one row per window: its definition as JSON (the fields CreateMaintenanceWindow/UpdateMaintenanceWindow
  take, as GetMaintenanceWindow shows them), Enabled, and when it next opens (`next_run`; NULL: never again).
- mw_target: the targets registered with a window (RegisterTargetWithMaintenanceWindow), definition as JSON.
- mw_task: the tasks registered with a window, definition as JSON (GetMaintenanceWindowTask's fields).
- mw_execution: one row per time the window opened (DescribeMaintenanceWindowExecutions); `ends_by` is when its
  Duration runs out, `cutoff_at` when no new task may start (both already scaled by the test clock).
- mw_task_execution: one row per task an execution started, with a snapshot of the task as it was then.
- mw_invocation: one row per target a task ran on (a command, an Automation execution, or a failed attempt).
A ClientToken and the hash of the request it came with are kept on what it created, for idempotent retries.
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "maintenance_windows"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE mw_window (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            definition TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            created_at REAL NOT NULL,
            modified_at REAL NOT NULL,
            next_run REAL,
            client_token TEXT,
            request_hash TEXT
        );
        CREATE INDEX mw_window_owner ON mw_window (account, region, seq);
        CREATE TABLE mw_target (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            window_id TEXT NOT NULL,
            definition TEXT NOT NULL,
            client_token TEXT,
            request_hash TEXT
        );
        CREATE INDEX mw_target_window ON mw_target (window_id, seq);
        CREATE TABLE mw_task (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            window_id TEXT NOT NULL,
            definition TEXT NOT NULL,
            client_token TEXT,
            request_hash TEXT
        );
        CREATE INDEX mw_task_window ON mw_task (window_id, seq);
        CREATE TABLE mw_execution (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            window_id TEXT NOT NULL,
            status TEXT NOT NULL,
            status_details TEXT,
            start_time REAL NOT NULL,
            end_time REAL,
            ends_by REAL NOT NULL,
            cutoff_at REAL NOT NULL,
            cancel_requested INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX mw_execution_window ON mw_execution (window_id, seq);
        CREATE TABLE mw_task_execution (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            execution_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            definition TEXT NOT NULL,
            status TEXT NOT NULL,
            status_details TEXT,
            start_time REAL,
            end_time REAL
        );
        CREATE INDEX mw_task_execution_execution ON mw_task_execution (execution_id, seq);
        CREATE TABLE mw_invocation (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            task_execution_id TEXT NOT NULL,
            execution_id TEXT NOT NULL,
            execution_ref TEXT,
            task_type TEXT NOT NULL,
            parameters TEXT,
            status TEXT NOT NULL,
            status_details TEXT,
            start_time REAL,
            end_time REAL,
            owner_information TEXT,
            window_target_id TEXT,
            target_id TEXT
        );
        CREATE INDEX mw_invocation_task ON mw_invocation (task_execution_id, seq);
        """,
    ),
]
