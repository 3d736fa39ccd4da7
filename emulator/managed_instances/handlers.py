"""The SSM operations on managed nodes (Fleet Manager's API): DescribeInstanceInformation,
DescribeInstanceProperties, ListNodes, ListNodesSummary, UpdateManagedInstanceRole and
DeregisterManagedInstance. The instances themselves live in the registry (registry.py)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api_models.errors import InvalidAggregatorException, InvalidInstanceId, ResourceDataSyncNotFoundException
from api_models.managed_instances import (
    DeregisterManagedInstanceRequest,
    DescribeInstanceInformationRequest,
    DescribeInstanceInformationResult,
    DescribeInstancePropertiesRequest,
    DescribeInstancePropertiesResult,
    ListNodesRequest,
    ListNodesResult,
    ListNodesSummaryRequest,
    ListNodesSummaryResult,
    UpdateManagedInstanceRoleRequest,
)
from emulator import paging
from emulator.context import RequestContext
from emulator.managed_instances import filters, render
from emulator.managed_instances.model import ManagedInstance
from emulator.managed_instances.registry import ManagedInstances
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.services import Services

DEFAULT_PAGE = 50
SYNC_OFFLINE = (
    "Resource data sync {name} isn't available: ssm-emulator runs offline and has no cross-account or "
    "cross-Region node data. Omit SyncName to see the managed nodes of this account and Region."
)
NESTED_TOO_DEEP = "Aggregators can be nested one level deep: a nested aggregator can't have aggregators of its own."


class FleetManager:
    def __init__(self, services: Services, instances: ManagedInstances) -> None:
        self.instances = instances
        self.clock = services.clock

    def _page(
        self, ctx: RequestContext, listing: str, token: str | None, limit: int, keep: Callable[[ManagedInstance], bool]
    ) -> tuple[list[ManagedInstance], str | None]:
        after = paging.decode(listing, token, str)
        page: list[ManagedInstance] = []
        for instance in self.instances.list(ctx, after or ""):
            if keep(instance):
                if len(page) == limit:
                    return page, paging.encode(listing, page[-1].instance_id)
                page.append(instance)
        return page, None

    @operation("DescribeInstanceInformation")
    def describe_instance_information(
        self, ctx: RequestContext, req: DescribeInstanceInformationRequest
    ) -> DescribeInstanceInformationResult:
        keep = filters.instance_information(req.InstanceInformationFilterList, req.Filters)
        limit = req.MaxResults or DEFAULT_PAGE
        page, token = self._page(ctx, "DescribeInstanceInformation", req.NextToken, limit, keep)
        return DescribeInstanceInformationResult.model_construct(
            InstanceInformationList=[render.instance_information(i) for i in page], NextToken=token
        )

    @operation("DescribeInstanceProperties")
    def describe_instance_properties(
        self, ctx: RequestContext, req: DescribeInstancePropertiesRequest
    ) -> DescribeInstancePropertiesResult:
        keep = filters.instance_properties(req.InstancePropertyFilterList, req.FiltersWithOperator)
        page, token = self._page(ctx, "DescribeInstanceProperties", req.NextToken, req.MaxResults or DEFAULT_PAGE, keep)
        return DescribeInstancePropertiesResult.model_construct(
            InstanceProperties=[render.instance_property(i) for i in page], NextToken=token
        )

    @operation("ListNodes")
    def list_nodes(self, ctx: RequestContext, req: ListNodesRequest) -> ListNodesResult:
        _no_sync(req.SyncName)
        keep = filters.nodes(req.Filters, ctx.region)
        page, token = self._page(ctx, "ListNodes", req.NextToken, req.MaxResults or DEFAULT_PAGE, keep)
        now = self.clock.now()
        return ListNodesResult.model_construct(
            Nodes=[render.node(i, ctx.region, i.last_ping or now) for i in page], NextToken=token
        )

    @operation("ListNodesSummary")
    def list_nodes_summary(self, ctx: RequestContext, req: ListNodesSummaryRequest) -> ListNodesSummaryResult:
        _no_sync(req.SyncName)
        keep = filters.nodes(req.Filters, ctx.region)
        instances = [i for i in self.instances.list(ctx) if keep(i)]
        groups: list[tuple[str, ...]] = []  # (aggregator index, attribute, value, [attribute, value])
        counts: Counter[tuple[str, ...]] = Counter()
        for index, aggregator in enumerate(req.Aggregators):
            nested = aggregator.Aggregators or [None]
            for sub in nested:
                if sub is not None and sub.Aggregators:
                    raise InvalidAggregatorException(NESTED_TOO_DEEP)
                names = [aggregator.AttributeName] + ([sub.AttributeName] if sub is not None else [])
                getters = [filters.node_attribute(n, ctx.region) for n in names]
                for instance in instances:
                    values = [g(instance) for g in getters]
                    if any(v is None for v in values):
                        continue
                    key = (str(index), *[x for pair in zip(names, values) for x in pair])  # type: ignore[misc]
                    if key not in counts:
                        groups.append(key)
                    counts[key] += 1
        groups.sort()
        after = paging.decode("ListNodesSummary", req.NextToken, list)
        if after is not None:
            groups = [g for g in groups if list(g) > after]
        limit = req.MaxResults or DEFAULT_PAGE
        page = groups[:limit]
        return ListNodesSummaryResult.model_construct(
            Summary=[_summary_row(g, counts[g]) for g in page],
            NextToken=paging.encode("ListNodesSummary", list(page[-1])) if len(groups) > limit else None,
        )

    @operation("UpdateManagedInstanceRole")
    def update_managed_instance_role(self, ctx: RequestContext, req: UpdateManagedInstanceRoleRequest) -> None:
        if not self.instances.set_iam_role(ctx, req.InstanceId, req.IamRole):
            raise InvalidInstanceId("")

    @operation("DeregisterManagedInstance")
    def deregister_managed_instance(self, ctx: RequestContext, req: DeregisterManagedInstanceRequest) -> None:
        if self.instances.get(ctx, req.InstanceId) is None:
            raise InvalidInstanceId("")
        self.instances.deregister(req.InstanceId)


def _no_sync(name: str | None) -> None:
    if name is not None:
        raise ResourceDataSyncNotFoundException(SYNC_OFFLINE.format(name=name), SyncName=name)


def _summary_row(group: tuple[str, ...], count: int) -> dict[str, Any]:
    pairs = group[1:]
    row = {pairs[n]: pairs[n + 1] for n in range(0, len(pairs), 2)}
    row["Count"] = str(count)
    return row
