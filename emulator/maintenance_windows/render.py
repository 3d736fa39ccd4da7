"""Rows to Maintenance Windows' response models. Definitions are stored as the JSON of the request fields they
came from, so they validate back into the models (targets, invocation parameters and a Lambda Payload, which
the wire carries base64-encoded, included)."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from api_models.maintenance_windows import (
    GetMaintenanceWindowExecutionResult,
    GetMaintenanceWindowExecutionTaskInvocationResult,
    GetMaintenanceWindowExecutionTaskResult,
    GetMaintenanceWindowResult,
    GetMaintenanceWindowTaskResult,
    MaintenanceWindowExecution,
    MaintenanceWindowExecutionTaskIdentity,
    MaintenanceWindowExecutionTaskInvocationIdentity,
    MaintenanceWindowIdentity,
    MaintenanceWindowTarget,
    MaintenanceWindowTask,
)
from emulator.clock import timestamp
from emulator.maintenance_windows import schedule

IDENTITY = ("Name", "Description", "Duration", "Cutoff", "Schedule", "ScheduleTimezone", "ScheduleOffset",
            "EndDate", "StartDate")
TASK_LISTED = ("TaskArn", "Targets", "TaskParameters", "Priority", "LoggingInfo", "ServiceRoleArn", "MaxConcurrency",
               "MaxErrors", "Name", "Description", "CutoffBehavior", "AlarmConfiguration")


def _next(row: sqlite3.Row, definition: dict[str, Any]) -> dict[str, Any]:
    if not row["enabled"] or row["next_run"] is None:
        return {}
    return {"NextExecutionTime": schedule.execution_time(row["next_run"], definition.get("ScheduleTimezone"))}


def window(row: sqlite3.Row) -> GetMaintenanceWindowResult:
    definition = json.loads(row["definition"])
    return GetMaintenanceWindowResult.model_validate({
        **definition, **_next(row, definition), "WindowId": row["id"], "Enabled": bool(row["enabled"]),
        "CreatedDate": timestamp(row["created_at"]), "ModifiedDate": timestamp(row["modified_at"])})


def window_identity(row: sqlite3.Row) -> MaintenanceWindowIdentity:
    definition = json.loads(row["definition"])
    return MaintenanceWindowIdentity.model_validate({
        **{k: definition[k] for k in IDENTITY if k in definition}, **_next(row, definition),
        "WindowId": row["id"], "Enabled": bool(row["enabled"])})


def target(row: sqlite3.Row) -> MaintenanceWindowTarget:
    return MaintenanceWindowTarget.model_validate({
        **json.loads(row["definition"]), "WindowId": row["window_id"], "WindowTargetId": row["id"]})


def task_fields(row: sqlite3.Row) -> dict[str, Any]:
    return {**json.loads(row["definition"]), "WindowId": row["window_id"], "WindowTaskId": row["id"]}


def task(row: sqlite3.Row) -> GetMaintenanceWindowTaskResult:
    return GetMaintenanceWindowTaskResult.model_validate(task_fields(row))


def listed_task(row: sqlite3.Row) -> MaintenanceWindowTask:
    fields = task_fields(row)
    shown = {k: fields[k] for k in TASK_LISTED if k in fields}
    return MaintenanceWindowTask.model_validate({**shown, "Type": fields["TaskType"], "WindowId": row["window_id"],
                                                 "WindowTaskId": row["id"]})


def _times(row: sqlite3.Row) -> dict[str, Any]:
    shown: dict[str, Any] = {"Status": row["status"]}
    if row["status_details"]:
        shown["StatusDetails"] = row["status_details"][:250]
    if row["start_time"] is not None:
        shown["StartTime"] = timestamp(row["start_time"])
    if row["end_time"] is not None:
        shown["EndTime"] = timestamp(row["end_time"])
    return shown


def execution(row: sqlite3.Row) -> MaintenanceWindowExecution:
    return MaintenanceWindowExecution.model_validate(
        {**_times(row), "WindowId": row["window_id"], "WindowExecutionId": row["id"]})


def execution_detail(row: sqlite3.Row, task_ids: list[str]) -> GetMaintenanceWindowExecutionResult:
    return GetMaintenanceWindowExecutionResult.model_validate(
        {**_times(row), "WindowExecutionId": row["id"], "TaskIds": task_ids})


def task_execution_identity(row: sqlite3.Row) -> MaintenanceWindowExecutionTaskIdentity:
    task_definition = json.loads(row["definition"])
    shown = {k: task_definition[k] for k in ("TaskArn", "AlarmConfiguration") if k in task_definition}
    return MaintenanceWindowExecutionTaskIdentity.model_validate({
        **_times(row), **shown, "TaskType": task_definition["TaskType"], "WindowExecutionId": row["execution_id"],
        "TaskExecutionId": row["id"]})


def task_execution(row: sqlite3.Row) -> GetMaintenanceWindowExecutionTaskResult:
    d = json.loads(row["definition"])
    shown = {k: d[k] for k in ("TaskArn", "Priority", "MaxConcurrency", "MaxErrors", "AlarmConfiguration") if k in d}
    if d.get("TaskParameters"):
        shown["TaskParameters"] = [d["TaskParameters"]]
    if d.get("ServiceRoleArn"):
        shown["ServiceRole"] = d["ServiceRoleArn"]
    return GetMaintenanceWindowExecutionTaskResult.model_validate({
        **_times(row), **shown, "Type": d["TaskType"], "WindowExecutionId": row["execution_id"],
        "TaskExecutionId": row["id"]})


def _invocation_fields(row: sqlite3.Row) -> dict[str, Any]:
    shown: dict[str, Any] = {
        **_times(row), "WindowExecutionId": row["execution_id"], "TaskExecutionId": row["task_execution_id"],
        "InvocationId": row["id"], "TaskType": row["task_type"]}
    for key, column in (("ExecutionId", "execution_ref"), ("Parameters", "parameters"),
                        ("OwnerInformation", "owner_information"), ("WindowTargetId", "window_target_id")):
        if row[column]:
            shown[key] = row[column]
    return shown


def invocation_identity(row: sqlite3.Row) -> MaintenanceWindowExecutionTaskInvocationIdentity:
    return MaintenanceWindowExecutionTaskInvocationIdentity.model_validate(_invocation_fields(row))


def invocation(row: sqlite3.Row) -> GetMaintenanceWindowExecutionTaskInvocationResult:
    return GetMaintenanceWindowExecutionTaskInvocationResult.model_validate(_invocation_fields(row))
