"""Applying associations: the scheduler that finds what is due, and the runs (association executions) that
apply an association to its targets for real.

A Command document runs through Run Command (an in-process SendCommand whose Comment names the association);
an Automation runbook through the Automation engine (AutomationTargetParameterName and Targets passed on). Each
run is an association execution with one target per instance (or per Automation execution); each instance's
latest result is its association status (DescribeInstanceAssociationsStatus), and the association's overview
counts them.

Durable: when an association next falls due is stored (`next_run`), so schedules go on after a restart. A run
the emulator was in the middle of when it stopped ends Failed (its commands may have finished unseen); the
association is applied again when it next falls due. While a run goes on, its instances' status is InProgress.

Duration (hours; with ApplyOnlyAtCronInterval, as AWS applies it) bounds a run: when it is up, the run's commands
are cancelled (CancelCommand) or its runbook execution stopped, and the run ends with what they ended as. The
test clock (schedule_scale) divides it as it divides rate intervals.

A run that falls due while one of the association's change calendars (CalendarNames) is CLOSED waits until they
are all OPEN, then runs.

Instances that come to match an association's targets later (registered, tagged, back online) get it applied
by the sweep, which looks for Online instances the association has no status for. Instances that are not Online
are left for that sweep: a command to an offline instance would wait up to an hour for it.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api_models.automation import StartAutomationExecutionRequest
from api_models.errors import InvalidAutomationStatusUpdateException
from api_models.run_command import CancelCommandRequest, ListCommandInvocationsRequest, SendCommandRequest
from emulator.background import WorkerPool
from emulator.context import Caller, RequestContext
from emulator.listeners import Listeners
from emulator.state_manager import schedule, storage

if TYPE_CHECKING:
    from emulator.automation import Automation
    from emulator.change_calendar import ChangeCalendars
    from emulator.managed_instances import ManagedInstances
    from emulator.run_command import RunCommand
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.state_manager")

SWEEP_SECONDS = 0.5
POLL_SECONDS = 0.3
RUN_WORKERS = 16
COMMAND_BATCH = 50  # SendCommand's InstanceIds take at most 50
RUNNING = ("Pending", "InProgress", "Delayed", "Cancelling")
COMMENT = "State Manager association {id}"


@dataclass(frozen=True)
class Outcome:
    """One resource's result in a run."""
    resource_id: str
    resource_type: str
    status: str  # Success | Failed
    detailed: str
    output_id: str | None
    output_type: str | None
    summary: str = ""
    error_code: str = ""


@dataclass(frozen=True)
class FailedRun:
    """An association run that ended Failed, as its listeners are told of it."""
    account: str
    region: str
    association_id: str
    association_name: str | None
    document_name: str
    execution_id: str
    failed_resources: tuple[str, ...]


def context(account: str, region: str) -> RequestContext:
    return RequestContext(Caller(account, region, None, f"arn:aws:iam::{account}:root"), "state-manager")


def first_run(sched: schedule.Schedule | None, definition: dict[str, Any], now: float, scale: float) -> float | None:
    """When a new (or updated) association is first applied: at once, unless ApplyOnlyAtCronInterval holds it
    to its schedule; an at() schedule only at its time."""
    if sched is None:
        return now
    if sched.kind == "at" or definition.get("ApplyOnlyAtCronInterval"):
        return next_run(sched, definition, now, scale)
    return now


def next_run(sched: schedule.Schedule | None, definition: dict[str, Any], now: float, scale: float) -> float | None:
    if sched is None:
        return None
    due = sched.next_after(now, scale)
    if due is not None and sched.kind == "cron" and definition.get("ScheduleOffset"):
        due += int(definition["ScheduleOffset"]) * 86400
    return due


class AssociationRunner:
    def __init__(self, services: Services, *, instances: ManagedInstances, run_command: RunCommand,
                 automation: Automation, calendars: ChangeCalendars, compliance: Any = None) -> None:
        self.db = services.db
        self.clock = services.clock
        self.background = services.background
        self.scale = services.config.schedule_scale
        self.instances = instances
        self.run_command = run_command
        self.automation = automation
        self.calendars = calendars
        self.compliance = compliance
        # Told of each run that ends Failed: (account, region, association row, the run's execution ID).
        self.failed = Listeners[FailedRun]("association run")
        self._pool: WorkerPool | None = None
        # Instances an association is to be applied to again once its current run ends (aws:refreshAssociation
        # while it runs): association ID -> instance IDs.
        self._again: dict[str, set[str]] = {}
        self._again_lock = threading.Lock()

    def start(self) -> None:
        with self.db.write() as conn:
            storage.interrupt_executions(conn, self.clock.time())
            storage.release_all(conn)
        self._pool = self.background.workers(RUN_WORKERS, "ssm-association")
        self.background.every(SWEEP_SECONDS, self.sweep, "associations")

    # --- the scheduler -----------------------------------------------------------------------------------------
    def sweep(self) -> None:
        now = self.clock.time()
        with self.db.read() as conn:
            due = storage.due(conn, now)
        for row in due:
            definition = json.loads(row["definition"])
            if self._held(row, definition):
                continue
            sched = schedule.parse(definition["ScheduleExpression"]) if definition.get("ScheduleExpression") else None
            self._launch(row, next_run(sched, definition, now, self.scale), None)
        with self.db.read() as conn:
            idle = [r for r in storage.every(conn) if not r["running"] and r["document_type"] == "Command"]
        for row in idle:
            definition = json.loads(row["definition"])
            held_to_schedule = definition.get("ApplyOnlyAtCronInterval") or str(
                definition.get("ScheduleExpression", "")).startswith("at(")
            if row["last_execution"] is None and held_to_schedule:
                continue  # not applied before its time: its first run covers every instance
            with self.db.read() as conn:
                applied = storage.applied_instances(conn, row["id"])
            try:
                fresh = [i for i in self._instances(row) if i not in applied]
            except Exception:  # targets that no longer resolve (e.g. a resource group) are reported by runs
                continue
            if fresh and not self._held(row, definition):
                self._launch(row, None, fresh)

    def _held(self, row: Any, definition: dict[str, Any]) -> bool:
        """True while a change calendar of the association is CLOSED (or can't be read): its run waits."""
        names = definition.get("CalendarNames")
        if not names:
            return False
        try:
            return self.calendars.state(row["account"], row["region"], names).state != "OPEN"
        except Exception as e:
            log.warning("association %s: its change calendars can't be read: %s", row["id"], e)
            return True

    def apply_now(self, row: Any, instance_ids: list[str]) -> str:
        """Apply the association to these instances now, its schedule left as it is (aws:refreshAssociation):
        "applied", "queued" (it runs already: applied again when that run ends) or "held" (a closed change
        calendar)."""
        if self._held(row, json.loads(row["definition"])):
            return "held"
        with self._again_lock:
            if self._launch(row, None, instance_ids):
                return "applied"
            self._again.setdefault(row["id"], set()).update(instance_ids)
            return "queued"

    def _launch(self, row: Any, next_due: float | None, only: list[str] | None) -> bool:
        """Run the association (on `only`, new targets, leaving its schedule; else on all, next due `next_due`);
        False when it is running already."""
        with self.db.write() as conn:
            if not storage.claim(conn, row["id"], next_due, reschedule=only is None):
                return False
        assert self._pool is not None
        self._pool.submit(self._run, row["id"], only)
        return True

    def _instances(self, row: Any) -> list[str]:
        """The Online managed instances the association targets now."""
        definition = json.loads(row["definition"])
        ctx = context(row["account"], row["region"])
        if row["instance_id"]:
            found = self.instances.get(ctx, row["instance_id"])
            chosen = [found] if found is not None else []
        else:
            chosen = self.instances.select(ctx, targets=definition.get("Targets") or [])
        return [i.instance_id for i in chosen if i.online]

    # --- a run -------------------------------------------------------------------------------------------------
    def _run(self, association_id: str, only: list[str] | None) -> None:
        try:
            with self.db.read() as conn:
                row = storage.any_by_id(conn, association_id)
            if row is not None:
                self._apply(row, only)
        except Exception:
            log.exception("association %s: a run failed", association_id)
        finally:
            with self._again_lock:
                with self.db.write() as conn:
                    storage.release(conn, association_id)
                    row = storage.any_by_id(conn, association_id)
                again = self._again.pop(association_id, None)
                if again and row is not None:
                    self._launch(row, None, sorted(again))

    def _apply(self, row: Any, only: list[str] | None) -> None:
        definition = json.loads(row["definition"])
        execution_id = str(uuid.uuid4())
        started = self.clock.time()
        automation = row["document_type"] == "Automation"
        ids: list[str] = []
        if not automation:
            try:
                ids = only if only is not None else self._instances(row)
            except Exception as e:  # an InvalidTarget that appeared since (the model checked it at creation)
                log.warning("association %s: targets don't resolve: %s", row["id"], e)
                ids = []
            if not ids:
                return  # nothing to apply it to now; the sweep applies it when instances come
        document_version = definition.get("DocumentVersion") or "$DEFAULT"
        with self.db.write() as conn:
            storage.add_execution(conn, execution_id, row["id"], row["version"], started)
            for instance_id in ids:
                storage.put_instance_status(conn, row["id"], instance_id, row["version"], document_version,
                                            "InProgress", "InProgress", "InProgress", "", started)
        ctx = context(row["account"], row["region"])
        deadline = self._deadline(definition, started)
        try:
            outcomes = (self._automation(ctx, row, definition, deadline) if automation
                        else self._command(ctx, row, definition, ids, deadline))
        except Exception as e:
            log.warning("association %s: run %s failed: %s", row["id"], execution_id, e)
            outcomes = [Outcome(i, "ManagedInstance", "Failed", "Failed", None, None,
                                summary=str(getattr(e, "message", e))[:512] or "Failed") for i in ids]
            if automation:
                outcomes = []
        ended = self.clock.time()
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        status = "Failed" if counts.get("Failed") or (automation and not outcomes) else "Success"
        with self.db.write() as conn:
            if storage.any_by_id(conn, row["id"]) is None:
                return  # deleted while it ran
            for o in outcomes:
                storage.put_target(conn, execution_id, o.resource_id, o.resource_type, o.status, o.detailed, ended,
                                   o.output_id, o.output_type)
                if o.resource_type == "ManagedInstance":
                    storage.put_instance_status(conn, row["id"], o.resource_id, row["version"], document_version,
                                                o.status, o.detailed, o.summary or o.detailed, o.error_code, ended)
            storage.end_execution(conn, execution_id, status, status, counts, ended)
            overall = storage.status_counts(conn, row["id"]) if not automation else counts
            overview = "Failed" if overall.get("Failed") or status == "Failed" else "Success"
            storage.set_overview(conn, row["id"], overview, overview, overall, ended, status == "Success")
        if self.compliance is not None and definition.get("SyncCompliance", "AUTO") == "AUTO":
            for o in outcomes:
                if o.resource_type == "ManagedInstance":
                    self.compliance.put_association_compliance(
                        account=row["account"], region=row["region"], instance_id=o.resource_id,
                        association_id=row["id"], document_name=row["name"], document_version=document_version,
                        status="COMPLIANT" if o.status == "Success" else "NON_COMPLIANT", execution_time=ended)
        if status == "Failed":
            self.failed.notify(FailedRun(
                row["account"], row["region"], row["id"], definition.get("AssociationName"), row["name"],
                execution_id, tuple(o.resource_id for o in outcomes if o.status == "Failed")))

    def _deadline(self, definition: dict[str, Any], started: float) -> float | None:
        """When a run must be cancelled: Duration hours on, only for ApplyOnlyAtCronInterval associations."""
        if not definition.get("Duration") or not definition.get("ApplyOnlyAtCronInterval"):
            return None
        return started + definition["Duration"] * 3600 / self.scale

    def _command(self, ctx: RequestContext, row: Any, definition: dict[str, Any], ids: list[str],
                 deadline: float | None) -> list[Outcome]:
        command_ids = []
        for first in range(0, len(ids), COMMAND_BATCH):
            request: dict[str, Any] = {
                "InstanceIds": ids[first:first + COMMAND_BATCH], "DocumentName": row["name"],
                "Comment": COMMENT.format(id=row["id"]),
            }
            for key in ("DocumentVersion", "Parameters", "MaxConcurrency", "MaxErrors"):
                if definition.get(key):
                    request[key] = definition[key]
            sent = self.run_command.send_command(ctx, SendCommandRequest.model_validate(request))
            command_ids.append(sent.Command.CommandId)
        outcomes: list[Outcome] = []
        for command_id in command_ids:
            outcomes.extend(self._wait_command(ctx, command_id, deadline))
        return outcomes

    def _wait_command(self, ctx: RequestContext, command_id: str, deadline: float | None) -> list[Outcome]:
        stop = threading.Event()
        while True:
            if deadline is not None and self.clock.time() >= deadline:
                self.run_command.cancel_command(ctx, CancelCommandRequest.model_construct(
                    CommandId=command_id, InstanceIds=None))
                deadline = None  # cancelled once; now wait for the invocations to end
            invocations: list[Any] = []
            token = None
            while True:
                page = self.run_command.list_command_invocations(ctx, ListCommandInvocationsRequest.model_construct(
                    CommandId=command_id, Details=True, MaxResults=50, NextToken=token, Filters=None,
                    InstanceId=None))
                invocations.extend(page.CommandInvocations or [])
                token = page.NextToken
                if not token:
                    break
            if invocations and all(i.Status not in RUNNING for i in invocations):
                return [_command_outcome(command_id, i) for i in invocations]
            stop.wait(POLL_SECONDS)

    def _automation(self, ctx: RequestContext, row: Any, definition: dict[str, Any],
                    deadline: float | None) -> list[Outcome]:
        request: dict[str, Any] = {"DocumentName": row["name"]}
        for key in ("DocumentVersion", "Parameters", "Targets", "TargetMaps", "MaxConcurrency", "MaxErrors"):
            if definition.get(key):
                request[key] = definition[key]
        if definition.get("AutomationTargetParameterName"):
            request["TargetParameterName"] = definition["AutomationTargetParameterName"]
        execution_id = self.automation.start_execution(ctx, StartAutomationExecutionRequest.model_validate(request))
        ended = self._wait_automation(ctx, execution_id, deadline)
        result = ended.get("status", "Failed")
        return [Outcome(execution_id, "AutomationExecution", "Success" if result == "Success" else "Failed",
                        result, execution_id, "Automation")]


    def _wait_automation(self, ctx: RequestContext, execution_id: str, deadline: float | None) -> dict[str, Any]:
        if deadline is not None:
            timer = threading.Event()
            # wait() returns at the end of the execution or, through `timer`, at the deadline
            alarm = threading.Timer(max(0.0, deadline - self.clock.time()), timer.set)
            alarm.daemon = True
            alarm.start()
            try:
                ended = self.automation.wait(execution_id, timer) or {}
            finally:
                alarm.cancel()  # the run may end long before its Duration: no thread waits on for it
            if ended.get("done"):
                return ended
            try:
                self.automation.stop_execution(ctx, execution_id)
            except InvalidAutomationStatusUpdateException:
                pass  # it ended meanwhile
        return self.automation.wait(execution_id, threading.Event()) or {}


def _command_outcome(command_id: str, invocation: Any) -> Outcome:
    plugins = list(invocation.CommandPlugins or [])
    tally = {"Success": 0, "Failed": 0, "TimedOut": 0, "Skipped": 0}
    error_code = ""
    for plugin in plugins:
        if plugin.StatusDetails == "Skipped":
            tally["Skipped"] += 1
        elif plugin.Status in tally:
            tally[plugin.Status] += 1
        else:
            tally["Failed"] += 1
        if plugin.Status != "Success" and not error_code and plugin.ResponseCode is not None:
            error_code = str(plugin.ResponseCode)[:10]
    n = len(plugins)
    summary = (f"{n} out of {n} plugin{'s' if n != 1 else ''} processed, {tally['Success']} success, "
               f"{tally['Failed']} failed, {tally['TimedOut']} timedout, {tally['Skipped']} skipped. ")
    ok = invocation.Status == "Success"
    return Outcome(invocation.InstanceId, "ManagedInstance", "Success" if ok else "Failed",
                   "Success" if ok else (invocation.StatusDetails or invocation.Status), command_id, "RunCommand",
                   summary=summary, error_code="" if ok else error_code)
