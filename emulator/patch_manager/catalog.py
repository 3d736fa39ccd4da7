"""Finding baselines: the account's own and AWS's predefined ones, the default per operating system, a patch
group's, and the one that applies to an instance (its patch group's, else its operating system's default)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from api_models.errors import DoesNotExistException, InvalidResourceId
from emulator.context import RequestContext
from emulator.patch_manager import predefined, storage
from emulator.patch_manager.baseline import definition
from emulator.store import Database

_OWN_ID = re.compile(r"^pb-[0-9a-f]{17}$")
_ARN = re.compile(r"^arn:aws:ssm:([a-z0-9-]+):(\d{12}):patchbaseline/(pb-[0-9a-f]{17})$")
PATCH_GROUP_TAGS = ("Patch Group", "PatchGroup")  # the tags an instance's patch group is read from, in this order


def not_found(baseline_id: str) -> DoesNotExistException:
    return DoesNotExistException(f"Patch Baseline {baseline_id} does not exist.")


@dataclass(frozen=True)
class Found:
    """A baseline as GetPatchBaseline answers it: its id as the caller must give it (an ARN for AWS's), its
    definition and dates; `aws` for a predefined one."""

    id: str
    definition: dict[str, Any]
    created: float
    modified: float
    aws: bool = False


def _predefined(p: predefined.Predefined, region: str) -> Found:
    d = definition({"Name": p.name, "OperatingSystem": p.operating_system, "Description": p.description,
                    "ApprovalRules": {"PatchRules": p.rules}})
    return Found(p.arn(region), d, predefined.CREATED, predefined.CREATED, aws=True)


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self, ctx: RequestContext) -> list[Found]:
        """AWS's predefined baselines, then the account's own, each group in id order."""
        with self.db.read() as conn:
            own = storage.baselines(conn, ctx.account_id, ctx.region)
        aws = sorted((_predefined(p, ctx.region) for p in predefined.PREDEFINED), key=lambda f: f.id)
        return aws + [Found(b.id, b.definition, b.created, b.modified) for b in own]

    def find(self, ctx: RequestContext, baseline_id: str) -> Found:
        """A baseline by id; AWS's only by their full ARN, as AWS requires. InvalidResourceId for an id of no
        baseline form, DoesNotExistException for one that isn't there."""
        arn = _ARN.match(baseline_id)
        if arn:
            p = predefined.BY_PB.get(arn.group(3))
            if p is not None and arn.group(2) == predefined.AWS_BASELINE_ACCOUNT and arn.group(1) == ctx.region:
                return _predefined(p, ctx.region)
            if arn.group(2) != ctx.account_id or arn.group(1) != ctx.region:
                raise not_found(baseline_id)
            baseline_id = arn.group(3)
        elif not _OWN_ID.match(baseline_id):
            raise InvalidResourceId(f"Invalid patch baseline id: {baseline_id}")
        with self.db.read() as conn:
            own = storage.baseline(conn, ctx.account_id, ctx.region, baseline_id)
        if own is None:
            raise not_found(baseline_id)
        return Found(own.id, own.definition, own.created, own.modified)

    def default_id(self, ctx: RequestContext, operating_system: str) -> str:
        with self.db.read() as conn:
            chosen = storage.defaults(conn, ctx.account_id, ctx.region).get(operating_system)
        return chosen or predefined.BY_OS[operating_system].arn(ctx.region)

    def default_ids(self, ctx: RequestContext) -> set[str]:
        return {self.default_id(ctx, os_) for os_ in predefined.BY_OS}

    def group_id(self, ctx: RequestContext, group: str, operating_system: str) -> str | None:
        with self.db.read() as conn:
            rows = storage.patch_groups(conn, ctx.account_id, ctx.region)
        return next((b for g, o, b in rows if g == group and o == operating_system), None)

    def effective(self, ctx: RequestContext, operating_system: str, group: str) -> Found:
        """The baseline a patch operation uses: the patch group's for this operating system, else the default."""
        chosen = (self.group_id(ctx, group, operating_system) if group else None) or \
            self.default_id(ctx, operating_system)
        return self.find(ctx, chosen)


def patch_group_of(tags: dict[str, str]) -> str:
    return next((tags[t] for t in PATCH_GROUP_TAGS if tags.get(t)), "")
