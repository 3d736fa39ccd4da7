"""Rows to the API's shapes: AutomationExecution, AutomationExecutionMetadata, StepExecution.

Parameters and Outputs are maps of lists of strings, as the API carries them, within the limits the model
states for them (AutomationParameterMap: 200 entries, 50 values an entry, 512 characters a value; a longer value,
such as a command's Output, is cut there). The execution's Outputs are the
ones the runbook's `outputs` declares ("step.Output"); one whose step has not succeeded shows AWS's placeholder
text. A StepExecution's Inputs are its resolved inputs, each as JSON text (AWS shows them so).

A multi-account/multi-Region parent (AutomationType CrossAccount) echoes its TargetLocations; its StepExecutions
are its children, one per account and Region (Action aws:executeAutomation, StepName "<account>:<region>", the
child's ExecutionId in Outputs, TargetLocation the one account and Region), and ProgressCounters count them.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, get_args

from api_models.automation import (
    AutomationExecution,
    AutomationExecutionMetadata,
    FailureDetails,
    ParentStepDetails,
    ProgressCounters,
    ResolvedTargets,
    StepExecution,
    TargetsSummary,
)
from api_models._runtime import Member, _unwrap
from api_models.shared import AlarmConfiguration, Runbook, Target, TargetLocation
from emulator.automation import status
from emulator.automation.variables import as_strings
from emulator.automation.variables import flag as _flag
from emulator.automation.variables import integer as _int
from emulator.clock import timestamp

NO_OUTPUT = "No output available yet because the step is not successfully executed"


def _parameter_map_limits() -> tuple[int, int, int]:
    """AutomationParameterMap's limits as the model states them: entries, values an entry, characters a value."""
    field = StepExecution.model_fields["Outputs"]
    whole = next(m for m in field.metadata if isinstance(m, Member))
    mapping, _ = _unwrap(field.annotation)
    values, entry = _unwrap(get_args(mapping)[1])
    _, value = _unwrap(get_args(values)[0])
    assert entry is not None and value is not None
    return int(whole.max or 0), int(entry.max or 0), int(value.max or 0)


MAX_ENTRIES, MAX_VALUES, MAX_CHARACTERS = _parameter_map_limits()


def _ts(value: float | None) -> Any:
    return None if value is None else timestamp(value)


def _targets(row: sqlite3.Row) -> list[Target] | None:
    if row["targets"] is None:
        return None
    return [Target.model_construct(Key=t["Key"], Values=t["Values"]) for t in json.loads(row["targets"])]


def _strings_map(values: dict[str, Any]) -> dict[str, list[str]]:
    return _limited({name: as_strings(value) for name, value in values.items()})


def _limited(values: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [v[:MAX_CHARACTERS] for v in strings[:MAX_VALUES]]
            for name, strings in list(values.items())[:MAX_ENTRIES]}


def outputs(row: sqlite3.Row) -> dict[str, list[str]] | None:
    declared = json.loads(row["document"]).get("outputs") or []
    produced = json.loads(row["outputs"])
    if not declared:
        return None
    return _limited({str(name): as_strings(produced[name]) if name in produced else [NO_OUTPUT]
                     for name in declared})


def _resolved(row: sqlite3.Row) -> ResolvedTargets | None:
    if row["resolved_targets"] is None:
        return None
    values = [item["value"] for item in json.loads(row["resolved_targets"])]
    return ResolvedTargets.model_construct(ParameterValues=values[:100], Truncated=len(values) > 100)


def _change_request(row: sqlite3.Row) -> dict[str, Any]:
    """A change request's own fields (AutomationSubtype ChangeRequest; emulator/change_manager/)."""
    if row["change_request"] is None:
        return {}
    request = json.loads(row["change_request"])
    return {
        "AutomationSubtype": row["automation_subtype"],
        "ChangeRequestName": request.get("ChangeRequestName"),
        "ScheduledTime": _ts(request.get("ScheduledTime")),
        "Runbooks": [Runbook.model_validate(r) for r in request.get("Runbooks", [])] or None,
    }


def _common(row: sqlite3.Row) -> dict[str, Any]:
    cross_account = row["target_locations"] is not None
    return {
        **_change_request(row),
        "AutomationExecutionId": row["id"],
        "DocumentName": row["document_name"],
        "DocumentVersion": row["document_version"],
        "AutomationExecutionStatus": row["status"],
        "ExecutionStartTime": _ts(row["started_at"]),
        "ExecutionEndTime": _ts(row["ended_at"]),
        "ExecutedBy": row["executed_by"],
        "Outputs": outputs(row),
        "Mode": row["mode"],
        "ParentAutomationExecutionId": row["parent_id"],
        "CurrentStepName": row["current_step"],
        "CurrentAction": row["current_action"],
        "FailureMessage": row["failure_message"],
        "TargetParameterName": row["target_parameter_name"],
        "Targets": _targets(row),
        "TargetMaps": json.loads(row["target_maps"]) if row["target_maps"] else None,
        "ResolvedTargets": None if cross_account else _resolved(row),
        "MaxConcurrency": None if cross_account else row["max_concurrency"],
        "MaxErrors": None if cross_account else row["max_errors"],
        "Target": row["target"],
        "OpsItemId": row["ops_item_id"],
        "AlarmConfiguration": (AlarmConfiguration.model_validate(json.loads(row["alarm_configuration"]))
                               if row["alarm_configuration"] else None),
    }


def metadata(row: sqlite3.Row) -> AutomationExecutionMetadata:
    return AutomationExecutionMetadata.model_construct(**_common(row), AutomationType=row["automation_type"])


def execution(row: sqlite3.Row, steps: list[sqlite3.Row], children: list[sqlite3.Row] | None) -> AutomationExecution:
    if row["target_locations"] is not None:
        return _cross_account(row, children or [])
    summary = None
    if row["resolved_targets"] is not None:
        kids = children or []
        summary = TargetsSummary.model_construct(
            TotalCount=len(json.loads(row["resolved_targets"])),
            StartedCount=len(kids),
            CompletedCount=sum(1 for k in kids if k["done"]),
            SuccessfulCount=sum(1 for k in kids if k["status"] == status.SUCCESS),
            FailedCount=sum(1 for k in kids if k["done"] and k["status"] != status.SUCCESS),
        )
    following = successors(row)
    return AutomationExecution.model_construct(
        **_common(row),
        StepExecutions=[step(s, following) for s in steps],
        StepExecutionsTruncated=False,
        Parameters=_strings_map(json.loads(row["parameters"])) or None,
        TargetsSummary=summary,
    )


def _cross_account(row: sqlite3.Row, children: list[sqlite3.Row]) -> AutomationExecution:
    roles = {item["account"] + ":" + item["region"]: item["executed_by"].rsplit("/", 1)[-1]
             for item in json.loads(row["resolved_targets"] or "[]")}
    steps = [location_step(k, roles.get(f"{k['account']}:{k['region']}")) for k in children]
    counted = [k["status"] for k in children if k["done"]]
    return AutomationExecution.model_construct(
        **_common(row),
        StepExecutions=steps,
        StepExecutionsTruncated=False,
        Parameters=_strings_map(json.loads(row["parameters"])) or None,
        TargetLocations=[TargetLocation.model_validate(loc) for loc in json.loads(row["target_locations"])],
        ProgressCounters=ProgressCounters.model_construct(
            TotalSteps=len(json.loads(row["resolved_targets"] or "[]")),
            SuccessSteps=counted.count(status.SUCCESS), FailedSteps=counted.count(status.FAILED),
            CancelledSteps=counted.count(status.CANCELLED), TimedOutSteps=counted.count(status.TIMED_OUT)),
    )


def location_step(child: sqlite3.Row, role: str | None) -> StepExecution:
    """A CrossAccount parent's step for one account and Region: the child execution running there."""
    return StepExecution.model_construct(
        StepName=f"{child['account']}:{child['region']}",
        Action="aws:executeAutomation",
        OnFailure="Abort",
        MaxAttempts=1,
        ExecutionStartTime=_ts(child["started_at"]),
        ExecutionEndTime=_ts(child["ended_at"]),
        StepStatus=child["status"],
        Outputs={"ExecutionId": [child["id"]], "Status": [child["status"]]},
        FailureMessage=child["failure_message"],
        StepExecutionId=child["id"],
        IsCritical=True,
        TargetLocation=TargetLocation.model_construct(Accounts=[child["account"]], Regions=[child["region"]],
                                                      ExecutionRoleName=role),
    )


def successors(execution_row: sqlite3.Row) -> dict[str, str]:
    """Each mainStep's name -> the name of the mainStep after it (the last has none)."""
    names = [str(s.get("name")) for s in json.loads(execution_row["document"]).get("mainSteps", [])]
    return dict(zip(names, names[1:]))


def _valid_next_steps(definition: dict[str, Any], following: dict[str, str]) -> list[str] | None:
    """Where the flow may go after a step: its nextStep, else the step after it, none after an isEnd or the last
    step (as AWS shows them, "Running an automation manually"). aws:branch shows only a nextStep it declares."""
    if definition.get("nextStep"):
        return [str(definition["nextStep"])]
    if _flag(definition.get("isEnd")) or definition.get("action") == "aws:branch":
        return None
    after = following.get(str(definition.get("name")))
    return [after] if after else None


def step(row: sqlite3.Row, following: dict[str, str]) -> StepExecution:
    """A step execution; `following` is its execution's successors (ValidNextSteps)."""
    definition = json.loads(row["definition"])
    inputs = json.loads(row["inputs"]) if row["inputs"] else None
    failure = None
    if row["failure_message"]:
        failure = FailureDetails.model_construct(FailureStage="Invocation", FailureType=row["failure_type"] or "Action")
    parent = None
    if row["parent_step"]:
        parent = ParentStepDetails.model_construct(**json.loads(row["parent_step"]))
    # a loop's steps follow each other inside the loop, not mainSteps: only a nextStep they declare shows
    next_steps = _valid_next_steps(definition, {} if row["parent_step"] else following)
    # The common properties show as the runbook declares them, absent when it does not (AWS's examples), and
    # OverriddenParameters ({}: nothing overrides a step's parameters here) once the step ran.
    return StepExecution.model_construct(
        StepName=row["name"],
        Action=row["action"],
        TimeoutSeconds=_int(definition.get("timeoutSeconds")),
        OnFailure=str(definition["onFailure"]) if "onFailure" in definition else None,
        MaxAttempts=_int(definition.get("maxAttempts")),
        ExecutionStartTime=_ts(row["started_at"]),
        ExecutionEndTime=_ts(row["ended_at"]),
        StepStatus=row["status"],
        ResponseCode=row["response_code"],
        Inputs={k: json.dumps(v) for k, v in inputs.items()} if isinstance(inputs, dict) else None,
        Outputs=_strings_map(json.loads(row["outputs"])) if row["outputs"] else None,
        Response=row["response"],
        FailureMessage=row["failure_message"],
        FailureDetails=failure,
        StepExecutionId=row["id"],
        IsEnd=_flag(definition["isEnd"]) if "isEnd" in definition else None,
        NextStep=definition.get("nextStep"),
        IsCritical=_flag(definition["isCritical"]) if "isCritical" in definition else None,
        ValidNextSteps=next_steps,
        ParentStepDetails=parent,
        OverriddenParameters={} if row["started_at"] is not None else None,
    )

