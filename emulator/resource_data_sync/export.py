"""What a SyncToDestination sync writes: its account's data, as JSON files in a local folder standing in for S3.

The layout follows the one AWS writes into the bucket, one folder per data type, partitioned by account,
region and resource type, one object per resource:

    <data_sync_dir>/<BucketName>/<Prefix>/AWS:ComplianceItem/accountid=<account>/region=<region>/
        resourcetype=ManagedInstanceInventory/<instance-id>.json
    .../AWS:ComplianceSummary/... (the same partitions)
    .../AWS:Application/..., .../Custom:<Type>/...: each inventory type gathered or put (the same partitions)

SyncFormat JsonSerDe: a file holds one JSON object per line (what Athena's JSON SerDe reads), each line
carrying the resource's id, the capture time and the type's schema version beside the data.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from emulator.compliance.handlers import COMPLIANT, NON_COMPLIANT, summarize
from emulator.compliance.store import Item

SCHEMA_VERSION = "1.0"
RESOURCE_TYPE_PARTITION = "resourcetype=ManagedInstanceInventory"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_line(item: Item, captured: str) -> dict[str, Any]:
    line: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION, "captureTime": captured, "resourceId": item.resource_id,
        "resourceType": item.resource_type, "ComplianceType": item.compliance_type, "Id": item.item_id,
        "Title": item.title, "Status": item.status, "Severity": item.severity,
        "ExecutionId": item.execution_id, "ExecutionType": item.execution_type,
        "ExecutionTime": _iso(item.execution_time),
    }
    line.update(item.details or {})
    return {k: v for k, v in line.items() if v is not None}


def _summary_lines(items: Sequence[Item], captured: str) -> list[dict[str, Any]]:
    lines = []
    for s in summarize(items):
        lines.append({
            "schemaVersion": SCHEMA_VERSION, "captureTime": captured, "resourceId": s.resource_id,
            "resourceType": s.resource_type, "ComplianceType": s.compliance_type, "Status": s.status,
            "OverallSeverity": s.overall_severity,
            "CompliantCount": sum(1 for i in s.items if i.status == COMPLIANT),
            "NonCompliantCount": sum(1 for i in s.items if i.status == NON_COMPLIANT),
            "ExecutionTime": _iso(s.latest.execution_time),
        })
    return lines


def _write_type(folder: Path, per_resource: Mapping[str, list[dict[str, Any]]]) -> None:
    """Write one file per resource into `folder` (atomically each), and remove the files of resources gone."""
    folder.mkdir(parents=True, exist_ok=True)
    for resource_id, lines in per_resource.items():
        target = folder / f"{resource_id}.json"
        temporary = folder / f".{resource_id}.json.tmp"
        temporary.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
        os.replace(temporary, target)
    for old in folder.glob("*.json"):
        if old.stem not in per_resource:
            old.unlink(missing_ok=True)


def _by_resource(lines: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        grouped.setdefault(line["resourceId"], []).append(line)
    return grouped


def write_compliance(destination: Path, account: str, region: str, items: Sequence[Item], now: float) -> None:
    """Write the account and region's compliance under `destination` (the bucket folder and prefix)."""
    captured = _iso(now)
    partition = Path(f"accountid={account}", f"region={region}", RESOURCE_TYPE_PARTITION)
    _write_type(destination / "AWS:ComplianceItem" / partition, _by_resource(_item_line(i, captured) for i in items))
    _write_type(destination / "AWS:ComplianceSummary" / partition, _by_resource(_summary_lines(items, captured)))


def write_inventory(destination: Path, account: str, region: str, rows: Iterable[Mapping[str, Any]],
                    now: float) -> None:
    """Write the account and region's inventory under `destination`: one folder per inventory type, one line
    per entry of an item, with the item's own schema version and capture time. `rows` are the stored items
    (instance_id, type_name, schema_version, capture_time, content: a list of attribute maps)."""
    partition = Path(f"accountid={account}", f"region={region}", RESOURCE_TYPE_PARTITION)
    by_type: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in rows:
        lines = by_type.setdefault(row["type_name"], {}).setdefault(row["instance_id"], [])
        for entry in row["content"]:
            lines.append({"schemaVersion": row["schema_version"], "captureTime": row["capture_time"],
                          "resourceId": row["instance_id"], "resourceType": "ManagedInstance", **entry})
    # A type no longer held anywhere keeps no files either (a type's folder name always has its colon).
    if destination.is_dir():
        for folder in destination.iterdir():
            if ":" in folder.name and not folder.name.startswith("AWS:Compliance") and folder.name not in by_type:
                by_type[folder.name] = {}
    for type_name, per_resource in by_type.items():
        _write_type(destination / type_name / partition, per_resource)
