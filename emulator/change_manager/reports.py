"""What Change Manager tells others of a change request (OpsCenter keeps it as an /aws/changerequest OpsItem).

A ChangeRequestReport is the request as it stands, read from the store: it is made and sent whenever the request
starts, its status changes or an approver's signal is taken, and when it ends, whichever way (the flow's end,
StopAutomationExecution). Reports are sent one at a time and each reads the store afresh, so the last one a
listener gets is the request's latest state, whatever thread moved it.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from emulator.automation import storage


@dataclass(frozen=True)
class ChangeRequestReport:
    execution_id: str
    account: str
    region: str
    status: str
    name: str | None              # ChangeRequestName
    template_name: str
    template_version: str | None
    details: str | None           # ChangeDetails, or the template's templateInformation
    requester_arn: str
    approver_arns: tuple[str, ...]  # who signalled Approve or Reject, in order
    runbooks: tuple[dict[str, Any], ...]  # as the request gives them
    runbook_executions: tuple[str, ...]
    scheduled_time: float | None
    scheduled_end_time: float | None
    runbooks_started_at: float | None  # the first runbook execution's start
    ended_at: float | None
    failure_message: str | None
    ops_item_id: str | None       # set once OpsCenter opened the request's OpsItem


def signature(conn: sqlite3.Connection, seq: int) -> tuple[Any, ...]:
    """What a report tells that can change: the status, per approval step its status and the signals it took,
    the runbook executions started and the OpsItem linked."""
    row = storage.by_seq(conn, seq)
    if row is None:
        return ()
    steps = tuple((s["status"], len(json.loads(s["signals"] or "[]"))) for s in storage.steps(conn, seq))
    started = len(json.loads(row["change_request"] or "{}").get("RunbookExecutions") or [])
    return (row["status"], row["done"], steps, started, row["ops_item_id"])


def read(conn: sqlite3.Connection, seq: int) -> ChangeRequestReport | None:
    row = storage.by_seq(conn, seq)
    if row is None or not row["change_request"]:
        return None
    request = json.loads(row["change_request"])
    approvers: list[str] = []
    for step in storage.steps(conn, seq):
        for signal in json.loads(step["signals"] or "[]"):
            if signal.get("SignalType") in ("Approve", "Reject") and signal.get("Approver") not in approvers:
                approvers.append(str(signal.get("Approver")))
    executions = tuple(request.get("RunbookExecutions") or [])
    first = storage.by_any_id(conn, executions[0]) if executions else None
    return ChangeRequestReport(
        execution_id=row["id"], account=row["account"], region=row["region"], status=row["status"],
        name=request.get("ChangeRequestName"), template_name=row["document_name"],
        template_version=row["document_version"], details=request.get("ChangeDetails"),
        requester_arn=row["executed_by"], approver_arns=tuple(approvers),
        runbooks=tuple(request.get("Runbooks") or []), runbook_executions=executions,
        scheduled_time=request.get("ScheduledTime"), scheduled_end_time=request.get("ScheduledEndTime"),
        runbooks_started_at=first["started_at"] if first is not None else None,
        ended_at=row["ended_at"] if row["done"] else None, failure_message=row["failure_message"],
        ops_item_id=row["ops_item_id"],
    )
