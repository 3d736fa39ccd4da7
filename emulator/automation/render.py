"""Rows to the API's shapes: AutomationExecution, AutomationExecutionMetadata, StepExecution.

Parameters and Outputs are maps of lists of strings, as the API carries them. The execution's Outputs are the
ones the runbook's `outputs` declares ("step.Output"); one whose step has not succeeded shows AWS's placeholder
text. A StepExecution's Inputs are its resolved inputs, each as JSON text (AWS shows them so).
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from api_models.automation import (
    AutomationExecution,
    AutomationExecutionMetadata,
    FailureDetails,
    ParentStepDetails,
    ResolvedTargets,
    StepExecution,
    TargetsSummary,
)
from api_models.shared import AlarmConfiguration, Runbook, Target
from emulator.automation import status
from emulator.automation.variables import as_strings
from emulator.automation.variables import flag as _flag
from emulator.automation.variables import integer as _int
from emulator.clock import timestamp

NO_OUTPUT = "No output available yet because the step is not successfully executed"


def _ts(value: float | None) -> Any:
    return None if value is None else timestamp(value)


def _targets(row: sqlite3.Row) -> list[Target] | None:
    if row["targets"] is None:
        return None
    return [Target.model_construct(Key=t["Key"], Values=t["Values"]) for t in json.loads(row["targets"])]


def _strings_map(values: dict[str, Any]) -> dict[str, list[str]]:
    return {name: as_strings(value) for name, value in values.items()}


def outputs(row: sqlite3.Row) -> dict[str, list[str]] | None:
    declared = json.loads(row["document"]).get("outputs") or []
    produced = json.loads(row["outputs"])
    if not declared:
        return None
    return {str(name): as_strings(produced[name]) if name in produced else [NO_OUTPUT] for name in declared}


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
        "ResolvedTargets": _resolved(row),
        "MaxConcurrency": row["max_concurrency"],
        "MaxErrors": row["max_errors"],
        "Target": row["target"],
        "AlarmConfiguration": (AlarmConfiguration.model_validate(json.loads(row["alarm_configuration"]))
                               if row["alarm_configuration"] else None),
    }


def metadata(row: sqlite3.Row) -> AutomationExecutionMetadata:
    return AutomationExecutionMetadata.model_construct(**_common(row), AutomationType=row["automation_type"])


def execution(row: sqlite3.Row, steps: list[sqlite3.Row], children: list[sqlite3.Row] | None) -> AutomationExecution:
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
    return AutomationExecution.model_construct(
        **_common(row),
        StepExecutions=[step(s) for s in steps],
        StepExecutionsTruncated=False,
        Parameters=_strings_map(json.loads(row["parameters"])) or None,
        TargetsSummary=summary,
    )


def step(row: sqlite3.Row) -> StepExecution:
    definition = json.loads(row["definition"])
    inputs = json.loads(row["inputs"]) if row["inputs"] else None
    failure = None
    if row["failure_message"]:
        failure = FailureDetails.model_construct(FailureStage="Invocation", FailureType=row["failure_type"] or "Action")
    parent = None
    if row["parent_step"]:
        parent = ParentStepDetails.model_construct(**json.loads(row["parent_step"]))
    next_steps = [str(definition["nextStep"])] if definition.get("nextStep") else None
    return StepExecution.model_construct(
        StepName=row["name"],
        Action=row["action"],
        TimeoutSeconds=_int(definition.get("timeoutSeconds")),
        OnFailure=str(definition.get("onFailure", "Abort")),
        MaxAttempts=_int(definition.get("maxAttempts")) or 1,
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
        IsEnd=_flag(definition.get("isEnd")),
        NextStep=definition.get("nextStep"),
        IsCritical="isCritical" not in definition or _flag(definition.get("isCritical")),
        ValidNextSteps=next_steps,
        ParentStepDetails=parent,
    )

