"""Running one task of an open maintenance window over its targets: one invocation per target (a command through
Run Command, an Automation execution), at most MaxConcurrency at a time, no new one once errors exceed MaxErrors,
the window is cancelled or runs out of time, or (CutoffBehavior CANCEL_TASK) its cutoff passes.

Pseudo-parameters ({{WINDOW_ID}}, {{TARGET_ID}}, ...) in a task's parameters and comment are filled in for each
invocation, as AWS does. LAMBDA and STEP_FUNCTIONS tasks fail: there is no Lambda or Step Functions offline.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api_models.automation import StartAutomationExecutionRequest
from api_models.errors import ServiceError
from api_models.run_command import CancelCommandRequest, GetCommandInvocationRequest, SendCommandRequest
from emulator.context import RequestContext
from emulator.maintenance_windows import storage
from emulator.run_command import rate

if TYPE_CHECKING:
    from emulator.automation import Automation
    from emulator.clock import Clock
    from emulator.managed_instances import ManagedInstances
    from emulator.run_command import RunCommand
    from emulator.store import Database

log = logging.getLogger("ssm_emulator.maintenance_windows")

POLL_SECONDS = 0.3
# Run Command's and Automation's end states (the same words) as a maintenance window records them; any other end
# (Undeliverable, Terminated, ...) is FAILED.
ENDED_STATUS = {"Success": "SUCCESS", "Failed": "FAILED", "TimedOut": "TIMED_OUT", "Cancelled": "CANCELLED"}
COMMAND_RUNNING = ("Pending", "InProgress", "Delayed", "Cancelling")
NOT_OFFLINE = ("{type} tasks can't run in ssm-emulator: there is no {service} offline to invoke {arn} in. "
               "Use a RUN_COMMAND or AUTOMATION task.")
SERVICES = {"LAMBDA": "AWS Lambda", "STEP_FUNCTIONS": "AWS Step Functions"}
MAX_ERRORS_REACHED = "The task stopped starting invocations: errors exceeded MaxErrors ({n})."
NO_TARGETS = "No invocations to execute: the task's targets match no managed instance."
CUT_OFF = "The maintenance window reached its cutoff time; CutoffBehavior is CANCEL_TASK."
OUT_OF_TIME = "The maintenance window's Duration ended before the task did."
CANCELLED = "The maintenance window execution was cancelled."
FAILED_DETAILS = "One or more invocations failed."


@dataclass
class Control:
    """What a running window execution's tasks watch: cancelled (CancelMaintenanceWindowExecution) or out of time
    (its Duration ended), and when its cutoff is."""
    ends_by: float
    cutoff_at: float
    stop: threading.Event = field(default_factory=threading.Event)
    reason: str = ""  # CANCELLED | TIMED_OUT, once `stop` is set

    def halt(self, reason: str) -> None:
        if not self.stop.is_set():
            self.reason = reason
            self.stop.set()


@dataclass(frozen=True)
class Target:
    """One thing a task runs on: a managed instance (None for a targetless task)."""
    instance_id: str | None
    window_target_id: str | None = None
    owner_information: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: str
    details: str | None = None


def resolve_window_target(instances: ManagedInstances, ctx: RequestContext, definition: dict[str, Any]) -> set[str]:
    return {i.instance_id for i in instances.select(ctx, targets=definition.get("Targets") or [])}


class TaskRun:
    """One task execution: its invocations, their statuses, and the task's own status at the end."""

    def __init__(self, *, db: Database, clock: Clock, instances: ManagedInstances, run_command: RunCommand,
                 automation: Automation, ctx: RequestContext, window_id: str, execution_id: str,
                 task_execution_id: str, task: dict[str, Any], window_targets: dict[str, dict[str, Any]],
                 control: Control) -> None:
        self.db, self.clock, self.instances = db, clock, instances
        self.run_command, self.automation = run_command, automation
        self.ctx, self.window_id, self.execution_id = ctx, window_id, execution_id
        self.task_execution_id, self.task, self.window_targets = task_execution_id, task, window_targets
        self.control = control
        self._lock = threading.Lock()
        self._errors = 0
        self._outcomes: list[Outcome] = []

    # --- targets -----------------------------------------------------------------------------------------------
    def targets(self) -> list[Target]:
        """The instances the task runs on now, each once, in the order its targets name them."""
        chosen: dict[str, Target] = {}
        for target in self.task.get("Targets") or []:
            if target.get("Key") == "WindowTargetIds":
                for target_id in target.get("Values") or []:
                    registered = self.window_targets.get(target_id)
                    if registered is None:  # deregistered since (Safe false)
                        continue
                    for instance_id in sorted(resolve_window_target(self.instances, self.ctx, registered)):
                        chosen.setdefault(instance_id, Target(instance_id, target_id,
                                                              registered.get("OwnerInformation")))
            else:
                for instance in self.instances.select(self.ctx, targets=[target]):
                    chosen.setdefault(instance.instance_id, Target(instance.instance_id))
        if not self.task.get("Targets"):
            return [Target(None)]
        return list(chosen.values())

    # --- the run ------------------------------------------------------------------------------------------------
    def run(self) -> Outcome:
        task_type = self.task["TaskType"]
        if task_type in SERVICES:
            details = NOT_OFFLINE.format(type=task_type, service=SERVICES[task_type], arn=self.task["TaskArn"])
            self._record(Target(None), lambda invocation_id, target: Outcome("FAILED", details))
            return Outcome("FAILED", details)
        try:
            targets = self.targets()
        except ServiceError as e:
            return Outcome("FAILED", e.message or e.code)
        if not targets:
            return Outcome("SUCCESS", NO_TARGETS)
        limit = rate.concurrency_limit(self.task["MaxConcurrency"], len(targets))
        error_limit = rate.error_limit(self.task["MaxErrors"], len(targets))
        running: list[threading.Thread] = []
        stopped_for_errors = cut_short = False
        for target in targets:
            while True:
                running = [t for t in running if t.is_alive()]
                if len(running) < limit:
                    break
                running[0].join(POLL_SECONDS)
            with self._lock:
                stopped_for_errors = rate.exceeded(self._errors, error_limit)
            cut_short = self._cut_off()
            if stopped_for_errors or self.control.stop.is_set() or cut_short:
                break
            thread = threading.Thread(target=self._record, args=(target, self._invoke), daemon=True,
                                      name=f"mw-invocation-{self.task_execution_id[:8]}")
            thread.start()
            running.append(thread)
        for thread in running:
            thread.join()
        return self._summary(stopped_for_errors, cut_short, error_limit)

    def _summary(self, stopped_for_errors: bool, cut_short: bool, error_limit: int) -> Outcome:
        """The task's end. A CANCEL_TASK task cut off (a command cancelled, or targets left unstarted) is not
        completed: TIMED_OUT, as AWS records it."""
        if self.control.stop.is_set():
            return Outcome(self.control.reason, CANCELLED if self.control.reason == "CANCELLED" else OUT_OF_TIME)
        statuses = {o.status for o in self._outcomes}
        if stopped_for_errors:
            return Outcome("FAILED", MAX_ERRORS_REACHED.format(n=error_limit))
        if cut_short or ("TIMED_OUT" in statuses and self._cut_off()):
            return Outcome("TIMED_OUT", CUT_OFF)
        if statuses - {"SUCCESS"}:
            return Outcome("FAILED", FAILED_DETAILS)
        return Outcome("SUCCESS")

    def _cut_off(self) -> bool:
        return self.task.get("CutoffBehavior") == "CANCEL_TASK" and self.clock.time() >= self.control.cutoff_at

    def _record(self, target: Target, invoke: Callable[[str, Target], Outcome]) -> None:
        """One invocation: its row first (so it is seen IN_PROGRESS), then its run, then how it ended."""
        invocation_id = str(uuid.uuid4())
        with self.db.write() as conn:
            storage.insert_invocation(conn, {
                "id": invocation_id, "task_execution_id": self.task_execution_id, "execution_id": self.execution_id,
                "task_type": self.task["TaskType"], "status": "IN_PROGRESS", "start_time": self.clock.time(),
                "owner_information": target.owner_information, "window_target_id": target.window_target_id,
                "target_id": target.instance_id})
        try:
            outcome = invoke(invocation_id, target)
        except ServiceError as e:  # the document or its parameters refused now (AWS checks them at run time too)
            outcome = Outcome("FAILED", e.message or e.code)
        except Exception as e:
            log.exception("maintenance window task execution %s: an invocation failed", self.task_execution_id)
            outcome = Outcome("FAILED", str(e)[:250])
        with self.db.write() as conn:
            storage.set_status(conn, "invocation", invocation_id, outcome.status, outcome.details,
                               end=self.clock.time())
        with self._lock:
            self._outcomes.append(outcome)
            if outcome.status != "SUCCESS":
                self._errors += 1

    def _pseudo(self, invocation_id: str, target: Target) -> dict[str, str]:
        return {
            "{{WINDOW_ID}}": self.window_id, "{{WINDOW_EXECUTION_ID}}": self.execution_id,
            "{{TASK_EXECUTION_ID}}": self.task_execution_id, "{{INVOCATION_ID}}": invocation_id,
            "{{TARGET_ID}}": target.instance_id or "", "{{RESOURCE_ID}}": target.instance_id or "",
            "{{TARGET_TYPE}}": "INSTANCE", "{{WINDOW_TARGET_ID}}": target.window_target_id or "",
        }

    def _started(self, invocation_id: str, reference: str, parameters: dict[str, Any]) -> None:
        with self.db.write() as conn:
            storage.set_status(conn, "invocation", invocation_id, "IN_PROGRESS", execution_ref=reference,
                               parameters=json.dumps(parameters))

    def _invoke(self, invocation_id: str, target: Target) -> Outcome:
        fill = self._pseudo(invocation_id, target)
        if self.task["TaskType"] == "RUN_COMMAND":
            return self._command(invocation_id, target, fill)
        return self._automation(invocation_id, fill)

    # --- RUN_COMMAND --------------------------------------------------------------------------------------------
    def _command(self, invocation_id: str, target: Target, fill: dict[str, str]) -> Outcome:
        given = (self.task.get("TaskInvocationParameters") or {}).get("RunCommand") or {}
        request: dict[str, Any] = {k: v for k, v in given.items() if k not in ("Parameters", "Comment")}
        parameters = given.get("Parameters")
        if parameters is None and self.task.get("TaskParameters"):  # the older TaskParameters member
            parameters = {k: v.get("Values") or [] for k, v in self.task["TaskParameters"].items()}
        if parameters:
            request["Parameters"] = _filled(parameters, fill)
        if given.get("Comment"):
            request["Comment"] = _filled(given["Comment"], fill)[:100]
        request.update(InstanceIds=[target.instance_id], DocumentName=self.task["TaskArn"])
        sent = self.run_command.send_command(self.ctx, SendCommandRequest.model_validate(request))
        command_id = sent.Command.CommandId
        self._started(invocation_id, command_id, _lower_camel(request))
        asked = GetCommandInvocationRequest.model_construct(CommandId=command_id, InstanceId=target.instance_id,
                                                            PluginName=None)
        halted = ""
        while True:
            found = self.run_command.get_command_invocation(self.ctx, asked)
            if found.Status not in COMMAND_RUNNING:
                status = ENDED_STATUS.get(found.Status or "", "FAILED")
                if halted and status == "CANCELLED":
                    status = halted
                return Outcome(status, found.StatusDetails)
            if not halted and (self.control.stop.is_set() or self._cut_off()):
                halted = self.control.reason if self.control.stop.is_set() else "TIMED_OUT"
                self.run_command.cancel_command(self.ctx, CancelCommandRequest.model_construct(
                    CommandId=command_id, InstanceIds=None))
            time.sleep(POLL_SECONDS)

    # --- AUTOMATION ---------------------------------------------------------------------------------------------
    def _automation(self, invocation_id: str, fill: dict[str, str]) -> Outcome:
        given = (self.task.get("TaskInvocationParameters") or {}).get("Automation") or {}
        request: dict[str, Any] = {"DocumentName": self.task["TaskArn"]}
        if given.get("DocumentVersion"):
            request["DocumentVersion"] = given["DocumentVersion"]
        if given.get("Parameters"):
            request["Parameters"] = _filled(given["Parameters"], fill)
        execution_id = self.automation.start_execution(self.ctx, StartAutomationExecutionRequest.model_validate(
            request))
        self._started(invocation_id, execution_id, _lower_camel(request))
        # Stopped only when the window is cancelled or out of time: at the cutoff, even a CANCEL_TASK task's
        # running Automation invocations continue (AWS's CutoffBehavior reference); it just starts no more.
        ended = self.automation.wait(execution_id, self.control.stop, poll=POLL_SECONDS)
        halted = ""
        if ended is not None and not ended["done"]:
            halted = self.control.reason
            try:
                self.automation.stop_execution(self.ctx, execution_id)
            except ServiceError:  # it ended in between
                pass
            ended = self.automation.wait(execution_id, threading.Event(), poll=POLL_SECONDS)
        if ended is None:
            return Outcome("FAILED", "The Automation execution vanished.")
        status = ENDED_STATUS.get(ended["status"], "FAILED")
        return Outcome(halted if halted and status == "CANCELLED" else status, ended["status"])


def _filled(value: Any, fill: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in fill.items():
            value = value.replace(name, replacement)
        return value
    if isinstance(value, list):
        return [_filled(v, fill) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, fill) for k, v in value.items()}
    return value


def _lower_camel(request: dict[str, Any]) -> dict[str, Any]:
    """The request an invocation made, as AWS shows an invocation's Parameters (lowerCamelCase keys)."""
    return {k[:1].lower() + k[1:]: v for k, v in request.items()}
