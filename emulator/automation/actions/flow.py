"""Actions that shape a runbook's flow: aws:sleep, aws:pause, aws:approve, aws:branch, aws:loop and
aws:executeAutomation.

aws:pause waits for SendAutomationSignal Resume; aws:approve for Approve/Reject signals (with their Comment):
MinRequiredApprovals approvals approve it (every Approve signal counts: callers of an offline emulator are often
all the same principal, so `Approvers` is accepted but not enforced), one rejection rejects it — the step fails
and its outputs say so (ApprovalStatus, ApproverDecisions). aws:sleep counts from the step's first start, so a
sleep survives a restart of the emulator without starting over.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from api_models._runtime import ServiceError
from api_models.automation import StartAutomationExecutionRequest
from emulator.automation.actions.base import (
    ACTION_FAILURE,
    CANCELLED,
    FAILED,
    SUCCESS,
    StepOutcome,
    StepRun,
    action,
    failed,
)
from emulator.automation.variables import convert, text

SIGNAL_POLL_SECONDS = 0.5  # a timeout sets `cancelled` without a notify: waits wake this often to see it
DEFAULT_MAX_ITERATIONS = 100
ITERATOR_DATA_TYPES = ("Boolean", "Integer", "String", "StringMap")  # aws:loop's IteratorDataType (AWS)
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_SECONDS = {"years": 365 * 86400, "months": 30 * 86400, "weeks": 7 * 86400, "days": 86400, "hours": 3600,
            "minutes": 60, "seconds": 1}
TERMINAL = ("Success", "Failed", "TimedOut", "Cancelled")


# --- aws:sleep ---------------------------------------------------------------------------------------------
def duration_seconds(text: str) -> float | None:
    """An ISO 8601 duration (PT10M, P1DT2H, PT0.5S) in seconds; None if it is not one."""
    found = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if found is None or text.strip() in ("P", "PT"):
        return None
    return sum(float(v) * _SECONDS[k] for k, v in found.groupdict().items() if v is not None)


@action("aws:sleep")
def sleep(run: StepRun) -> StepOutcome:
    start = run.started_at if run.started_at is not None else time.time()
    if "Duration" in run.inputs:
        seconds = duration_seconds(str(run.inputs["Duration"]))
        if seconds is None:
            return failed(f"Duration {run.inputs['Duration']} isn't an ISO 8601 duration (for example PT10M).",
                          ACTION_FAILURE)
        until = start + seconds
    elif "Timestamp" in run.inputs:
        try:
            moment = datetime.fromisoformat(str(run.inputs["Timestamp"]).replace("Z", "+00:00"))
        except ValueError:
            return failed(f"Timestamp {run.inputs['Timestamp']} isn't an ISO 8601 time.", ACTION_FAILURE)
        until = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    else:
        return failed("aws:sleep needs a Duration or a Timestamp.", ACTION_FAILURE)
    remaining = until - time.time()
    if remaining > 0 and run.wait(remaining):
        return StepOutcome(CANCELLED)
    return StepOutcome()


# --- aws:pause and aws:approve ----------------------------------------------------------------------------
def wait_for_signals(run: StepRun, decided: Callable[[list[dict[str, Any]]], Any]) -> Any:
    """Wait until `decided(signals)` is not None (its value), or the step is cancelled or times out (None)."""
    with run.signalled:
        while True:
            verdict = decided(run.signals)
            if verdict is not None:
                return verdict
            if run.cancelled.is_set():
                return None
            left = run.remaining(time.time())
            run.signalled.wait(SIGNAL_POLL_SECONDS if left is None else min(SIGNAL_POLL_SECONDS, left))


@action("aws:pause")
def pause(run: StepRun) -> StepOutcome:
    resumed = wait_for_signals(run, lambda signals: True if any(s["SignalType"] == "Resume" for s in signals)
                               else None)
    return StepOutcome() if resumed else StepOutcome(CANCELLED)


@action("aws:approve")
def approve(run: StepRun) -> StepOutcome:
    try:
        required = max(1, int(run.inputs.get("MinRequiredApprovals", 1)))
    except (TypeError, ValueError):
        return failed("MinRequiredApprovals must be a number.", ACTION_FAILURE)

    def decided(signals: list[dict[str, Any]]) -> str | None:
        if any(s["SignalType"] == "Reject" for s in signals):
            return "Rejected"
        return "Approved" if sum(1 for s in signals if s["SignalType"] == "Approve") >= required else None

    verdict = wait_for_signals(run, decided)
    decisions = [
        {"Approver": s.get("Approver"), "Decision": s["SignalType"],
         "ApprovalDecisionTime": datetime.fromtimestamp(s.get("Time", 0), timezone.utc).isoformat(),
         **({"Comment": s["Comment"]} if s.get("Comment") else {})}
        for s in run.signals
    ]
    # ApprovalStatus is Approved, Rejected or Waiting (for approvers: the step was stopped or timed out first)
    outputs = {"ApprovalStatus": verdict or "Waiting", "ApproverDecisions": decisions}
    if verdict is None:
        return StepOutcome(CANCELLED, outputs)
    if verdict == "Rejected":
        rejection = next(s for s in run.signals if s["SignalType"] == "Reject")
        comment = f": {rejection['Comment']}" if rejection.get("Comment") else ""
        return failed(f"Step {run.step_name} was rejected by {rejection.get('Approver')}{comment}", **outputs)
    return StepOutcome(SUCCESS, outputs)


# --- aws:branch --------------------------------------------------------------------------------------------
class BadChoice(Exception):
    pass


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise BadChoice(f"{value} isn't a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadChoice(f"{value} isn't a number") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadChoice(f"{value} isn't a boolean")


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda v, x: text(v) == text(x),
    "EqualsIgnoreCase": lambda v, x: text(v).lower() == text(x).lower(),
    "StartsWith": lambda v, x: text(v).startswith(text(x)),
    "EndsWith": lambda v, x: text(v).endswith(text(x)),
    "Contains": lambda v, x: text(x) in ([text(i) for i in v] if isinstance(v, list) else text(v)),
    "NumericEquals": lambda v, x: _number(v) == _number(x),
    "NumericGreater": lambda v, x: _number(v) > _number(x),
    "NumericLesser": lambda v, x: _number(v) < _number(x),
    "NumericGreaterOrEquals": lambda v, x: _number(v) >= _number(x),
    "NumericLesserOrEquals": lambda v, x: _number(v) <= _number(x),
    "BooleanEquals": lambda v, x: _boolean(v) == _boolean(x),
}


def holds(choice: dict[str, Any]) -> bool:
    """Whether a choice's condition holds: one operator on its Variable, or And/Or/Not of conditions."""
    if "And" in choice:
        return all(holds(c) for c in _conditions(choice["And"]))
    if "Or" in choice:
        return any(holds(c) for c in _conditions(choice["Or"]))
    if "Not" in choice:
        inner = choice["Not"]
        return not holds(inner[0] if isinstance(inner, list) and len(inner) == 1 else inner)
    operators = [name for name in OPERATORS if name in choice]
    if len(operators) != 1 or "Variable" not in choice:
        raise BadChoice("a choice needs a Variable and exactly one operator "
                        f"({', '.join(OPERATORS)}), or And, Or, Not")
    return OPERATORS[operators[0]](choice["Variable"], choice[operators[0]])


def _conditions(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise BadChoice("And and Or take a list of conditions")
    return value


@action("aws:branch")
def branch(run: StepRun) -> StepOutcome:
    choices = run.inputs.get("Choices")
    if not isinstance(choices, list) or not choices:
        return failed("aws:branch needs Choices.", ACTION_FAILURE)
    try:
        for choice in choices:
            if isinstance(choice, dict) and holds(choice):
                return StepOutcome(next_step=str(choice.get("NextStep")))
    except BadChoice as e:
        return failed(f"Step {run.step_name}: {e}.", ACTION_FAILURE)
    default = run.inputs.get("Default")
    return StepOutcome(next_step=str(default) if default else None)


# --- aws:loop ----------------------------------------------------------------------------------------------
@action("aws:loop")
def loop(run: StepRun) -> StepOutcome:
    """Runs `Steps` once per item of `Iterators` (each of IteratorDataType, String by default), or while
    `LoopCondition` holds (checked after each pass, as it reads what the steps produced), at most MaxIterations
    times. Its inputs arrive unresolved."""
    nested = run.nested
    if nested is None:
        return failed("aws:loop needs the runbook engine.", ACTION_FAILURE)
    steps = run.inputs.get("Steps")
    if not isinstance(steps, list) or not steps:
        return failed("aws:loop needs Steps.", ACTION_FAILURE)
    try:
        maximum = int(nested.resolve(run.inputs.get("MaxIterations", DEFAULT_MAX_ITERATIONS)))
        iterators = nested.resolve(run.inputs["Iterators"]) if "Iterators" in run.inputs else None
    except Exception as e:  # an unresolvable placeholder, a MaxIterations that is no number
        return failed(f"Step {run.step_name}: its inputs can't be resolved ({e}).", ACTION_FAILURE)
    if iterators is not None and not isinstance(iterators, list):
        iterators = [iterators]
    if iterators is not None:
        # Iterators is a StringList whose items are of IteratorDataType (String unless it says otherwise)
        data_type = str(run.inputs.get("IteratorDataType") or "String")
        if data_type not in ITERATOR_DATA_TYPES:
            return failed(f"Step {run.step_name}: IteratorDataType must be one of {', '.join(ITERATOR_DATA_TYPES)}.",
                          ACTION_FAILURE)
        try:
            iterators = [convert(value, data_type) for value in iterators]
        except (TypeError, ValueError):
            return failed(f"Step {run.step_name}: the Iterators are not all of the IteratorDataType {data_type}.",
                          ACTION_FAILURE)
    # After an emulator restart the loop goes on in the iteration it was in (the engine resumes its steps).
    iteration, value = max(0, nested.resumed_iteration() - 1), None
    while iteration < maximum:
        if iterators is not None:
            if iteration >= len(iterators):
                break
            value = iterators[iteration]
        iteration += 1
        outcome = nested.run(steps, iteration, value)
        if outcome.status != SUCCESS:
            return StepOutcome(outcome.status, {"CurrentIteration": iteration, "CurrentIteratorValue": value},
                               outcome.failure_message, outcome.failure_type)
        if iterators is None and "LoopCondition" in run.inputs:
            try:
                if not holds(nested.resolve(run.inputs["LoopCondition"])):
                    break
            except Exception as e:
                return failed(f"Step {run.step_name}: LoopCondition can't be evaluated ({e}).", ACTION_FAILURE)
    outputs: dict[str, Any] = {"CurrentIteration": iteration}
    if value is not None:
        outputs["CurrentIteratorValue"] = value
    return StepOutcome(SUCCESS, outputs)


# --- aws:executeAutomation -------------------------------------------------------------------------------------
CHILD_TOKENS = uuid.UUID("5b0f3c1e-7d2a-4f43-9a51-0c6e2d8b7a11")  # namespace of children's ClientTokens
EXECUTE_INPUTS = ("DocumentName", "DocumentVersion", "TargetParameterName", "Targets", "TargetMaps",
                  "MaxConcurrency", "MaxErrors")


@action("aws:executeAutomation")
def execute_automation(run: StepRun) -> StepOutcome:
    """Starts the child execution (its ParentAutomationExecutionId is this execution) and waits for its end;
    outputs ExecutionId, Status and Output (the values of the child's outputs). A child that does not succeed
    fails the step."""
    automation = run.services.automation
    request = {key: run.inputs[key] for key in EXECUTE_INPUTS if key in run.inputs}
    runtime = run.inputs.get("RuntimeParameters") or {}
    if isinstance(runtime, str):
        try:
            runtime = json.loads(runtime)
        except ValueError:
            return failed("RuntimeParameters must be a map of parameter names to values.", ACTION_FAILURE)
    request["Parameters"] = {k: [text(i) for i in v] if isinstance(v, list) else [text(v)]
                             for k, v in runtime.items()} or None
    # One child per attempt: after an emulator restart the same token answers the child started before, which
    # went on running, and the step waits for it again.
    if run.step_execution_id:
        request["ClientToken"] = str(uuid.uuid5(CHILD_TOKENS, f"{run.step_execution_id}/{run.attempt}"))
    ctx = run.context()
    try:
        child_id = automation.start_execution(
            ctx, StartAutomationExecutionRequest.model_validate({k: v for k, v in request.items() if v is not None}),
            parent_id=run.execution_id)
    except ServiceError as e:
        return failed(f"Step {run.step_name} couldn't start {request.get('DocumentName')}: {e.code}: {e.message}",
                      ACTION_FAILURE)
    except ValueError as e:
        return failed(f"Step {run.step_name}: invalid inputs ({e}).", ACTION_FAILURE)
    child = automation.wait(child_id, run.cancelled) or {}
    if child.get("status") not in TERMINAL:
        try:
            automation.stop_execution(ctx, child_id)
        except ServiceError:
            pass
        return StepOutcome(CANCELLED, {"ExecutionId": child_id, "Status": "Cancelled"})
    # Output is a StringList (AWS): the values of the child's outputs, which a runbook uses as such, e.g. as the
    # instance IDs of a later step
    outputs = {"ExecutionId": child_id, "Status": child["status"],
               "Output": [value for values in (child.get("shown_outputs") or {}).values() for value in values]}
    if child["status"] != SUCCESS:
        return StepOutcome(FAILED, outputs, f"The child execution {child_id} ended {child['status']}"
                           + (f": {child['failure_message']}" if child.get("failure_message") else "."))
    return StepOutcome(SUCCESS, outputs)
