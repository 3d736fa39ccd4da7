"""Statuses of plugins, invocations and commands, and how a command's status follows from its invocations.

Every status is a (Status, StatusDetails) pair as the API reports it: Status is the coarse enum of the
model, StatusDetails the finer word (spelled as ListCommands' Status filter takes it: "DeliveryTimedOut",
not "Delivery Timed Out").

Invocations (AWS's "Understanding command statuses"):
- Pending → InProgress → Success | Failed | TimedOut/ExecutionTimedOut (the step outran executionTimeout).
- TimedOut/DeliveryTimedOut: no terminal answer from the "agent" before the deadline: never delivered
  within TimeoutSeconds (instance offline), or the run was lost (instance gone mid-run, emulator restart).
- Cancelling → Cancelled (CancelCommand); Cancelled/Terminated: never sent because the command exceeded
  MaxErrors; Failed/Undeliverable: the instance no longer exists; Failed/InvalidPlatform: the document has
  no step for the instance's platform.

A command (all invocations terminal):
- CancelCommand on the whole command, or every invocation cancelled: Cancelled.
- More Failed + ExecutionTimedOut invocations than MaxErrors allows: Failed (TimedOut/ExecutionTimedOut
  when timeouts are the majority of those errors).
- Every invocation that could run succeeded (Undeliverable/InvalidPlatform ones don't count, AWS's
  "four Undeliverable and one Success is Success"): Success; a command that targeted no instance is
  Success/NoInstancesInTag.
- Only delivery timeouts (besides uncounted ones): TimedOut/DeliveryTimedOut; every one undeliverable or
  on the wrong platform: Failed.
- Otherwise — attempted everywhere, not enough errors to fail, not all Success: Failed/Incomplete (the
  Status enum has no Incomplete; Failed is the word this emulator pairs it with).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

Pair = tuple[str, str]

PENDING: Pair = ("Pending", "Pending")
IN_PROGRESS: Pair = ("InProgress", "InProgress")
SUCCESS: Pair = ("Success", "Success")
FAILED: Pair = ("Failed", "Failed")
EXECUTION_TIMED_OUT: Pair = ("TimedOut", "ExecutionTimedOut")
DELIVERY_TIMED_OUT: Pair = ("TimedOut", "DeliveryTimedOut")
CANCELLING: Pair = ("Cancelling", "Cancelling")
CANCELLED: Pair = ("Cancelled", "Cancelled")
TERMINATED: Pair = ("Cancelled", "Terminated")
UNDELIVERABLE: Pair = ("Failed", "Undeliverable")
INVALID_PLATFORM: Pair = ("Failed", "InvalidPlatform")
# A plugin step whose precondition did not hold: CommandPlugin.Status has no "Skipped".
SKIPPED: Pair = ("Success", "Skipped")
INCOMPLETE: Pair = ("Failed", "Incomplete")
NO_INSTANCES_IN_TAG: Pair = ("Success", "NoInstancesInTag")

ACTIVE_STATUSES = ("Pending", "InProgress", "Delayed", "Cancelling")
TERMINAL_STATUSES = ("Success", "Cancelled", "TimedOut", "Failed")
# Details that count against MaxErrors (ErrorCount).
ERROR_DETAILS = ("Failed", "ExecutionTimedOut")
# Details that neither count against MaxErrors nor decide Success vs Incomplete.
UNCOUNTED_DETAILS = ("Undeliverable", "InvalidPlatform")

# ListCommands' Status filter: the Status enum plus the finer words AWS lists for it.
COMMAND_FILTER_VALUES = frozenset({
    "Pending", "InProgress", "Success", "Cancelled", "Failed", "TimedOut", "Cancelling", "AccessDenied",
    "DeliveryTimedOut", "ExecutionTimedOut", "Incomplete", "NoInstancesInTag", "LimitExceeded",
})
INVOCATION_FILTER_VALUES = frozenset({
    "Pending", "InProgress", "Delayed", "Success", "Cancelled", "Failed", "TimedOut", "Cancelling",
    "AccessDenied", "DeliveryTimedOut", "ExecutionTimedOut", "Undeliverable", "InvalidPlatform", "Terminated",
})

# What a plugin shows when its invocation ends without it having run.
PLUGIN_WHEN_NOT_RUN: dict[Pair, Pair] = {
    CANCELLED: CANCELLED,
    TERMINATED: TERMINATED,
    UNDELIVERABLE: UNDELIVERABLE,
    INVALID_PLATFORM: INVALID_PLATFORM,
    DELIVERY_TIMED_OUT: DELIVERY_TIMED_OUT,
}


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


@dataclass(frozen=True, slots=True)
class Counts:
    completed: int
    errors: int
    delivery_timed_out: int


def counts(invocations: Iterable[Pair]) -> Counts:
    completed = errors = delivery_timed_out = 0
    for status, details in invocations:
        if is_terminal(status):
            completed += 1
        if details in ERROR_DETAILS:
            errors += 1
        elif details == "DeliveryTimedOut":
            delivery_timed_out += 1
    return Counts(completed, errors, delivery_timed_out)


def of_invocation(plugins: Iterable[Pair], *, cancelled: bool = False, lost: bool = False) -> Pair:
    """An invocation's final status from its plugins' (run to the end, or cut short)."""
    if cancelled:
        return CANCELLED
    if lost:
        return DELIVERY_TIMED_OUT
    found = set(plugins)
    if EXECUTION_TIMED_OUT in found:
        return EXECUTION_TIMED_OUT
    if any(status == "Failed" for status, _ in found):
        return FAILED
    return SUCCESS


def of_command(invocations: list[Pair], *, error_limit: int, cancel_requested: bool, targeted: bool) -> Pair:
    """A command's (Status, StatusDetails) from its invocations' pairs."""
    if not invocations:
        return NO_INSTANCES_IN_TAG if targeted else SUCCESS
    by_status = Counter(status for status, _ in invocations)
    active = sum(by_status[s] for s in ACTIVE_STATUSES)
    if active:
        if by_status["Cancelling"] or cancel_requested:
            return CANCELLING
        return PENDING if by_status["Pending"] == len(invocations) else IN_PROGRESS
    by_details = Counter(details for _, details in invocations)
    if cancel_requested or by_details["Cancelled"] == len(invocations):
        return CANCELLED
    failed, timed_out = by_details["Failed"], by_details["ExecutionTimedOut"]
    if failed + timed_out > error_limit:
        return EXECUTION_TIMED_OUT if timed_out > failed else FAILED
    uncounted = sum(by_details[d] for d in UNCOUNTED_DETAILS)
    counted = len(invocations) - uncounted
    if counted == 0:
        return FAILED
    if by_details["Success"] == counted:
        return SUCCESS
    if by_details["DeliveryTimedOut"] == counted:
        return DELIVERY_TIMED_OUT
    return INCOMPLETE
