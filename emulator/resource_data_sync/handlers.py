"""CreateResourceDataSync, ListResourceDataSync, UpdateResourceDataSync, DeleteResourceDataSync, and the sweep
that writes each SyncToDestination sync's data into the local folder the config names (`data_sync_dir`).

    syncs = ResourceDataSyncs(services, compliance=compliance)
    syncs.add_writer(write_inventory)   # (folder, account, region, now): more data for every SyncToDestination sync

SyncFromSource syncs (Explorer's OpsData aggregation) are stored and listed; there is no OpsData offline to
aggregate, so a sweep only records them as run, and an AwsOrganizations source shows State OrganizationNotExists
(there is no AWS Organizations offline).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    ResourceDataSyncAlreadyExistsException,
    ResourceDataSyncCountExceededException,
    ResourceDataSyncInvalidConfigurationException,
    ResourceDataSyncNotFoundException,
)
from api_models.resource_data_sync import (
    CreateResourceDataSyncRequest,
    DeleteResourceDataSyncRequest,
    ListResourceDataSyncRequest,
    ListResourceDataSyncResult,
    ResourceDataSyncItem,
    ResourceDataSyncS3Destination,
    ResourceDataSyncSource,
    ResourceDataSyncSourceWithState,
    UpdateResourceDataSyncRequest,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.operations import operation
from emulator.resource_data_sync import export, store
from emulator.resource_data_sync.store import Sync

if TYPE_CHECKING:
    from emulator.compliance import Compliance
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.resource_data_sync")

# (destination folder: data_sync_dir/BucketName/Prefix, account, region, now) -> None: writes one kind of data
# (compliance here; Inventory adds its own through ResourceDataSyncs.add_writer).
Writer = Callable[[Path, str, str, float], None]

TO_DESTINATION, FROM_SOURCE = "SyncToDestination", "SyncFromSource"
SOURCE_TYPES = ("SingleAccountMultiRegions", "AwsOrganizations")
ORGANIZATION_SOURCE_TYPES = ("EntireOrganization", "OrganizationalUnits")
# Service Quotas: "Resource data syncs: 5 per account per Region".
MAX_SYNCS = 5
MAX_RESULTS = 50
SUCCESSFUL, FAILED, IN_PROGRESS = "Successful", "Failed", "InProgress"
NO_FOLDER = (
    "ssm-emulator has no Amazon S3: set data_sync_dir in the config file to write this sync's data to a local "
    "folder (<data_sync_dir>/<BucketName>/<Prefix>/)."
)
NO_ORGANIZATION = "OrganizationNotExists"  # a ResourceDataSyncSourceWithState State; no AWS Organizations offline


def invalid(message: str) -> ResourceDataSyncInvalidConfigurationException:
    return ResourceDataSyncInvalidConfigurationException(message)


def not_found(name: str, sync_type: str | None = None) -> ResourceDataSyncNotFoundException:
    return ResourceDataSyncNotFoundException(f"Resource data sync {name} doesn't exist.", SyncName=name, SyncType=sync_type)


def _sync_type(value: str | None) -> str:
    """SyncType as given; absent means SyncToDestination (its default)."""
    sync_type = value or TO_DESTINATION
    if sync_type not in (TO_DESTINATION, FROM_SOURCE):
        raise invalid(f"SyncType {sync_type} isn't valid. Valid types: {TO_DESTINATION}, {FROM_SOURCE}.")
    return sync_type


def _check_destination(destination: ResourceDataSyncS3Destination) -> None:
    # The bucket and prefix become folders here: keep them inside data_sync_dir.
    bucket = destination.BucketName or ""
    if "/" in bucket or bucket in (".", ".."):
        raise invalid(f"The bucket name {bucket} isn't valid.")
    if destination.Prefix is not None and ".." in PurePosixPath(destination.Prefix).parts:
        raise invalid(f"The prefix {destination.Prefix} isn't valid.")


def _check_source(source: ResourceDataSyncSource) -> None:
    if source.SourceType not in SOURCE_TYPES:
        raise invalid(f"SourceType {source.SourceType} isn't valid. Valid types: {', '.join(SOURCE_TYPES)}.")
    if not source.SourceRegions:
        raise invalid("SourceRegions must name at least one Region.")
    organizations = source.AwsOrganizationsSource
    if source.SourceType == "AwsOrganizations":
        if organizations is None:
            raise invalid("An AwsOrganizations source needs AwsOrganizationsSource.")
        if organizations.OrganizationSourceType not in ORGANIZATION_SOURCE_TYPES:
            raise invalid(
                f"OrganizationSourceType {organizations.OrganizationSourceType} isn't valid. "
                f"Valid types: {', '.join(ORGANIZATION_SOURCE_TYPES)}."
            )
        if organizations.OrganizationSourceType == "OrganizationalUnits" and not organizations.OrganizationalUnits:
            raise invalid("OrganizationSourceType OrganizationalUnits needs OrganizationalUnits.")
    elif organizations is not None:
        raise invalid("AwsOrganizationsSource is only valid with SourceType AwsOrganizations.")


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


class ResourceDataSyncs:
    """The four resource data sync operations and the sweep that runs the syncs."""

    def __init__(self, services: Services, compliance: Compliance) -> None:
        self.db = services.db
        self.clock = services.clock
        self.background = services.background
        self.config = services.config
        self._writers: list[Writer] = [
            lambda folder, account, region, now: export.write_compliance(
                folder, account, region, compliance.export(account, region), now
            )
        ]
        self._sweeping = threading.Lock()  # the periodic sweep and the one a CreateResourceDataSync starts
        store.migrate(self.db)

    def exists(self, account: str, region: str, name: str) -> bool:
        """Whether the account has a resource data sync of that name in the Region (GetOpsSummary's SyncName)."""
        with self.db.read() as conn:
            return store.get(conn, account, region, name) is not None

    def add_writer(self, writer: Writer) -> None:
        """Have every SyncToDestination sync also write `writer`'s data (called by the app factory)."""
        self._writers.append(writer)

    def start(self) -> None:
        self.background.every(self.config.data_sync_interval, self.sweep, "resource-data-sync")

    # --- the sweep ----------------------------------------------------------------------------------------
    def sweep(self) -> None:
        """Run every sync once: write a SyncToDestination sync's data, record each outcome."""
        with self._sweeping:
            with self.db.read() as conn:
                syncs = store.every(conn)
            for sync in syncs:
                status, message = self._run(sync)
                with self.db.write() as conn:
                    store.record_run(conn, sync, self.clock.time(), status, message)

    def _run(self, sync: Sync) -> tuple[str, str | None]:
        if sync.sync_type == FROM_SOURCE:
            if (sync.sync_source or {}).get("SourceType") == "AwsOrganizations":
                return FAILED, "There is no AWS Organizations organization offline."
            return SUCCESSFUL, None
        root = self.config.data_sync_dir
        if root is None:
            return FAILED, NO_FOLDER
        destination = sync.s3_destination or {}
        folder = Path(root) / destination["BucketName"]
        if destination.get("Prefix"):
            folder = folder / destination["Prefix"]
        try:
            for write in self._writers:
                write(folder, sync.account, sync.region, self.clock.time())
        except OSError as e:
            log.warning("resource data sync %s could not write to %s: %s", sync.name, folder, e)
            return FAILED, f"Could not write to {folder}: {e.strerror or e}"
        return SUCCESSFUL, None

    # --- operations -----------------------------------------------------------------------------------------
    @operation("CreateResourceDataSync")
    def create_resource_data_sync(self, ctx: RequestContext, req: CreateResourceDataSyncRequest) -> None:
        name = req.SyncName or ""
        sync_type = _sync_type(req.SyncType)
        if sync_type == TO_DESTINATION:
            if req.S3Destination is None:
                raise invalid("A SyncToDestination sync needs S3Destination.")
            if req.SyncSource is not None:
                raise invalid("SyncSource is only valid for a SyncFromSource sync.")
            _check_destination(req.S3Destination)
        else:
            if req.SyncSource is None:
                raise invalid("A SyncFromSource sync needs SyncSource.")
            if req.S3Destination is not None:
                raise invalid("S3Destination is only valid for a SyncToDestination sync.")
            _check_source(req.SyncSource)
        now = self.clock.time()
        sync = Sync(
            account=ctx.account_id, region=ctx.region, name=name, sync_type=sync_type,
            s3_destination=_dump(req.S3Destination) if req.S3Destination else None,
            sync_source=_dump(req.SyncSource) if req.SyncSource else None,
            created=now, modified=now, last_sync=None, last_success=None, last_status=IN_PROGRESS, last_message=None,
        )
        with self.db.write() as conn:
            if store.get(conn, ctx.account_id, ctx.region, name) is not None:
                raise ResourceDataSyncAlreadyExistsException(f"Resource data sync {name} already exists.", SyncName=name)
            if store.count(conn, ctx.account_id, ctx.region) >= MAX_SYNCS:
                raise ResourceDataSyncCountExceededException(
                    f"You have reached the maximum of {MAX_SYNCS} resource data syncs in this account and Region."
                )
            store.insert(conn, sync)
        self.background.submit(self.sweep)  # "returns immediately"; the initial sync follows at once

    @operation("ListResourceDataSync")
    def list_resource_data_sync(self, ctx: RequestContext, req: ListResourceDataSyncRequest) -> ListResourceDataSyncResult:
        sync_type = _sync_type(req.SyncType)
        after = paging.decode("ListResourceDataSync", req.NextToken, str)
        limit = req.MaxResults or MAX_RESULTS
        with self.db.read() as conn:
            rows = store.listing(conn, ctx.account_id, ctx.region, sync_type, after, limit + 1)
        shown, token = paging.page("ListResourceDataSync", rows, limit, lambda s: s.name)
        return ListResourceDataSyncResult.model_construct(
            ResourceDataSyncItems=[self._item(s) for s in shown], NextToken=token
        )

    def _item(self, sync: Sync) -> ResourceDataSyncItem:
        source = None
        if sync.sync_source is not None:
            source = ResourceDataSyncSourceWithState.model_validate(sync.sync_source)
            if sync.sync_source.get("SourceType") == "AwsOrganizations":
                source.State = NO_ORGANIZATION
        return ResourceDataSyncItem.model_construct(
            SyncName=sync.name, SyncType=sync.sync_type, SyncSource=source,
            S3Destination=ResourceDataSyncS3Destination.model_validate(sync.s3_destination) if sync.s3_destination else None,
            LastSyncTime=timestamp(sync.last_sync) if sync.last_sync is not None else None,
            LastSuccessfulSyncTime=timestamp(sync.last_success) if sync.last_success is not None else None,
            SyncLastModifiedTime=timestamp(sync.modified), LastStatus=sync.last_status,
            SyncCreatedTime=timestamp(sync.created), LastSyncStatusMessage=sync.last_message,
        )

    @operation("UpdateResourceDataSync")
    def update_resource_data_sync(self, ctx: RequestContext, req: UpdateResourceDataSyncRequest) -> None:
        name = req.SyncName or ""
        sync_type = _sync_type(req.SyncType)
        assert req.SyncSource is not None
        with self.db.write() as conn:
            sync = store.get(conn, ctx.account_id, ctx.region, name)
            if sync is None or sync.sync_type != sync_type:
                raise not_found(name, sync_type)
            if sync_type != FROM_SOURCE:
                raise invalid("Only a SyncFromSource resource data sync can be updated.")
            _check_source(req.SyncSource)
            if req.SyncSource.SourceType != (sync.sync_source or {}).get("SourceType"):
                raise invalid("The SourceType of a resource data sync can't be changed.")
            store.update_source(conn, ctx.account_id, ctx.region, name, _dump(req.SyncSource), self.clock.time())

    @operation("DeleteResourceDataSync")
    def delete_resource_data_sync(self, ctx: RequestContext, req: DeleteResourceDataSyncRequest) -> None:
        name = req.SyncName or ""
        with self.db.write() as conn:
            sync = store.get(conn, ctx.account_id, ctx.region, name)
            if sync is None or (req.SyncType is not None and sync.sync_type != _sync_type(req.SyncType)):
                raise not_found(name, req.SyncType)
            store.delete(conn, ctx.account_id, ctx.region, name)
