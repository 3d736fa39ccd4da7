"""Automation statuses (AutomationExecutionStatus, shared by executions and steps) and how this emulator uses
them.

An execution: Pending (accepted, not started) → InProgress → Success | Failed | TimedOut | Cancelled, through
Waiting while a step waits for someone (aws:approve, aws:pause, an Interactive execution between steps) and
Cancelling while StopAutomationExecution's Cancel takes effect (the running step is stopped, an onCancel step
runs). A step: Pending → InProgress (Waiting for aws:approve and aws:pause) → Success | Failed | TimedOut |
Cancelled. A rate-control parent is InProgress while its children run.

PendingApproval, Approved, Rejected, Scheduled, RunbookInProgress, the ChangeCalendarOverride ones and
CompletedWithSuccess/Failure belong to Change Manager's change requests, which Change Manager drives rather than
this engine (emulator/change_manager/flow.py); a multi-account/multi-Region parent (TargetLocations) ends Success,
Failed or Cancelled as a rate-control parent does; Exited is not used.
"""
from __future__ import annotations

PENDING = "Pending"
IN_PROGRESS = "InProgress"
WAITING = "Waiting"
SUCCESS = "Success"
TIMED_OUT = "TimedOut"
CANCELLING = "Cancelling"
CANCELLED = "Cancelled"
FAILED = "Failed"

TERMINAL = frozenset({SUCCESS, TIMED_OUT, CANCELLED, FAILED, "Rejected", "ChangeCalendarOverrideRejected",
                      "CompletedWithSuccess", "CompletedWithFailure", "Exited"})
# Step statuses that end a step unsuccessfully (onFailure applies).
UNSUCCESSFUL = frozenset({FAILED, TIMED_OUT, CANCELLED})
ALL = (
    "Pending", "InProgress", "Waiting", "Success", "TimedOut", "Cancelling", "Cancelled", "Failed",
    "PendingApproval", "Approved", "Rejected", "Scheduled", "RunbookInProgress", "PendingChangeCalendarOverride",
    "ChangeCalendarOverrideApproved", "ChangeCalendarOverrideRejected", "CompletedWithSuccess",
    "CompletedWithFailure", "Exited",
)

# Actions whose step waits for a person: the step and the execution are Waiting meanwhile.
WAITING_ACTIONS = frozenset({"aws:approve", "aws:pause"})
# Actions taken up again after an emulator restart: the waits (their state is the step's start time and the
# signals it received, both stored), aws:executeAutomation (its child goes on running; the step finds it again
# by the ClientToken it started it with) and aws:loop (at the iteration it was in). Any other step that was
# running fails (see engine.recover).
RESUMABLE_ACTIONS = frozenset({"aws:approve", "aws:pause", "aws:sleep", "aws:executeAutomation", "aws:loop"})


def is_terminal(status: str) -> bool:
    return status in TERMINAL
