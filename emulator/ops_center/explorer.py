"""GetOpsSummary: Explorer's view of OpsData, over OpsItems (type AWS:OpsItem) and the inventory of managed
nodes (AWS:InstanceInformation, AWS:Application, ... and Custom: types).

An entity is an OpsItem (Id its OpsItemId, data {"AWS:OpsItem": [its attributes as strings]}) or a managed
node (Id its instance ID, data its inventory by type). Filters are keyed TypeName.Attribute, as GetInventory's
(Equal, NotEqual, BeginWith, LessThan, GreaterThan, Exists), and an entity passes when an entry of that type does.
Without Aggregators, the answer lists the entities that have the ResultAttributes type (AWS:OpsItem when none is
given) with that type's data, by Id, paged. With Aggregators (count, TypeName and AttributeName, nested
Aggregators and an aggregator's own Filters) the answer is one entity whose Data holds, per type, one
{Attribute, ..., Count} row per combination of values, as GetInventory answers its aggregators; the emulator
counts only (range and sum are InvalidAggregatorException). SyncName names a resource data sync of the account
(ResourceDataSyncNotFoundException otherwise); the data it answers with is the account's and Region's own, as
this emulator holds no other account's OpsData.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api_models.errors import InvalidAggregatorException, InvalidTypeNameException, ResourceDataSyncNotFoundException
from api_models.ops_center import GetOpsSummaryRequest, GetOpsSummaryResult, OpsEntity, OpsEntityItem
from emulator import paging
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.inventory import queries
from emulator.inventory.aws_types import AWS_TYPES
from emulator.ops_center import items
from emulator.ops_center.items import OpsItem
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.inventory import Inventory
    from emulator.services import Services

OPS_ITEM = "AWS:OpsItem"
MAX_RESULTS = 50
CAPTURE = "%Y-%m-%dT%H:%M:%SZ"
SyncExists = Callable[[str, str, str], bool]  # (account, region, sync name) -> exists?


@dataclass
class Entity:
    id: str
    data: dict[str, list[dict[str, str]]]
    capture_times: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Aggregator:
    """An OpsAggregator as inventory.queries reads an aggregator (Expression TypeName.Attribute)."""

    Expression: str
    Aggregators: list[_Aggregator] | None
    Groups: None = None


def _ops_item_row(item: OpsItem) -> dict[str, str]:
    row = {
        "OpsItemId": item.id, "Title": item.title, "Status": item.status, "Source": item.source,
        "OpsItemType": item.ops_item_type, "CreatedBy": item.created_by, "LastModifiedBy": item.modified_by,
        "CreatedTime": timestamp(item.created_at).strftime(CAPTURE),
        "LastModifiedTime": timestamp(item.modified_at).strftime(CAPTURE), "AccountId": item.account,
    }
    for name, value in (("Priority", item.priority), ("Severity", item.severity), ("Category", item.category)):
        if value is not None:
            row[name] = str(value)
    return row


def _check_type(type_name: str) -> None:
    if type_name != OPS_ITEM and type_name not in AWS_TYPES and not type_name.startswith("Custom:"):
        raise InvalidTypeNameException(f"The type name {type_name} isn't valid.")


def _adapt(aggregator: Any) -> _Aggregator:
    if (aggregator.AggregatorType or "count") != "count":
        raise InvalidAggregatorException(
            f"The aggregator type {aggregator.AggregatorType} isn't supported by ssm-emulator: use count.")
    if not aggregator.TypeName or not aggregator.AttributeName:
        raise InvalidAggregatorException("An aggregator needs a TypeName and an AttributeName.")
    _check_type(aggregator.TypeName)
    return _Aggregator(f"{aggregator.TypeName}.{aggregator.AttributeName}",
                       [_adapt(a) for a in aggregator.Aggregators] if aggregator.Aggregators else None)


class Explorer:
    def __init__(self, services: Services, *, inventory: Inventory, sync_exists: SyncExists) -> None:
        self.db = services.db
        self.inventory = inventory
        self.sync_exists = sync_exists

    def _entities(self, ctx: RequestContext) -> dict[str, Entity]:
        with self.db.read() as conn:
            ops_items = items.newest_first(conn, ctx.account_id, ctx.region, None)
        entities = {i.id: Entity(i.id, {OPS_ITEM: [_ops_item_row(i)]},
                                 {OPS_ITEM: _ops_item_row(i)["LastModifiedTime"]}) for i in ops_items}
        for node, types in self.inventory.nodes(ctx).items():
            entities[node] = Entity(node, {t: v["content"] for t, v in types.items()},
                                    {t: v["capture_time"] for t, v in types.items()})
        return entities

    @operation("GetOpsSummary")
    def get_ops_summary(self, ctx: RequestContext, req: GetOpsSummaryRequest) -> GetOpsSummaryResult:
        if req.SyncName is not None and not self.sync_exists(ctx.account_id, ctx.region, req.SyncName):
            raise ResourceDataSyncNotFoundException(f"The resource data sync {req.SyncName} doesn't exist.",
                                                    SyncName=req.SyncName)
        for f in req.Filters or []:
            _check_type(queries.split_key(f.Key or "")[0])
        entities = self._entities(ctx)
        chosen = {k: e for k, e in sorted(entities.items()) if queries.node_matches(e.data, req.Filters or [])}
        if req.Aggregators:
            return GetOpsSummaryResult.model_construct(
                Entities=[OpsEntity.model_construct(Data=self._aggregate(chosen, req.Aggregators))])
        shown_types = [a.TypeName for a in req.ResultAttributes or []] or [OPS_ITEM]
        for type_name in shown_types:
            _check_type(type_name or "")
        found = [e for e in chosen.values() if all(t in e.data for t in shown_types)]
        after = paging.decode("GetOpsSummary", req.NextToken, str)
        found = [e for e in found if after is None or e.id > after]
        limit = req.MaxResults or MAX_RESULTS
        page, token = paging.page("GetOpsSummary", found[:limit + 1], limit, lambda e: e.id)
        return GetOpsSummaryResult.model_construct(Entities=[OpsEntity.model_construct(
            Id=e.id,
            Data={t: OpsEntityItem.model_construct(CaptureTime=e.capture_times.get(t), Content=e.data[t])
                  for t in shown_types},
        ) for e in page], NextToken=token)

    @staticmethod
    def _aggregate(chosen: Mapping[str, Entity], aggregators: Sequence[Any]) -> dict[str, OpsEntityItem]:
        data: dict[str, OpsEntityItem] = {}
        for aggregator in aggregators:
            nodes = {k: e.data for k, e in chosen.items() if queries.node_matches(e.data, aggregator.Filters or [])}
            for type_name, content in queries.aggregate(nodes, _adapt(aggregator)).items():
                data[type_name] = OpsEntityItem.model_construct(Content=content)
        return data
