"""Filters of DescribeInstanceInformation, DescribeInstanceProperties and ListNodes: AWS's rules, then a
predicate over ManagedInstance. A fleet is small (tens of machines), so a listing reads the caller's
instances in ID order and keeps those that match; pages are ID ranges.

Within one filter the values are alternatives (OR); separate filters must all hold (AND).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from api_models.errors import (
    InvalidFilter,
    InvalidFilterKey,
    InvalidInstanceId,
    InvalidInstanceInformationFilterValue,
    InvalidInstancePropertyFilterValue,
    ValidationException,
)
from emulator.managed_instances import model
from emulator.managed_instances.model import ManagedInstance

Predicate = Callable[[ManagedInstance], bool]
FilterValueError = type[InvalidInstanceInformationFilterValue] | type[InvalidInstancePropertyFilterValue]

_INSTANCE_ID = re.compile(r"(i-(\w{8}|\w{17})|mi-\w{17})\Z")
PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
PLATFORM_TYPES = ("Windows", "Linux", "MacOS")
RESOURCE_TYPES = ("EC2Instance", "ManagedInstance")
ASSOCIATION_STATUSES = ("Success", "Pending", "Failed")
SOURCE_TYPES = (
    "AWS::EC2::Instance", "AWS::SSM::ManagedInstance", "AWS::IoT::Thing",
    "Microsoft.Compute/virtualMachines", "compute.googleapis.com/Instance",
)
INFORMATION_KEYS = (
    "InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole", "ResourceType",
    "AssociationStatus",
)
STRING_FILTER_KEYS = INFORMATION_KEYS + ("SourceIds", "SourceTypes")
PROPERTY_KEYS = INFORMATION_KEYS + ("DocumentName",)

# Seen from AWS (boto/boto3#3027, aws/aws-sdk#130; danmx/sigil#61):
ONE_RESOURCE_TYPE = "ResourceType filter may contain only one value."
MIXED_TAG_FILTERS = "Cannot mix tag or inventory filter with any other filter."
# AWS only documents that using both lists "leads to an exception error"; the wording is ours.
BOTH_STYLES = "{legacy} and {current} can't be used in the same request. Use {current}."


def _invalid_values(key: str, valid: Sequence[str]) -> str:
    # As AWS words it for ResourceType: "ResourceType filter is invalid, valid values are EC2Instance, ManagedInstance"
    return f"{key} filter is invalid, valid values are {', '.join(valid)}"


def _check_values(key: str, values: Sequence[str], error: FilterValueError) -> None:
    valid = {
        "PingStatus": PING_STATUSES,
        "PlatformTypes": PLATFORM_TYPES,
        "ResourceType": RESOURCE_TYPES,
        "AssociationStatus": ASSOCIATION_STATUSES,
        "SourceTypes": SOURCE_TYPES,
    }.get(key)
    if key == "ResourceType" and len(values) > 1:
        raise error(ONE_RESOURCE_TYPE)
    if valid is not None and any(v not in valid for v in values):
        raise error(_invalid_values(key, valid))
    if key == "InstanceIds" and any(not _INSTANCE_ID.match(v) for v in values):
        raise InvalidInstanceId("")


def attribute(key: str) -> Callable[[ManagedInstance], str | None]:
    """The instance attribute a DescribeInstanceInformation / DescribeInstanceProperties key filters on."""
    return {
        "InstanceIds": lambda i: i.instance_id,
        "AgentVersion": lambda i: model.AGENT_VERSION,
        "PingStatus": lambda i: i.ping_status,
        "PlatformTypes": lambda i: i.platform_type,
        "ActivationIds": lambda i: i.activation_id,
        "IamRole": lambda i: i.iam_role,
        "ResourceType": lambda i: model.RESOURCE_TYPE,
        "AssociationStatus": lambda i: i.association_status,
        "SourceIds": lambda i: i.instance_id,
        "SourceTypes": lambda i: model.SOURCE_TYPE,
        "DocumentName": lambda i: None,  # documents associated with the instance: none until State Manager
    }[key]


def _one_of(key: str, values: Sequence[str]) -> Predicate:
    get, wanted = attribute(key), set(values)
    return lambda i: get(i) in wanted


def _tag_condition(key: str, values: Sequence[str]) -> Predicate | None:
    """tag:<Key> (any of the values) or tag-key (any of the keys); None for other keys."""
    wanted = set(values)
    if key == "tag-key":
        return lambda i: any(k in i.tags for k in wanted)
    if key.startswith("tag:") and len(key) > 4:
        tag = key[4:]
        return lambda i: i.tags.get(tag) in wanted
    return None


def _all(conditions: list[Predicate]) -> Predicate:
    return lambda i: all(c(i) for c in conditions)


def _invalid_key(key: str) -> InvalidFilterKey:
    return InvalidFilterKey(f"The filter key {key} isn't valid.")


# --- DescribeInstanceInformation -------------------------------------------------------------------------------
def instance_information(legacy: Sequence[Any] | None, current: Sequence[Any] | None) -> Predicate:
    """InstanceInformationFilterList (key/valueSet, deprecated) or Filters (Key/Values, with tags)."""
    if legacy and current:
        raise ValidationException(BOTH_STYLES.format(legacy="InstanceInformationFilterList", current="Filters"))
    conditions: list[Predicate] = []
    for f in legacy or ():
        _check_values(f.key, f.valueSet, InvalidInstanceInformationFilterValue)
        conditions.append(_one_of(f.key, f.valueSet))
    tags = [f for f in current or () if _tag_condition(f.Key, f.Values) is not None]
    if tags and len(tags) != len(current or ()):
        raise ValidationException(MIXED_TAG_FILTERS)
    for f in current or ():
        tag = _tag_condition(f.Key, f.Values)
        if tag is not None:
            conditions.append(tag)
            continue
        if f.Key not in STRING_FILTER_KEYS:
            raise _invalid_key(f.Key)
        _check_values(f.Key, f.Values, InvalidInstanceInformationFilterValue)
        conditions.append(_one_of(f.Key, f.Values))
    return _all(conditions)


# --- DescribeInstanceProperties --------------------------------------------------------------------------------
def _version(text: str | None) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in (text or "").split("."))
    except ValueError:
        return None


def _with_operator(key: str, values: Sequence[str], operator: str) -> Predicate:
    tag = key[4:] if key.startswith("tag:") and len(key) > 4 else None
    get: Callable[[ManagedInstance], str | None]
    if tag is not None:
        get = lambda i: i.tags.get(tag)  # noqa: E731
    elif key in PROPERTY_KEYS or key in ("PlatformName", "PlatformVersion"):
        get = {
            "PlatformName": lambda i: i.platform_name,
            "PlatformVersion": lambda i: i.platform_version,
        }.get(key) or attribute(key)
        if operator in ("Equal", "NotEqual"):
            _check_values(key, values, InvalidInstancePropertyFilterValue)
    else:
        raise _invalid_key(key)
    wanted = set(values)
    if operator == "Equal":
        return lambda i: get(i) in wanted
    if operator == "NotEqual":
        return lambda i: get(i) not in wanted
    if operator == "BeginWith":
        return lambda i: any((get(i) or "").startswith(v) for v in values)
    # LessThan / GreaterThan compare versions (AgentVersion, PlatformVersion): one value, dotted numbers.
    bound = _version(values[0]) if len(values) == 1 else None
    if bound is None or key not in ("AgentVersion", "PlatformVersion"):
        raise InvalidInstancePropertyFilterValue(
            f"The {operator} operator needs one version value (for example 3.3.1957.0) and applies to "
            "AgentVersion and PlatformVersion only."
        )

    def compare(i: ManagedInstance) -> bool:
        have = _version(get(i))
        return have is not None and (have < bound if operator == "LessThan" else have > bound)

    return compare


def instance_properties(legacy: Sequence[Any] | None, with_operator: Sequence[Any] | None) -> Predicate:
    """InstancePropertyFilterList (key/valueSet) or FiltersWithOperator (Key/Values/Operator)."""
    if legacy and with_operator:
        raise ValidationException(
            BOTH_STYLES.format(legacy="InstancePropertyFilterList", current="FiltersWithOperator")
        )
    conditions: list[Predicate] = []
    for f in legacy or ():
        _check_values(f.key, f.valueSet, InvalidInstancePropertyFilterValue)
        conditions.append(_one_of(f.key, f.valueSet))
    for f in with_operator or ():
        conditions.append(_with_operator(f.Key, f.Values, f.Operator or "Equal"))
    return _all(conditions)


# --- ListNodes / ListNodesSummary ------------------------------------------------------------------------------
def node_attribute(key: str, region: str) -> Callable[[ManagedInstance], str | None]:
    """A node field by its NodeFilter key / aggregator AttributeName; `region`: the caller's."""
    return {
        "AgentType": lambda i: model.AGENT_TYPE,
        "AgentVersion": lambda i: model.AGENT_VERSION,
        "ComputerName": lambda i: i.computer_name,
        "InstanceId": lambda i: i.instance_id,
        "InstanceStatus": lambda i: i.ping_status,
        "IpAddress": lambda i: i.ip_address,
        "ManagedStatus": lambda i: "Managed",
        "PlatformName": lambda i: i.platform_name,
        "PlatformType": lambda i: i.platform_type,
        "PlatformVersion": lambda i: i.platform_version,
        "ResourceType": lambda i: model.RESOURCE_TYPE,
        "Region": lambda i: i.region or region,
        "AccountId": lambda i: i.account_id,
        "SourceType": lambda i: model.SOURCE_TYPE,
        "SourceId": lambda i: i.instance_id,
    }.get(key, lambda i: None)  # organizational units, availability zones, source locations: none here


def nodes(filters: Sequence[Any] | None, region: str) -> Predicate:
    conditions: list[Predicate] = []
    for f in filters or ():
        values, kind = list(f.Values), f.Type or "Equal"
        if f.Key == "ManagedStatus":
            if any(v not in ("All", "Managed", "Unmanaged") for v in values):
                raise InvalidFilter("ManagedStatus filter values must be All, Managed or Unmanaged.")
            if "All" in values:
                continue
        get, wanted = node_attribute(f.Key, region), set(values)
        if kind == "Equal":
            conditions.append(lambda i, get=get, wanted=wanted: get(i) in wanted)
        elif kind == "NotEqual":
            conditions.append(lambda i, get=get, wanted=wanted: get(i) not in wanted)
        else:  # BeginWith
            conditions.append(lambda i, get=get, values=values: any((get(i) or "").startswith(v) for v in values))
    return _all(conditions)
