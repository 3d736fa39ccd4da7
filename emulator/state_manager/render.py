"""Rows to State Manager's response models.

An association's definition is stored as the JSON of the fields CreateAssociation/UpdateAssociation took, so
the descriptions validate it back into the models (nested targets, output locations and alarms included).
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from api_models.state_manager import (
    Association,
    AssociationDescription,
    AssociationExecution,
    AssociationExecutionTarget,
    AssociationVersionInfo,
    InstanceAssociationStatusInfo,
)
from emulator.clock import timestamp

# The fields each listing shows of a definition (the rest DescribeAssociation shows).
LISTED = ("Targets", "ScheduleExpression", "ScheduleOffset", "Duration", "TargetMaps", "DocumentVersion")


def overview(row: sqlite3.Row) -> dict[str, Any]:
    counts = json.loads(row["overview_counts"])
    shown: dict[str, Any] = {"Status": row["overview_status"], "DetailedStatus": row["overview_detailed"]}
    if counts:
        shown["AssociationStatusAggregatedCount"] = counts
    return shown


def description(row: sqlite3.Row, definition: dict[str, Any] | None = None,
                version: int | None = None) -> AssociationDescription:
    """DescribeAssociation's answer; `definition` and `version` show an earlier version."""
    shown = dict(json.loads(row["definition"]) if definition is None else definition)
    shown.update({
        "AssociationId": row["id"], "AssociationVersion": str(version or row["version"]),
        "Date": timestamp(row["created_at"]), "LastUpdateAssociationDate": timestamp(row["updated_at"]),
        "Overview": overview(row),
    })
    if row["instance_id"]:
        shown["InstanceId"] = row["instance_id"]
    if row["last_execution"] is not None:
        shown["LastExecutionDate"] = timestamp(row["last_execution"])
    if row["last_success"] is not None:
        shown["LastSuccessfulExecutionDate"] = timestamp(row["last_success"])
    if row["status"]:
        status = json.loads(row["status"])
        shown["Status"] = {**status, "Date": timestamp(status["Date"])}
    return AssociationDescription.model_validate(shown)


def listed(row: sqlite3.Row) -> Association:
    definition = json.loads(row["definition"])
    shown: dict[str, Any] = {k: definition[k] for k in LISTED if k in definition}
    shown.update({"Name": row["name"], "AssociationId": row["id"], "AssociationVersion": str(row["version"]),
                  "Overview": overview(row)})
    if row["association_name"]:
        shown["AssociationName"] = row["association_name"]
    if row["instance_id"]:
        shown["InstanceId"] = row["instance_id"]
    if row["last_execution"] is not None:
        shown["LastExecutionDate"] = timestamp(row["last_execution"])
    return Association.model_validate(shown)


def version_info(association_id: str, row: sqlite3.Row) -> AssociationVersionInfo:
    definition = json.loads(row["definition"])
    definition.pop("InstanceId", None)
    definition.pop("AutomationTargetParameterName", None)
    return AssociationVersionInfo.model_validate({
        **definition, "AssociationId": association_id, "AssociationVersion": str(row["version"]),
        "CreatedDate": timestamp(row["created_at"]),
    })


def resource_counts(counts: dict[str, int]) -> str:
    """AWS's ResourceCountByStatus: {Failed=1, Success=2}."""
    return "{" + ", ".join(f"{status}={n}" for status, n in sorted(counts.items())) + "}"


def execution(row: sqlite3.Row) -> AssociationExecution:
    shown: dict[str, Any] = {
        "AssociationId": row["association_id"], "AssociationVersion": str(row["version"]),
        "ExecutionId": row["id"], "Status": row["status"], "DetailedStatus": row["detailed_status"],
        "CreatedTime": timestamp(row["created_at"]),
        "ResourceCountByStatus": resource_counts(json.loads(row["counts"])),
    }
    if row["ended_at"] is not None:
        shown["LastExecutionDate"] = timestamp(row["ended_at"])
    return AssociationExecution.model_validate(shown)


def execution_target(association_id: str, version: int, row: sqlite3.Row) -> AssociationExecutionTarget:
    shown: dict[str, Any] = {
        "AssociationId": association_id, "AssociationVersion": str(version), "ExecutionId": row["execution_id"],
        "ResourceId": row["resource_id"], "ResourceType": row["resource_type"], "Status": row["status"],
        "DetailedStatus": row["detailed_status"], "LastExecutionDate": timestamp(row["at"]),
    }
    if row["output_id"]:
        shown["OutputSource"] = {"OutputSourceId": row["output_id"], "OutputSourceType": row["output_type"]}
    return AssociationExecutionTarget.model_validate(shown)


def instance_status(row: sqlite3.Row) -> InstanceAssociationStatusInfo:
    shown: dict[str, Any] = {
        "AssociationId": row["association_id"], "Name": row["name"], "DocumentVersion": row["document_version"],
        "AssociationVersion": str(row["version"]), "InstanceId": row["instance_id"],
        "ExecutionDate": timestamp(row["at"]), "Status": row["status"], "DetailedStatus": row["detailed_status"],
        "ExecutionSummary": row["summary"], "ErrorCode": row["error_code"],
    }
    if row["association_name"]:
        shown["AssociationName"] = row["association_name"]
    return InstanceAssociationStatusInfo.model_validate(shown)
