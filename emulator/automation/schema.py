"""Automation's tables, as migrations (component "automation").

- au_execution: one row per execution (a rate-control parent, its children, aws:executeAutomation's children
  too), with the document version it runs frozen in `document` (JSON: mainSteps and outputs), the typed
  parameter values, the state the engine resumes from (`next_step`, `outputs` of steps so far) and, for a
  rate-control parent, its targets and how far it got (`next_target`).
- au_step: one row per step execution, in the order they were created: every mainStep is there from the start
  (Pending), a step run again (a jump back, a loop's steps) gets a row of its own. `signals` keeps the
  SendAutomationSignal payloads the step received (approvals survive a restart).
- au_preview: StartExecutionPreview's answers.
- (2) au_execution.target_locations: a multi-account/multi-Region parent's TargetLocations, as given (JSON).

`seq` orders executions (newest first in listings) and is what step rows point at.

(3) Change Manager's change requests are executions too (`automation_subtype` 'ChangeRequest'); what
the request asked for and how far it got (runbooks, scheduled times, the runbook executions started) is the JSON
`change_request` (emulator/change_manager/).
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "automation"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE au_execution (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            document_name TEXT NOT NULL,
            document_version TEXT NOT NULL,
            document TEXT NOT NULL,             -- JSON: {"mainSteps": [...], "outputs": [...]}
            parameters TEXT NOT NULL,           -- JSON: typed values, defaults filled in
            mode TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL,
            executed_by TEXT NOT NULL,
            failure_message TEXT,
            current_step TEXT,
            current_action TEXT,
            next_step TEXT,                     -- the step to run next (NULL once the flow has ended)
            outputs TEXT NOT NULL DEFAULT '{}', -- JSON: "step.Output" -> value, every step's so far
            parent_id TEXT,
            target TEXT,                        -- a rate-control child: the target value it runs for
            target_parameter_name TEXT,
            targets TEXT,                       -- JSON list of {Key, Values} or NULL
            target_maps TEXT,                   -- JSON or NULL
            resolved_targets TEXT,              -- JSON list of parameter values (a rate-control parent)
            max_concurrency TEXT,
            max_errors TEXT,
            concurrency_limit INTEGER,
            error_limit INTEGER,
            next_target INTEGER NOT NULL DEFAULT 0,
            stopped INTEGER NOT NULL DEFAULT 0, -- a parent past MaxErrors: no more children
            automation_type TEXT NOT NULL DEFAULT 'Local',
            client_token TEXT,
            request_hash TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            stop_type TEXT,                     -- Cancel or Complete, once StopAutomationExecution was called
            awaiting_start INTEGER NOT NULL DEFAULT 0, -- Interactive: waiting for StartStep
            alarm_configuration TEXT,
            done INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX au_execution_listing ON au_execution (account, region, seq);
        CREATE INDEX au_execution_parent ON au_execution (parent_id) WHERE parent_id IS NOT NULL;
        CREATE UNIQUE INDEX au_execution_token ON au_execution (account, region, client_token)
            WHERE client_token IS NOT NULL;
        CREATE INDEX au_execution_active ON au_execution (seq) WHERE done = 0;

        CREATE TABLE au_step (
            execution_seq INTEGER NOT NULL REFERENCES au_execution (seq) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            id TEXT NOT NULL,                   -- StepExecutionId
            name TEXT NOT NULL,
            action TEXT NOT NULL,
            definition TEXT NOT NULL,           -- JSON: the step as the document declares it
            status TEXT NOT NULL,
            inputs TEXT,                        -- JSON: inputs as resolved
            outputs TEXT,                       -- JSON: name -> value
            response TEXT,
            response_code TEXT,
            failure_message TEXT,
            failure_type TEXT,
            started_at REAL,
            ended_at REAL,
            attempt INTEGER NOT NULL DEFAULT 0,
            next_step TEXT,                     -- where the flow went after it
            signals TEXT NOT NULL DEFAULT '[]',
            parent_step TEXT,                   -- JSON ParentStepDetails (a loop's steps)
            PRIMARY KEY (execution_seq, position)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX au_step_id ON au_step (id);

        CREATE TABLE au_preview (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            status TEXT NOT NULL,
            status_message TEXT,
            ended_at REAL,
            preview TEXT                        -- JSON AutomationExecutionPreview
        ) WITHOUT ROWID;
        """,
    ),
    Migration(2, "ALTER TABLE au_execution ADD COLUMN target_locations TEXT;"),
    Migration(
        3,
        """
        ALTER TABLE au_execution ADD COLUMN automation_subtype TEXT;
        ALTER TABLE au_execution ADD COLUMN change_request TEXT;
        CREATE INDEX au_execution_subtype ON au_execution (automation_subtype, seq)
            WHERE automation_subtype IS NOT NULL AND done = 0;
        """,
    ),
    # (4) the OpsItem an execution was run for (OpsCenter links it through the OpsItem's /aws/automations).
    Migration(4, "ALTER TABLE au_execution ADD COLUMN ops_item_id TEXT;"),
]
