"""A change request's way to its end, one step at a time, every change committed before it can be seen.

    PendingApproval ─▶ Approved ─▶ Scheduled ─▶ RunbookInProgress ─▶ CompletedWithSuccess | CompletedWithFailure
          │                          (until ScheduledTime)  ▲
          ▼                                   │             │
       Rejected, TimedOut        PendingChangeCalendarOverride ─▶ ChangeCalendarOverrideApproved
                                              └─▶ ChangeCalendarOverrideRejected

- PendingApproval: the template's approval levels (its aws:approve steps) in order, each Waiting for
  SendAutomationSignal (which Automation stores with the step): a level is approved once it has its required
  Approve signals (template.required_approvals), one Reject rejects the request, a level not decided within its
  timeoutSeconds (7 days by default) times the request out. AutoApprove skips this phase.
- Approved, then Scheduled while ScheduledTime is ahead (no ScheduledTime: at once).
- When due, the change calendars the template names are consulted (not for an emergencyChange template): while
  they are CLOSED the request is held in PendingChangeCalendarOverride, with a step of its own (`ChangeCalendar
  Override`, an aws:approve step) that takes Approve/Reject signals from the change freeze approvers; an
  Approve goes on (ChangeCalendarOverrideApproved), a Reject ends it (ChangeCalendarOverrideRejected), and the
  calendar opening lets it go on by itself.
- RunbookInProgress: the runbooks, one after the other, each an Automation execution of its own (its
  ParentAutomationExecutionId is the change request) started through Automation's in-process API; the request
  ends CompletedWithSuccess when every one succeeded, else CompletedWithFailure.

No thread waits for a change request: `sweep` (every SWEEP_SECONDS) moves each unfinished one on from its stored
state, so a restart loses nothing: approvals given, the schedule and the runbook executions are all stored, and
a runbook is started with a ClientToken derived from the request, so starting it again after a crash finds the
execution already started. StopAutomationExecution ends a change request Cancelled (the engine does, and stops
its runbook execution).
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from api_models._runtime import ServiceError
from api_models.automation import StartAutomationExecutionRequest
from emulator.automation import status, storage, variables
from emulator.change_manager import template
from emulator.context import Caller, RequestContext

if TYPE_CHECKING:
    import sqlite3

    from emulator.automation import Automation
    from emulator.change_calendar import ChangeCalendars
    from emulator.documents import ResolvedDocument
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.change_manager")

SUBTYPE = "ChangeRequest"
PENDING_APPROVAL = "PendingApproval"
APPROVED = "Approved"
REJECTED = "Rejected"
SCHEDULED = "Scheduled"
PENDING_OVERRIDE = "PendingChangeCalendarOverride"
OVERRIDE_APPROVED = "ChangeCalendarOverrideApproved"
OVERRIDE_REJECTED = "ChangeCalendarOverrideRejected"
RUNBOOK_IN_PROGRESS = "RunbookInProgress"
COMPLETED_WITH_SUCCESS = "CompletedWithSuccess"
COMPLETED_WITH_FAILURE = "CompletedWithFailure"
OVERRIDE_STEP = "ChangeCalendarOverride"
RUNBOOK_FIELDS = ("DocumentName", "DocumentVersion", "Parameters", "TargetParameterName", "Targets", "TargetMaps",
                  "MaxConcurrency", "MaxErrors")
_TOKENS = uuid.UUID("5b0f8f8e-6a53-4d59-9a1d-0c8e3c1c2b7a")  # namespace of the runbook executions' ClientTokens

REJECTED_BY = "The change request was rejected at {step} by {approver}{comment}"
TIMED_OUT = "Approval step {step} wasn't decided within its timeoutSeconds ({seconds} s)."
OVERRIDE_REJECTED_BY = "The change calendar override was rejected by {approver}{comment}"
HELD = "The change calendar {names} is CLOSED: the change request waits for it to open or for an override."
RUNBOOK_ENDED = "Runbook {name} (execution {id}) ended {status}{detail}"
RUNBOOK_CANT_START = "Runbook {name} can't start: {message}"

Action = tuple[str, Any, Any] | None  # ("run", index, None) or ("end", status, message), done after the commit


def automation_request(runbook: dict[str, Any], client_token: str | None = None) -> StartAutomationExecutionRequest:
    """The StartAutomationExecution request that runs one of a change request's runbooks."""
    fields = {key: runbook[key] for key in RUNBOOK_FIELDS if key in runbook}
    if client_token is not None:
        fields["ClientToken"] = client_token
    return StartAutomationExecutionRequest.model_validate(fields)


class ChangeRequestFlow:
    def __init__(self, services: Services, *, automation: Automation, calendars: ChangeCalendars,
                 changed: Callable[[int], None]) -> None:
        self.db = services.db
        self.clock = services.clock
        self.automation = automation
        self.engine = automation.engine
        self.calendars = calendars
        self.changed = changed  # a change request (its seq) started or may have moved: Change Manager reports it

    # --- a new change request ------------------------------------------------------------------------------
    def create(self, ctx: RequestContext, document: ResolvedDocument, values: dict[str, Any],
               change_template: template.ChangeTemplate, request: dict[str, Any], token: str | None,
               fingerprint: str) -> str:
        steps = [] if request["AutoApprove"] else list(change_template.approval_steps)
        now = self.clock.time()
        new = storage.NewExecution(
            id=str(uuid.uuid4()), account=ctx.account_id, region=ctx.region, document_name=document.name,
            document_version=document.version, document=json.dumps({"mainSteps": steps, "outputs": []}),
            parameters=json.dumps(values), mode="Auto", status=PENDING_APPROVAL if steps else APPROVED,
            started_at=now, executed_by=ctx.caller.arn, next_step=None, client_token=token,
            request_hash=fingerprint, automation_subtype=SUBTYPE, change_request=json.dumps(request),
        )
        with self.db.write() as conn:
            seq = storage.create(conn, new, steps)
            if steps:
                self._open(conn, storage.by_seq(conn, seq), 0, now)
        self.changed(seq)
        return new.id

    # --- the sweep -----------------------------------------------------------------------------------------
    def sweep(self) -> None:
        with self.db.read() as conn:
            seqs = [r["seq"] for r in storage.unfinished_of_subtype(conn, SUBTYPE)]
        for seq in seqs:
            try:
                self.advance(seq)
            except Exception:
                log.exception("change request %s could not go on", seq)

    def advance(self, seq: int) -> None:
        """Move one change request on from where it stands (at most one phase per call)."""
        with self.engine.lock:
            with self.db.write() as conn:
                row = storage.by_seq(conn, seq)
                if row is None or row["done"] or row["cancel_requested"]:
                    return
                request = json.loads(row["change_request"])
                action = self._next(conn, row, request, self.clock.time())
        self.changed(seq)  # tells only of what changed since it last told (signals taken count)
        if action is None:
            return
        if action[0] == "end":
            self.engine.finish(seq, action[1], action[2])
        else:
            self._start_runbook(seq, action[1])

    def _next(self, conn: sqlite3.Connection, row: sqlite3.Row, request: dict[str, Any], now: float) -> Action:
        phase = row["status"]
        if phase == PENDING_APPROVAL:
            return self._approvals(conn, row, now)
        if phase in (APPROVED, SCHEDULED):
            due = request.get("ScheduledTime")
            if due is not None and now < due:
                if phase != SCHEDULED:
                    storage.update_execution(conn, row["seq"], status=SCHEDULED)
                return None
            return self._calendar_gate(conn, row, request, now)
        if phase == PENDING_OVERRIDE:
            return self._override(conn, row, request, now)
        if phase == OVERRIDE_APPROVED:
            return self._runbooks_begin(conn, row)
        if phase == RUNBOOK_IN_PROGRESS:
            return self._runbook_progress(conn, row, request)
        return None

    # --- approvals -----------------------------------------------------------------------------------------
    def _open(self, conn: sqlite3.Connection, row: sqlite3.Row, position: int, now: float) -> None:
        """An approval step starts waiting for its signals."""
        step = storage.step(conn, row["seq"], position)
        assert step is not None
        inputs = self._inputs(row, json.loads(step["definition"]), now)
        storage.update_step(conn, row["seq"], position, status=status.WAITING, started_at=now, attempt=1,
                            inputs=json.dumps(inputs, default=str))
        storage.update_execution(conn, row["seq"], current_step=step["name"], current_action=step["action"])

    def _inputs(self, row: sqlite3.Row, definition: dict[str, Any], now: float) -> dict[str, Any]:
        # global:DATE/DATE_TIME are those of the substitution, when the approval level opens, as in a runbook
        system = variables.system_variables(row["id"], row["document_name"], row["account"], row["region"],
                                            datetime.fromtimestamp(now, timezone.utc))
        scope = variables.Scope(json.loads(row["parameters"]), {}, system, None)
        raw = definition.get("inputs") or {}
        try:
            resolved = variables.resolve(raw, scope)
        except variables.Unresolved:
            resolved = raw
        return resolved if isinstance(resolved, dict) else {}

    def _approvals(self, conn: sqlite3.Connection, row: sqlite3.Row, now: float) -> Action:
        seq = row["seq"]
        step = storage.running_step(conn, seq)
        if step is None:
            return self._next_level(conn, row, -1, now)
        definition = json.loads(step["definition"])
        signals = json.loads(step["signals"])
        rejection = next((s for s in signals if s["SignalType"] == "Reject"), None)
        if rejection is not None:
            message = REJECTED_BY.format(step=step["name"], approver=rejection.get("Approver"),
                                         comment=_comment(rejection))
            self._decide(conn, seq, step, status.FAILED, "Rejected", signals, message, now)
            return ("end", REJECTED, message)
        approvals = sum(1 for s in signals if s["SignalType"] == "Approve")
        if approvals >= template.required_approvals(json.loads(step["inputs"] or "{}")):
            self._decide(conn, seq, step, status.SUCCESS, "Approved", signals, None, now)
            return self._next_level(conn, row, step["position"], now)
        seconds = template.timeout_seconds(definition)
        if now >= (step["started_at"] or now) + seconds:
            message = TIMED_OUT.format(step=step["name"], seconds=seconds)
            # aws:approve reads Waiting when no verdict came before the step ended, as the runbook action does
            self._decide(conn, seq, step, status.TIMED_OUT, "Waiting", signals, message, now)
            return ("end", status.TIMED_OUT, message)
        return None

    def _next_level(self, conn: sqlite3.Connection, row: sqlite3.Row, after: int, now: float) -> Action:
        pending = [s for s in storage.steps(conn, row["seq"]) if s["position"] > after and s["status"] == "Pending"]
        if pending:
            self._open(conn, row, pending[0]["position"], now)
        else:
            storage.update_execution(conn, row["seq"], status=APPROVED, current_step=None, current_action=None)
        return None

    def _decide(self, conn: sqlite3.Connection, seq: int, step: sqlite3.Row, ended: str, verdict: str,
                signals: list[dict[str, Any]], message: str | None, now: float,
                extra: dict[str, Any] | None = None) -> None:
        outputs = {"ApprovalStatus": verdict, "ApproverDecisions": [_decision(s) for s in signals], **(extra or {})}
        storage.update_step(conn, seq, step["position"], status=ended, ended_at=now, outputs=json.dumps(outputs),
                            failure_message=message, failure_type="Action" if message else None)

    # --- the change calendar -------------------------------------------------------------------------------
    def _calendar_gate(self, conn: sqlite3.Connection, row: sqlite3.Row, request: dict[str, Any],
                       now: float) -> Action:
        names = request.get("Calendars") or []
        if not names or request.get("Emergency") or self._open_calendar(row, names):
            return self._runbooks_begin(conn, row)
        definition = {"name": OVERRIDE_STEP, "action": template.APPROVE,
                      "inputs": {"Message": HELD.format(names=", ".join(names)), "MinRequiredApprovals": 1}}
        position = storage.add_step(conn, row["seq"], str(uuid.uuid4()), definition, None)
        storage.update_step(conn, row["seq"], position, status=status.WAITING, started_at=now, attempt=1,
                            inputs=json.dumps(definition["inputs"]))
        storage.update_execution(conn, row["seq"], status=PENDING_OVERRIDE, current_step=OVERRIDE_STEP,
                                 current_action=template.APPROVE)
        return None

    def _open_calendar(self, row: sqlite3.Row, names: list[str]) -> bool:
        try:
            return self.calendars.state(row["account"], row["region"], names).is_open
        except ServiceError as e:  # deleted or changed since the request was made: hold, and say why
            log.warning("change request %s: its change calendar can't be read: %s", row["id"], e.message)
            return False

    def _override(self, conn: sqlite3.Connection, row: sqlite3.Row, request: dict[str, Any], now: float) -> Action:
        seq = row["seq"]
        step = storage.running_step(conn, seq)
        signals = json.loads(step["signals"]) if step is not None else []
        rejection = next((s for s in signals if s["SignalType"] == "Reject"), None)
        if step is not None and rejection is not None:
            message = OVERRIDE_REJECTED_BY.format(approver=rejection.get("Approver"), comment=_comment(rejection))
            self._decide(conn, seq, step, status.FAILED, "Rejected", signals, message, now)
            return ("end", OVERRIDE_REJECTED, message)
        if step is not None and any(s["SignalType"] == "Approve" for s in signals):
            self._decide(conn, seq, step, status.SUCCESS, "Approved", signals, None, now)
            storage.update_execution(conn, seq, status=OVERRIDE_APPROVED, current_step=None, current_action=None)
            return None
        if self._open_calendar(row, request.get("Calendars") or []):
            if step is not None:
                self._decide(conn, seq, step, status.SUCCESS, "NotRequired", signals, None, now,
                             {"CalendarState": "OPEN"})
            return self._runbooks_begin(conn, row)
        return None

    # --- the runbooks --------------------------------------------------------------------------------------
    def _runbooks_begin(self, conn: sqlite3.Connection, row: sqlite3.Row) -> Action:
        storage.update_execution(conn, row["seq"], status=RUNBOOK_IN_PROGRESS, current_step=None,
                                 current_action=None)
        return ("run", 0, None)

    def _runbook_progress(self, conn: sqlite3.Connection, row: sqlite3.Row, request: dict[str, Any]) -> Action:
        started = request.get("RunbookExecutions") or []
        if not started:
            return ("run", 0, None)  # stopped before the first one was recorded: starting it again finds it
        child = storage.by_any_id(conn, started[-1])
        runbook = request["Runbooks"][len(started) - 1]
        if child is None:
            return ("end", COMPLETED_WITH_FAILURE, RUNBOOK_ENDED.format(
                name=runbook["DocumentName"], id=started[-1], status="(it no longer exists)", detail=""))
        if not child["done"]:
            return None
        if child["status"] != status.SUCCESS:
            detail = f": {child['failure_message']}" if child["failure_message"] else ""
            return ("end", COMPLETED_WITH_FAILURE, RUNBOOK_ENDED.format(
                name=runbook["DocumentName"], id=child["id"], status=child["status"], detail=detail))
        if len(started) < len(request["Runbooks"]):
            return ("run", len(started), None)
        return ("end", COMPLETED_WITH_SUCCESS, None)

    def _start_runbook(self, seq: int, index: int) -> None:
        with self.db.read() as conn:
            row = storage.by_seq(conn, seq)
        if row is None or row["done"]:
            return
        request = json.loads(row["change_request"])
        runbook = request["Runbooks"][index]
        ctx = RequestContext(Caller(row["account"], row["region"], None, row["executed_by"]), "change-manager")
        token = str(uuid.uuid5(_TOKENS, f"{row['id']}/{index}"))
        try:
            child_id = self.automation.start_execution(ctx, automation_request(runbook, token), parent_id=row["id"])
        except ServiceError as e:
            self.engine.finish(seq, COMPLETED_WITH_FAILURE,
                               RUNBOOK_CANT_START.format(name=runbook["DocumentName"], message=e.message))
            return
        with self.engine.lock:
            with self.db.write() as conn:
                row = storage.by_seq(conn, seq)
                stopped = row is None or bool(row["done"]) or bool(row["cancel_requested"])
                if row is not None and not row["done"]:
                    request = json.loads(row["change_request"])
                    request["RunbookExecutions"] = request["RunbookExecutions"][:index] + [child_id]
                    storage.update_execution(conn, seq, change_request=json.dumps(request))
        if stopped:  # StopAutomationExecution came in while the runbook started
            try:
                self.automation.stop_execution(ctx, child_id)
            except ServiceError:
                pass


def _comment(signal: dict[str, Any]) -> str:
    return f": {signal['Comment']}" if signal.get("Comment") else ""


def _decision(signal: dict[str, Any]) -> dict[str, Any]:
    decided = datetime.fromtimestamp(signal.get("Time", 0), timezone.utc).isoformat()
    return {"Approver": signal.get("Approver"), "Decision": signal["SignalType"], "ApprovalDecisionTime": decided,
            **({"Comment": signal["Comment"]} if signal.get("Comment") else {})}
