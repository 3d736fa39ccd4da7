"""OpsItems: CreateOpsItem, GetOpsItem, UpdateOpsItem, DeleteOpsItem, DescribeOpsItems and ListOpsItemEvents
(related items are related.py's), and the in-process API other capabilities open OpsItems through:

    ops_center.open_ops_item(account, region, NewOpsItem(title=..., source="SSM", ...))  # automatic OpsItems

CreateOpsItem checks what AWS checks (reserved words in Source and OperationalData keys, the 20 KB value limit,
the 100 related resources, the OpsItemType) and deduplicates: an OpsItem whose /aws/dedup string (compared
case-insensitively) and /aws/resources match an Open or InProgress OpsItem is not created, and the answer is
OpsItemAlreadyExistsException naming the existing OpsItem (its OpsItemId member); a Resolved one does not count.
Each create and update is an event of ListOpsItemEvents (Source "aws.ssm", DetailType "OpsItem Create" or
"OpsItem Update", Detail the JSON of what changed).
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    OpsItemAccessDeniedException,
    OpsItemAlreadyExistsException,
    OpsItemInvalidParameterException,
    OpsItemLimitExceededException,
    OpsItemNotFoundException,
)
from api_models.ops_center import (
    CreateOpsItemRequest,
    CreateOpsItemResponse,
    DeleteOpsItemRequest,
    DeleteOpsItemResponse,
    DescribeOpsItemsRequest,
    DescribeOpsItemsResponse,
    GetOpsItemRequest,
    GetOpsItemResponse,
    ListOpsItemEventsRequest,
    ListOpsItemEventsResponse,
    OpsItem as OpsItemModel,
    OpsItemDataValue,
    OpsItemEventSummary,
    OpsItemIdentity,
    OpsItemNotification,
    OpsItemSummary,
    RelatedOpsItem,
    UpdateOpsItemRequest,
    UpdateOpsItemResponse,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.ops_center import items
from emulator.ops_center.filters import compile_filters
from emulator.ops_center.items import AUTOMATIONS, DEDUP, RESOURCES, OpsItem
from emulator.ops_center.schema import COMPONENT, MIGRATIONS
from emulator.operations import operation
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.automation import Automation
    from emulator.services import Services

log = logging.getLogger(__name__)

RESOURCE_TYPE = "OpsItem"
ISSUE, INSIGHT = "/aws/issue", "/aws/insight"
CHANGE_REQUEST, ACCESS_REQUEST = "/aws/changerequest", "/aws/accessrequest"
TYPES = (ISSUE, INSIGHT, CHANGE_REQUEST, ACCESS_REQUEST)
# /aws/issue and /aws/insight OpsItems move between these; the other statuses of the model are those of change
# requests and access requests, which Change Manager and just-in-time access move theirs through.
ISSUE_STATUSES = ("Open", "InProgress", "Resolved")
OPEN_STATUSES = ("Open", "InProgress")  # what deduplication compares with
# "Operational data keys can't begin with the following: amazon, aws, amzn, ssm, /amazon, /aws, /amzn, /ssm";
# the keys AWS itself defines for callers to set are the exception.
RESERVED_PREFIXES = ("amazon", "aws", "amzn", "ssm", "/amazon", "/aws", "/amzn", "/ssm")
CALLER_KEYS = (DEDUP, RESOURCES, AUTOMATIONS, "/aws/insight", "/aws/changerequest", "/aws/accessrequest")
RESERVED_SOURCE_WORDS = ("aws", "amazon", "amzn")  # "The source name can't contain the following strings"
MAX_VALUE_BYTES = 20 * 1024  # "The value has a maximum size of 20 KB."
MAX_RESOURCES = 100  # "Each OpsItem can list a maximum of 100 related resource ARNs."
MAX_RESULTS = 50
EVENT_SOURCE = "aws.ssm"
NOT_FOUND = "The OpsItem with ID {id} doesn't exist."
DUPLICATE = "An OpsItem with the same deduplication string already exists: {id}."


@dataclass
class NewOpsItem:
    """What an OpsItem is created with (CreateOpsItem's request, or an automatic OpsItem's)."""

    title: str
    description: str
    source: str
    ops_item_type: str = ISSUE
    priority: int | None = None
    severity: str | None = None
    category: str | None = None
    operational_data: dict[str, dict[str, str]] = field(default_factory=dict)
    notifications: list[str] = field(default_factory=list)
    related_ops_items: list[str] = field(default_factory=list)
    times: dict[str, float | None] = field(default_factory=dict)  # planned_start, ..., actual_end
    tags: list[tuple[str, str]] = field(default_factory=list)
    status: str = "Open"  # an access request starts Pending (or Approved, auto-approved)


# A capability that owns an OpsItem type's statuses (just-in-time access owns /aws/accessrequest) checks a status
# change of an OpsItem of that type before UpdateOpsItem stores it: it raises to refuse the change, or answers the
# OperationalData the change adds (who approved, until when), stored in the same transaction, where it may also
# change rows of its own (credentials a revocation ends).
StatusRule = Callable[[Any, OpsItem, str, str, float], dict[str, dict[str, str]]]


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _data(given: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    return {k: {"Value": v.Value or "", "Type": v.Type or "String"} for k, v in (given or {}).items()}


def _invalid(message: str, *names: str) -> OpsItemInvalidParameterException:
    return OpsItemInvalidParameterException(message, ParameterNames=list(names))


def check_operational_data(data: dict[str, dict[str, str]]) -> None:
    for key, entry in data.items():
        if key.lower().startswith(RESERVED_PREFIXES) and key not in CALLER_KEYS:
            raise _invalid(f"Operational data key {key} can't begin with amazon, aws, amzn, ssm, /amazon, /aws,"
                           " /amzn or /ssm.", "OperationalData")
        if len(entry["Value"].encode()) > MAX_VALUE_BYTES:
            raise _invalid(f"The value of operational data key {key} exceeds 20 KB.", "OperationalData")
    if len(items.json_list((data.get(RESOURCES) or {}).get("Value"))) > MAX_RESOURCES:
        raise OpsItemLimitExceededException(
            f"An OpsItem can list at most {MAX_RESOURCES} related resources.", ResourceTypes=[RESOURCE_TYPE],
            Limit=MAX_RESOURCES, LimitType="RelatedResources")


def check_status(ops_item_type: str, status: str) -> None:
    if ops_item_type in (ISSUE, INSIGHT) and status not in ISSUE_STATUSES:
        raise _invalid(f"The status {status} isn't valid for an OpsItem of type {ops_item_type}: use "
                       f"{', '.join(ISSUE_STATUSES)}.", "Status")


class OpsCenter:
    def __init__(self, services: Services, *, automation: Automation) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)
        tag_store.migrate(self.db)
        self.automation = automation
        self.status_rules: dict[str, StatusRule] = {}
        services.taggable.register(RESOURCE_TYPE, self._taggable_id)

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            return resource_id if items.get(conn, ctx.account_id, ctx.region, resource_id) else None

    # --- the in-process API -------------------------------------------------------------------------------
    def open_ops_item(self, account: str, region: str, by: str, new: NewOpsItem) -> str:
        """Create an OpsItem (deduplicated as CreateOpsItem deduplicates); its ID."""
        check_operational_data(new.operational_data)
        check_status(new.ops_item_type, new.status)
        try:
            dedup = items.dedup_string((new.operational_data.get(DEDUP) or {}).get("Value"))
        except ValueError:
            raise _invalid('The /aws/dedup value must be {"dedupString": "..."}.', "OperationalData") from None
        now = self.clock.time()
        item = OpsItem(
            id=f"oi-{uuid.uuid4().hex[:12]}", account=account, region=region, title=new.title,
            description=new.description, source=new.source, status=new.status, ops_item_type=new.ops_item_type,
            created_at=now, created_by=by, modified_at=now, modified_by=by, priority=new.priority,
            severity=new.severity, category=new.category, operational_data=new.operational_data,
            notifications=new.notifications, related_ops_items=new.related_ops_items, **new.times,
        )
        with self.db.write() as conn:
            if dedup is not None:
                item.dedup_key = items.dedup_key(dedup, item.resource_arns())
                for earlier in items.by_dedup_key(conn, account, region, item.dedup_key):
                    if earlier.status in OPEN_STATUSES:
                        raise OpsItemAlreadyExistsException(DUPLICATE.format(id=earlier.id), OpsItemId=earlier.id)
            items.insert(conn, item)
            if new.tags:
                tag_store.put_tags(conn, account, region, RESOURCE_TYPE, item.id, new.tags)
            self.record_event(conn, item, "OpsItem Create", by, {"Title": item.title, "Status": item.status})
        self._link_automations(item, item.automation_ids())
        return item.id

    def follow(self, account: str, region: str, ops_item_id: str, by: str, *, status: str,
               operational_data: dict[str, dict[str, str]], times: dict[str, float | None]) -> bool:
        """The capability an OpsItem stands for moved it on (a change request's status): set its status, these
        OperationalData keys and times, as an update event. False when the OpsItem is gone (deleted)."""
        check_operational_data(operational_data)
        with self.db.write() as conn:
            item = items.get(conn, account, region, ops_item_id)
            if item is None:
                return False
            changed = {k: v for k, v in operational_data.items() if item.operational_data.get(k) != v}
            moved = {k: v for k, v in times.items() if getattr(item, k) != v}
            if item.status == status and not changed and not moved:
                return True
            updated = replace(item, status=status, operational_data={**item.operational_data, **changed},
                              modified_at=self.clock.time(), modified_by=by, version=item.version + 1, **moved)
            items.update(conn, updated)
            detail: dict[str, Any] = {"Status": status} if status != item.status else {}
            if changed:
                detail["OperationalData"] = sorted(changed)
            self.record_event(conn, updated, "OpsItem Update", by, detail)
        return True

    def record_event(self, conn: Any, item: OpsItem, detail_type: str, by: str, detail: dict[str, Any]) -> None:
        """An event of ListOpsItemEvents, written in the transaction `conn` of the change it tells of."""
        items.add_event(conn, item.account, item.region, items.Event(
            0, item.id, str(uuid.uuid4()), EVENT_SOURCE, detail_type, json.dumps(detail, default=str), by,
            self.clock.time()))

    def _link_automations(self, item: OpsItem, automation_ids: list[str]) -> None:
        """Executions named in /aws/automations carry the OpsItem's ID (GetAutomationExecution's OpsItemId)."""
        for automation_id in automation_ids:
            self.automation.link_ops_item(item.account, item.region, automation_id, item.id)

    def find(self, account: str, region: str, ops_item_id: str) -> OpsItem | None:
        with self.db.read() as conn:
            return items.get(conn, account, region, ops_item_id)

    def get(self, ctx: RequestContext, ops_item_id: str) -> OpsItem:
        with self.db.read() as conn:
            item = items.get(conn, ctx.account_id, ctx.region, ops_item_id)
        if item is None:
            raise OpsItemNotFoundException(NOT_FOUND.format(id=ops_item_id))
        return item

    # --- CreateOpsItem --------------------------------------------------------------------------------------
    @operation("CreateOpsItem")
    def create_ops_item(self, ctx: RequestContext, req: CreateOpsItemRequest) -> CreateOpsItemResponse:
        if req.AccountId is not None and req.AccountId != ctx.account_id:
            raise OpsItemAccessDeniedException(
                f"Account {ctx.account_id} isn't set up to create OpsItems in account {req.AccountId}.")
        source = req.Source or ""
        if any(word in source.lower() for word in RESERVED_SOURCE_WORDS):
            raise _invalid("The source name can't contain the strings aws, amazon or amzn.", "Source")
        ops_item_type = req.OpsItemType or ISSUE
        if ops_item_type not in TYPES:
            raise _invalid(f"The OpsItemType {ops_item_type} isn't valid: use {', '.join(TYPES)}.", "OpsItemType")
        new = NewOpsItem(
            title=req.Title or "", description=req.Description or "", source=source, ops_item_type=ops_item_type,
            priority=req.Priority, severity=req.Severity, category=req.Category,
            operational_data=_data(req.OperationalData),
            notifications=[n.Arn for n in req.Notifications or [] if n.Arn],
            related_ops_items=[r.OpsItemId for r in req.RelatedOpsItems or [] if r.OpsItemId],
            times={"planned_start": _epoch(req.PlannedStartTime), "planned_end": _epoch(req.PlannedEndTime),
                   "actual_start": _epoch(req.ActualStartTime), "actual_end": _epoch(req.ActualEndTime)},
            tags=[(t.Key, t.Value) for t in req.Tags or []],
        )
        ops_item_id = self.open_ops_item(ctx.account_id, ctx.region, ctx.caller.arn, new)
        return CreateOpsItemResponse.model_construct(
            OpsItemId=ops_item_id, OpsItemArn=ctx.arn(f"opsitem/{ops_item_id}"))

    # --- GetOpsItem -----------------------------------------------------------------------------------------
    @operation("GetOpsItem")
    def get_ops_item(self, ctx: RequestContext, req: GetOpsItemRequest) -> GetOpsItemResponse:
        return GetOpsItemResponse.model_construct(OpsItem=render(self.get(ctx, req.OpsItemId or "")))

    # --- UpdateOpsItem --------------------------------------------------------------------------------------
    @operation("UpdateOpsItem")
    def update_ops_item(self, ctx: RequestContext, req: UpdateOpsItemRequest) -> UpdateOpsItemResponse:
        ops_item_id = req.OpsItemId or ""
        if req.OpsItemArn is not None and not req.OpsItemArn.endswith(f":opsitem/{ops_item_id}"):
            raise _invalid(f"OpsItemArn {req.OpsItemArn} isn't the ARN of {ops_item_id}.", "OpsItemArn")
        given = _data(req.OperationalData)
        check_operational_data(given)
        if DEDUP in given or DEDUP in (req.OperationalDataToDelete or []):
            raise _invalid("The deduplication string of an OpsItem can't be changed.", "OperationalData")
        with self.db.write() as conn:
            item = items.get(conn, ctx.account_id, ctx.region, ops_item_id)
            if item is None:
                raise OpsItemNotFoundException(NOT_FOUND.format(id=ops_item_id))
            before = item.automation_ids()
            changes = self._changes(req, given)
            now = self.clock.time()
            added: dict[str, dict[str, str]] = {}
            if "Status" in changes:
                check_status(item.ops_item_type, req.Status or "")
                rule = self.status_rules.get(item.ops_item_type)
                if rule is not None and req.Status != item.status:
                    added = rule(conn, item, req.Status or "", ctx.caller.arn, now)
            data = {k: v for k, v in item.operational_data.items() if k not in (req.OperationalDataToDelete or [])}
            data.update(given)
            data.update(added)
            check_operational_data(data)
            updated = replace(
                item, operational_data=data, modified_at=now, modified_by=ctx.caller.arn,
                version=item.version + 1,
                **{attr: value for attr, value in changes.values()},
            )
            items.update(conn, updated)
            detail = {name: value for name, (_, value) in changes.items()}
            if given or req.OperationalDataToDelete:
                detail["OperationalData"] = sorted(given)
                detail["OperationalDataToDelete"] = list(req.OperationalDataToDelete or [])
            self.record_event(conn, updated, "OpsItem Update", ctx.caller.arn, detail)
        self._link_automations(updated, [a for a in updated.automation_ids() if a not in before])
        return UpdateOpsItemResponse.model_construct()

    @staticmethod
    def _changes(req: UpdateOpsItemRequest, given: dict[str, Any]) -> dict[str, tuple[str, Any]]:
        """The members an update sets: API name -> (OpsItem attribute, new value)."""
        simple = {"Title": "title", "Description": "description", "Status": "status", "Priority": "priority",
                  "Severity": "severity", "Category": "category"}
        changes = {name: (attr, getattr(req, name)) for name, attr in simple.items() if getattr(req, name) is not None}
        for name, attr in (("PlannedStartTime", "planned_start"), ("PlannedEndTime", "planned_end"),
                           ("ActualStartTime", "actual_start"), ("ActualEndTime", "actual_end")):
            if getattr(req, name) is not None:
                changes[name] = (attr, _epoch(getattr(req, name)))
        if req.Notifications is not None:
            changes["Notifications"] = ("notifications", [n.Arn for n in req.Notifications if n.Arn])
        if req.RelatedOpsItems is not None:
            changes["RelatedOpsItems"] = ("related_ops_items", [r.OpsItemId for r in req.RelatedOpsItems])
        return changes

    # --- DeleteOpsItem --------------------------------------------------------------------------------------
    @operation("DeleteOpsItem")
    def delete_ops_item(self, ctx: RequestContext, req: DeleteOpsItemRequest) -> DeleteOpsItemResponse:
        # Idempotent: deleting an OpsItem that is not there is no error, as AWS documents.
        with self.db.write() as conn:
            items.delete(conn, ctx.account_id, ctx.region, req.OpsItemId or "")
            tag_store.delete_resource(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, req.OpsItemId or "")
        return DeleteOpsItemResponse.model_construct()

    # --- DescribeOpsItems -----------------------------------------------------------------------------------
    @operation("DescribeOpsItems")
    def describe_ops_items(self, ctx: RequestContext, req: DescribeOpsItemsRequest) -> DescribeOpsItemsResponse:
        matches = compile_filters(req.OpsItemFilters)
        before = paging.decode("DescribeOpsItems", req.NextToken, int)
        limit = req.MaxResults or MAX_RESULTS
        with self.db.read() as conn:
            found = [i for i in items.newest_first(conn, ctx.account_id, ctx.region, before) if matches(i)]
        shown, token = paging.page("DescribeOpsItems", found[:limit + 1], limit, lambda i: i.seq)
        return DescribeOpsItemsResponse.model_construct(OpsItemSummaries=[summary(i) for i in shown], NextToken=token)

    # --- ListOpsItemEvents ----------------------------------------------------------------------------------
    @operation("ListOpsItemEvents")
    def list_ops_item_events(self, ctx: RequestContext, req: ListOpsItemEventsRequest) -> ListOpsItemEventsResponse:
        ids: list[str] | None = None
        for f in req.Filters or []:
            values = list(f.Values or [])
            ids = values if ids is None else [i for i in ids if i in values]
        before = paging.decode("ListOpsItemEvents", req.NextToken, int)
        limit = req.MaxResults or MAX_RESULTS
        with self.db.read() as conn:
            for ops_item_id in ids or []:
                if items.get(conn, ctx.account_id, ctx.region, ops_item_id) is None:
                    raise OpsItemNotFoundException(NOT_FOUND.format(id=ops_item_id))
            found = items.events(conn, ctx.account_id, ctx.region, ids, before, limit + 1)
        shown, token = paging.page("ListOpsItemEvents", found, limit, lambda e: e.seq)
        return ListOpsItemEventsResponse.model_construct(Summaries=[OpsItemEventSummary.model_construct(
            OpsItemId=e.ops_item_id, EventId=e.event_id, Source=e.source, DetailType=e.detail_type, Detail=e.detail,
            CreatedBy=OpsItemIdentity.model_construct(Arn=e.created_by), CreatedTime=timestamp(e.created_at),
        ) for e in shown], NextToken=token)


def _common(item: OpsItem) -> dict[str, Any]:
    def ts(value: float | None) -> datetime | None:
        return None if value is None else timestamp(value)

    return {
        "CreatedBy": item.created_by, "CreatedTime": ts(item.created_at), "LastModifiedBy": item.modified_by,
        "LastModifiedTime": ts(item.modified_at), "Priority": item.priority, "Source": item.source,
        "Status": item.status, "OpsItemId": item.id, "Title": item.title, "Category": item.category,
        "Severity": item.severity, "OpsItemType": item.ops_item_type, "ActualStartTime": ts(item.actual_start),
        "ActualEndTime": ts(item.actual_end), "PlannedStartTime": ts(item.planned_start),
        "PlannedEndTime": ts(item.planned_end),
    }


def _operational_data(data: dict[str, dict[str, str]]) -> dict[str, OpsItemDataValue] | None:
    return {k: OpsItemDataValue.model_construct(**v) for k, v in data.items()} or None


def render(item: OpsItem) -> OpsItemModel:
    return OpsItemModel.model_construct(
        **_common(item), Description=item.description, Version=str(item.version),
        OperationalData=_operational_data(item.operational_data),
        Notifications=[OpsItemNotification.model_construct(Arn=a) for a in item.notifications] or None,
        RelatedOpsItems=[RelatedOpsItem.model_construct(OpsItemId=i) for i in item.related_ops_items] or None,
        OpsItemArn=f"arn:aws:ssm:{item.region}:{item.account}:opsitem/{item.id}",
    )


def summary(item: OpsItem) -> OpsItemSummary:
    """A DescribeOpsItems row: only searchable operational data is shown there, as AWS documents."""
    searchable = {k: v for k, v in item.operational_data.items() if v.get("Type") == "SearchableString"}
    return OpsItemSummary.model_construct(**_common(item), OperationalData=_operational_data(searchable))
