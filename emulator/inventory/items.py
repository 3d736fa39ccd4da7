"""PutInventory's rules and what it stores: an item replaces the node's previous item of its type; an item
whose ContentHash is the stored one keeps the stored content (only its CaptureTime moves): "PutInventory
doesn't update the inventory item type contents if the MD5 hash hasn't changed since last update".

Rules (AWS's): a TypeName is an AWS: type SSM knows or Custom:<name>; an AWS: type's SchemaVersion is the
one SSM has and its attributes are the type's; a custom type's schema is inferred from its items, and a
later item of the same SchemaVersion may not bring attributes the schema lacks (ItemContentMismatch: a
schema changes with a higher SchemaVersion); at most 20 custom types an account and Region; an item is
at most 1 MB of JSON (AWS's per-call limit); Context is only for AWS:ComplianceItem.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from api_models.errors import (
    CustomSchemaCountLimitExceededException,
    InvalidInventoryItemContextException,
    InvalidItemContentException,
    InvalidTypeNameException,
    ItemContentMismatchException,
    ItemSizeLimitExceededException,
    UnsupportedInventoryItemContextException,
    UnsupportedInventorySchemaVersionException,
)
from emulator.inventory.aws_types import AWS_TYPES

MAX_CUSTOM_TYPES = 20  # custom inventory types an account and Region may have (SSM quota)
MAX_ITEM_BYTES = 1024 * 1024  # inventory data a node may send in one call (SSM quota: 1 MB)
CUSTOM_NAME = re.compile(r"^Custom:[A-Za-z0-9_.\-]{1,93}$")
CONTEXT_TYPES = frozenset({"AWS:ComplianceItem"})
CONTEXT_KEYS = frozenset({"ExecutionId", "ExecutionType", "ExecutionTime"})


@dataclass(frozen=True)
class Item:
    type_name: str
    schema_version: str
    capture_time: str
    content_hash: str
    content: list[dict[str, str]]


def content_hash(content: Sequence[Mapping[str, str]]) -> str:
    """The hash gathering sends with an item: MD5 (what the API reference says ContentHash is) of the
    content's canonical JSON."""
    return hashlib.md5(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def version_key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def check(conn: sqlite3.Connection, account: str, region: str, items: Sequence[Item],
          contexts: Sequence[Mapping[str, str] | None]) -> None:
    """Raise what PutInventory raises for these items; nothing is stored when any is refused."""
    new_custom: set[str] = set()
    for item, context in zip(items, contexts):
        if item.type_name.startswith("AWS:"):
            known = AWS_TYPES.get(item.type_name)
            if known is None and item.type_name not in CONTEXT_TYPES:
                raise InvalidTypeNameException(f"The parameter type name is not valid: {item.type_name}")
            if known is not None:
                if item.schema_version != known.version:
                    raise UnsupportedInventorySchemaVersionException(
                        f"Inventory type {item.type_name} supports schema version {known.version}, "
                        f"not {item.schema_version}."
                    )
                extra = sorted({k for entry in item.content for k in entry} - known.attribute_names)
                if extra:
                    raise InvalidItemContentException(
                        f"Attributes {', '.join(extra)} are not in the schema of {item.type_name}."
                    )
        elif not CUSTOM_NAME.match(item.type_name):
            raise InvalidTypeNameException(f"The parameter type name is not valid: {item.type_name}")
        else:
            schema = custom_schema(conn, account, region, item.type_name)
            if schema is None:
                new_custom.add(item.type_name)
            else:
                _check_custom(item, schema)
        if context:
            if item.type_name not in CONTEXT_TYPES:
                raise UnsupportedInventoryItemContextException(
                    f"Context is not supported for inventory type {item.type_name}."
                )
            if set(context) - CONTEXT_KEYS:
                raise InvalidInventoryItemContextException(
                    f"Context keys must be among {', '.join(sorted(CONTEXT_KEYS))}."
                )
        if len(json.dumps(item.content, separators=(",", ":")).encode()) > MAX_ITEM_BYTES:
            raise ItemSizeLimitExceededException(f"The inventory item {item.type_name} exceeds 1 MB.")
    if new_custom:
        existing = conn.execute(
            "SELECT COUNT(*) FROM inv_custom_schema WHERE account = ? AND region = ?", (account, region)
        ).fetchone()[0]
        if existing + len(new_custom) > MAX_CUSTOM_TYPES:
            raise CustomSchemaCountLimitExceededException(
                f"You can have at most {MAX_CUSTOM_TYPES} custom inventory types."
            )


def _check_custom(item: Item, schema: sqlite3.Row) -> None:
    current = version_key(schema["version"])
    wanted = version_key(item.schema_version)
    disabled = schema["disabled_version"]
    if disabled is not None and wanted <= version_key(disabled):
        raise UnsupportedInventorySchemaVersionException(
            f"Schema version {item.schema_version} of {item.type_name} is disabled: "
            f"put a version above {disabled} to enable the type again."
        )
    if wanted < current:
        raise UnsupportedInventorySchemaVersionException(
            f"{item.type_name} is at schema version {schema['version']}; {item.schema_version} is older."
        )
    if wanted == current:
        known = set(json.loads(schema["attributes"]))
        extra = sorted({k for entry in item.content for k in entry} - known)
        if extra:
            raise ItemContentMismatchException(
                f"Attributes {', '.join(extra)} are not in schema version {schema['version']} of "
                f"{item.type_name}: put them with a higher SchemaVersion."
            )


def custom_schema(conn: sqlite3.Connection, account: str, region: str, type_name: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM inv_custom_schema WHERE account = ? AND region = ? AND type_name = ?",
        (account, region, type_name),
    ).fetchone()


def store(conn: sqlite3.Connection, account: str, region: str, instance_id: str, items: Sequence[Item]) -> None:
    for item in items:
        old = conn.execute(
            "SELECT content_hash FROM inv_item WHERE account = ? AND region = ? AND instance_id = ? AND type_name = ?",
            (account, region, instance_id, item.type_name),
        ).fetchone()
        if old is not None and item.content_hash and old["content_hash"] == item.content_hash:
            conn.execute(
                "UPDATE inv_item SET capture_time = ? WHERE account = ? AND region = ? AND instance_id = ?"
                " AND type_name = ?",
                (item.capture_time, account, region, instance_id, item.type_name),
            )
            continue
        conn.execute(
            "INSERT OR REPLACE INTO inv_item VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (account, region, instance_id, item.type_name, item.schema_version, item.capture_time,
             item.content_hash, json.dumps(item.content, separators=(",", ":"))),
        )
        if item.type_name.startswith("Custom:"):
            _infer_schema(conn, account, region, item)


def _infer_schema(conn: sqlite3.Connection, account: str, region: str, item: Item) -> None:
    schema = custom_schema(conn, account, region, item.type_name)
    names: list[str] = []
    if schema is not None and schema["version"] == item.schema_version:
        names = json.loads(schema["attributes"])
    for entry in item.content:
        names.extend(k for k in entry if k not in names)
    conn.execute(
        "INSERT INTO inv_custom_schema (account, region, type_name, version, attributes, disabled_version)"
        " VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (account, region, type_name) DO UPDATE SET"
        " version = excluded.version, attributes = excluded.attributes, disabled_version = NULL",
        (account, region, item.type_name, item.schema_version, json.dumps(names)),
    )


def items_of(conn: sqlite3.Connection, account: str, region: str, instance_id: str | None = None,
             type_name: str | None = None) -> list[sqlite3.Row]:
    where, params = ["account = ?", "region = ?"], [account, region]
    if instance_id is not None:
        where.append("instance_id = ?")
        params.append(instance_id)
    if type_name is not None:
        where.append("type_name = ?")
        params.append(type_name)
    return conn.execute(
        f"SELECT * FROM inv_item WHERE {' AND '.join(where)} ORDER BY instance_id, type_name", params
    ).fetchall()
