"""DescribeOpsItems' OpsItemFilters: which operators each key takes and how a key reads an OpsItem.

The API reference lists the operators per key (CreatedTime GreaterThan/LessThan, Source Contains/Equal, ...);
keys it does not list take what their kind takes: a time GreaterThan/LessThan, text Equal (and Contains where
AWS allows it for text of the same kind). The values of one filter are alternatives; every filter must hold.
Change-request and access-request keys read the JSON an OpsItem of that type carries under
/aws/changerequest or /aws/accessrequest (the emulator's reading: AWS does not document those documents' fields).
Title Equal compares the first 100 characters, and a longer value is an error, as AWS documents.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from api_models.errors import OpsItemInvalidParameterException
from emulator.clock import instant
from emulator.ops_center.items import OpsItem

EQ, CONTAINS, GT, LT = "Equal", "Contains", "GreaterThan", "LessThan"
TITLE_EQUAL_CHARS = 100
TIME, TEXT, TEXT_CONTAINS, CONTAINS_ONLY = (GT, LT), (EQ,), (EQ, CONTAINS), (CONTAINS,)
PARAMETER = ["OpsItemFilters"]


def _request_field(key: str, name: str) -> Callable[[OpsItem], list[str]]:
    def read(item: OpsItem) -> list[str]:
        try:
            document = json.loads(item.data_value(key) or "{}")
        except ValueError:
            return []
        value = document.get(name) if isinstance(document, dict) else None
        if isinstance(value, list):
            return [str(v) for v in value]
        return [] if value is None else [str(value)]
    return read


def _one(read: Callable[[OpsItem], Any]) -> Callable[[OpsItem], list[str]]:
    return lambda item: [] if read(item) is None else [str(read(item))]


CHANGE, ACCESS = "/aws/changerequest", "/aws/accessrequest"
# key -> (operators, what the key reads of an OpsItem: strings, or epoch seconds for times)
KEYS: dict[str, tuple[tuple[str, ...], Callable[[OpsItem], list[Any]]]] = {
    "Status": (TEXT, _one(lambda i: i.status)),
    "CreatedBy": (TEXT_CONTAINS, _one(lambda i: i.created_by)),
    "Source": (TEXT_CONTAINS, _one(lambda i: i.source)),
    "Priority": (TEXT, _one(lambda i: i.priority)),
    "Title": (TEXT_CONTAINS, _one(lambda i: i.title)),
    "OpsItemId": (TEXT, _one(lambda i: i.id)),
    "CreatedTime": (TIME, lambda i: [i.created_at]),
    "LastModifiedTime": (TIME, lambda i: [i.modified_at]),
    "ActualStartTime": (TIME, lambda i: [] if i.actual_start is None else [i.actual_start]),
    "ActualEndTime": (TIME, lambda i: [] if i.actual_end is None else [i.actual_end]),
    "PlannedStartTime": (TIME, lambda i: [] if i.planned_start is None else [i.planned_start]),
    "PlannedEndTime": (TIME, lambda i: [] if i.planned_end is None else [i.planned_end]),
    "OperationalData": (TEXT, lambda i: []),  # matched as a key/value pair, below
    "OperationalDataKey": (TEXT, lambda i: list(i.operational_data)),
    "OperationalDataValue": (TEXT_CONTAINS, lambda i: [v.get("Value", "") for v in i.operational_data.values()
                                                       if v.get("Type", "String") == "SearchableString"]),
    "ResourceId": (CONTAINS_ONLY, lambda i: i.resource_arns()),
    "AutomationId": (TEXT, lambda i: i.automation_ids()),
    "Category": (TEXT, _one(lambda i: i.category)),
    "Severity": (TEXT, _one(lambda i: i.severity)),
    "OpsItemType": (TEXT, _one(lambda i: i.ops_item_type)),
    "AccountId": (TEXT, _one(lambda i: i.account)),
    "InsightByType": (TEXT, _request_field("/aws/insight", "insightType")),
    "ChangeRequestByRequesterArn": (TEXT, _request_field(CHANGE, "requesterArn")),
    "ChangeRequestByRequesterName": (TEXT, _request_field(CHANGE, "requesterName")),
    "ChangeRequestByApproverArn": (TEXT, _request_field(CHANGE, "approverArn")),
    "ChangeRequestByApproverName": (TEXT, _request_field(CHANGE, "approverName")),
    "ChangeRequestByTemplate": (TEXT, _request_field(CHANGE, "templateName")),
    "ChangeRequestByTargetsResourceGroup": (TEXT, _request_field(CHANGE, "targetsResourceGroup")),
    "AccessRequestByRequesterArn": (TEXT, _request_field(ACCESS, "requesterArn")),
    "AccessRequestByRequesterId": (TEXT, _request_field(ACCESS, "requesterId")),
    "AccessRequestByApproverArn": (TEXT, _request_field(ACCESS, "approverArn")),
    "AccessRequestByApproverId": (TEXT, _request_field(ACCESS, "approverId")),
    "AccessRequestBySourceAccountId": (TEXT, _request_field(ACCESS, "sourceAccountId")),
    "AccessRequestBySourceOpsItemId": (TEXT, _request_field(ACCESS, "sourceOpsItemId")),
    "AccessRequestBySourceRegion": (TEXT, _request_field(ACCESS, "sourceRegion")),
    "AccessRequestByIsReplica": (TEXT, _request_field(ACCESS, "isReplica")),
    "AccessRequestByTargetResourceId": (TEXT, _request_field(ACCESS, "targetResourceId")),
}

Predicate = Callable[[OpsItem], bool]


def compile_filters(filters: Sequence[Any] | None) -> Predicate:
    """One predicate for every filter of a DescribeOpsItems request; OpsItemInvalidParameterException for a key
    used with an operator it does not take, or a value it can't read."""
    tests = [_compile(f.Key, f.Operator, list(f.Values or [])) for f in filters or ()]
    return lambda item: all(test(item) for test in tests)


def _invalid(message: str) -> OpsItemInvalidParameterException:
    return OpsItemInvalidParameterException(message, ParameterNames=PARAMETER)


def _compile(key: str, operator: str, values: list[str]) -> Predicate:
    operators, read = KEYS[key]
    if operator not in operators:
        raise _invalid(f"The operator {operator} isn't valid for the filter key {key}: use {', '.join(operators)}.")
    if key == "OperationalData":
        pairs = [_pair(v) for v in values]
        return lambda item: any(item.data_value(k) == v for k, v in pairs)
    if operators is TIME:
        instants = [_instant(v) for v in values]
        if operator == GT:
            return lambda item: any(t > x for t in read(item) for x in instants)
        return lambda item: any(t < x for t in read(item) for x in instants)
    if key == "Title" and operator == EQ:
        if any(len(v) > TITLE_EQUAL_CHARS for v in values):
            raise _invalid(f"The filter value for Title exceeds the length limit of {TITLE_EQUAL_CHARS} characters.")
        return lambda item: any(t[:TITLE_EQUAL_CHARS] == v for t in read(item) for v in values)
    if operator == CONTAINS:
        return lambda item: any(v in t for t in read(item) for v in values)
    return lambda item: any(t in values for t in read(item))


def _pair(value: str) -> tuple[str, str]:
    """An OperationalData filter value: {"key": "...", "value": "..."}."""
    try:
        parsed = json.loads(value)
        return str(parsed["key"]), str(parsed["value"])
    except (ValueError, KeyError, TypeError):
        raise _invalid('An OperationalData filter value must be {"key":"key_name","value":"a_value"}.') from None


def _instant(value: str) -> float:
    """A time filter value: ISO 8601 (2024-01-02T03:04:05Z) or epoch seconds."""
    moment = instant(value)
    if moment is None:
        raise _invalid(f"The filter value {value} isn't a valid time.")
    return moment
