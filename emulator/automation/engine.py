"""The runbook engine: runs an execution's steps one after the other on a bounded pool of threads, every state
change committed before anyone can see it.

    engine.submit(seq)               # run (or go on running) an execution
    engine.cancel(seq)               # StopAutomationExecution: stop what runs
    engine.deliver(seq, pos, signal) # SendAutomationSignal: wake the step waiting for it
    engine.recover()                 # at start-up: take every unfinished execution up again

Flow, as AWS documents it: a step runs its action (ACTIONS, emulator/automation/actions/) with its inputs' {{ }}
filled in, up to `maxAttempts` times while it fails or times out, each attempt within `timeoutSeconds`
(aws:approve: 7 days by default); its declared `outputs` are selected from the action's output. After a step that
succeeded the flow goes to the step aws:branch chose, else nowhere if `isEnd`, else `nextStep`, else the next step
of mainSteps. After a step that failed, timed out or was stopped, `onFailure` decides: Abort (the default) ends the
execution Failed (TimedOut when the step timed out), Continue goes on as after a success, `step:<name>` goes there.
When the flow ends the execution is Success, unless a step that `isCritical` did not succeed: then Failed (TimedOut
if the last one timed out; isCritical defaults to false when onFailure is Continue, else to true).
StopAutomationExecution with Cancel stops the running step (Cancelled) and runs the step's `onCancel` step, if it
names one, before the execution ends Cancelled; with Complete the running step is stopped and the execution ends as
if its flow ended there.

Interactive mode: before every step the execution is Waiting until SendAutomationSignal StartStep names the step
to run (any step of mainSteps); after it the flow proposes the next one (CurrentStepName); when the flow ends the
execution goes on Waiting (no CurrentStepName) until StopAutomationExecution Complete completes it, as AWS's
"Running an automation manually" does. An execution waiting for StartStep holds no thread.

Restarts (recover): every unfinished execution is taken up again. A step that was waiting — aws:approve,
aws:pause, aws:sleep — goes on waiting where it was: its start time, the signals it received (approvals so
far) and its deadline are stored, so a sleep ends when it would have and a timeout still counts from the step's
start. aws:executeAutomation waits again for its child (which went on running: it is an execution too, taken up
on its own), found by the ClientToken the step started it with. aws:loop goes on in the iteration it was in: its
steps that ended stay ended and the flow goes on from the last one, a waiting one goes on waiting. Any other step
that was running when the emulator stopped is not run again (it may have had effects: a command half run): it
fails with "interrupted by an emulator restart" and the execution (or the loop) follows its onFailure.
Interactive executions go on waiting for StartStep; Cancelling ones end Cancelled; rate-control parents go on
starting children.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.automation import selectors, status, storage, variables
from emulator.automation.actions import ACTIONS
from emulator.automation.actions.base import (
    ACTION_FAILURE,
    AutomationServices,
    NestedSteps,
    StepOutcome,
    StepRun,
    failed,
)
from emulator.background import WorkerPool
from emulator.clock import timestamp

if TYPE_CHECKING:
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.automation")

APPROVE_TIMEOUT_SECONDS = 604800  # aws:approve's default timeout: 7 days (AWS)
INTERRUPTED = (
    "Step {name} was interrupted by an emulator restart: a step of {action} that was running is not run again."
)
TIMED_OUT = "Step {name} timed out: it ran longer than its timeoutSeconds ({seconds} s)."
UNRESOLVED = "Step {name} can't start: {{{{ {variable} }}}} can't be resolved (no such parameter, variable or output)."
NO_SUCH_ACTION = "Action {action} isn't supported by ssm-emulator."
STEP_CANCELLED = "Step {name} was cancelled."
NO_STEP = "Step {name} doesn't exist in the runbook."
ABORTED = "Step {name} failed and the execution was aborted (onFailure: Abort)."


@dataclass
class Live:
    """An execution held by a worker. `cancelled` stops the execution (StopAutomationExecution); `stop_step`
    marks the running step's own cancellation (SendAutomationSignal StopStep)."""

    generation: int
    cancelled: threading.Event = field(default_factory=threading.Event)
    run: StepRun | None = None
    position: int | None = None
    stop_step: bool = False
    again: bool = False  # submitted again while held: run once more when the worker lets go


@dataclass
class Execution:
    """An execution's state while a worker drives it."""

    seq: int
    id: str
    account: str
    region: str
    caller_arn: str
    document_name: str
    mode: str
    steps: list[dict[str, Any]]
    parameters: dict[str, Any]
    outputs: dict[str, Any]
    system: dict[str, Any]
    live: Live

    def step(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.steps if s.get("name") == name), None)

    def following(self, name: str) -> str | None:
        names = [s.get("name") for s in self.steps]
        index = names.index(name) if name in names else len(names)
        return names[index + 1] if index + 1 < len(names) else None


@dataclass(frozen=True)
class StepResult:
    status: str
    outcome: StepOutcome
    message: str = ""


class Engine:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.clock = services.clock
        self.background = services.background
        self.workers = services.config.automation_workers
        self.actions: AutomationServices | None = None  # set by the capability once built
        self.ssm_lookup: Callable[[str, str, str], Any] | None = None  # (account, region, name) -> value
        self.on_end: Callable[[sqlite3.Row], None] = lambda row: None  # a child ended: its parent moves on
        self._pool: WorkerPool | None = None
        self._lock = threading.RLock()
        self._live: dict[int, Live] = {}
        self._generation = 0
        self.ended = threading.Condition()  # notified whenever an execution ends (aws:executeAutomation waits)

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._pool = self.background.workers(self.workers, "ssm-automation")

    def on_reset(self) -> None:
        with self._lock:
            self._generation += 1
            held, self._live = list(self._live.values()), {}
        for live in held:
            _cancel(live)

    # --- entry points ----------------------------------------------------------------------------------------
    def submit(self, seq: int) -> None:
        with self._lock:
            held = self._live.get(seq)
            if held is not None:
                held.again = True
                return
            live = Live(self._generation)
            self._live[seq] = live
        if self._pool is None:  # not started (an app built without serving): run inline
            self._work(seq, live)
        else:
            self._pool.submit(self._work, seq, live)

    def cancel(self, seq: int) -> bool:
        """Stop the execution's running step; False when no worker holds the execution (then `submit` it:
        the worker sees cancel_requested and ends it)."""
        with self._lock:
            live = self._live.get(seq)
        if live is None:
            return False
        _cancel(live)
        return True

    def stop_step(self, seq: int, position: int) -> None:
        with self._lock:
            live = self._live.get(seq)
            if live is None or live.position != position or live.run is None:
                return
            live.stop_step = True
            live.run.cancelled.set()

    def deliver(self, seq: int, position: int, signal: dict[str, Any]) -> None:
        """Hand a signal (already stored with its step) to the step's running action. Callers hold `lock`
        while storing it, so a step starting meanwhile either reads it from storage or gets it here."""
        with self._lock:
            live = self._live.get(seq)
            run = live.run if live is not None and live.position == position else None
        if run is not None:
            with run.signalled:
                run.signals.append(signal)
                run.signalled.notify_all()

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def recover(self) -> None:
        """After a restart: see the module docstring. Executions waiting for StartStep need nothing."""
        with self.db.read() as conn:
            rows = storage.unfinished(conn)
        for row in rows:
            if row["resolved_targets"] is not None:
                continue  # rate-control parents: the capability kicks them
            if row["awaiting_start"] and not row["cancel_requested"]:
                continue
            self.submit(row["seq"])

    # --- one execution ---------------------------------------------------------------------------------------
    def _work(self, seq: int, live: Live) -> None:
        try:
            self._drive(seq, live)
        except Exception as e:
            log.exception("automation execution %s failed in the emulator", seq)
            if live.generation == self._generation:
                self._finish(seq, status.FAILED, f"Internal error in ssm-emulator: {e}")
        finally:
            with self._lock:
                again = live.again and self._live.get(seq) is live
                if self._live.get(seq) is live:
                    del self._live[seq]
            if again:
                self.submit(seq)

    def _load(self, row: sqlite3.Row, live: Live) -> Execution:
        document = json.loads(row["document"])
        return Execution(
            seq=row["seq"], id=row["id"], account=row["account"], region=row["region"],
            caller_arn=row["executed_by"], document_name=row["document_name"], mode=row["mode"],
            steps=document.get("mainSteps", []), parameters=json.loads(row["parameters"]),
            outputs=json.loads(row["outputs"]),
            system=variables.system_variables(row["id"], row["document_name"], row["account"], row["region"],
                                              timestamp(row["started_at"])),
            live=live,
        )

    def _drive(self, seq: int, live: Live) -> None:
        with self.db.write() as conn:
            row = storage.by_seq(conn, seq)
            if row is None or row["done"] or row["resolved_targets"] is not None:
                return
            if row["automation_subtype"] is not None and not row["cancel_requested"]:
                return  # a change request: Change Manager drives it (emulator/change_manager/); a stop ends here
            if row["status"] == status.PENDING:
                storage.update_execution(conn, seq, status=status.IN_PROGRESS)
        execution = self._load(row, live)
        if row["cancel_requested"]:
            live.cancelled.set()
        interrupted = self._interrupted_step(execution)
        while live.generation == self._generation:
            with self.db.read() as conn:
                row = storage.by_seq(conn, seq)
            if row is None or row["done"]:
                return
            if live.cancelled.is_set() or row["cancel_requested"]:
                self._end_cancelled(execution, row, None)
                return
            if interrupted is not None:
                result, definition, interrupted = interrupted[0], interrupted[1], None
            else:
                if execution.mode == "Interactive" and row["awaiting_start"]:
                    return  # StartStep submits it again
                name = row["next_step"]
                if name is None:
                    self._end_flow(execution)
                    return
                definition = execution.step(name)
                if definition is None:
                    self._finish(seq, status.FAILED, NO_STEP.format(name=name))
                    return
                result = self._run_step(execution, definition, None)
            if live.cancelled.is_set():
                self._end_cancelled(execution, row, definition)
                return
            following = self._next(execution, definition, result)
            if following is _ABORT:
                ended = status.TIMED_OUT if result.status == status.TIMED_OUT else status.FAILED
                self._finish(seq, ended, result.message or ABORTED.format(name=definition["name"]))
                return
            with self.db.write() as conn:
                fields: dict[str, Any] = {"next_step": following, "current_step": None, "current_action": None,
                                          "status": status.IN_PROGRESS}
                if execution.mode == "Interactive":
                    # Between steps, and after the last (until StopAutomationExecution Complete), it waits (AWS)
                    fields.update(awaiting_start=1, status=status.WAITING, current_step=following)
                storage.update_execution(conn, seq, **fields)

    def _interrupted_step(self, execution: Execution) -> tuple[StepResult, dict[str, Any], None] | None:
        """A step a previous process left running: resumed if its action waits (RESUMABLE_ACTIONS), else
        failed now; in that case (result, definition, None) for the flow to follow."""
        with self.db.write() as conn:
            rows = [r for r in storage.steps(conn, execution.seq) if r["status"] in (status.IN_PROGRESS,
                                                                                     status.WAITING)]
            if not rows:
                return None
            top = next((r for r in rows if r["parent_step"] is None), None)
            now = self.clock.time()
            if top is not None and top["action"] in status.RESUMABLE_ACTIONS:
                inner = [r for r in rows if r is not top]
                if not inner or top["action"] == "aws:loop":
                    # _run_step finds it and goes on; a loop's own step goes on too if it can, else it failed
                    for r in inner:
                        if r["action"] not in status.RESUMABLE_ACTIONS:
                            storage.update_step(conn, execution.seq, r["position"], status=status.FAILED,
                                                ended_at=now, failure_type=ACTION_FAILURE,
                                                failure_message=INTERRUPTED.format(name=r["name"],
                                                                                   action=r["action"]))
                    return None
            for r in rows:
                storage.update_step(conn, execution.seq, r["position"], status=status.FAILED, ended_at=now,
                                    failure_message=INTERRUPTED.format(name=r["name"], action=r["action"]),
                                    failure_type=ACTION_FAILURE)
        if top is None:
            return None
        message = INTERRUPTED.format(name=top["name"], action=top["action"])
        log.warning("automation execution %s: %s", execution.id, message)
        definition = json.loads(top["definition"])
        return StepResult(status.FAILED, failed(message, ACTION_FAILURE), message), definition, None

    def _next(self, execution: Execution, definition: dict[str, Any], result: StepResult) -> Any:
        """The step the flow goes to after `definition` (None: the flow ends; _ABORT: the execution fails)."""
        name = definition["name"]
        if result.status != status.SUCCESS:
            on_failure = str(definition.get("onFailure", "Abort"))
            if on_failure.startswith("step:"):
                return on_failure[5:]
            if on_failure != "Continue":
                return _ABORT
        if result.status == status.SUCCESS and result.outcome.next_step:
            return result.outcome.next_step
        if variables.flag(definition.get("isEnd")):
            return None
        if definition.get("nextStep"):
            return str(definition["nextStep"])
        return execution.following(name)

    # --- one step --------------------------------------------------------------------------------------------
    def _run_step(self, execution: Execution, definition: dict[str, Any],
                  parent: dict[str, Any] | None) -> StepResult:
        seq, name, action = execution.seq, str(definition.get("name")), str(definition.get("action", ""))
        live = execution.live
        now = self.clock.time()
        waiting = action in status.WAITING_ACTIONS
        step_status = status.WAITING if waiting else status.IN_PROGRESS
        with self.db.write() as conn:
            resumed = storage.running_step(conn, seq, top_level=parent is None)
            if resumed is not None and (resumed["name"], _parent_of(resumed)) == (name, parent):
                position, started_at = resumed["position"], resumed["started_at"]
                first_attempt = max(1, resumed["attempt"])
            else:
                resumed = None
                found = storage.unrun_step(conn, seq, name) if parent is None else None
                position = found["position"] if found is not None else storage.add_step(
                    conn, seq, str(uuid.uuid4()), definition, parent)
                started_at, first_attempt = now, 1
                storage.update_step(conn, seq, position, status=step_status, started_at=now, attempt=1)
            row = storage.by_seq(conn, seq)
            if row is not None and row["cancel_requested"]:
                running = status.CANCELLING  # an onCancel step: the execution is stopping (AWS: Cancelling)
            else:
                running = status.WAITING if waiting else status.IN_PROGRESS
            storage.update_execution(conn, seq, current_step=name, current_action=action, status=running)
        handler = ACTIONS.get(action)
        raw_inputs = definition.get("inputs") or {}
        try:
            inputs = raw_inputs if action == "aws:loop" else variables.resolve(raw_inputs, self._scope(execution))
        except variables.Unresolved as e:
            message = UNRESOLVED.format(name=name, variable=e.name)
            return self._end_step(execution, position, definition, status.FAILED, failed(message, ACTION_FAILURE),
                                  raw_inputs, message)
        with self.db.write() as conn:
            storage.update_step(conn, seq, position, inputs=json.dumps(inputs, default=str))
        if handler is None:
            message = NO_SUCH_ACTION.format(action=action)
            return self._end_step(execution, position, definition, status.FAILED, failed(message, ACTION_FAILURE),
                                  inputs, message)
        timeout = variables.integer(definition.get("timeoutSeconds"))
        if timeout is None and action == "aws:approve":
            timeout = APPROVE_TIMEOUT_SECONDS
        max_attempts = max(1, variables.integer(definition.get("maxAttempts")) or 1)
        outcome: StepOutcome = failed("not run")
        ended = status.FAILED
        for attempt in range(first_attempt, max_attempts + 1):
            # Each attempt has timeoutSeconds of its own: a step that times out is retried while it has attempts
            # left (AWS: it "is not considered to have timed out until all retries have been attempted").
            if attempt > first_attempt:
                started_at = self.clock.time()
            deadline = started_at + timeout if timeout is not None else None
            outer = (live.run, live.position)  # a loop's steps run inside the loop's own step
            run = self._attempt(execution, position, name, action, inputs, attempt, deadline, started_at,
                                resuming=resumed is not None and attempt == first_attempt)
            outcome = self._call(handler, run, deadline)
            with self._lock:
                live.run, live.position = outer
                stopped, live.stop_step = live.stop_step, False
            if live.cancelled.is_set() or stopped:
                ended = status.CANCELLED
                outcome = StepOutcome(status.CANCELLED, outcome.outputs, STEP_CANCELLED.format(name=name),
                                      response=outcome.response)
                break
            if deadline is not None and self.clock.time() >= deadline:
                ended = status.TIMED_OUT
                outcome = StepOutcome(status.TIMED_OUT, outcome.outputs,
                                      TIMED_OUT.format(name=name, seconds=timeout), response=outcome.response)
                continue
            ended = outcome.status if outcome.status in status.TERMINAL else status.FAILED
            if ended == status.SUCCESS:
                break
        return self._end_step(execution, position, definition, ended, outcome, inputs, outcome.failure_message)

    def _attempt(self, execution: Execution, position: int, name: str, action: str, inputs: Any, attempt: int,
                 deadline: float | None, started_at: float, resuming: bool = False) -> StepRun:
        assert self.actions is not None
        live = execution.live
        with self._lock:  # signals stored from now on are delivered to this run (deliver)
            with self.db.write() as conn:
                storage.update_step(conn, execution.seq, position, attempt=attempt)
                row = storage.step(conn, execution.seq, position)
            run = StepRun(
                execution_id=execution.id, step_name=name, action=action,
                inputs=inputs if isinstance(inputs, dict) else {}, account_id=execution.account,
                region=execution.region, caller_arn=execution.caller_arn, attempt=attempt, deadline=deadline,
                cancelled=threading.Event(), services=self.actions,
                signals=json.loads(row["signals"]) if row is not None else [],
                started_at=started_at, step_execution_id=row["id"] if row else "",
                nested=Nested(self, execution, name, action, row["id"] if row else "", resuming),
            )
            live.run, live.position = run, position
            if live.cancelled.is_set():
                run.cancelled.set()
        return run

    def _call(self, handler: Callable[[StepRun], StepOutcome], run: StepRun, deadline: float | None) -> StepOutcome:
        timer = None
        if deadline is not None:
            timer = threading.Timer(max(0.0, deadline - self.clock.time()), run.cancelled.set)
            timer.daemon = True
            timer.start()
        try:
            return handler(run)
        except Exception as e:
            log.exception("action %s of step %s failed", run.action, run.step_name)
            return failed(f"{run.action} failed in ssm-emulator: {e}", ACTION_FAILURE)
        finally:
            if timer is not None:
                timer.cancel()

    def _end_step(self, execution: Execution, position: int, definition: dict[str, Any], ended: str,
                  outcome: StepOutcome, inputs: Any, message: str) -> StepResult:
        name = str(definition.get("name"))
        outputs = dict(outcome.outputs)
        if ended == status.SUCCESS:
            for declared in definition.get("outputs") or []:
                if not isinstance(declared, dict) or "Name" not in declared:
                    continue
                try:
                    value = selectors.select(outcome.outputs, str(declared.get("Selector", "$")))
                    outputs[str(declared["Name"])] = variables.convert(value, str(declared.get("Type", "String")))
                except (selectors.NoMatch, ValueError, TypeError):  # SelectorError is a ValueError
                    continue  # AWS leaves an output it can't select out
        for key, value in outputs.items():
            execution.outputs[f"{name}.{key}"] = value
        response = json.dumps(outcome.response) if outcome.response else None
        with self.db.write() as conn:
            storage.update_step(
                conn, execution.seq, position, status=ended, ended_at=self.clock.time(),
                outputs=json.dumps(outputs, default=str) if outputs else None,
                response=response, response_code=_code(outcome.response),
                failure_message=message or None if ended != status.SUCCESS else None,
                failure_type=(outcome.failure_type or "Action") if ended != status.SUCCESS else None,
                next_step=outcome.next_step,
            )
            storage.update_execution(conn, execution.seq, outputs=json.dumps(execution.outputs, default=str))
        return StepResult(ended, outcome, message)

    def _scope(self, execution: Execution) -> variables.Scope:
        lookup = self.ssm_lookup
        ssm = (lambda name: lookup(execution.account, execution.region, name)) if lookup is not None else None
        system = {**execution.system, **variables.dates(self.clock.now())}
        return variables.Scope(execution.parameters, execution.outputs, system, ssm)

    # --- endings ---------------------------------------------------------------------------------------------
    def _end_flow(self, execution: Execution, completed: bool = False) -> None:
        """The flow ended: Success, unless a critical step did not succeed: then Failed, or TimedOut when the last
        such step timed out (AWS, "Handling timeouts in runbooks"). `completed`: StopAutomationExecution Complete
        ended it, and the step it stopped does not count."""
        with self.db.read() as conn:
            rows = storage.steps(conn, execution.seq)
        failures = [r for r in rows if r["status"] in status.UNSUCCESSFUL and _critical(r)
                    and not (completed and r["status"] == status.CANCELLED)]
        if failures:
            last = failures[-1]
            ended = status.TIMED_OUT if last["status"] == status.TIMED_OUT else status.FAILED
            self._finish(execution.seq, ended, last["failure_message"] or ABORTED.format(name=last["name"]))
        else:
            self._finish(execution.seq, status.SUCCESS, None)

    def _end_cancelled(self, execution: Execution, row: sqlite3.Row, definition: dict[str, Any] | None) -> None:
        """StopAutomationExecution took effect: Complete ends as the flow would; Cancel runs onCancel's step."""
        with self.db.read() as conn:
            row = storage.by_seq(conn, execution.seq) or row
        if row["stop_type"] == "Complete":
            self._end_flow(execution, completed=True)
            return
        on_cancel = str((definition or {}).get("onCancel", "Abort"))
        if on_cancel.startswith("step:"):
            cleanup = execution.step(on_cancel[5:])
            if cleanup is not None:
                execution.live.cancelled.clear()  # the cleanup step itself runs (a second Cancel stops it)
                self._run_step(execution, cleanup, None)
        self._finish(execution.seq, status.CANCELLED, None)

    def _finish(self, seq: int, ended: str, message: str | None) -> None:
        now = self.clock.time()
        with self.db.write() as conn:
            row = storage.by_seq(conn, seq)
            if row is None or row["done"]:
                return
            for step_row in storage.steps(conn, seq):
                if step_row["status"] in (status.IN_PROGRESS, status.WAITING):
                    storage.update_step(conn, seq, step_row["position"], status=status.CANCELLED, ended_at=now)
            storage.update_execution(conn, seq, status=ended, ended_at=now, failure_message=message, done=1,
                                     current_step=None, current_action=None, next_step=None, awaiting_start=0)
            row = storage.by_seq(conn, seq)
        assert row is not None
        with self.ended:
            self.ended.notify_all()
        self.on_end(row)

    def finish(self, seq: int, ended: str, message: str | None = None) -> None:
        """End an execution no worker drives (a rate-control parent)."""
        self._finish(seq, ended, message)


class Nested(NestedSteps):
    """aws:loop's access to the engine: resolve placeholders now, run the loop's steps as its children.
    `resuming`: the loop step was running when the emulator stopped, and its iteration goes on where it was."""

    def __init__(self, engine: Engine, execution: Execution, name: str, action: str, step_id: str,
                 resuming: bool = False) -> None:
        self.engine, self.execution, self.name, self.action, self.step_id = engine, execution, name, action, step_id
        self.resuming = resuming

    def resolve(self, value: Any) -> Any:
        return variables.resolve(value, self.engine._scope(self.execution))

    def resumed_iteration(self) -> int:
        if not self.resuming:
            return 0
        with self.engine.db.read() as conn:
            rows = storage.loop_steps(conn, self.execution.seq, self.step_id)
        return max((json.loads(r["parent_step"]).get("Iteration", 0) for r in rows), default=0)

    def _resume_point(self, iteration: int, names: list[str]) -> tuple[int, StepResult | None]:
        """Where an iteration a restart interrupted goes on: the index of its last step, and that step's result
        if it had ended (the flow goes on from it), else None (it runs on: a wait resumes)."""
        with self.engine.db.read() as conn:
            rows = [r for r in storage.loop_steps(conn, self.execution.seq, self.step_id)
                    if json.loads(r["parent_step"]).get("Iteration") == iteration and r["name"] in names]
        if not rows:
            return 0, None
        last = rows[-1]
        if last["status"] in (status.IN_PROGRESS, status.WAITING):
            return names.index(last["name"]), None
        message = last["failure_message"] or ""
        outcome = StepOutcome(last["status"], failure_message=message, failure_type=last["failure_type"] or "",
                              next_step=last["next_step"])
        return names.index(last["name"]), StepResult(last["status"], outcome, message)

    def run(self, steps: list[dict[str, Any]], iteration: int, iterator_value: Any) -> StepOutcome:
        execution = self.execution
        execution.outputs[f"{self.name}.CurrentIteration"] = iteration
        execution.outputs[f"{self.name}.CurrentIteratorValue"] = iterator_value
        parent = {"StepExecutionId": self.step_id, "StepName": self.name, "Action": self.action,
                  "Iteration": iteration}
        if iterator_value is not None:
            parent["IteratorValue"] = variables.text(iterator_value)
        names = [str(s.get("name")) for s in steps]
        index, ended = 0, None
        if self.resuming:
            self.resuming = False
            index, ended = self._resume_point(iteration, names)
        while 0 <= index < len(steps):
            definition = steps[index]
            result = ended if ended is not None else self.engine._run_step(execution, definition, parent)
            ended = None
            if execution.live.cancelled.is_set():
                return StepOutcome(status.CANCELLED)
            if result.status != status.SUCCESS:
                on_failure = str(definition.get("onFailure", "Abort"))
                if on_failure.startswith("step:") and on_failure[5:] in names:
                    index = names.index(on_failure[5:])
                    continue
                if on_failure != "Continue":
                    return StepOutcome(result.status if result.status == status.TIMED_OUT else status.FAILED,
                                       failure_message=result.message, failure_type=result.outcome.failure_type)
            chosen = result.outcome.next_step if result.status == status.SUCCESS else None
            if chosen is None and variables.flag(definition.get("isEnd")):
                break
            chosen = chosen or definition.get("nextStep")
            index = names.index(chosen) if chosen in names else (index + 1 if chosen is None else len(steps))
        return StepOutcome()


_ABORT = object()


def _cancel(live: Live) -> None:
    live.cancelled.set()
    run = live.run
    if run is not None:
        run.cancelled.set()
        with run.signalled:
            run.signalled.notify_all()


def _parent_of(row: sqlite3.Row) -> dict[str, Any] | None:
    return json.loads(row["parent_step"]) if row["parent_step"] else None


def _critical(row: sqlite3.Row) -> bool:
    return variables.critical(json.loads(row["definition"]))


def _code(response: dict[str, Any]) -> str | None:
    code = response.get("ResponseCode") if response else None
    return None if code is None else str(code)
