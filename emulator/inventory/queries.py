"""GetInventory's and ListInventoryEntries' Filters, and GetInventory's Aggregators.

A filter Key is TypeName.Attribute for GetInventory (a node matches when an entry of that type does) and
the attribute alone for ListInventoryEntries (an entry matches). LessThan and GreaterThan compare numbers
when both sides are numbers, text otherwise; NotEqual matches a value that is none of Values; Exists
matches an entry that has the attribute.

An aggregator Expression TypeName.Attribute counts nodes by the attribute's values (a node counts once
per distinct value), answered as one entity whose Data holds the type with one {Attribute, Count} entry a
value; with Groups, one {Name, matchingCount, notMatchingCount} entry a group (the API reference names
those two counts: the nodes that match the group's filters and those that don't).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from api_models.errors import InvalidAggregatorException, InvalidFilter

Entry = Mapping[str, str]


def split_key(key: str, error: type[Exception] = InvalidFilter) -> tuple[str, str]:
    type_name, dot, attribute = key.rpartition(".")
    if not dot or not type_name.startswith(("AWS:", "Custom:")) or not attribute:
        raise error(f"{key} is not TypeName.Attribute (e.g. AWS:Application.Name).")
    return type_name, attribute


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(value: str, other: str) -> int:
    a, b = _number(value), _number(other)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    return (value > other) - (value < other)


def entry_matches(entry: Entry, attribute: str, values: Sequence[str], kind: str | None) -> bool:
    kind = kind or "Equal"
    if kind == "Exists":
        return attribute in entry
    if attribute not in entry:
        return kind == "NotEqual"
    value = entry[attribute]
    if kind == "Equal":
        return value in values
    if kind == "NotEqual":
        return value not in values
    if kind == "BeginWith":
        return any(value.startswith(v) for v in values)
    if kind == "LessThan":
        return any(_compare(value, v) < 0 for v in values)
    if kind == "GreaterThan":
        return any(_compare(value, v) > 0 for v in values)
    raise InvalidFilter(f"Filter type {kind} is not supported.")


def node_matches(data: Mapping[str, Sequence[Entry]], filters: Sequence[Any]) -> bool:
    """Whether a node (its content by type) passes every filter (InventoryFilter models)."""
    for f in filters:
        type_name, attribute = split_key(f.Key)
        entries = data.get(type_name) or []
        if f.Type == "NotEqual":
            if any(e.get(attribute) in f.Values for e in entries):
                return False
        elif not any(entry_matches(e, attribute, f.Values, f.Type) for e in entries):
            return False
    return True


def aggregate(nodes: Mapping[str, Mapping[str, Sequence[Entry]]], aggregator: Any) -> tuple[str, list[dict[str, str]]]:
    """One aggregator (an InventoryAggregator model) over the nodes: the type it is about and its content."""
    if not aggregator.Expression:
        raise InvalidAggregatorException("An aggregator needs an Expression (TypeName.Attribute).")
    if aggregator.Aggregators:
        raise InvalidAggregatorException("ssm-emulator doesn't run nested aggregators.")
    type_name, attribute = split_key(aggregator.Expression, InvalidAggregatorException)
    if aggregator.Groups:
        content = []
        for group in aggregator.Groups:
            matching = sum(1 for data in nodes.values() if node_matches(data, group.Filters))
            content.append({"Name": group.Name, "matchingCount": str(matching),
                            "notMatchingCount": str(len(nodes) - matching)})
        return type_name, content
    counts: Counter[str] = Counter()
    for data in nodes.values():
        counts.update({e[attribute] for e in data.get(type_name) or [] if attribute in e})
    return type_name, [{attribute: value, "Count": str(n)} for value, n in sorted(counts.items())]
