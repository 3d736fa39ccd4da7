"""AddTagsToResource, RemoveTagsFromResource, ListTagsForResource — for every resource type."""
from __future__ import annotations

from typing import TYPE_CHECKING

from api_models.errors import InvalidResourceId, TooManyTagsError
from api_models.shared import Tag
from api_models.tags import (
    AddTagsToResourceRequest,
    ListTagsForResourceRequest,
    ListTagsForResourceResult,
    RemoveTagsFromResourceRequest,
)
from emulator.context import RequestContext
from emulator.operations import operation
from emulator.tags import store

if TYPE_CHECKING:
    from emulator.services import Services

INVALID_RESOURCE_ID = "The resource ID isn't valid. Verify that you entered the correct ID and try again."


def too_many_tags(limit: int) -> TooManyTagsError:
    return TooManyTagsError(f"The resource can't have more than {limit} tags.")


class Tags:
    """The three tag operations; resource types are resolved through services.taggable."""

    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.taggable = services.taggable
        store.migrate(self.db)

    def _resource_id(self, ctx: RequestContext, resource_type: str, resource_id: str) -> tuple[str, str, int]:
        """The resource's canonical id, the region its tags are kept under, and its tag limit."""
        kind = self.taggable.get(resource_type)
        canonical = kind.resolve(ctx, resource_id) if kind is not None else None
        if canonical is None:
            raise InvalidResourceId(INVALID_RESOURCE_ID)
        return canonical, kind.region_for(ctx), kind.max_tags

    @operation("AddTagsToResource")
    def add_tags_to_resource(self, ctx: RequestContext, req: AddTagsToResourceRequest) -> None:
        rid, region, limit = self._resource_id(ctx, req.ResourceType, req.ResourceId)
        tags = {t.Key: t.Value for t in req.Tags}
        with self.db.write() as conn:
            if store.count_after_put(conn, ctx.account_id, region, req.ResourceType, rid, tags) > limit:
                raise too_many_tags(limit)
            store.put_tags(conn, ctx.account_id, region, req.ResourceType, rid, tags.items())

    @operation("RemoveTagsFromResource")
    def remove_tags_from_resource(self, ctx: RequestContext, req: RemoveTagsFromResourceRequest) -> None:
        rid, region, _ = self._resource_id(ctx, req.ResourceType, req.ResourceId)
        with self.db.write() as conn:
            store.remove_tags(conn, ctx.account_id, region, req.ResourceType, rid, req.TagKeys)

    @operation("ListTagsForResource")
    def list_tags_for_resource(self, ctx: RequestContext, req: ListTagsForResourceRequest) -> ListTagsForResourceResult:
        rid, region, _ = self._resource_id(ctx, req.ResourceType, req.ResourceId)
        with self.db.read() as conn:
            pairs = store.list_tags(conn, ctx.account_id, region, req.ResourceType, rid)
        return ListTagsForResourceResult.model_construct(
            TagList=[Tag.model_construct(Key=k, Value=v) for k, v in pairs]
        )
