"""ListDocuments filters, turned into a Plan: which sources to list (the caller's own
documents, AWS's, those shared with the caller privately or publicly) and the conditions every
listed document meets, as SQL for stored documents and as a predicate for AWS-owned ones.

Filters (DocumentKeyValuesFilter) combine as AWS documents it: values of one key are
alternatives, different keys must all hold. The legacy DocumentFilterList (key/value pairs)
is read into the same plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api_models.errors import InvalidFilterKey

if TYPE_CHECKING:
    from emulator.documents.aws_owned import AwsDocument

SELF, AMAZON, PRIVATE, PUBLIC = "Self", "Amazon", "Private", "Public"
ALL_SOURCES = frozenset({SELF, AMAZON, PRIVATE, PUBLIC})
# Owner values and the sources they list; ThirdParty documents (AWS partners') do not exist here.
OWNER_SOURCES = {
    "self": {SELF},
    "amazon": {AMAZON},
    "private": {PRIVATE},
    "public": {PUBLIC},
    "all": set(ALL_SOURCES),
    "thirdparty": set(),
}
KEYS = ("Name", "Owner", "PlatformTypes", "DocumentType", "SchemaVersion", "SearchKeyword", "TargetType")
INVALID_KEY = "The specified key is not valid."
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_PLATFORM_BITS = {"Windows": 1, "Linux": 2, "MacOS": 4}


@dataclass
class Plan:
    sources: set[str] = field(default_factory=lambda: set(ALL_SOURCES))
    owner_accounts: set[str] | None = None   # an Owner given as an account id
    name_prefixes: list[str] | None = None
    names: set[str] | None = None
    types: set[str] | None = None
    platform_mask: int | None = None
    schema_versions: set[str] | None = None
    target_types: set[str] | None = None
    keywords: list[str] | None = None
    tags: list[tuple[str, list[str]]] = field(default_factory=list)

    def sql(self) -> tuple[list[str], list[Any]]:
        """Conditions on doc_document (alias d) and their parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.owner_accounts is not None:
            conditions.append(f"d.account IN ({', '.join('?' * len(self.owner_accounts))})")
            params += sorted(self.owner_accounts)
        if self.name_prefixes is not None:
            alternatives = []
            for prefix in self.name_prefixes:
                alternatives.append("(d.name >= ? AND d.name < ?)")
                params += [prefix, _after_prefix(prefix)]
            conditions.append("(" + " OR ".join(alternatives) + ")")
        for column, values in (("d.name", self.names), ("d.document_type", self.types),
                               ("d.d_schema_version", self.schema_versions), ("d.d_target_type", self.target_types)):
            if values is not None:
                conditions.append(f"{column} IN ({', '.join('?' * len(values))})")
                params += sorted(values)
        if self.platform_mask is not None:
            conditions.append("(d.d_platforms & ?) != 0")
            params.append(self.platform_mask)
        if self.keywords is not None:
            conditions.append("(" + " OR ".join("instr(lower(d.name), ?) > 0" for _ in self.keywords) + ")")
            params += self.keywords
        for key, values in self.tags:
            condition = (
                "EXISTS (SELECT 1 FROM resource_tag t WHERE t.account = d.account AND t.region = d.region"
                " AND t.resource_type = 'Document' AND t.resource_id = d.name AND t.key = ?"
            )
            params.append(key)
            if values:
                condition += f" AND t.value IN ({', '.join('?' * len(values))})"
                params += values
            conditions.append(condition + ")")
        return conditions, params

    def matches(self, doc: AwsDocument) -> bool:
        """Whether an AWS-owned document meets the plan's conditions (it has no tags)."""
        if self.owner_accounts is not None or self.tags:
            return False
        name = doc.name
        if self.name_prefixes is not None and not any(name.startswith(p) for p in self.name_prefixes):
            return False
        if self.names is not None and name not in self.names:
            return False
        if self.types is not None and doc.document_type not in self.types:
            return False
        if self.schema_versions is not None and doc.analysis.schema_version not in self.schema_versions:
            return False
        if self.target_types is not None:
            return False  # AWS-owned documents here declare no TargetType
        if self.platform_mask is not None and not any(
            _PLATFORM_BITS[p] & self.platform_mask for p in doc.analysis.platform_types
        ):
            return False
        if self.keywords is not None and not any(k in name.lower() for k in self.keywords):
            return False
        return True


def _after_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _owner(plan: Plan, values: list[str], seen: list[bool]) -> None:
    if seen[0] or len(values) != 1:
        # "Note that only one Owner can be specified in a request."
        raise InvalidFilterKey(INVALID_KEY)
    seen[0] = True
    value = values[0]
    sources = OWNER_SOURCES.get(value.lower())
    if sources is not None:
        plan.sources &= sources
    elif _ACCOUNT.match(value):
        plan.owner_accounts = {value}
    else:
        plan.sources = set()


def _platforms(values: list[str]) -> int:
    mask = 0
    for v in values:
        mask |= _PLATFORM_BITS.get(v, 0)
    return mask


def _intersect(current: set[str] | None, values: list[str]) -> set[str]:
    return set(values) if current is None else current & set(values)


def plan_for(filters: list[Any] | None, legacy: list[Any] | None) -> Plan:
    """The plan of ListDocuments' Filters (DocumentKeyValuesFilter) and DocumentFilterList."""
    plan = Plan()
    owner_seen = [False]
    for f in legacy or ():
        key, value = f.key, f.value
        if key == "Name":
            plan.names = _intersect(plan.names, [value])
        elif key == "Owner":
            _owner(plan, [value], owner_seen)
        elif key == "PlatformTypes":
            plan.platform_mask = _platforms([value]) & (plan.platform_mask if plan.platform_mask is not None else 7)
        elif key == "DocumentType":
            plan.types = _intersect(plan.types, [value])
    for f in filters or ():
        key, values = f.Key, list(f.Values or [])
        if key is None:
            raise InvalidFilterKey(INVALID_KEY)
        if key.startswith("tag:"):
            if len(key) == 4:
                raise InvalidFilterKey(INVALID_KEY)
            plan.tags.append((key[4:], values))
            continue
        if key not in KEYS:
            raise InvalidFilterKey(INVALID_KEY)
        if not values:
            continue
        if key == "Owner":
            _owner(plan, values, owner_seen)
        elif key == "Name":
            plan.name_prefixes = values if plan.name_prefixes is None else [
                p for p in values if any(p.startswith(q) for q in plan.name_prefixes)
            ]
        elif key == "PlatformTypes":
            mask = _platforms(values)
            plan.platform_mask = mask if plan.platform_mask is None else plan.platform_mask & mask
        elif key == "DocumentType":
            plan.types = _intersect(plan.types, values)
        elif key == "SchemaVersion":
            plan.schema_versions = _intersect(plan.schema_versions, values)
        elif key == "TargetType":
            plan.target_types = _intersect(plan.target_types, values)
        elif key == "SearchKeyword":
            plan.keywords = [v.lower() for v in values]
    return plan
