"""The shared machinery a capability is built with, handed over explicitly by the app factory."""
from __future__ import annotations

from dataclasses import dataclass, field

from emulator.background import Background
from emulator.clock import Clock
from emulator.config import Config
from emulator.store import Database
from emulator.tags.registry import TaggableResources


@dataclass(frozen=True)
class Services:
    config: Config
    db: Database
    clock: Clock
    background: Background
    # Resource types AddTagsToResource & co. can tag; each capability registers its own.
    taggable: TaggableResources = field(default_factory=TaggableResources)
