"""PutComplianceItems, ListComplianceItems, ListComplianceSummaries, ListResourceComplianceSummaries, and the
in-process API State Manager reports association runs through.

    compliance.put_association_compliance(account, region, "mi-...", association_id, "AWS-RunShellScript",
                                          "1", "COMPLIANT", time.time())   # SyncCompliance AUTO
    compliance.export(account, region)   # every item, for resource data sync

A resource's status for a compliance type is NON_COMPLIANT when any of its items is; its OverallSeverity is the
highest severity among its non-compliant items (among all its items when it is compliant).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api_models.compliance import (
    ComplianceExecutionSummary,
    ComplianceItem,
    ComplianceSummaryItem,
    CompliantSummary,
    ListComplianceItemsRequest,
    ListComplianceItemsResult,
    ListComplianceSummariesRequest,
    ListComplianceSummariesResult,
    ListResourceComplianceSummariesRequest,
    ListResourceComplianceSummariesResult,
    NonCompliantSummary,
    PutComplianceItemsRequest,
    ResourceComplianceSummaryItem,
    SeveritySummary,
)
from api_models.errors import (
    ComplianceTypeCountLimitExceededException,
    InvalidItemContentException,
    InvalidNextToken,
    InvalidResourceId,
    InvalidResourceType,
    ItemSizeLimitExceededException,
    TotalSizeLimitExceededException,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.compliance import store
from emulator.compliance.filters import compile_filters
from emulator.compliance.store import Item
from emulator.context import RequestContext
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.managed_instances import ManagedInstances
    from emulator.services import Services

MANAGED_INSTANCE = "ManagedInstance"  # "ManagedInstance is currently the only supported resource type."
ASSOCIATION = "Association"
PATCH = "Patch"
COMPLIANT, NON_COMPLIANT = "COMPLIANT", "NON_COMPLIANT"
# Highest first: OverallSeverity is the first of these a resource's deciding items carry.
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
SEVERITY_COUNTS = dict(zip(SEVERITIES, (
    "CriticalCount", "HighCount", "MediumCount", "LowCount", "InformationalCount", "UnspecifiedCount",
)))
# ComplianceTypeCountLimitExceededException: "You can specify a maximum of 10 different types."
MAX_CUSTOM_TYPES = 10
# AWS publishes no figures for ItemSizeLimitExceeded / TotalSizeLimitExceeded on compliance; these are ours
# (an item's JSON, and all items of one upload).
MAX_ITEM_BYTES = 200 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024
MAX_RESULTS = 50
SCAN_CHUNK = 500

INVALID_RESOURCE_ID = "The resource ID isn't valid. Verify that you entered the correct ID and try again."
INVALID_RESOURCE_TYPE = "The resource type {type} isn't valid. ManagedInstance is the only supported resource type."


@dataclass
class ResourceSummary:
    """One resource's compliance for one compliance type (a row of ListResourceComplianceSummaries)."""

    resource_type: str
    resource_id: str
    compliance_type: str
    items: list[Item] = field(default_factory=list)

    @property
    def status(self) -> str:
        return NON_COMPLIANT if any(i.status == NON_COMPLIANT for i in self.items) else COMPLIANT

    @property
    def overall_severity(self) -> str:
        deciding = [i for i in self.items if i.status == self.status]
        return next(s for s in SEVERITIES if s == "UNSPECIFIED" or any(i.severity == s for i in deciding))

    @property
    def latest(self) -> Item:
        return max(self.items, key=lambda i: i.execution_time)


SUMMARY_FILTERS = {
    "ComplianceType": lambda s: s.compliance_type,
    "Status": lambda s: s.status,
    "OverallSeverity": lambda s: s.overall_severity,
    "ResourceId": lambda s: s.resource_id,
    "InstanceId": lambda s: s.resource_id,
    "ResourceType": lambda s: s.resource_type,
    "ExecutionId": lambda s: s.latest.execution_id,
    "ExecutionType": lambda s: s.latest.execution_type,
    "ExecutionTime": lambda s: s.latest.execution_time,
    "CaptureTime": lambda s: s.latest.execution_time,
}
ITEM_FILTERS = {
    "ComplianceType": lambda i: i.compliance_type,
    "Status": lambda i: i.status,
    "Severity": lambda i: i.severity,
    "Id": lambda i: i.item_id,
    "Title": lambda i: i.title,
    "ExecutionId": lambda i: i.execution_id,
    "ExecutionType": lambda i: i.execution_type,
    "ExecutionTime": lambda i: i.execution_time,
    "CaptureTime": lambda i: i.execution_time,
    "DocumentName": lambda i: (i.details or {}).get("DocumentName"),
    "DocumentVersion": lambda i: (i.details or {}).get("DocumentVersion"),
    "PatchBaselineId": lambda i: (i.details or {}).get("PatchBaselineId"),
    "PatchGroup": lambda i: (i.details or {}).get("PatchGroup"),
    "Classification": lambda i: (i.details or {}).get("Classification"),
    "PatchSeverity": lambda i: (i.details or {}).get("PatchSeverity"),
    "PatchState": lambda i: (i.details or {}).get("PatchState"),
}


@dataclass(frozen=True)
class PatchItem:
    """One patch's compliance item (Patch Manager's writer): Id, Title, Severity (the patch's compliance level),
    Status and Details (Classification, PatchSeverity, PatchState, InstalledTime, PatchBaselineId, PatchGroup)."""

    id: str
    title: str
    severity: str
    status: str
    details: dict[str, str]


def _execution_summary(item: Item) -> ComplianceExecutionSummary:
    return ComplianceExecutionSummary.model_construct(
        ExecutionTime=timestamp(item.execution_time), ExecutionId=item.execution_id,
        ExecutionType=item.execution_type,
    )


def _severity_summary(items: Sequence[Any], severity_of: Any) -> SeveritySummary:
    counts = {name: 0 for name in SEVERITY_COUNTS.values()}
    for entry in items:
        counts[SEVERITY_COUNTS[severity_of(entry)]] += 1
    return SeveritySummary.model_construct(**counts)


def _position(listing: str, token: str | None, size: int) -> list[str] | None:
    """The position a NextToken of `listing` resumes after: `size` strings (a sort key), or None."""
    after = paging.decode(listing, token, list)
    if after is not None and (len(after) != size or not all(isinstance(p, str) for p in after)):
        raise InvalidNextToken(paging.INVALID_TOKEN_MESSAGE)
    return after


def summarize(items: Sequence[Item]) -> list[ResourceSummary]:
    """Items grouped per (resource type, resource, compliance type), in that order."""
    groups: dict[tuple[str, str, str], ResourceSummary] = {}
    for item in items:
        key = (item.resource_type, item.resource_id, item.compliance_type)
        groups.setdefault(key, ResourceSummary(*key)).items.append(item)
    return [groups[k] for k in sorted(groups)]


class Compliance:
    """The four compliance operations, and the writers other capabilities report compliance through."""

    def __init__(self, services: Services, instances: ManagedInstances) -> None:
        self.db = services.db
        self.instances = instances
        store.migrate(self.db)

    # --- the in-process API -------------------------------------------------------------------------------
    def put_association_compliance(
        self, account: str, region: str, instance_id: str, association_id: str, document_name: str,
        document_version: str, status: str, execution_time: float,
    ) -> None:
        """An association with SyncCompliance AUTO ran on the instance: its item of type Association becomes
        `status`. As AWS aggregates association compliance per instance, every Association item of the
        instance takes this execution time."""
        item = Item(
            resource_type=MANAGED_INSTANCE, resource_id=instance_id, compliance_type=ASSOCIATION,
            item_key=association_id, item_id=association_id, title=document_name, severity="UNSPECIFIED",
            status=status, execution_time=execution_time, execution_type="Command",
            details={"DocumentName": document_name, "DocumentVersion": document_version},
        )
        with self.db.write() as conn:
            store.put(conn, account, region, MANAGED_INSTANCE, instance_id, ASSOCIATION, [item], False, None)
            store.touch(conn, account, region, MANAGED_INSTANCE, instance_id, ASSOCIATION, execution_time, "Command")

    def put_patch_compliance(
        self, account: str, region: str, instance_id: str, execution_id: str, execution_time: float,
        patches: Sequence[PatchItem],
    ) -> None:
        """A patch operation (AWS-RunPatchBaseline) ran on the instance: its Patch items are replaced by these,
        one per patch, as the agent uploads them after every Scan or Install (ExecutionType Command, the
        command's id)."""
        items = [
            Item(
                resource_type=MANAGED_INSTANCE, resource_id=instance_id, compliance_type=PATCH, item_key=p.id,
                item_id=p.id, title=p.title, severity=p.severity, status=p.status, execution_time=execution_time,
                execution_id=execution_id, execution_type="Command", details=p.details,
            )
            for p in patches
        ]
        with self.db.write() as conn:
            store.put(conn, account, region, MANAGED_INSTANCE, instance_id, PATCH, items, True, None)

    def export(self, account: str, region: str) -> list[Item]:
        """Every compliance item of the account and region (what a resource data sync writes out)."""
        with self.db.read() as conn:
            return store.items(conn, account, region)

    def accounts_regions(self) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            return store.accounts_regions(conn)

    # --- operations -----------------------------------------------------------------------------------------
    @operation("PutComplianceItems")
    def put_compliance_items(self, ctx: RequestContext, req: PutComplianceItemsRequest) -> None:
        if req.ResourceType != MANAGED_INSTANCE:
            raise InvalidResourceType(INVALID_RESOURCE_TYPE.format(type=req.ResourceType))
        if self.instances.get(ctx, req.ResourceId or "") is None:
            raise InvalidResourceId(INVALID_RESOURCE_ID)
        assert req.ResourceId and req.ComplianceType and req.ExecutionSummary and req.Items is not None
        summary = req.ExecutionSummary
        assert summary.ExecutionTime is not None
        new_items: dict[str, Item] = {}
        total = 0
        for n, entry in enumerate(req.Items):
            size = len(json.dumps(entry.model_dump(exclude_none=True), ensure_ascii=False).encode())
            if size > MAX_ITEM_BYTES:
                raise ItemSizeLimitExceededException(
                    f"The compliance item {entry.Id or n + 1} is {size} bytes, more than the {MAX_ITEM_BYTES} "
                    "bytes an item can have.", TypeName=req.ComplianceType,
                )
            total += size
            key = entry.Id if entry.Id is not None else f"\x00{n:05d}"
            if key in new_items:
                raise InvalidItemContentException(
                    f"The compliance item Id {entry.Id} appears more than once.", TypeName=req.ComplianceType,
                )
            new_items[key] = Item(
                resource_type=MANAGED_INSTANCE, resource_id=req.ResourceId, compliance_type=req.ComplianceType,
                item_key=key, item_id=entry.Id, title=entry.Title, severity=entry.Severity or "UNSPECIFIED",
                status=entry.Status or COMPLIANT, execution_time=summary.ExecutionTime.timestamp(),
                execution_id=summary.ExecutionId, execution_type=summary.ExecutionType, details=entry.Details,
            )
        if total > MAX_TOTAL_BYTES:
            raise TotalSizeLimitExceededException(
                f"The compliance items are {total} bytes, more than the {MAX_TOTAL_BYTES} bytes one upload can have."
            )
        args = (ctx.account_id, ctx.region, MANAGED_INSTANCE, req.ResourceId)
        with self.db.write() as conn:
            if req.ItemContentHash is not None and store.content_hash(conn, *args, req.ComplianceType) == req.ItemContentHash:
                return  # "If the content hashes match, the request to put compliance information is ignored."
            types = store.compliance_types(conn, *args) | {req.ComplianceType}
            if len([t for t in types if t.startswith("Custom:")]) > MAX_CUSTOM_TYPES:
                raise ComplianceTypeCountLimitExceededException(
                    "You specified too many custom compliance types. You can specify a maximum of "
                    f"{MAX_CUSTOM_TYPES} different types."
                )
            store.put(
                conn, *args, req.ComplianceType, new_items.values(), req.UploadType != "PARTIAL", req.ItemContentHash
            )

    def _check_types(self, types: Sequence[str] | None) -> None:
        for rtype in types or ():
            if rtype != MANAGED_INSTANCE:
                raise InvalidResourceType(INVALID_RESOURCE_TYPE.format(type=rtype))

    @operation("ListComplianceItems")
    def list_compliance_items(self, ctx: RequestContext, req: ListComplianceItemsRequest) -> ListComplianceItemsResult:
        self._check_types(req.ResourceTypes)
        after = _position("ListComplianceItems", req.NextToken, 4)
        keep = compile_filters(req.Filters, ITEM_FILTERS)
        limit = req.MaxResults or MAX_RESULTS

        def position(i: Item) -> list[str]:
            return [i.resource_type, i.resource_id, i.compliance_type, i.item_key]

        # Filters are read in Python, so scan on in chunks from the token's position until a page (and one more
        # item, to know there is a next page) has matched.
        rows: list[Item] = []
        while len(rows) <= limit:
            with self.db.read() as conn:
                chunk = store.items_after(conn, ctx.account_id, ctx.region, after, req.ResourceIds, SCAN_CHUNK)
            rows += [i for i in chunk if keep(i)]
            if len(chunk) < SCAN_CHUNK:
                break
            after = position(chunk[-1])
        shown, token = paging.page("ListComplianceItems", rows, limit, position)
        return ListComplianceItemsResult.model_construct(
            ComplianceItems=[
                ComplianceItem.model_construct(
                    ComplianceType=i.compliance_type, ResourceType=i.resource_type, ResourceId=i.resource_id,
                    Id=i.item_id, Title=i.title, Status=i.status, Severity=i.severity,
                    ExecutionSummary=_execution_summary(i), Details=i.details,
                )
                for i in shown
            ],
            NextToken=token,
        )

    def _summaries(self, ctx: RequestContext, filters: Any) -> list[ResourceSummary]:
        keep = compile_filters(filters, SUMMARY_FILTERS)
        with self.db.read() as conn:
            found = store.items(conn, ctx.account_id, ctx.region)
        return [s for s in summarize(found) if keep(s)]

    @operation("ListResourceComplianceSummaries")
    def list_resource_compliance_summaries(
        self, ctx: RequestContext, req: ListResourceComplianceSummariesRequest
    ) -> ListResourceComplianceSummariesResult:
        after = _position("ListResourceComplianceSummaries", req.NextToken, 3)

        def position(s: ResourceSummary) -> list[str]:
            return [s.resource_type, s.resource_id, s.compliance_type]

        rows = [s for s in self._summaries(ctx, req.Filters) if after is None or position(s) > after]
        shown, token = paging.page("ListResourceComplianceSummaries", rows, req.MaxResults or MAX_RESULTS, position)
        items = []
        for s in shown:
            compliant = [i for i in s.items if i.status == COMPLIANT]
            non_compliant = [i for i in s.items if i.status == NON_COMPLIANT]
            items.append(ResourceComplianceSummaryItem.model_construct(
                ComplianceType=s.compliance_type, ResourceType=s.resource_type, ResourceId=s.resource_id,
                Status=s.status, OverallSeverity=s.overall_severity, ExecutionSummary=_execution_summary(s.latest),
                CompliantSummary=CompliantSummary.model_construct(
                    CompliantCount=len(compliant), SeveritySummary=_severity_summary(compliant, lambda i: i.severity)
                ),
                NonCompliantSummary=NonCompliantSummary.model_construct(
                    NonCompliantCount=len(non_compliant),
                    SeveritySummary=_severity_summary(non_compliant, lambda i: i.severity),
                ),
            ))
        return ListResourceComplianceSummariesResult.model_construct(
            ResourceComplianceSummaryItems=items, NextToken=token
        )

    @operation("ListComplianceSummaries")
    def list_compliance_summaries(
        self, ctx: RequestContext, req: ListComplianceSummariesRequest
    ) -> ListComplianceSummariesResult:
        after = paging.decode("ListComplianceSummaries", req.NextToken, str)
        by_type: dict[str, list[ResourceSummary]] = {}
        for s in self._summaries(ctx, req.Filters):
            by_type.setdefault(s.compliance_type, []).append(s)
        names = [t for t in sorted(by_type) if after is None or t > after]
        shown, token = paging.page("ListComplianceSummaries", names, req.MaxResults or MAX_RESULTS, lambda t: t)
        items = []
        for ctype in shown:
            compliant = [s for s in by_type[ctype] if s.status == COMPLIANT]
            non_compliant = [s for s in by_type[ctype] if s.status == NON_COMPLIANT]
            items.append(ComplianceSummaryItem.model_construct(
                ComplianceType=ctype,
                CompliantSummary=CompliantSummary.model_construct(
                    CompliantCount=len(compliant),
                    SeveritySummary=_severity_summary(compliant, lambda s: s.overall_severity),
                ),
                NonCompliantSummary=NonCompliantSummary.model_construct(
                    NonCompliantCount=len(non_compliant),
                    SeveritySummary=_severity_summary(non_compliant, lambda s: s.overall_severity),
                ),
            ))
        return ListComplianceSummariesResult.model_construct(ComplianceSummaryItems=items, NextToken=token)
