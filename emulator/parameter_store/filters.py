"""Filters of DescribeParameters and GetParametersByPath: AWS's rules, then a query plan.

A plan says which index drives the scan — the key range (Name BeginsWith, Path Recursive,
GetParametersByPath recursive), the parent index (Path OneLevel, GetParametersByPath one
level), or the tag index (`tag:K`) — and what the remaining filters add as SQL conditions.
Every driver yields rows in key order, so pages are keyset ranges (key > last key) and a page
costs what it returns, however many parameters are stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from api_models.errors import InvalidFilterKey, InvalidFilterOption, InvalidFilterValue, ValidationException
from api_models.parameter_store import ParametersFilter, ParameterStringFilter
from emulator.parameter_store import names

TYPES = ("String", "StringList", "SecureString")
TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
_COLUMNS = {"Type": "p.type", "KeyId": "p.key_id", "Tier": "p.tier", "DataType": "p.data_type"}
_VALUES_REQUIRED = ("Name", "Type", "KeyId", "Path", "Tier", "DataType")

COMMON_PARAMETER_PATH = (
    "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). "
    "When using global parameters, please specify within a global namespace."
)


@dataclass
class Plan:
    """How to list: the driving scan plus extra conditions on `p` (ps_parameter)."""

    parent: str | None = None  # scan the parent index for this parent path
    low: str | None = None  # scan the key index over [low, high)
    high: str | None = None
    tag_key: str | None = None  # scan the tag index for this key
    tag_condition: str = ""  # on `t` (resource_tag), with tag_params
    tag_params: list[object] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)
    labels: list[str] | None = None  # GetParametersByPath Label filter: answer the labelled version

    def key_range(self, low: str, high: str) -> None:
        self.low = low if self.low is None else max(self.low, low)
        self.high = high if self.high is None else min(self.high, high)

    def key_ranges(self, ranges: list[tuple[str, str]]) -> None:
        """Keys in any of `ranges`: one range drives the scan, several become a condition."""
        if len(ranges) == 1:
            self.key_range(*ranges[0])
        else:
            self.condition(
                "(" + " OR ".join("(p.key >= ? AND p.key < ?)" for _ in ranges) + ")",
                *[x for r in ranges for x in r],
            )

    def condition(self, sql: str, *params: object) -> None:
        self.where.append(sql)
        self.params.extend(params)


def _option_error(option: str, valid: str) -> InvalidFilterOption:
    return InvalidFilterOption(f"The following filter option is not valid: {option}. Valid options include: [{valid}].")


def _missing_values(key: str) -> InvalidFilterValue:
    return InvalidFilterValue(f"The following filter values are missing : null for filter key {key}.")


def _duplicate(key: str) -> InvalidFilterKey:
    return InvalidFilterKey(
        f"The following filter is duplicated in the request: {key}. A request can contain only one "
        "occurrence of a specific filter."
    )


def _check_once_with_values(key: str, values: list[str], seen: set[str]) -> None:
    """Values where a key needs them, and each key at most once per request."""
    if key in _VALUES_REQUIRED and not values:
        raise _missing_values(key)
    if key in seen:
        raise _duplicate(key)
    seen.add(key)


def _check_enum(key: str, values: list[str], allowed: tuple[str, ...]) -> None:
    for value in values:
        if value not in allowed:
            raise InvalidFilterOption(
                f"The following filter value is not valid: {value}. Valid values include: [{', '.join(allowed)}]."
            )


def _column_condition(plan: Plan, column: str, option: str, values: list[str]) -> None:
    if option == "Equals":
        plan.condition(f"{column} IN ({', '.join('?' * len(values))})", *values)
    else:  # BeginsWith
        plan.condition(
            "(" + " OR ".join(f"substr({column}, 1, ?) = ?" for _ in values) + ")",
            *[x for v in values for x in (len(v), v)],
        )


def _tag_condition(option: str, values: list[str], column: str) -> tuple[str, list[object]]:
    if not values:
        return "", []
    if option == "Equals":
        return f" AND {column} IN ({', '.join('?' * len(values))})", list(values)
    return (
        " AND (" + " OR ".join(f"substr({column}, 1, ?) = ?" for _ in values) + ")",
        [x for v in values for x in (len(v), v)],
    )


def _path_values(values: list[str]) -> list[str]:
    paths = []
    for value in values:
        if value.lower().startswith(("/aws", "/ssm")):
            raise ValidationException(COMMON_PARAMETER_PATH)
        paths.append(names.path_key(value))
    return paths


def describe_plan(filters: list[ParametersFilter] | None, parameter_filters: list[ParameterStringFilter] | None) -> Plan:
    """Check DescribeParameters' filters as AWS does and plan the listing."""
    if filters and parameter_filters:
        raise ValidationException("You can use either Filters or ParameterFilters in a single request.")
    plan = Plan()
    if filters:
        seen_old: set[str] = set()
        for f in filters:
            if f.Key in seen_old:
                raise _duplicate(f.Key)
            seen_old.add(f.Key)
            if f.Key == "Name":  # the deprecated Name filter matches name prefixes
                _name_filter(plan, "BeginsWith", f.Values)
            else:
                _column_condition(plan, _COLUMNS[f.Key], "Equals", f.Values)
        return plan
    seen: set[str] = set()
    for f in parameter_filters or ():
        key, values = f.Key, f.Values or []
        option = f.Option or ("OneLevel" if key == "Path" else "Equals")
        if key == "Label":
            raise InvalidFilterKey(
                "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier]."
            )
        _check_once_with_values(key, values, seen)
        if key == "Path":
            if option not in ("Recursive", "OneLevel"):
                raise _option_error(option, "Recursive, OneLevel")
            _path_filter(plan, option, _path_values(values))
            continue
        if option not in ("Equals", "BeginsWith") and not (key == "Name" and option == "Contains"):
            raise _option_error(option, "BeginsWith, Equals")
        if key == "Type" and option == "Equals":
            _check_enum(key, values, TYPES)
        elif key == "Tier" and option == "Equals":
            _check_enum(key, values, TIERS)
        if key == "Name":
            _name_filter(plan, option, values)
        elif key.startswith("tag:"):
            _tag_filter(plan, key[4:], option, values)
        else:
            _column_condition(plan, _COLUMNS[key], option, values)
    return plan


def by_path_plan(path: str, recursive: bool, parameter_filters: list[ParameterStringFilter] | None) -> Plan:
    """Check GetParametersByPath's filters as AWS does and plan the listing under `path`."""
    plan = Plan()
    if recursive:
        plan.key_range(*names.subtree_range(path))
    else:
        plan.parent = path
    seen: set[str] = set()
    for f in parameter_filters or ():
        key, values = f.Key, f.Values or []
        option = f.Option or "Equals"
        if key not in ("Type", "KeyId", "Label"):
            raise InvalidFilterKey(
                f"The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId]."
            )
        _check_once_with_values(key, values, seen)
        if key == "Label":
            if option != "Equals":
                raise _option_error(option, "Equals")
            if not values:
                raise _missing_values(key)
            plan.labels = list(values)
            continue
        if option not in ("Equals", "BeginsWith"):
            raise _option_error(option, "BeginsWith, Equals")
        if key == "Type" and option == "Equals":
            _check_enum(key, values, TYPES)
        _column_condition(plan, _COLUMNS[key], option, values)
    return plan


def _name_filter(plan: Plan, option: str, values: list[str]) -> None:
    if option == "Contains":
        plan.condition("(" + " OR ".join("instr(p.key, ?) > 0" for _ in values) + ")", *values)
        return
    keys = [names.key_of(v) for v in values]
    if option == "Equals":
        plan.condition(f"p.key IN ({', '.join('?' * len(keys))})", *keys)
        return
    plan.key_ranges([names.prefix_range(k) for k in keys])


def _path_filter(plan: Plan, option: str, paths: list[str]) -> None:
    if option == "Recursive":
        plan.key_ranges([names.subtree_range(p) for p in paths])
    elif len(paths) == 1 and plan.parent is None:
        plan.parent = paths[0]
    else:
        plan.condition(f"p.parent IN ({', '.join('?' * len(paths))})", *paths)


def _tag_filter(plan: Plan, tag_key: str, option: str, values: list[str]) -> None:
    if plan.tag_key is None:
        plan.tag_key = tag_key
        plan.tag_condition, plan.tag_params = _tag_condition(option, values, "t.value")
        return
    condition, params = _tag_condition(option, values, "x.value")
    plan.condition(
        "EXISTS (SELECT 1 FROM resource_tag x WHERE x.account = p.account AND x.region = p.region"
        " AND x.resource_type = 'Parameter' AND x.resource_id = p.key AND x.key = ?" + condition + ")",
        tag_key,
        *params,
    )
