"""Which resources can be tagged, and how each resource type finds its resources.

Tagging is generic: AddTagsToResource names a ResourceType and a ResourceId, and the capability
that owns that type (Parameter Store for "Parameter", Documents for "Document", ...) registers
how to turn the id into the resource's canonical id, or say it does not exist. Types no
capability has registered yet have no resources, so their ids are all invalid.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from emulator.context import RequestContext

DEFAULT_MAX_TAGS = 50  # "Most resources can have a maximum of 50 tags. Automations can have a maximum of 5 tags."

# (ctx, resource id as given) -> canonical id of an existing resource, or None.
Resolver = Callable[[RequestContext, str], "str | None"]


@dataclass(frozen=True)
class TaggableType:
    resource_type: str
    resolve: Resolver
    max_tags: int = DEFAULT_MAX_TAGS
    # The region key tags are kept under when resources of this type are not regional (managed
    # instances are visible in every region of their account); None: the caller's region.
    tag_region: str | None = None

    def region_for(self, ctx: RequestContext) -> str:
        return self.tag_region if self.tag_region is not None else ctx.region


class TaggableResources:
    def __init__(self) -> None:
        self._types: dict[str, TaggableType] = {}
        self._lock = threading.Lock()

    def register(
        self, resource_type: str, resolve: Resolver, max_tags: int = DEFAULT_MAX_TAGS, tag_region: str | None = None
    ) -> None:
        with self._lock:
            if resource_type in self._types:
                raise ValueError(f"resource type {resource_type} is registered twice")
            self._types[resource_type] = TaggableType(resource_type, resolve, max_tags, tag_region)

    def get(self, resource_type: str) -> TaggableType | None:
        return self._types.get(resource_type)
