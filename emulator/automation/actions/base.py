"""What an Automation action is to the runbook engine: a function from one step's run to its outcome.

The engine (emulator/automation/engine.py) resolves the step's `inputs` ({{ }} placeholders already filled in),
calls the action registered under the step's `action` name (e.g. "aws:runCommand"), retries it up to
`maxAttempts`, enforces `timeoutSeconds` through `StepRun.deadline`/`cancelled`, then applies the step's
declared `outputs` (Name/Selector/Type) to `StepOutcome.outputs`, the action's raw output. An action that
cannot work offline fails its step with a message naming the action (`unsupported`).

Actions know nothing of HTTP: they reach other capabilities through `AutomationServices`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.context import Caller, RequestContext

# StepExecution.StepStatus values an action may end with (AWS's AutomationExecutionStatus names).
SUCCESS = "Success"
FAILED = "Failed"
TIMED_OUT = "TimedOut"
CANCELLED = "Cancelled"

# FailureDetails.FailureType values, among those the API reference lists (Action, Permission, Throttling,
# Verification, Internal).
VERIFICATION = "Verification"  # the step's own check failed (a command failed, an assertion did not hold)
ACTION_FAILURE = "Action"      # the action itself failed (bad input, an error it met, unsupported here)


@dataclass(frozen=True)
class AutomationServices:
    """The capabilities and services actions use, wired by the app factory (all in-process, no HTTP)."""

    config: Any            # emulator.config.Config
    clock: Any             # emulator.clock.Clock
    documents: Any         # emulator.documents.Documents (library: DocumentLibrary.resolve)
    instances: Any         # emulator.managed_instances.ManagedInstances (registry: backends of instances)
    run_command: Any       # emulator.run_command.RunCommand
    operations: Any        # emulator.operations.OperationTable: any SSM operation, for aws:executeAwsApi
    automation: Any = None  # the Automation capability itself, for aws:executeAutomation (set after building)


@dataclass(frozen=True)
class StepRun:
    """One attempt of one step."""

    execution_id: str
    step_name: str
    action: str
    inputs: dict[str, Any]
    account_id: str
    region: str
    caller_arn: str
    attempt: int                      # 1-based
    deadline: float | None            # clock time by which the step must end (timeoutSeconds), None: none
    cancelled: threading.Event        # set when the execution is stopped (StopAutomationExecution) or times out
    services: AutomationServices
    # Signals for this step (SendAutomationSignal Approve/Reject/Resume/...), in arrival order; the engine
    # appends and notifies `signalled`.
    signals: list[dict[str, Any]] = field(default_factory=list)
    signalled: threading.Condition = field(default_factory=threading.Condition)
    # When the step first started (epoch seconds), kept across retries and emulator restarts: aws:sleep's
    # Duration counts from here, so a sleep interrupted by a restart ends when it would have. None: now.
    started_at: float | None = None
    # For actions that run steps of their own (aws:loop): the engine's way to run them and to resolve {{ }}
    # placeholders later than at the step's start (a LoopCondition reads the outputs of the loop's steps).
    nested: NestedSteps | None = None
    # The step execution's ID (StepExecutionId), the same across retries and emulator restarts.
    step_execution_id: str = ""

    def remaining(self, now: float | None = None) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - (time.time() if now is None else now))

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking early on cancellation; True if cancelled."""
        return self.cancelled.wait(seconds)

    def context(self) -> RequestContext:
        """The request context in-process calls to other capabilities are made with: the execution's caller."""
        caller = Caller(self.account_id, self.region, None, self.caller_arn)
        return RequestContext(caller, f"automation-{self.execution_id}")


class NestedSteps:
    """What the engine lends an action that runs steps itself (aws:loop); see engine.Nested."""

    def resolve(self, value: Any) -> Any:
        """`value` with its {{ }} placeholders filled in from the execution's current state."""
        raise NotImplementedError

    def resumed_iteration(self) -> int:
        """The iteration (1-based) the loop was in when an emulator restart interrupted it; 0: start afresh."""
        return 0

    def run(self, steps: list[dict[str, Any]], iteration: int, iterator_value: Any) -> StepOutcome:
        """Run `steps` (step definitions, as in mainSteps) once, as iteration `iteration` (1-based) of the
        step; their outputs join the execution's. SUCCESS, or the outcome of the step that stopped them."""
        raise NotImplementedError


@dataclass(frozen=True)
class StepOutcome:
    status: str = SUCCESS
    outputs: dict[str, Any] = field(default_factory=dict)  # the action's raw output, for the step's selectors
    failure_message: str = ""
    failure_type: str = ""
    next_step: str | None = None  # aws:branch: the step to go to; the engine otherwise follows the document
    # Response fields AWS shows on the StepExecution for some actions (e.g. aws:runCommand's CommandId)
    response: dict[str, Any] = field(default_factory=dict)


ActionHandler = Callable[[StepRun], StepOutcome]
ACTIONS: dict[str, ActionHandler] = {}


def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register the handler of the action `name` (e.g. "aws:sleep"); grep the name to land here."""

    def register(handler: ActionHandler) -> ActionHandler:
        if name in ACTIONS:
            raise ValueError(f"action {name} is registered twice")
        ACTIONS[name] = handler
        return handler

    return register


def failed(message: str, failure_type: str = VERIFICATION, **outputs: Any) -> StepOutcome:
    return StepOutcome(FAILED, dict(outputs), message, failure_type)


def unsupported(action_name: str, why: str = "it needs AWS services this emulator does not run") -> StepOutcome:
    """The outcome of an action that cannot work offline: the step fails and says which action and why."""
    return failed(f"{action_name} is not supported by ssm-emulator: {why}.", ACTION_FAILURE)
