"""State Manager's association operations, in the API reference's order of an association's life:
CreateAssociation, CreateAssociationBatch, DescribeAssociation, UpdateAssociation, UpdateAssociationStatus,
DeleteAssociation, the listings (ListAssociations, ListAssociationVersions, DescribeAssociationExecutions,
DescribeAssociationExecutionTargets, DescribeInstanceAssociationsStatus, DescribeEffectiveInstanceAssociations)
and StartAssociationsOnce.

CreateAssociation and UpdateAssociation check what SSM checks before storing: the document (a Command document
or an Automation runbook, at the version named), its parameters, the targets, the schedule, the legacy
(Name, InstanceId) pair's uniqueness and the association quota. Applying associations is executions.py's.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    AssociationAlreadyExists,
    AssociationDoesNotExist,
    AssociationExecutionDoesNotExist,
    AssociationLimitExceeded,
    AssociationVersionLimitExceeded,
    InvalidAssociation,
    InvalidAssociationVersion,
    InvalidDocument,
    InvalidInstanceId,
    InvalidParameters,
    InvalidSchedule,
    InvalidTarget,
    InvalidTargetMaps,
    ServiceError,
    ValidationException,
)
from api_models.state_manager import (
    CreateAssociationBatchRequest,
    CreateAssociationBatchRequestEntry,
    CreateAssociationBatchResult,
    CreateAssociationRequest,
    CreateAssociationResult,
    DeleteAssociationRequest,
    DeleteAssociationResult,
    DescribeAssociationExecutionsRequest,
    DescribeAssociationExecutionsResult,
    DescribeAssociationExecutionTargetsRequest,
    DescribeAssociationExecutionTargetsResult,
    DescribeAssociationRequest,
    DescribeAssociationResult,
    DescribeEffectiveInstanceAssociationsRequest,
    DescribeEffectiveInstanceAssociationsResult,
    DescribeInstanceAssociationsStatusRequest,
    DescribeInstanceAssociationsStatusResult,
    FailedCreateAssociation,
    InstanceAssociation,
    ListAssociationsRequest,
    ListAssociationsResult,
    ListAssociationVersionsRequest,
    ListAssociationVersionsResult,
    StartAssociationsOnceRequest,
    StartAssociationsOnceResult,
    UpdateAssociationRequest,
    UpdateAssociationResult,
    UpdateAssociationStatusRequest,
    UpdateAssociationStatusResult,
)
from emulator import paging
from emulator.context import RequestContext
from emulator.documents import validate_and_fill
from emulator.documents.names import arn as document_arn
from emulator.managed_instances.model import InstanceAssociations, timestamp
from emulator.managed_instances.registry import RESOURCE_GROUPS_UNSUPPORTED
from emulator.operations import operation
from emulator.state_manager import executions, refresh, render, schedule, storage
from emulator.state_manager.executions import AssociationRunner
from emulator.state_manager.schema import COMPONENT, MIGRATIONS
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.automation import Automation
    from emulator.change_calendar import ChangeCalendars
    from emulator.documents import Documents
    from emulator.managed_instances import ManagedInstances
    from emulator.run_command import RunCommand
    from emulator.services import Services

# Service quotas: associations per account and Region, versions per association (AWS's Systems Manager quotas).
MAX_ASSOCIATIONS = 10000
MAX_VERSIONS = 1000
DEFAULT_MAX_RESULTS = 50
RUNNABLE_TYPES = ("Command", "Automation")
# The request members an association's definition keeps (DescribeAssociation shows them back).
DEFINITION = (
    "Name", "DocumentVersion", "InstanceId", "Parameters", "Targets", "ScheduleExpression", "OutputLocation",
    "AssociationName", "AutomationTargetParameterName", "MaxErrors", "MaxConcurrency", "ComplianceSeverity",
    "SyncCompliance", "ApplyOnlyAtCronInterval", "CalendarNames", "TargetLocations", "ScheduleOffset",
    "Duration", "TargetMaps", "AlarmConfiguration", "AssociationDispatchAssumeRole",
)
TARGETS_NEEDED = "Specify targets for the association: InstanceId or Targets (not both)."
TARGETS_AND_MAPS = "Targets and TargetMaps can't be specified together."
NOT_RUNNABLE = "Document {name} is a {type} document: associations run Command documents and Automation runbooks."
OFFSET_NEEDS_CRON = "ScheduleOffset can be used with cron expressions only."
APPLY_ONLY_NEEDS_SCHEDULE = "ApplyOnlyAtCronInterval needs a ScheduleExpression."
# AWS's words and code (hashicorp/terraform#22935: "ValidationException: Must specify both Automation Target
# Parameter Name and Targets").
AUTOMATION_TARGET_NEEDED = "Must specify both Automation Target Parameter Name and Targets"
LEGACY_NEEDS_NAME_AND_INSTANCE = "Specify the AssociationId, or the Name and the InstanceId."
LIMIT = "You can't create more than {n} associations in an account and Region."
VERSION_LIMIT = "Association {id} has {n} versions, the most an association can have."
TIME_FILTERS = {"LastExecutedBefore": "<", "LastExecutedAfter": ">"}


class StateManager:
    """State Manager: associations of documents with managed instances, applied on their schedule."""

    def __init__(self, services: Services, *, documents: Documents, instances: ManagedInstances,
                 run_command: RunCommand, automation: Automation, calendars: ChangeCalendars,
                 compliance: Any = None) -> None:
        self.db = services.db
        self.clock = services.clock
        self.scale = services.config.schedule_scale
        self.db.migrate(COMPONENT, MIGRATIONS)
        tag_store.migrate(self.db)
        self.documents = documents
        self.instances = instances
        self.calendars = calendars
        self.compliance = compliance
        self.runner = AssociationRunner(services, instances=instances, run_command=run_command,
                                        automation=automation, calendars=calendars, compliance=compliance)
        self.failed_runs = self.runner.failed  # told of each association run that ends Failed
        services.taggable.register(storage.RESOURCE_TYPE, self._taggable_id)
        instances.use_association_status(self.instance_association_status)
        documents.on_delete(self._document_deleted)

    def start(self) -> None:
        self.runner.start()

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            return resource_id if storage.by_id(conn, ctx.account_id, ctx.region, resource_id) else None

    def instance_association_status(self, instance_id: str) -> InstanceAssociations | None:
        """DescribeInstanceInformation's association members. AssociationStatus (and the overview's
        DetailedStatus): Failed when any association failed there, Pending while one is being applied, else
        Success."""
        with self.db.read() as conn:
            counts, last_run, last_success = storage.instance_status_summary(conn, instance_id)
        if not counts:
            return None
        status = "Failed" if "Failed" in counts else "Pending" if "InProgress" in counts else "Success"
        return InstanceAssociations(status, counts, timestamp(last_run), timestamp(last_success))

    # --- CreateAssociation ----------------------------------------------------------------------------------
    @operation("CreateAssociation")
    def create_association(self, ctx: RequestContext, req: CreateAssociationRequest) -> CreateAssociationResult:
        row = self._create(ctx, req)
        return CreateAssociationResult.model_construct(AssociationDescription=render.description(row))

    @operation("CreateAssociationBatch")
    def create_association_batch(
        self, ctx: RequestContext, req: CreateAssociationBatchRequest
    ) -> CreateAssociationBatchResult:
        successful, failed = [], []
        for entry in req.Entries or []:
            request = CreateAssociationRequest.model_construct(
                **entry.model_dump(exclude_none=True),
                AssociationDispatchAssumeRole=req.AssociationDispatchAssumeRole)
            try:
                successful.append(render.description(self._create(ctx, request)))
            except ServiceError as e:
                failed.append(FailedCreateAssociation.model_construct(
                    Entry=CreateAssociationBatchRequestEntry.model_construct(**entry.model_dump(exclude_none=True)),
                    Message=e.message or e.code, Fault="Client"))
        return CreateAssociationBatchResult.model_construct(Successful=successful, Failed=failed)

    def _create(self, ctx: RequestContext, req: CreateAssociationRequest) -> Any:
        definition = _definition(req)
        document_type, sched = self._checked(ctx, definition)
        now = self.clock.time()
        association_id = str(uuid.uuid4())
        with self.db.write() as conn:
            if req.InstanceId and storage.by_name_and_instance(conn, ctx.account_id, ctx.region, req.Name or "",
                                                               req.InstanceId):
                raise AssociationAlreadyExists("")
            if storage.count(conn, ctx.account_id, ctx.region) >= MAX_ASSOCIATIONS:
                raise AssociationLimitExceeded(LIMIT.format(n=MAX_ASSOCIATIONS))
            storage.insert(conn, storage.NewAssociation(
                id=association_id, account=ctx.account_id, region=ctx.region, name=definition["Name"],
                document_type=document_type, instance_id=req.InstanceId, association_name=req.AssociationName,
                definition=definition, created_at=now,
                next_run=executions.first_run(sched, definition, now, self.scale)))
            if req.Tags:
                tag_store.put_tags(conn, ctx.account_id, ctx.region, storage.RESOURCE_TYPE, association_id,
                                   [(t.Key, t.Value) for t in req.Tags])
            return storage.by_id(conn, ctx.account_id, ctx.region, association_id)

    def _checked(self, ctx: RequestContext, definition: dict[str, Any]) -> tuple[str, schedule.Schedule | None]:
        """(the document's type, the schedule) of a definition SSM accepts; its error otherwise."""
        document = self.documents.resolve(ctx, definition["Name"], definition.get("DocumentVersion"))
        if document.document_type not in RUNNABLE_TYPES:
            raise InvalidDocument(NOT_RUNNABLE.format(name=document.name, type=document.document_type))
        has_instance, targets = bool(definition.get("InstanceId")), definition.get("Targets") or []
        if targets and definition.get("TargetMaps"):  # the API reference's rule for TargetMaps
            raise InvalidTargetMaps(TARGETS_AND_MAPS)
        if document.document_type == "Automation" and targets and not definition.get("AutomationTargetParameterName"):
            raise ValidationException(AUTOMATION_TARGET_NEEDED)
        given = dict(definition.get("Parameters") or {})
        target_parameter = definition.get("AutomationTargetParameterName")
        if target_parameter and definition.get("Targets"):
            given.setdefault(target_parameter, ["target"])  # each target's value, filled in at each run
        for mapping in definition.get("TargetMaps") or []:  # each map's values, given to its own execution
            for key, values in mapping.items():
                given.setdefault(key, values)
        validate_and_fill(document.parameters, given, error=InvalidParameters)
        if document.document_type == "Command" and has_instance == bool(targets):
            raise InvalidTarget(TARGETS_NEEDED)
        for target in targets:
            key = target.get("Key") or ""
            if key.startswith("resource-groups:"):
                raise InvalidTarget(RESOURCE_GROUPS_UNSUPPORTED.format(key=key))
            if not (key.lower() == "instanceids" or key == "tag-key" or (key.startswith("tag:") and len(key) > 4)):
                raise InvalidTarget(f"Target key {key} isn't supported. Use InstanceIds, tag:<key> or tag-key.")
        if definition.get("CalendarNames"):  # one that can't be read is refused now, as GetCalendarState would
            self.calendars.state_for(ctx, definition["CalendarNames"])
        expression = definition.get("ScheduleExpression")
        sched = schedule.parse(expression) if expression else None
        if definition.get("ScheduleOffset") and (sched is None or sched.kind != "cron"):
            raise InvalidSchedule(OFFSET_NEEDS_CRON)
        if definition.get("ApplyOnlyAtCronInterval") and sched is None:
            raise InvalidSchedule(APPLY_ONLY_NEEDS_SCHEDULE)
        return document.document_type, sched

    # --- DescribeAssociation ------------------------------------------------------------------------------------
    @operation("DescribeAssociation")
    def describe_association(self, ctx: RequestContext, req: DescribeAssociationRequest) -> DescribeAssociationResult:
        with self.db.read() as conn:
            row = self._find(conn, ctx, req.AssociationId, req.Name, req.InstanceId)
            wanted = req.AssociationVersion
            if wanted is None or wanted == "$LATEST" or wanted == str(row["version"]):
                shown = render.description(row)
            else:
                version = storage.version(conn, row["id"], int(wanted)) if wanted.isdigit() else None
                if version is None:
                    raise InvalidAssociationVersion(f"Association version {wanted} doesn't exist.")
                shown = render.description(row, json.loads(version["definition"]), version["version"])
        return DescribeAssociationResult.model_construct(AssociationDescription=shown)

    def _find(self, conn: Any, ctx: RequestContext, association_id: str | None, name: str | None,
              instance_id: str | None) -> Any:
        if association_id:
            row = storage.by_id(conn, ctx.account_id, ctx.region, association_id)
        elif name and instance_id:
            row = storage.by_name_and_instance(conn, ctx.account_id, ctx.region, name, instance_id)
        else:
            raise AssociationDoesNotExist(LEGACY_NEEDS_NAME_AND_INSTANCE)
        if row is None:
            raise AssociationDoesNotExist("")
        return row

    # --- UpdateAssociation --------------------------------------------------------------------------------------
    @operation("UpdateAssociation")
    def update_association(self, ctx: RequestContext, req: UpdateAssociationRequest) -> UpdateAssociationResult:
        with self.db.read() as conn:
            row = self._find(conn, ctx, req.AssociationId, None, None)
        if req.AssociationVersion not in (None, "$LATEST", str(row["version"])):
            raise InvalidAssociationVersion(
                f"Association version {req.AssociationVersion} isn't the association's latest version.")
        # AWS: optional members left out of UpdateAssociation are cleared; the document and targets stay.
        old = json.loads(row["definition"])
        definition = _definition(req)
        for kept in ("Name", "InstanceId", "Targets"):
            if kept not in definition and kept in old:
                definition[kept] = old[kept]
        document_type, sched = self._checked(ctx, definition)
        now = self.clock.time()
        with self.db.write() as conn:
            current = self._find(conn, ctx, row["id"], None, None)
            if current["version"] >= MAX_VERSIONS:
                raise AssociationVersionLimitExceeded(VERSION_LIMIT.format(id=row["id"], n=MAX_VERSIONS))
            storage.update(conn, row["id"], name=definition["Name"], document_type=document_type,
                           association_name=definition.get("AssociationName"), version=current["version"] + 1,
                           definition=definition, at=now,
                           next_run=executions.first_run(sched, definition, now, self.scale))
            updated = storage.by_id(conn, ctx.account_id, ctx.region, row["id"])
        return UpdateAssociationResult.model_construct(AssociationDescription=render.description(updated))

    @operation("UpdateAssociationStatus")
    def update_association_status(
        self, ctx: RequestContext, req: UpdateAssociationStatusRequest
    ) -> UpdateAssociationStatusResult:
        status = req.AssociationStatus
        assert status is not None
        with self.db.write() as conn:
            if self.instances.get(ctx, req.InstanceId or "") is None:
                raise InvalidInstanceId("")
            row = self._find(conn, ctx, None, req.Name, req.InstanceId)
            shown = status.model_dump(mode="json", exclude_none=True)
            shown["Date"] = status.Date.timestamp() if isinstance(status.Date, datetime) else self.clock.time()
            storage.set_status(conn, row["id"], shown)
            row = storage.by_id(conn, ctx.account_id, ctx.region, row["id"])
        return UpdateAssociationStatusResult.model_construct(AssociationDescription=render.description(row))

    # --- DeleteAssociation --------------------------------------------------------------------------------------
    @operation("DeleteAssociation")
    def delete_association(self, ctx: RequestContext, req: DeleteAssociationRequest) -> DeleteAssociationResult:
        with self.db.write() as conn:
            row = self._find(conn, ctx, req.AssociationId, req.Name, req.InstanceId)
            self._delete(conn, ctx.account_id, ctx.region, row["id"])
        return DeleteAssociationResult.model_construct()

    @staticmethod
    def _delete(conn: sqlite3.Connection, account: str, region: str, association_id: str) -> None:
        storage.delete(conn, association_id)
        tag_store.delete_resource(conn, account, region, storage.RESOURCE_TYPE, association_id)

    def _document_deleted(self, conn: sqlite3.Connection, account: str, region: str, name: str) -> None:
        """DeleteDocument deletes "all managed node associations to the document" (its API reference), whether
        they name it by name or by ARN."""
        for association_id in storage.of_document(conn, account, region, (name, document_arn(region, account, name))):
            self._delete(conn, account, region, association_id)

    # --- listings -----------------------------------------------------------------------------------------------
    @operation("ListAssociations")
    def list_associations(self, ctx: RequestContext, req: ListAssociationsRequest) -> ListAssociationsResult:
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        after = paging.decode("ListAssociations", req.NextToken, int)
        checks = [_association_filter(f.key or "", f.value or "") for f in req.AssociationFilterList or []]
        shown: list[Any] = []
        with self.db.read() as conn:
            for row in storage.owned(conn, ctx.account_id, ctx.region, after):
                if all(check(row) for check in checks):
                    shown.append(row)
                    if len(shown) > limit:
                        break
        rows, token = paging.page("ListAssociations", shown, limit, lambda row: row["seq"])
        return ListAssociationsResult.model_construct(Associations=[render.listed(r) for r in rows], NextToken=token)

    @operation("ListAssociationVersions")
    def list_association_versions(
        self, ctx: RequestContext, req: ListAssociationVersionsRequest
    ) -> ListAssociationVersionsResult:
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        after = paging.decode("ListAssociationVersions", req.NextToken, int)
        with self.db.read() as conn:
            row = self._find(conn, ctx, req.AssociationId, None, None)
            rows = storage.versions(conn, row["id"], after, limit + 1)
        rows, token = paging.page("ListAssociationVersions", rows, limit, lambda r: r["version"])
        return ListAssociationVersionsResult.model_construct(
            AssociationVersions=[render.version_info(row["id"], r) for r in rows], NextToken=token)

    @operation("DescribeAssociationExecutions")
    def describe_association_executions(
        self, ctx: RequestContext, req: DescribeAssociationExecutionsRequest
    ) -> DescribeAssociationExecutionsResult:
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        before = paging.decode("DescribeAssociationExecutions", req.NextToken, int)
        where, params = [], []
        for f in req.Filters or []:
            column = {"ExecutionId": "id", "Status": "status", "CreatedTime": "created_at"}[f.Key or ""]
            value: Any = f.Value
            if column == "created_at":
                value = round(_instant(f.Value or ""), 3)  # CreatedTime is kept to the millisecond
            where.append(f"{column} {({'LESS_THAN': '<', 'GREATER_THAN': '>'}).get(f.Type or '', '=')} ?")
            params.append(value)
        with self.db.read() as conn:
            row = self._find(conn, ctx, req.AssociationId, None, None)
            rows = storage.executions(conn, row["id"], where, params, before, limit + 1)
        rows, token = paging.page("DescribeAssociationExecutions", rows, limit, lambda r: r["seq"])
        return DescribeAssociationExecutionsResult.model_construct(
            AssociationExecutions=[render.execution(r) for r in rows], NextToken=token)

    @operation("DescribeAssociationExecutionTargets")
    def describe_association_execution_targets(
        self, ctx: RequestContext, req: DescribeAssociationExecutionTargetsRequest
    ) -> DescribeAssociationExecutionTargetsResult:
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        after = paging.decode("DescribeAssociationExecutionTargets", req.NextToken, str)
        where, params = [], []
        for f in req.Filters or []:
            where.append({"Status": "status", "ResourceId": "resource_id", "ResourceType": "resource_type"}[
                f.Key or ""] + " = ?")
            params.append(f.Value)
        with self.db.read() as conn:
            row = self._find(conn, ctx, req.AssociationId, None, None)
            run = storage.execution(conn, row["id"], req.ExecutionId or "")
            if run is None:
                raise AssociationExecutionDoesNotExist("")
            rows = storage.targets(conn, run["id"], where, params, after, limit + 1)
        rows, token = paging.page("DescribeAssociationExecutionTargets", rows, limit, lambda r: r["resource_id"])
        return DescribeAssociationExecutionTargetsResult.model_construct(
            AssociationExecutionTargets=[render.execution_target(row["id"], run["version"], r) for r in rows],
            NextToken=token)

    @operation("DescribeInstanceAssociationsStatus")
    def describe_instance_associations_status(
        self, ctx: RequestContext, req: DescribeInstanceAssociationsStatusRequest
    ) -> DescribeInstanceAssociationsStatusResult:
        if self.instances.get(ctx, req.InstanceId or "") is None:
            raise InvalidInstanceId("")
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        after = paging.decode("DescribeInstanceAssociationsStatus", req.NextToken, str)
        with self.db.read() as conn:
            rows = storage.instance_statuses(conn, req.InstanceId or "", ctx.account_id, ctx.region, after, limit + 1)
        rows, token = paging.page("DescribeInstanceAssociationsStatus", rows, limit, lambda r: r["association_id"])
        return DescribeInstanceAssociationsStatusResult.model_construct(
            InstanceAssociationStatusInfos=[render.instance_status(r) for r in rows], NextToken=token)

    @operation("DescribeEffectiveInstanceAssociations")
    def describe_effective_instance_associations(
        self, ctx: RequestContext, req: DescribeEffectiveInstanceAssociationsRequest
    ) -> DescribeEffectiveInstanceAssociationsResult:
        instance = self.instances.get(ctx, req.InstanceId or "")
        if instance is None:
            raise InvalidInstanceId("")
        limit = req.MaxResults or 5
        after = paging.decode("DescribeEffectiveInstanceAssociations", req.NextToken, int)
        effective = []
        for row in self.effective_associations(ctx, instance.instance_id, after):
            effective.append(row)
            if len(effective) > limit:
                break
        shown, token = paging.page("DescribeEffectiveInstanceAssociations", effective, limit, lambda r: r["seq"])
        out = []
        for row in shown:
            definition = json.loads(row["definition"])
            document = self.documents.resolve(ctx, row["name"], definition.get("DocumentVersion"))
            out.append(InstanceAssociation.model_construct(
                AssociationId=row["id"], InstanceId=instance.instance_id, Content=document.raw_content,
                AssociationVersion=str(row["version"])))
        return DescribeEffectiveInstanceAssociationsResult.model_construct(Associations=out, NextToken=token)

    def effective_associations(self, ctx: RequestContext, instance_id: str,
                               after: int | None = None) -> Iterator[sqlite3.Row]:
        """The Command associations that apply to an instance (by its ID or its targets), in creation order."""
        with self.db.read() as conn:
            rows = [r for r in storage.owned(conn, ctx.account_id, ctx.region, after)
                    if r["document_type"] == "Command"]
        for row in rows:
            targets = json.loads(row["definition"]).get("Targets")
            if row["instance_id"] == instance_id or (targets and instance_id in {
                    i.instance_id for i in self.instances.select(ctx, targets=targets)}):
                yield row

    # --- the plugin (Run Command calls it for aws:refreshAssociation steps) ------------------------------------
    def plugins(self) -> dict[str, Any]:
        return {refresh.PLUGIN: refresh.RefreshAssociation(self.effective_associations, self.runner.apply_now).run}

    # --- StartAssociationsOnce ----------------------------------------------------------------------------------
    @operation("StartAssociationsOnce")
    def start_associations_once(
        self, ctx: RequestContext, req: StartAssociationsOnceRequest
    ) -> StartAssociationsOnceResult:
        now = self.clock.time()
        with self.db.write() as conn:
            for association_id in req.AssociationIds or []:
                if storage.by_id(conn, ctx.account_id, ctx.region, association_id) is None:
                    raise InvalidAssociation(f"Association {association_id} doesn't exist.")
            for association_id in req.AssociationIds or []:
                storage.set_next_run(conn, association_id, now)
        return StartAssociationsOnceResult.model_construct()


def _definition(req: Any) -> dict[str, Any]:
    dumped = req.model_dump(mode="json", exclude_none=True)
    definition = {k: dumped[k] for k in DEFINITION if k in dumped}
    definition.setdefault("DocumentVersion", "$DEFAULT")  # what AWS shows when none was named
    definition.setdefault("ApplyOnlyAtCronInterval", False)
    if "Targets" in definition:
        definition["Targets"] = [{"Key": t.get("Key"), "Values": list(t.get("Values") or [])}
                                 for t in definition["Targets"]]
    return definition


def _association_filter(key: str, value: str) -> Any:
    if key in TIME_FILTERS:
        moment = _instant(value)
        if TIME_FILTERS[key] == "<":
            return lambda row: row["last_execution"] is not None and row["last_execution"] < moment
        return lambda row: row["last_execution"] is not None and row["last_execution"] > moment
    # InstanceId "only returns legacy associations created using the InstanceID attribute" (ListAssociations
    # API reference), not those whose Targets name the node.
    column = {"Name": "name", "AssociationId": "id", "AssociationStatusName": "overview_status",
              "AssociationName": "association_name", "InstanceId": "instance_id"}.get(key)
    if column is None:  # ResourceGroupName, CloudConnectorId: nothing offline belongs to one
        return lambda row: False
    return lambda row: row[column] == value


def _instant(value: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidParameters(f"{value} isn't a valid time.") from None
