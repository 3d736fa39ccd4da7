"""DescribeAutomationExecutions' and DescribeAutomationStepExecutions' filters as SQL conditions.

Every filter must hold; the values of one filter are alternatives. StartTimeBefore/StartTimeAfter take ISO 8601
times (e.g. 2024-01-02T03:04:05Z); a value that is not one is InvalidFilterValue. AutomationSubtype
ChangeRequest finds Change Manager's change requests; OpsItemId the executions OpsCenter linked to an OpsItem.
Filters on what an offline emulator never creates (TargetResourceGroup, AutomationSubtype AccessRequest) match
nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from api_models.errors import InvalidFilterKey, InvalidFilterValue
from emulator.automation import status

EXECUTION_COLUMNS = {
    "ExecutionStatus": "e.status",
    "ExecutionId": "e.id",
    "ParentExecutionId": "e.parent_id",
    "CurrentAction": "e.current_action",
    "AutomationType": "e.automation_type",
    "AutomationSubtype": "e.automation_subtype",
    "OpsItemId": "e.ops_item_id",
}
STEP_COLUMNS = {
    "StepExecutionStatus": "s.status",
    "StepExecutionId": "s.id",
    "StepName": "s.name",
    "Action": "s.action",
    "ParentStepExecutionId": "json_extract(s.parent_step, '$.StepExecutionId')",
    "ParentStepIteration": "CAST(json_extract(s.parent_step, '$.Iteration') AS TEXT)",
    "ParentStepIteratorValue": "json_extract(s.parent_step, '$.IteratorValue')",
}
NEVER = ("TargetResourceGroup",)


def executions(filters: Sequence[Any] | None) -> tuple[list[str], list[object]]:
    return _conditions(filters, EXECUTION_COLUMNS, "e.started_at", "ExecutionStatus", _execution_only)


def steps(filters: Sequence[Any] | None) -> tuple[list[str], list[object]]:
    return _conditions(filters, STEP_COLUMNS, "s.started_at", "StepExecutionStatus", None)


def _execution_only(key: str, values: list[str], where: list[str], params: list[object]) -> bool:
    if key == "DocumentNamePrefix":
        where.append(" OR ".join("e.document_name LIKE ? ESCAPE '\\'" for _ in values))
        params += [_like_prefix(v) for v in values]
    elif key == "TagKey":
        where.append(
            "EXISTS (SELECT 1 FROM resource_tag t WHERE t.account = e.account AND t.region = e.region"
            " AND t.resource_type = 'Automation' AND t.resource_id = e.id"
            f" AND t.key IN ({', '.join('?' * len(values))}))"
        )
        params += values
    elif key in NEVER:
        where.append("0 = 1")
    else:
        return False
    return True


Extra = Callable[[str, list[str], list[str], list[object]], bool]  # (key, values, where, params) -> handled?


def _conditions(filters: Sequence[Any] | None, columns: dict[str, str], started: str, status_key: str,
                other: Extra | None) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    for f in filters or ():
        key, values = f.Key, list(f.Values or [])
        if key in columns:
            _check_status(key == status_key, values)
            where.append(f"{columns[key]} IN ({', '.join('?' * len(values))})")
            params += values
        elif key in ("StartTimeBefore", "StartTimeAfter"):
            where.append(f"{started} <= ?" if key == "StartTimeBefore" else f"{started} >= ?")
            params.append(_instant(values[0]))
        elif other is None or not other(key, values, where, params):
            raise InvalidFilterKey(f"The filter key {key} isn't valid.")
    return where, params


def _check_status(is_status: bool, values: list[str]) -> None:
    for value in values if is_status else ():
        if value not in status.ALL:
            raise InvalidFilterValue(f"The filter value {value} isn't valid.")


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _instant(value: str) -> float:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilterValue(f"The filter value {value} isn't a valid time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
