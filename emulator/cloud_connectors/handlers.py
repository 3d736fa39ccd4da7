"""CreateCloudConnector, GetCloudConnector, UpdateCloudConnector, DeleteCloudConnector, ListCloudConnectors and
ValidateCloudConnector: the records that connect Systems Manager to an Azure tenant or a GCP organization.

The records are real (validated, stored per account and Region, listed with filters and pages, tagged as
CloudConnector resources). What a connector is for, reaching the other cloud with the IAM role's web identity,
can't happen offline: ValidateCloudConnector says so for an existing connector rather than inventing findings.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from api_models.cloud_connectors import (
    CloudConnectorConfiguration,
    CloudConnectorSummary,
    CreateCloudConnectorRequest,
    CreateCloudConnectorResult,
    DeleteCloudConnectorRequest,
    DeleteCloudConnectorResult,
    GetCloudConnectorRequest,
    GetCloudConnectorResult,
    ListCloudConnectorsRequest,
    ListCloudConnectorsResult,
    UpdateCloudConnectorRequest,
    UpdateCloudConnectorResult,
    ValidateCloudConnectorRequest,
    ValidateCloudConnectorResult,
)
from api_models.errors import ResourceNotFoundException, UnsupportedOperationException, ValidationException
from emulator import paging
from emulator.clock import timestamp
from emulator.cloud_connectors import store
from emulator.cloud_connectors.store import Connector
from emulator.context import RequestContext
from emulator.operations import Offline, operation
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.services import Services

RESOURCE_TYPE = "CloudConnector"
AZURE, GCP = "Azure", "GCP"
MAX_RESULTS = 10  # ListCloudConnectors' MaxResults is at most 10
LISTING = "ListCloudConnectors"

NOT_FOUND = "The cloud connector {id} doesn't exist in this account and Region."
ONE_PROVIDER = "Configuration needs exactly one of AzureConfiguration and GcpConfiguration."
PROVIDER_CHANGE = "A cloud connector's provider can't change: it is {old}. Create a new cloud connector for {new}."
FILTER_NEEDS_KEY = "Each filter needs a FilterKey and FilterValues."
VALIDATION = Offline(
    UnsupportedOperationException,
    "validating a cloud connector means assuming its IAM role, exchanging the role's web identity token with "
    "Microsoft Entra ID or Google Cloud workload identity federation, and calling the Azure or GCP APIs of its "
    "targets, none of which can be reached offline. The connector's record itself is kept and served as AWS does.",
)

# ListCloudConnectors' filter keys, each the values a configuration offers for it.
FILTERS: dict[str, Callable[[CloudConnectorConfiguration], list[str]]] = {
    "TenantId": lambda c: [c.AzureConfiguration.TenantId] if c.AzureConfiguration else [],
    "SubscriptionId": lambda c: [
        s.Id for s in (c.AzureConfiguration.Targets.Subscriptions or [])
    ] if c.AzureConfiguration and c.AzureConfiguration.Targets else [],
    "OrganizationId": lambda c: [c.GcpConfiguration.OrganizationId]
    if c.GcpConfiguration and c.GcpConfiguration.OrganizationId else [],
    "ProjectId": lambda c: [
        p.ProjectId for p in (c.GcpConfiguration.Targets.Projects or [])
    ] if c.GcpConfiguration and c.GcpConfiguration.Targets else [],
}


def _provider(configuration: CloudConnectorConfiguration) -> str:
    if (configuration.AzureConfiguration is None) == (configuration.GcpConfiguration is None):
        raise ValidationException(ONE_PROVIDER)
    return AZURE if configuration.AzureConfiguration is not None else GCP


def _stored(configuration: CloudConnectorConfiguration) -> str:
    return configuration.model_dump_json(exclude_none=True, by_alias=True)


def _configuration(c: Connector) -> CloudConnectorConfiguration:
    return CloudConnectorConfiguration.model_validate_json(c.configuration)


class CloudConnectors:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.clock = services.clock
        store.migrate(self.db)
        tag_store.migrate(self.db)
        services.taggable.register(RESOURCE_TYPE, self._taggable_id)

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            return resource_id if store.get(conn, ctx.account_id, ctx.region, resource_id) else None

    def _get(self, ctx: RequestContext, connector_id: str) -> Connector:
        with self.db.read() as conn:
            found = store.get(conn, ctx.account_id, ctx.region, connector_id)
        if found is None:
            raise ResourceNotFoundException(NOT_FOUND.format(id=connector_id))
        return found

    @operation("CreateCloudConnector")
    def create_cloud_connector(
        self, ctx: RequestContext, req: CreateCloudConnectorRequest,
    ) -> CreateCloudConnectorResult:
        now = self.clock.time()
        connector = Connector(
            id=str(uuid.uuid4()), display_name=req.DisplayName, description=req.Description, role_arn=req.RoleArn,
            provider=_provider(req.Configuration),
            configuration=_stored(req.Configuration),
            config_connector_arn=req.ConfigConnectorArn, created=now, updated=now,
        )
        with self.db.write() as conn:
            store.put(conn, ctx.account_id, ctx.region, connector)
            if req.Tags:
                tag_store.put_tags(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, connector.id,
                                   [(t.Key, t.Value) for t in req.Tags])
        return CreateCloudConnectorResult.model_construct(CloudConnectorId=connector.id)

    @operation("GetCloudConnector")
    def get_cloud_connector(self, ctx: RequestContext, req: GetCloudConnectorRequest) -> GetCloudConnectorResult:
        c = self._get(ctx, req.CloudConnectorId)
        return GetCloudConnectorResult.model_construct(
            CloudConnectorArn=ctx.arn(f"cloud-connector/{c.id}"), DisplayName=c.display_name,
            Description=c.description, RoleArn=c.role_arn, Configuration=_configuration(c),
            ConfigConnectorArn=c.config_connector_arn, CreatedAt=timestamp(c.created), UpdatedAt=timestamp(c.updated),
        )

    @operation("UpdateCloudConnector")
    def update_cloud_connector(
        self, ctx: RequestContext, req: UpdateCloudConnectorRequest,
    ) -> UpdateCloudConnectorResult:
        with self.db.write() as conn:
            c = store.get(conn, ctx.account_id, ctx.region, req.CloudConnectorId)
            if c is None:
                raise ResourceNotFoundException(NOT_FOUND.format(id=req.CloudConnectorId))
            changed = replace(c, updated=self.clock.time())
            if req.Configuration is not None:
                provider = _provider(req.Configuration)
                if provider != c.provider:
                    raise ValidationException(PROVIDER_CHANGE.format(old=c.provider, new=provider))
                changed = replace(changed, configuration=_stored(req.Configuration))
            if req.DisplayName is not None:
                changed = replace(changed, display_name=req.DisplayName)
            if req.Description is not None:
                changed = replace(changed, description=req.Description)
            store.put(conn, ctx.account_id, ctx.region, changed)
        return UpdateCloudConnectorResult.model_construct(CloudConnectorId=c.id)

    @operation("DeleteCloudConnector")
    def delete_cloud_connector(
        self, ctx: RequestContext, req: DeleteCloudConnectorRequest,
    ) -> DeleteCloudConnectorResult:
        with self.db.write() as conn:
            if store.get(conn, ctx.account_id, ctx.region, req.CloudConnectorId) is None:
                raise ResourceNotFoundException(NOT_FOUND.format(id=req.CloudConnectorId))
            store.delete(conn, ctx.account_id, ctx.region, req.CloudConnectorId)
            tag_store.delete_resource(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, req.CloudConnectorId)
        return DeleteCloudConnectorResult.model_construct(CloudConnectorId=req.CloudConnectorId)

    @operation("ListCloudConnectors")
    def list_cloud_connectors(self, ctx: RequestContext, req: ListCloudConnectorsRequest) -> ListCloudConnectorsResult:
        wanted: list[tuple[Callable[[CloudConnectorConfiguration], list[str]], str]] = []
        for f in req.Filters or []:
            if f.FilterKey is None or not f.FilterValues:
                raise ValidationException(FILTER_NEEDS_KEY)
            wanted.append((FILTERS[f.FilterKey], f.FilterValues[0]))
        position = paging.decode_time_and_id(LISTING, req.NextToken)
        limit = req.MaxResults or MAX_RESULTS
        with self.db.read() as conn:
            rows = store.after(conn, ctx.account_id, ctx.region, position)
        matching = [c for c in rows if all(value in values(_configuration(c)) for values, value in wanted)]
        shown, token = paging.page(LISTING, matching, limit, lambda c: [c.created, c.id])
        return ListCloudConnectorsResult.model_construct(
            CloudConnectors=[
                CloudConnectorSummary.model_construct(
                    CloudConnectorId=c.id, DisplayName=c.display_name, Description=c.description,
                    RoleArn=c.role_arn, CreatedAt=timestamp(c.created), UpdatedAt=timestamp(c.updated),
                    Provider=c.provider, ConfigConnectorArn=c.config_connector_arn,
                )
                for c in shown
            ],
            NextToken=token,
        )

    @operation("ValidateCloudConnector")
    def validate_cloud_connector(
        self, ctx: RequestContext, req: ValidateCloudConnectorRequest,
    ) -> ValidateCloudConnectorResult:
        self._get(ctx, req.CloudConnectorId)
        raise VALIDATION.exception("ValidateCloudConnector")
