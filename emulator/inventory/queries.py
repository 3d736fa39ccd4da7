"""GetInventory's and ListInventoryEntries' Filters, and GetInventory's Aggregators.

A filter Key is TypeName.Attribute for GetInventory (a node matches when an entry of that type does) and
the attribute alone for ListInventoryEntries (an entry matches). LessThan and GreaterThan compare numbers
when both sides are numbers, text otherwise; NotEqual matches a value that is none of Values; Exists
matches an entry that has the attribute.

An aggregator Expression TypeName.Attribute counts nodes by the attribute's values (a node counts once
per distinct value), answered as one entity whose Data holds the type with one {Attribute, Count} entry a
value. Nested Aggregators refine each value by further attributes, as AWS's user guide shows: the rows
carry every level's attribute and the count of nodes that have that combination; attributes of the same
type come from the same entry (an application's Name with its own Version), another type's from any of
the node's entries of that type. Groups count the nodes that match each group's filters and those that
don't, each group under its own Name in Data, as {"notMatchingCount"} and {"matchingCount"} entries; a
group filter keyed `TypeName` matches nodes that have (Exists, Equal) one of the types in Values.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from api_models.errors import InvalidAggregatorException, InvalidFilter

Entry = Mapping[str, str]
TYPE_NAME_KEY = "TypeName"  # a group filter on which types a node has


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
        if f.Key == TYPE_NAME_KEY:
            has_type = any(v in data for v in f.Values)
            if has_type == (f.Type == "NotEqual"):
                return False
            continue
        type_name, attribute = split_key(f.Key)
        entries = data.get(type_name) or []
        if f.Type == "NotEqual":
            if any(e.get(attribute) in f.Values for e in entries):
                return False
        elif not any(entry_matches(e, attribute, f.Values, f.Type) for e in entries):
            return False
    return True


Nodes = Mapping[str, Mapping[str, Sequence[Entry]]]


def aggregate(nodes: Nodes, aggregator: Any) -> dict[str, list[dict[str, str]]]:
    """One aggregator (an InventoryAggregator model) over the nodes: what it adds to the entity's Data, by
    key (the expression's type, or each group's name)."""
    if aggregator.Groups:
        found: dict[str, list[dict[str, str]]] = {}
        for group in aggregator.Groups:
            matching = sum(1 for data in nodes.values() if node_matches(data, group.Filters))
            found[group.Name] = [{"notMatchingCount": str(len(nodes) - matching)},
                                 {"matchingCount": str(matching)}]
        return found
    type_name = _expression(aggregator)[0]
    counts: Counter[tuple[tuple[str, str], ...]] = Counter()
    for data in nodes.values():
        counts.update({tuple(sorted(row.items())) for row in _rows(data, aggregator, {})})
    return {type_name: [{**dict(row), "Count": str(n)} for row, n in sorted(counts.items())]}


def _expression(aggregator: Any) -> tuple[str, str]:
    if not aggregator.Expression:
        raise InvalidAggregatorException("An aggregator needs an Expression (TypeName.Attribute) or Groups.")
    return split_key(aggregator.Expression, InvalidAggregatorException)


def _rows(data: Mapping[str, Sequence[Entry]], aggregator: Any, chosen: dict[str, Entry]) -> list[dict[str, str]]:
    """The attribute combinations one node has for `aggregator` and its nested ones; `chosen` holds the entry
    an outer level took of each type, so one type's attributes come from one entry."""
    type_name, attribute = _expression(aggregator)
    candidates = [chosen[type_name]] if type_name in chosen else data.get(type_name) or []
    rows: list[dict[str, str]] = []
    for entry in candidates:
        if attribute not in entry:
            continue
        row = {attribute: entry[attribute]}
        if not aggregator.Aggregators:
            rows.append(row)
            continue
        for nested in aggregator.Aggregators:
            if nested.Groups:
                raise InvalidAggregatorException("A nested aggregator takes an Expression, not Groups.")
            rows.extend({**row, **deeper} for deeper in _rows(data, nested, {**chosen, type_name: entry}))
    return rows
