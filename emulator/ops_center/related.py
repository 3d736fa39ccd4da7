"""AssociateOpsItemRelatedItem, DisassociateOpsItemRelatedItem and ListOpsItemRelatedItems.

OpsCenter supports the association types IsParentOf and RelatesTo, and the resource types
AWS::SSMIncidents::IncidentRecord and AWS::SSM::Document, as the API reference says; ResourceUri is an ARN, and
one ARN is associated with an OpsItem once. Each association and disassociation is an event of the OpsItem.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from api_models.errors import (
    OpsItemInvalidParameterException,
    OpsItemRelatedItemAlreadyExistsException,
    OpsItemRelatedItemAssociationNotFoundException,
)
from api_models.ops_center import (
    AssociateOpsItemRelatedItemRequest,
    AssociateOpsItemRelatedItemResponse,
    DisassociateOpsItemRelatedItemRequest,
    DisassociateOpsItemRelatedItemResponse,
    ListOpsItemRelatedItemsRequest,
    ListOpsItemRelatedItemsResponse,
    OpsItemIdentity,
    OpsItemRelatedItemSummary,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.ops_center import items
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.ops_center.handlers import OpsCenter

ASSOCIATION_TYPES = ("IsParentOf", "RelatesTo")
RESOURCE_TYPES = ("AWS::SSMIncidents::IncidentRecord", "AWS::SSM::Document")
MAX_RESULTS = 50
FILTER_FIELDS = {"ResourceType": "resource_type", "AssociationId": "association_id", "ResourceUri": "resource_uri"}


def _invalid(message: str, name: str) -> OpsItemInvalidParameterException:
    return OpsItemInvalidParameterException(message, ParameterNames=[name])


class OpsItemRelatedItems:
    def __init__(self, ops_center: OpsCenter) -> None:
        self.ops_center = ops_center
        self.db = ops_center.db
        self.clock = ops_center.clock

    @operation("AssociateOpsItemRelatedItem")
    def associate_ops_item_related_item(
        self, ctx: RequestContext, req: AssociateOpsItemRelatedItemRequest
    ) -> AssociateOpsItemRelatedItemResponse:
        if req.AssociationType not in ASSOCIATION_TYPES:
            raise _invalid(f"The association type {req.AssociationType} isn't valid: use "
                           f"{', '.join(ASSOCIATION_TYPES)}.", "AssociationType")
        if req.ResourceType not in RESOURCE_TYPES:
            raise _invalid(f"The resource type {req.ResourceType} isn't valid: use {', '.join(RESOURCE_TYPES)}.",
                           "ResourceType")
        uri = req.ResourceUri or ""
        if not uri.startswith("arn:"):
            raise _invalid(f"The resource URI {uri} isn't an ARN.", "ResourceUri")
        item = self.ops_center.get(ctx, req.OpsItemId or "")
        related = items.RelatedItem(0, item.id, str(uuid.uuid4()), req.AssociationType or "", req.ResourceType or "",
                                    uri, ctx.caller.arn, self.clock.time())
        with self.db.write() as conn:
            if any(r.resource_uri == uri for r in items.related(conn, ctx.account_id, ctx.region, item.id)):
                raise OpsItemRelatedItemAlreadyExistsException(
                    f"The resource {uri} is already associated with the OpsItem {item.id}.",
                    ResourceUri=uri, OpsItemId=item.id)
            items.add_related(conn, ctx.account_id, ctx.region, related)
            self.ops_center.record_event(conn, item, "OpsItem Related Item Associated", ctx.caller.arn, {
                "AssociationId": related.association_id, "ResourceType": related.resource_type, "ResourceUri": uri})
        return AssociateOpsItemRelatedItemResponse.model_construct(AssociationId=related.association_id)

    @operation("DisassociateOpsItemRelatedItem")
    def disassociate_ops_item_related_item(
        self, ctx: RequestContext, req: DisassociateOpsItemRelatedItemRequest
    ) -> DisassociateOpsItemRelatedItemResponse:
        item = self.ops_center.get(ctx, req.OpsItemId or "")
        with self.db.write() as conn:
            removed = items.remove_related(conn, ctx.account_id, ctx.region, item.id, req.AssociationId or "")
            if removed is None:
                raise OpsItemRelatedItemAssociationNotFoundException(
                    f"The association {req.AssociationId} of the OpsItem {item.id} doesn't exist.")
            self.ops_center.record_event(conn, item, "OpsItem Related Item Disassociated", ctx.caller.arn, {
                "AssociationId": removed.association_id, "ResourceUri": removed.resource_uri})
        return DisassociateOpsItemRelatedItemResponse.model_construct()

    @operation("ListOpsItemRelatedItems")
    def list_ops_item_related_items(
        self, ctx: RequestContext, req: ListOpsItemRelatedItemsRequest
    ) -> ListOpsItemRelatedItemsResponse:
        before = paging.decode("ListOpsItemRelatedItems", req.NextToken, int)
        limit = req.MaxResults or MAX_RESULTS
        with self.db.read() as conn:
            found = items.related(conn, ctx.account_id, ctx.region, req.OpsItemId)
        for f in req.Filters or []:
            attr, values = FILTER_FIELDS[f.Key or ""], list(f.Values or [])
            found = [r for r in found if getattr(r, attr) in values]
        found = [r for r in found if before is None or r.seq < before]
        shown, token = paging.page("ListOpsItemRelatedItems", found[:limit + 1], limit, lambda r: r.seq)
        return ListOpsItemRelatedItemsResponse.model_construct(Summaries=[OpsItemRelatedItemSummary.model_construct(
            OpsItemId=r.ops_item_id, AssociationId=r.association_id, ResourceType=r.resource_type,
            AssociationType=r.association_type, ResourceUri=r.resource_uri,
            CreatedBy=OpsItemIdentity.model_construct(Arn=r.created_by), CreatedTime=timestamp(r.created_at),
            LastModifiedBy=OpsItemIdentity.model_construct(Arn=r.created_by),
            LastModifiedTime=timestamp(r.created_at),
        ) for r in shown], NextToken=token)
