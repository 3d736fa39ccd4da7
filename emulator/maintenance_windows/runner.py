"""Windows that open on their schedule and run their tasks, for real.

Every half second the scheduler opens the enabled windows whose next run has come: an execution whose tasks run
by Priority (lower first; tasks of equal priority side by side), each over its targets (tasks.py). A window that
comes due while its previous execution still runs records a SKIPPED_OVERLAPPING execution instead. No task starts
after the window's cutoff (Duration - Cutoff hours after it opened); when its Duration ends, what still runs is
cancelled and ends TIMED_OUT. An execution that ran out of time (a task left unstarted at the cutoff, or a
CANCEL_TASK task stopped there) ends TIMED_OUT, unless a task failed. CancelMaintenanceWindowExecution cancels the
execution's commands and Automation executions; it ends CANCELLED.

Durable: windows' next runs and every execution, task execution and invocation are rows written before anything
runs. An execution the emulator was in the middle of when it stopped ends FAILED (CANCELLED if a cancel had
been asked for) when it starts again: its commands may have finished unseen. The window opens again at its next
scheduled time; a time missed while the emulator was down is not made up for.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from itertools import groupby
from typing import TYPE_CHECKING, Any

from emulator.background import WorkerPool
from emulator.context import Caller, RequestContext
from emulator.maintenance_windows import schedule, storage
from emulator.maintenance_windows.tasks import Control, Outcome, TaskRun, resolve_window_target

if TYPE_CHECKING:
    from emulator.automation import Automation
    from emulator.managed_instances import ManagedInstances
    from emulator.run_command import RunCommand
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.maintenance_windows")

SWEEP_SECONDS = 0.5
EXECUTION_WORKERS = 8
OVERLAPPING = "The previous execution of this maintenance window was still running."
NO_TASKS = "No tasks to run: the maintenance window has no registered tasks."
TASKS_FAILED = "One or more tasks in the orchestration failed."
PAST_CUTOFF = "The maintenance window reached its cutoff time before every task could start."
CUT_OFF_TASKS = "The maintenance window reached its cutoff time; its CANCEL_TASK tasks still running were stopped."
CANCELLED = "The maintenance window execution was cancelled."
OUT_OF_TIME = "The maintenance window's Duration ended before its tasks did."


def context(account: str, region: str) -> RequestContext:
    return RequestContext(Caller(account, region, None, f"arn:aws:iam::{account}:root"), "maintenance-windows")


class WindowRunner:
    def __init__(self, services: Services, *, instances: ManagedInstances, run_command: RunCommand,
                 automation: Automation) -> None:
        self.db = services.db
        self.clock = services.clock
        self.background = services.background
        self.scale = services.config.schedule_scale
        self.instances = instances
        self.run_command = run_command
        self.automation = automation
        self._controls: dict[str, Control] = {}
        self._lock = threading.Lock()
        self._pool: WorkerPool | None = None

    def start(self) -> None:
        with self.db.write() as conn:
            storage.interrupt(conn, self.clock.time())
        self._pool = self.background.workers(EXECUTION_WORKERS, "ssm-maintenance-window")
        self.background.every(SWEEP_SECONDS, self.sweep, "maintenance-windows")

    def on_reset(self) -> None:
        with self._lock:
            controls = list(self._controls.values())
        for control in controls:  # their rows are gone: stop what they run
            control.halt("CANCELLED")

    def resolve_window_target(self, ctx: RequestContext, definition: dict[str, Any]) -> set[str]:
        return resolve_window_target(self.instances, ctx, definition)

    # --- the scheduler ------------------------------------------------------------------------------------------
    def sweep(self) -> None:
        now = self.clock.time()
        with self._lock:
            controls = list(self._controls.values())
        for control in controls:
            if now >= control.ends_by:
                control.halt("TIMED_OUT")
        with self.db.read() as conn:
            due = storage.due_windows(conn, now)
        for window in due:
            try:
                self.open(window, now)
            except Exception:
                log.exception("maintenance window %s could not open", window["id"])

    def open(self, window: Any, now: float) -> str | None:
        """Open the window (it is due): its execution's ID, or None when another sweep opened it first."""
        definition = json.loads(window["definition"])
        following = schedule.next_opening(definition, window["next_run"], now, self.scale)
        duration, cutoff = schedule.open_for(definition, self.scale)
        execution_id = str(uuid.uuid4())
        with self.db.write() as conn:
            current = storage.any_window(conn, window["id"])
            if current is None or current["next_run"] != window["next_run"]:
                return None
            storage.set_next_run(conn, window["id"], following)
            overlapping = storage.running_execution(conn, window["id"]) is not None
            storage.insert_execution(conn, execution_id, window["id"],
                                     "SKIPPED_OVERLAPPING" if overlapping else "IN_PROGRESS",
                                     OVERLAPPING if overlapping else None, now, now + duration, now + cutoff)
        if not overlapping:
            with self._lock:
                self._controls[execution_id] = Control(ends_by=now + duration, cutoff_at=now + cutoff)
            assert self._pool is not None
            self._pool.submit(self._run, execution_id, window["id"])
        return execution_id

    def cancel(self, execution_id: str) -> None:
        """Cancel a running execution: CANCELLING now, CANCELLED once its commands and runbooks have stopped."""
        with self.db.write() as conn:
            storage.cancelling(conn, execution_id)
        with self._lock:
            control = self._controls.get(execution_id)
        if control is not None:
            control.halt("CANCELLED")

    # --- an execution -------------------------------------------------------------------------------------------
    def _run(self, execution_id: str, window_id: str) -> None:
        with self._lock:
            control = self._controls[execution_id]
        try:
            status, details = self._tasks(execution_id, window_id, control)
        except Exception:
            log.exception("maintenance window execution %s failed", execution_id)
            status, details = "FAILED", "The emulator failed running this execution; see its log."
        finally:
            with self._lock:
                self._controls.pop(execution_id, None)
        with self.db.write() as conn:
            storage.set_status(conn, "execution", execution_id, status, details, end=self.clock.time())

    def _tasks(self, execution_id: str, window_id: str, control: Control) -> tuple[str, str | None]:
        """Run the window's tasks, a priority at a time; the execution's (status, StatusDetails)."""
        with self.db.read() as conn:
            window = storage.any_window(conn, window_id)
            if window is None:
                return "CANCELLED", CANCELLED
            tasks = [(r["id"], json.loads(r["definition"])) for r in storage.members(conn, storage.TASKS, window_id)]
            window_targets = {r["id"]: json.loads(r["definition"])
                              for r in storage.members(conn, storage.TARGETS, window_id)}
        if not tasks:
            return "SUCCESS", NO_TASKS
        ctx = context(window["account"], window["region"])
        outcomes: list[Outcome] = []
        ordered = sorted(tasks, key=lambda t: t[1]["Priority"])
        not_started = False
        for _, group in groupby(ordered, key=lambda t: t[1]["Priority"]):
            if control.stop.is_set():
                break
            if self.clock.time() >= control.cutoff_at:
                not_started = True
                break
            runs = [self._task_run(ctx, window_id, execution_id, task_id, task, window_targets, control)
                    for task_id, task in group]
            threads = [threading.Thread(target=run, daemon=True, name="mw-task") for run in runs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            outcomes.extend(run.outcome for run in runs)
        if control.stop.is_set():
            return control.reason, CANCELLED if control.reason == "CANCELLED" else OUT_OF_TIME
        if any(o.status not in ("SUCCESS", "TIMED_OUT") for o in outcomes):
            return "FAILED", TASKS_FAILED
        if not_started:
            return "TIMED_OUT", PAST_CUTOFF
        if any(o.status == "TIMED_OUT" for o in outcomes):  # a CANCEL_TASK task stopped at the cutoff
            return "TIMED_OUT", CUT_OFF_TASKS
        return "SUCCESS", None

    def _task_run(self, ctx: RequestContext, window_id: str, execution_id: str, task_id: str,
                  task: dict[str, Any], window_targets: dict[str, dict[str, Any]], control: Control) -> _TaskThread:
        task_execution_id = str(uuid.uuid4())
        with self.db.write() as conn:
            storage.insert_task_execution(conn, task_execution_id, execution_id, task_id, task, self.clock.time())
        return _TaskThread(self, TaskRun(
            db=self.db, clock=self.clock, instances=self.instances, run_command=self.run_command,
            automation=self.automation, ctx=ctx, window_id=window_id, execution_id=execution_id,
            task_execution_id=task_execution_id, task=task, window_targets=window_targets, control=control))


class _TaskThread:
    """A task execution run on its own thread, its row updated with how it ended."""

    def __init__(self, runner: WindowRunner, run: TaskRun) -> None:
        self.runner = runner
        self.run_ = run
        self.outcome = Outcome("FAILED", "The task did not run.")

    def __call__(self) -> None:
        try:
            self.outcome = self.run_.run()
        except Exception as e:
            log.exception("maintenance window task execution %s failed", self.run_.task_execution_id)
            self.outcome = Outcome("FAILED", str(e)[:250])
        with self.runner.db.write() as conn:
            storage.set_status(conn, "task", self.run_.task_execution_id, self.outcome.status, self.outcome.details,
                               end=self.runner.clock.time())
