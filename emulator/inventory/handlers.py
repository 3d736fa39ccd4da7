"""Inventory's operations: PutInventory, GetInventory, GetInventorySchema, ListInventoryEntries,
DeleteInventory and DescribeInventoryDeletions; and the aws:softwareInventory plugin Run Command runs
(gathering.py), which stores what it gathers as PutInventory does.

GetInventory's entities are the account's managed nodes (and nodes that have items, though no longer
registered); every registered node has AWS:InstanceInformation, made from the registry at the time of the
call; a deregistered node's gathered one says InstanceStatus Terminated.
Without ResultAttributes an entity shows its AWS:InstanceInformation; with one, the node must have that
type and the entity shows it.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    InvalidDeleteInventoryParametersException,
    InvalidDeletionIdException,
    InvalidInstanceId,
    InvalidResultAttributeException,
    InvalidTypeNameException,
)
from api_models.inventory import (
    DeleteInventoryRequest,
    DeleteInventoryResult,
    DescribeInventoryDeletionsRequest,
    DescribeInventoryDeletionsResult,
    GetInventoryRequest,
    GetInventoryResult,
    GetInventorySchemaRequest,
    GetInventorySchemaResult,
    ListInventoryEntriesRequest,
    ListInventoryEntriesResult,
    PutInventoryRequest,
    PutInventoryResult,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.inventory import gathering, items, queries
from emulator.inventory.aws_types import AWS_TYPES
from emulator.inventory.schema import COMPONENT, MIGRATIONS
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.backends import InstanceBackend
    from emulator.managed_instances import ManagedInstance, ManagedInstances
    from emulator.services import Services

INSTANCE_INFORMATION = "AWS:InstanceInformation"
PLUGIN = "aws:softwareInventory"
DEFAULT_MAX_RESULTS = 50
DEFAULT_SCHEMA_MAX_RESULTS = 200
NODE_NOT_FOUND = "Instance {id} is not a managed node of this account."

Data = dict[str, list[dict[str, str]]]


class Inventory:
    def __init__(self, services: Services, *, instances: ManagedInstances) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)
        self.instances = instances

    # --- the plugin (Run Command calls it for aws:softwareInventory steps) --------------------------------
    def plugins(self) -> dict[str, Any]:
        return {PLUGIN: self.run_plugin}

    def run_plugin(self, ctx: RequestContext, instance: ManagedInstance, backend: InstanceBackend,
                   inputs: Mapping[str, Any]) -> tuple[int, bytes, bytes]:
        return gathering.gather(instance, backend, inputs, gathering.capture_time(self.clock.now()),
                                lambda found: self._put(ctx, instance.instance_id, found))

    def _put(self, ctx: RequestContext, instance_id: str, found: list[items.Item],
             contexts: list[Mapping[str, str] | None] | None = None) -> None:
        with self.db.write() as conn:
            items.check(conn, ctx.account_id, ctx.region, found, contexts or [None] * len(found))
            items.store(conn, ctx.account_id, ctx.region, instance_id, found)

    # --- PutInventory -------------------------------------------------------------------------------------
    def export(self, account: str, region: str) -> list[dict[str, Any]]:
        """Every stored item of an account and region, for resource data syncs (instance_id, type_name,
        schema_version, capture_time, content)."""
        with self.db.read() as conn:
            rows = items.items_of(conn, account, region)
        return [{"instance_id": r["instance_id"], "type_name": r["type_name"], "schema_version": r["schema_version"],
                 "capture_time": r["capture_time"], "content": json.loads(r["content"])} for r in rows]

    @operation("PutInventory")
    def put_inventory(self, ctx: RequestContext, req: PutInventoryRequest) -> PutInventoryResult:
        if self.instances.get(ctx, req.InstanceId) is None:
            raise InvalidInstanceId(NODE_NOT_FOUND.format(id=req.InstanceId))
        found = [
            items.Item(i.TypeName, i.SchemaVersion, i.CaptureTime, i.ContentHash or "", list(i.Content or []))
            for i in req.Items or []
        ]
        self._put(ctx, req.InstanceId, found, [i.Context for i in req.Items or []])
        return PutInventoryResult.model_construct(Message="Success")

    # --- reading ------------------------------------------------------------------------------------------
    def nodes(self, ctx: RequestContext) -> dict[str, dict[str, Any]]:
        """Every node's inventory by type ({"content", "version", "capture_time"}): what Explorer's
        GetOpsSummary shows of the account's nodes."""
        return self._nodes(ctx)

    def _nodes(self, ctx: RequestContext) -> dict[str, dict[str, Any]]:
        """Every node's items by type ({"content", "version", "capture_time"}), InstanceInformation live."""
        nodes: dict[str, dict[str, Any]] = {}
        with self.db.read() as conn:
            for row in items.items_of(conn, ctx.account_id, ctx.region):
                nodes.setdefault(row["instance_id"], {})[row["type_name"]] = {
                    "content": json.loads(row["content"]), "version": row["schema_version"],
                    "capture_time": row["capture_time"], "hash": row["content_hash"],
                }
        registered = self.instances.list(ctx)
        for node_id in set(nodes) - {i.instance_id for i in registered}:
            # Deregistered, its inventory kept (AWS keeps a terminated node's for 30 days): Terminated.
            stored = nodes[node_id].get(INSTANCE_INFORMATION)
            if stored is not None:
                stored["content"] = [{**e, "InstanceStatus": "Terminated"} for e in stored["content"]]
        for instance in registered:
            nodes.setdefault(instance.instance_id, {})[INSTANCE_INFORMATION] = {
                "content": gathering.instance_information(instance),
                "version": AWS_TYPES[INSTANCE_INFORMATION].version,
                "capture_time": (nodes.get(instance.instance_id, {}).get(INSTANCE_INFORMATION) or {}).get(
                    "capture_time") or gathering.capture_time(instance.registered),
                "hash": "",
            }
        return nodes

    @operation("GetInventory")
    def get_inventory(self, ctx: RequestContext, req: GetInventoryRequest) -> GetInventoryResult:
        nodes = self._nodes(ctx)
        data = {node: {t: v["content"] for t, v in types.items()} for node, types in nodes.items()}
        chosen = sorted(node for node in nodes if queries.node_matches(data[node], req.Filters or []))
        if req.Aggregators:
            entity_data = {}
            for aggregator in req.Aggregators:
                for key, content in queries.aggregate({n: data[n] for n in chosen}, aggregator).items():
                    entity_data[key] = {"TypeName": key, "SchemaVersion": _version(key, nodes), "Content": content}
            return GetInventoryResult.model_construct(Entities=[{"Data": entity_data}])
        shown = INSTANCE_INFORMATION
        if req.ResultAttributes:
            shown = req.ResultAttributes[0].TypeName
            if not shown.startswith("Custom:") and shown not in AWS_TYPES:
                raise InvalidResultAttributeException(f"{shown} is not an inventory type.")
            chosen = [node for node in chosen if shown in nodes[node]]
        after = paging.decode("GetInventory", req.NextToken, str)
        if after is not None:
            chosen = [node for node in chosen if node > after]
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        page, token = paging.page("GetInventory", chosen[:limit + 1], limit, lambda node: node)
        entities = []
        for node in page:
            item = nodes[node].get(shown)
            entity: dict[str, Any] = {"Id": node, "Data": {}}
            if item is not None:
                entity["Data"][shown] = _result_item(shown, item)
            entities.append(entity)
        return GetInventoryResult.model_construct(Entities=entities, NextToken=token)

    @operation("ListInventoryEntries")
    def list_inventory_entries(
        self, ctx: RequestContext, req: ListInventoryEntriesRequest
    ) -> ListInventoryEntriesResult:
        if self.instances.get(ctx, req.InstanceId) is None:
            with self.db.read() as conn:
                if not items.items_of(conn, ctx.account_id, ctx.region, req.InstanceId):
                    raise InvalidInstanceId(NODE_NOT_FOUND.format(id=req.InstanceId))
        item = self._nodes(ctx).get(req.InstanceId, {}).get(req.TypeName)
        result: dict[str, Any] = {"TypeName": req.TypeName, "InstanceId": req.InstanceId, "Entries": []}
        if item is None:
            return ListInventoryEntriesResult.model_construct(**result)
        entries = [
            (i, e) for i, e in enumerate(item["content"])
            if all(queries.entry_matches(e, f.Key, f.Values, f.Type) for f in req.Filters or [])
        ]
        after = paging.decode("ListInventoryEntries", req.NextToken, int)
        if after is not None:
            entries = [(i, e) for i, e in entries if i > after]
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        page, token = paging.page("ListInventoryEntries", entries[:limit + 1], limit, lambda pair: pair[0])
        result.update(SchemaVersion=item["version"], CaptureTime=item["capture_time"],
                      Entries=[e for _, e in page], NextToken=token)
        return ListInventoryEntriesResult.model_construct(**result)

    @operation("GetInventorySchema")
    def get_inventory_schema(self, ctx: RequestContext, req: GetInventorySchemaRequest) -> GetInventorySchemaResult:
        schemas: list[dict[str, Any]] = [
            {"TypeName": t.name, "Version": t.version,
             "Attributes": [{"Name": n, "DataType": d} for n, d in t.attributes]}
            for t in AWS_TYPES.values()
        ]
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM inv_custom_schema WHERE account = ? AND region = ? AND disabled_version IS NULL"
                " ORDER BY type_name", (ctx.account_id, ctx.region),
            ).fetchall()
        schemas += [
            {"TypeName": r["type_name"], "Version": r["version"],
             "Attributes": [{"Name": n, "DataType": "string"} for n in json.loads(r["attributes"])]}
            for r in rows
        ]
        if req.TypeName:
            schemas = [s for s in schemas if s["TypeName"] == req.TypeName]
            if not schemas:
                raise InvalidTypeNameException(f"The parameter type name is not valid: {req.TypeName}")
        after = paging.decode("GetInventorySchema", req.NextToken, str)
        if after is not None:
            schemas = [s for s in schemas if s["TypeName"] > after]
        schemas.sort(key=lambda s: s["TypeName"])
        limit = req.MaxResults or DEFAULT_SCHEMA_MAX_RESULTS
        page, token = paging.page("GetInventorySchema", schemas[:limit + 1], limit, lambda s: s["TypeName"])
        return GetInventorySchemaResult.model_construct(Schemas=page, NextToken=token)

    # --- deletion -----------------------------------------------------------------------------------------
    @operation("DeleteInventory")
    def delete_inventory(self, ctx: RequestContext, req: DeleteInventoryRequest) -> DeleteInventoryResult:
        type_name = req.TypeName
        if not type_name.startswith("Custom:"):
            raise InvalidTypeNameException(f"Only custom inventory types can be deleted, not {type_name}.")
        with self.db.write() as conn:
            if req.ClientToken and not req.DryRun:
                earlier = conn.execute(
                    "SELECT * FROM inv_deletion WHERE account = ? AND region = ? AND client_token = ?",
                    (ctx.account_id, ctx.region, req.ClientToken),
                ).fetchone()
                if earlier is not None:  # a retry: the deletion it asked for, done once
                    return DeleteInventoryResult.model_construct(
                        DeletionId=earlier["deletion_id"], TypeName=earlier["type_name"],
                        DeletionSummary=json.loads(earlier["summary"]),
                    )
            schema = items.custom_schema(conn, ctx.account_id, ctx.region, type_name)
            if schema is None:
                raise InvalidTypeNameException(f"The parameter type name is not valid: {type_name}")
            if req.SchemaDeleteOption == "DisableSchema" and schema["disabled_version"] is not None:
                raise InvalidDeleteInventoryParametersException(f"The schema of {type_name} is disabled already.")
            rows = items.items_of(conn, ctx.account_id, ctx.region, type_name=type_name)
            by_version: dict[str, int] = {}
            for row in rows:
                by_version[row["schema_version"]] = by_version.get(row["schema_version"], 0) + 1
            summary = {
                "TotalCount": len(rows), "RemainingCount": len(rows) if req.DryRun else 0,
                "SummaryItems": [
                    {"Version": v, "Count": n, "RemainingCount": n if req.DryRun else 0}
                    for v, n in sorted(by_version.items())
                ],
            }
            deletion_id = str(uuid.uuid4())
            if not req.DryRun:
                where = (ctx.account_id, ctx.region, type_name)
                conn.execute("DELETE FROM inv_item WHERE account = ? AND region = ? AND type_name = ?", where)
                if req.SchemaDeleteOption == "DeleteSchema":
                    conn.execute("DELETE FROM inv_custom_schema WHERE account = ? AND region = ? AND type_name = ?",
                                 where)
                elif req.SchemaDeleteOption == "DisableSchema":
                    conn.execute(
                        "UPDATE inv_custom_schema SET disabled_version = version"
                        " WHERE account = ? AND region = ? AND type_name = ?", where,
                    )
                conn.execute(
                    "INSERT INTO inv_deletion (account, region, deletion_id, type_name, started_at, summary,"
                    " client_token) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (ctx.account_id, ctx.region, deletion_id, type_name, self.clock.time(), json.dumps(summary),
                     req.ClientToken),
                )
        return DeleteInventoryResult.model_construct(DeletionId=deletion_id, TypeName=type_name,
                                                     DeletionSummary=summary)

    @operation("DescribeInventoryDeletions")
    def describe_inventory_deletions(
        self, ctx: RequestContext, req: DescribeInventoryDeletionsRequest
    ) -> DescribeInventoryDeletionsResult:
        where, params = ["account = ?", "region = ?"], [ctx.account_id, ctx.region]
        if req.DeletionId:
            where.append("deletion_id = ?")
            params.append(req.DeletionId)
        before = paging.decode("DescribeInventoryDeletions", req.NextToken, int)
        if before is not None:
            where.append("seq < ?")
            params.append(before)
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT * FROM inv_deletion WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
                (*params, limit + 1),
            ).fetchall()
        if req.DeletionId and not rows:
            raise InvalidDeletionIdException(f"Deletion {req.DeletionId} was not found.")
        page, token = paging.page("DescribeInventoryDeletions", rows, limit, lambda r: r["seq"])
        # Deletion here is done when DeleteInventory answers, so every deletion is Complete.
        deletions = [
            {"DeletionId": r["deletion_id"], "TypeName": r["type_name"],
             "DeletionStartTime": timestamp(r["started_at"]),
             "LastStatus": "Complete", "LastStatusMessage": "Deletion is successful",
             "DeletionSummary": json.loads(r["summary"]),
             "LastStatusUpdateTime": timestamp(r["started_at"])}
            for r in page
        ]
        return DescribeInventoryDeletionsResult.model_construct(InventoryDeletions=deletions, NextToken=token)


def _result_item(type_name: str, item: Mapping[str, Any]) -> dict[str, Any]:
    shown = {"TypeName": type_name, "SchemaVersion": item["version"], "CaptureTime": item["capture_time"],
             "Content": item["content"]}
    if item.get("hash"):
        shown["ContentHash"] = item["hash"]
    return shown


def _version(type_name: str, nodes: Mapping[str, Mapping[str, Any]]) -> str:
    known = AWS_TYPES.get(type_name)
    if known is not None:
        return known.version
    return next((types[type_name]["version"] for types in nodes.values() if type_name in types), "1.0")
