"""Patch Manager's 19 operations, and the aws:runPatchBaseline plugin Run Command runs for AWS-RunPatchBaseline
(run.py does the patching; this records what it found: the instance's patch state and its Patch compliance)."""
from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from api_models.errors import (
    AlreadyExistsException,
    DoesNotExistException,
    IdempotentParameterMismatch,
    InvalidFilter,
    InvalidInstanceId,
    InvalidNextToken,
    InvalidResourceId,
    ResourceInUseException,
    ResourceLimitExceededException,
    UnsupportedOperatingSystem,
    ValidationException,
)
from api_models.patch_manager import (
    CreatePatchBaselineRequest, CreatePatchBaselineResult, DeletePatchBaselineRequest, DeletePatchBaselineResult,
    DeregisterPatchBaselineForPatchGroupRequest, DeregisterPatchBaselineForPatchGroupResult,
    DescribeAvailablePatchesRequest, DescribeAvailablePatchesResult, DescribeEffectivePatchesForPatchBaselineRequest,
    DescribeEffectivePatchesForPatchBaselineResult, DescribeInstancePatchesRequest, DescribeInstancePatchesResult,
    DescribeInstancePatchStatesForPatchGroupRequest, DescribeInstancePatchStatesForPatchGroupResult,
    DescribeInstancePatchStatesRequest, DescribeInstancePatchStatesResult, DescribePatchBaselinesRequest,
    DescribePatchBaselinesResult, DescribePatchGroupsRequest, DescribePatchGroupsResult,
    DescribePatchGroupStateRequest, DescribePatchGroupStateResult, DescribePatchPropertiesRequest,
    DescribePatchPropertiesResult, GetDefaultPatchBaselineRequest, GetDefaultPatchBaselineResult,
    GetDeployablePatchSnapshotForInstanceRequest, GetDeployablePatchSnapshotForInstanceResult,
    GetPatchBaselineForPatchGroupRequest, GetPatchBaselineForPatchGroupResult, GetPatchBaselineRequest,
    GetPatchBaselineResult, RegisterDefaultPatchBaselineRequest, RegisterDefaultPatchBaselineResult,
    RegisterPatchBaselineForPatchGroupRequest, RegisterPatchBaselineForPatchGroupResult, UpdatePatchBaselineRequest,
    UpdatePatchBaselineResult,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.compliance.handlers import COMPLIANT, NON_COMPLIANT, PatchItem
from emulator.context import RequestContext
from emulator.operations import operation
from emulator.patch_manager import predefined, render, storage
from emulator.patch_manager.baseline import check, definition
from emulator.patch_manager.catalog import Catalog, Found, patch_group_of
from emulator.patch_manager.run import NON_COMPLIANT_STATES, NOT_APPLICABLE, Operation, Patching, level_of
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.compliance import Compliance
    from emulator.managed_instances import ManagedInstances
    from emulator.services import Services

PLUGIN = "aws:runPatchBaseline"
RESOURCE_TYPE = "PatchBaseline"
MAX_BASELINES = 50  # Service Quotas: "Patch baselines per account"
MAX_GROUPS_PER_BASELINE = 25  # Service Quotas: "Patch groups per patch baseline"
# DescribeAvailablePatches' filter keys: those its reference lists for Windows Server and for Linux (and PRIORITY,
# Debian's and Ubuntu's severity).
AVAILABLE_PATCH_KEYS = ("PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "MSRC_SEVERITY", "CLASSIFICATION", "PATCH_ID", "NAME",
                        "SEVERITY", "EPOCH", "VERSION", "RELEASE", "ARCH", "REPOSITORY", "ADVISORY_ID", "CVE_ID",
                        "BUGZILLA_ID", "PRIORITY")
T = TypeVar("T")


def _page(listing: str, rows: Sequence[T], token: str | None, limit: int, key: Callable[[T], str]) -> tuple[list[T], str | None]:
    """Rows after the token's key (rows sorted by `key`), a page of them and the next token."""
    after = paging.decode(listing, token, str)
    rest = [r for r in rows if after is None or key(r) > after]
    return paging.page(listing, rest, limit, key)


def _filters(filters: Sequence[Any] | None, known: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in filters or []:
        if f.Key not in known:
            raise ValidationException(f"Filter key {f.Key} isn't valid. Valid keys: {', '.join(known)}.")
        out[f.Key] = list(f.Values or [])
    return out


class PatchManager:
    def __init__(self, services: Services, *, instances: ManagedInstances, compliance: Compliance) -> None:
        self.db = services.db
        self.clock = services.clock
        self.instances = instances
        self.compliance = compliance
        storage.migrate(self.db)
        tag_store.migrate(self.db)
        self.catalog = Catalog(self.db)
        services.taggable.register(RESOURCE_TYPE, self._taggable_id)
        self.patching = Patching(self.catalog, self.clock.time, services.config.data_sync_dir,
                                 self._snapshot, self._previous, self._record)

    def plugins(self) -> dict[str, Any]:
        return {PLUGIN: self.patching.run}

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            return resource_id if storage.baseline(conn, ctx.account_id, ctx.region, resource_id) else None

    # --- what patching reads and writes -------------------------------------------------------------------------
    def _snapshot(self, ctx: RequestContext, instance_id: str, snapshot_id: str,
                  override: dict[str, Any] | None) -> tuple[Found, str]:
        """The baseline a snapshot stands for, made (and kept) the first time the snapshot is asked for."""
        with self.db.read() as conn:
            kept = storage.snapshot(conn, ctx.account_id, ctx.region, snapshot_id)
        if kept is not None:
            b = kept["baseline"]
            return Found(b["Id"], b["Definition"], 0.0, 0.0), kept["product"]
        instance = self.instances.get(ctx, instance_id)
        facts = instance.facts if instance else None
        operating_system = predefined.operating_system_of(facts.os_id, facts.platform_version) if facts else None
        if instance is None or facts is None or operating_system is None:
            raise UnsupportedOperatingSystem(f"The operating system of {instance_id} isn't supported by Patch Manager.")
        found = self.catalog.effective(ctx, operating_system, patch_group_of(dict(instance.tags)))
        if override is not None:
            given = {**override, "OperatingSystem": operating_system}
            d = definition(given)
            check(d)
            found = Found(found.id, d, found.created, found.modified)
        product = predefined.product_of(operating_system, facts.platform_version)
        with self.db.write() as conn:
            storage.put_snapshot(conn, snapshot_id, ctx.account_id, ctx.region, instance_id, product,
                                 {"Id": found.id, "Definition": found.definition}, self.clock.time())
        return found, product

    def _previous(self, ctx: RequestContext, instance_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            found = storage.states(conn, ctx.account_id, ctx.region, [instance_id])
        return found[0][0] if found else None

    def _record(self, ctx: RequestContext, instance_id: str, command_id: str, op: Operation) -> None:
        s = op.summary
        with self.db.write() as conn:
            storage.put_state(conn, ctx.account_id, ctx.region, instance_id, s["PatchGroup"], s, op.patches)
        when = s["OperationEndTime"]
        self.compliance.put_patch_compliance(ctx.account_id, ctx.region, instance_id, command_id, when, [
            PatchItem(
                id=p["KBId"], title=p["Title"], severity=level_of(p),
                status=NON_COMPLIANT if p["State"] in NON_COMPLIANT_STATES else COMPLIANT,
                details={"Classification": p["Classification"], "PatchSeverity": p["Severity"],
                         "PatchState": p["State"], "PatchBaselineId": s["BaselineId"], "PatchGroup": s["PatchGroup"],
                         "InstalledTime": timestamp(p["InstalledTime"]).strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            for p in op.patches if p["State"] != NOT_APPLICABLE
        ])

    # --- baselines ------------------------------------------------------------------------------------------------
    def _own(self, ctx: RequestContext, baseline_id: str) -> storage.StoredBaseline:
        found = self.catalog.find(ctx, baseline_id)
        if found.aws:
            raise InvalidResourceId(f"The patch baseline {baseline_id} is provided by AWS and can't be changed.")
        with self.db.read() as conn:
            own = storage.baseline(conn, ctx.account_id, ctx.region, found.id)
        assert own is not None
        return own

    def _groups_of(self, ctx: RequestContext, baseline_id: str) -> list[str]:
        with self.db.read() as conn:
            return [g for g, _, b in storage.patch_groups(conn, ctx.account_id, ctx.region) if b == baseline_id]

    @operation("CreatePatchBaseline")
    def create_patch_baseline(self, ctx: RequestContext, req: CreatePatchBaselineRequest) -> CreatePatchBaselineResult:
        d = definition(req.model_dump(exclude_none=True))
        check(d)
        now = self.clock.time()
        with self.db.write() as conn:
            if req.ClientToken:
                same = storage.by_client_token(conn, ctx.account_id, ctx.region, req.ClientToken)
                if same is not None:
                    if same.definition != d:
                        raise IdempotentParameterMismatch("ClientToken was used before with other parameters.")
                    return CreatePatchBaselineResult.model_construct(BaselineId=same.id)
            if len(storage.baselines(conn, ctx.account_id, ctx.region)) >= MAX_BASELINES:
                raise ResourceLimitExceededException(
                    f"You have reached the maximum number of patch baselines ({MAX_BASELINES}) in this account.")
            baseline_id = "pb-0" + secrets.token_hex(8)
            storage.put_baseline(conn, ctx.account_id, ctx.region,
                                 storage.StoredBaseline(baseline_id, d, now, now, req.ClientToken))
            if req.Tags:
                tag_store.put_tags(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, baseline_id,
                                   [(t.Key, t.Value) for t in req.Tags])
        return CreatePatchBaselineResult.model_construct(BaselineId=baseline_id)

    @operation("GetPatchBaseline")
    def get_patch_baseline(self, ctx: RequestContext, req: GetPatchBaselineRequest) -> GetPatchBaselineResult:
        found = self.catalog.find(ctx, req.BaselineId)
        return render.baseline(GetPatchBaselineResult, found, PatchGroups=self._groups_of(ctx, found.id))

    @operation("UpdatePatchBaseline")
    def update_patch_baseline(self, ctx: RequestContext, req: UpdatePatchBaselineRequest) -> UpdatePatchBaselineResult:
        own = self._own(ctx, req.BaselineId)
        given = req.model_dump(exclude_none=True)
        if req.Replace:
            # Replace: every member CreatePatchBaseline requires is required, the others not given are cleared.
            if req.Name is None:
                raise ValidationException("Name is required when Replace is true.")
            d = definition(given, {"OperatingSystem": own.definition["OperatingSystem"]})
        else:
            d = definition(given, own.definition)
        check(d)
        updated = storage.StoredBaseline(own.id, d, own.created, self.clock.time(), own.client_token)
        with self.db.write() as conn:
            storage.put_baseline(conn, ctx.account_id, ctx.region, updated)
        found = Found(updated.id, d, updated.created, updated.modified)
        return render.baseline(UpdatePatchBaselineResult, found)

    @operation("DeletePatchBaseline")
    def delete_patch_baseline(self, ctx: RequestContext, req: DeletePatchBaselineRequest) -> DeletePatchBaselineResult:
        try:
            own = self._own(ctx, req.BaselineId)
        except DoesNotExistException:
            return DeletePatchBaselineResult.model_construct(BaselineId=req.BaselineId)  # deleting is idempotent
        if own.id in self.catalog.default_ids(ctx):
            raise ResourceInUseException(f"Patch baseline {own.id} is the default patch baseline for "
                                         f"{own.definition['OperatingSystem']} and can't be deleted.")
        groups = self._groups_of(ctx, own.id)
        if groups:
            raise ResourceInUseException(
                f"Patch baseline {own.id} is registered with patch group(s) {', '.join(groups)}: deregister it "
                "from them before deleting it.")
        with self.db.write() as conn:
            storage.delete_baseline(conn, ctx.account_id, ctx.region, own.id)
            tag_store.delete_resource(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, own.id)
        return DeletePatchBaselineResult.model_construct(BaselineId=own.id)

    @operation("DescribePatchBaselines")
    def describe_patch_baselines(self, ctx: RequestContext,
                                 req: DescribePatchBaselinesRequest) -> DescribePatchBaselinesResult:
        wanted = _filters(req.Filters, ("NAME_PREFIX", "OWNER", "OPERATING_SYSTEM"))
        defaults = self.catalog.default_ids(ctx)
        owner = {v.upper() for v in wanted.get("OWNER", ["ALL"])}
        rows = [
            f for f in self.catalog.all(ctx)
            if ("ALL" in owner or ("AWS" if f.aws else "SELF") in owner)
            and (not wanted.get("NAME_PREFIX") or any(f.definition["Name"].startswith(p) for p in wanted["NAME_PREFIX"]))
            and (not wanted.get("OPERATING_SYSTEM") or f.definition["OperatingSystem"] in wanted["OPERATING_SYSTEM"])
        ]
        shown, token = _page("DescribePatchBaselines", rows, req.NextToken, req.MaxResults or 100, lambda f: f.id)
        return DescribePatchBaselinesResult.model_construct(
            BaselineIdentities=[render.identity(f, f.id in defaults) for f in shown], NextToken=token)

    @operation("GetDefaultPatchBaseline")
    def get_default_patch_baseline(self, ctx: RequestContext,
                                   req: GetDefaultPatchBaselineRequest) -> GetDefaultPatchBaselineResult:
        operating_system = req.OperatingSystem or predefined.DEFAULT_OS
        return GetDefaultPatchBaselineResult.model_construct(
            BaselineId=self.catalog.default_id(ctx, operating_system), OperatingSystem=operating_system)

    @operation("RegisterDefaultPatchBaseline")
    def register_default_patch_baseline(self, ctx: RequestContext,
                                        req: RegisterDefaultPatchBaselineRequest) -> RegisterDefaultPatchBaselineResult:
        found = self.catalog.find(ctx, req.BaselineId)
        with self.db.write() as conn:
            storage.set_default(conn, ctx.account_id, ctx.region, found.definition["OperatingSystem"], found.id)
        return RegisterDefaultPatchBaselineResult.model_construct(BaselineId=found.id)

    # --- patch groups ---------------------------------------------------------------------------------------------
    @operation("RegisterPatchBaselineForPatchGroup")
    def register_patch_baseline_for_patch_group(
        self, ctx: RequestContext, req: RegisterPatchBaselineForPatchGroupRequest
    ) -> RegisterPatchBaselineForPatchGroupResult:
        found = self.catalog.find(ctx, req.BaselineId)
        operating_system = found.definition["OperatingSystem"]
        with self.db.write() as conn:
            groups = storage.patch_groups(conn, ctx.account_id, ctx.region)
            taken = next((b for g, o, b in groups if g == req.PatchGroup and o == operating_system), None)
            if taken is not None:
                raise AlreadyExistsException(f"Patch Group {req.PatchGroup} is already registered with baseline "
                                             f"{taken} for operating system {operating_system}.")
            if sum(1 for _, _, b in groups if b == found.id) >= MAX_GROUPS_PER_BASELINE:
                raise ResourceLimitExceededException(
                    f"A patch baseline can be registered with at most {MAX_GROUPS_PER_BASELINE} patch groups.")
            storage.register_group(conn, ctx.account_id, ctx.region, req.PatchGroup, operating_system, found.id)
        return RegisterPatchBaselineForPatchGroupResult.model_construct(BaselineId=found.id, PatchGroup=req.PatchGroup)

    @operation("DeregisterPatchBaselineForPatchGroup")
    def deregister_patch_baseline_for_patch_group(
        self, ctx: RequestContext, req: DeregisterPatchBaselineForPatchGroupRequest
    ) -> DeregisterPatchBaselineForPatchGroupResult:
        found = self.catalog.find(ctx, req.BaselineId)
        with self.db.write() as conn:
            if not storage.deregister_group(conn, ctx.account_id, ctx.region, req.PatchGroup, found.id):
                raise InvalidResourceId(f"Patch Group {req.PatchGroup} isn't registered with baseline {found.id}.")
        return DeregisterPatchBaselineForPatchGroupResult.model_construct(BaselineId=found.id,
                                                                          PatchGroup=req.PatchGroup)

    @operation("GetPatchBaselineForPatchGroup")
    def get_patch_baseline_for_patch_group(
        self, ctx: RequestContext, req: GetPatchBaselineForPatchGroupRequest
    ) -> GetPatchBaselineForPatchGroupResult:
        operating_system = req.OperatingSystem or predefined.DEFAULT_OS
        return GetPatchBaselineForPatchGroupResult.model_construct(
            BaselineId=self.catalog.group_id(ctx, req.PatchGroup, operating_system)
            or self.catalog.default_id(ctx, operating_system),
            PatchGroup=req.PatchGroup, OperatingSystem=operating_system)

    @operation("DescribePatchGroups")
    def describe_patch_groups(self, ctx: RequestContext, req: DescribePatchGroupsRequest) -> DescribePatchGroupsResult:
        wanted = _filters(req.Filters, ("NAME_PREFIX", "OPERATING_SYSTEM"))
        with self.db.read() as conn:
            groups = storage.patch_groups(conn, ctx.account_id, ctx.region)
        defaults = self.catalog.default_ids(ctx)
        rows = [(g, o, b) for g, o, b in groups
                if (not wanted.get("NAME_PREFIX") or any(g.startswith(p) for p in wanted["NAME_PREFIX"]))
                and (not wanted.get("OPERATING_SYSTEM") or o in wanted["OPERATING_SYSTEM"])]
        shown, token = _page("DescribePatchGroups", rows, req.NextToken, req.MaxResults or 100,
                             lambda r: f"{r[0]}\x00{r[1]}")
        mappings = []
        for group, _, baseline_id in shown:
            found = self.catalog.find(ctx, baseline_id)
            mappings.append({"PatchGroup": group, "BaselineIdentity": render.identity(found, found.id in defaults)})
        return DescribePatchGroupsResult.model_construct(Mappings=mappings, NextToken=token)

    @operation("DescribePatchGroupState")
    def describe_patch_group_state(self, ctx: RequestContext,
                                   req: DescribePatchGroupStateRequest) -> DescribePatchGroupStateResult:
        with self.db.read() as conn:
            summaries = [s for s, _ in storage.states(conn, ctx.account_id, ctx.region, patch_group=req.PatchGroup)]
        return render.group_state(summaries)

    # --- instance states ------------------------------------------------------------------------------------------
    @operation("DescribeInstancePatchStates")
    def describe_instance_patch_states(
        self, ctx: RequestContext, req: DescribeInstancePatchStatesRequest
    ) -> DescribeInstancePatchStatesResult:
        with self.db.read() as conn:
            summaries = [s for s, _ in storage.states(conn, ctx.account_id, ctx.region, list(req.InstanceIds or []))]
        shown, token = _page("DescribeInstancePatchStates", summaries, req.NextToken, req.MaxResults or 50,
                             lambda s: s["InstanceId"])
        return DescribeInstancePatchStatesResult.model_construct(
            InstancePatchStates=[render.patch_state(s) for s in shown], NextToken=token)

    @operation("DescribeInstancePatchStatesForPatchGroup")
    def describe_instance_patch_states_for_patch_group(
        self, ctx: RequestContext, req: DescribeInstancePatchStatesForPatchGroupRequest
    ) -> DescribeInstancePatchStatesForPatchGroupResult:
        tests = [render.state_filter(f) for f in req.Filters or []]
        with self.db.read() as conn:
            summaries = [s for s, _ in storage.states(conn, ctx.account_id, ctx.region, patch_group=req.PatchGroup)
                         if all(test(s) for test in tests)]
        shown, token = _page("DescribeInstancePatchStatesForPatchGroup", summaries, req.NextToken,
                             req.MaxResults or 50, lambda s: s["InstanceId"])
        return DescribeInstancePatchStatesForPatchGroupResult.model_construct(
            InstancePatchStates=[render.patch_state(s) for s in shown], NextToken=token)

    @operation("DescribeInstancePatches")
    def describe_instance_patches(self, ctx: RequestContext,
                                  req: DescribeInstancePatchesRequest) -> DescribeInstancePatchesResult:
        if self.instances.get(ctx, req.InstanceId) is None:
            raise InvalidInstanceId(f"Instance {req.InstanceId} is not a managed node of this account.")
        wanted = _filters(req.Filters, ("Classification", "KBId", "Severity", "State"))
        with self.db.read() as conn:
            found = storage.states(conn, ctx.account_id, ctx.region, [req.InstanceId])
        patches = [p for p in (found[0][1] if found else []) if render.patch_matches(p, wanted)]
        shown, token = _page("DescribeInstancePatches", patches, req.NextToken, req.MaxResults or 50,
                             lambda p: p["Title"])
        return DescribeInstancePatchesResult.model_construct(Patches=[render.patch(p) for p in shown],
                                                             NextToken=token)

    # --- patches and properties -----------------------------------------------------------------------------------
    @operation("DescribeAvailablePatches")
    def describe_available_patches(self, ctx: RequestContext,
                                   req: DescribeAvailablePatchesRequest) -> DescribeAvailablePatchesResult:
        wanted = _filters(req.Filters, AVAILABLE_PATCH_KEYS)
        with self.db.read() as conn:
            states = storage.states(conn, ctx.account_id, ctx.region)
        seen: dict[str, dict[str, Any]] = {}
        for summary, patches in states:
            for p in patches:
                seen.setdefault(p["Title"], {**p, "_product": summary.get("_product", "")})
        rows = [p for title, p in sorted(seen.items()) if render.available_matches(p, wanted)]
        shown, token = _page("DescribeAvailablePatches", rows, req.NextToken, req.MaxResults or 100,
                             lambda p: p["Title"])
        return DescribeAvailablePatchesResult.model_construct(Patches=[render.available(p) for p in shown],
                                                              NextToken=token)

    @operation("DescribeEffectivePatchesForPatchBaseline")
    def describe_effective_patches_for_patch_baseline(
        self, ctx: RequestContext, req: DescribeEffectivePatchesForPatchBaselineRequest
    ) -> DescribeEffectivePatchesForPatchBaselineResult:
        found = self.catalog.find(ctx, req.BaselineId)
        if found.definition["OperatingSystem"] != predefined.WINDOWS:
            # "Applies to patch baselines for Windows only."
            raise UnsupportedOperatingSystem(
                f"The operating system {found.definition['OperatingSystem']} isn't supported by this operation: "
                "it applies to patch baselines for Windows only.")
        # The emulator has no Windows Update catalogue to judge: no effective patches, and so no token it gave.
        shown, token = _page("DescribeEffectivePatchesForPatchBaseline", [], req.NextToken, req.MaxResults or 100,
                             lambda p: p["Patch"]["Id"])
        return DescribeEffectivePatchesForPatchBaselineResult.model_construct(EffectivePatches=shown, NextToken=token)

    @operation("DescribePatchProperties")
    def describe_patch_properties(self, ctx: RequestContext,
                                  req: DescribePatchPropertiesRequest) -> DescribePatchPropertiesResult:
        assert req.OperatingSystem and req.Property
        known = predefined.PROPERTIES.get(req.OperatingSystem, {})
        if req.Property not in known:
            raise ValidationException(f"Property {req.Property} isn't valid for operating system "
                                      f"{req.OperatingSystem}. Valid properties: {' | '.join(known)}.")
        values = [] if req.PatchSet == "APPLICATION" else list(known[req.Property])
        # The values keep their own order (priorities and severities from the highest down), not the sorted one
        # _page resumes in: a page starts after the value the token names, wherever it stands.
        after = paging.decode("DescribePatchProperties", req.NextToken, str)
        if after is not None and after not in values:
            raise InvalidNextToken(paging.INVALID_TOKEN_MESSAGE)
        rest = values[values.index(after) + 1:] if after is not None else values
        shown, token = paging.page("DescribePatchProperties", rest, req.MaxResults or 50, lambda v: v)
        return DescribePatchPropertiesResult.model_construct(Properties=[{"Name": v} for v in shown],
                                                             NextToken=token)

    @operation("GetDeployablePatchSnapshotForInstance")
    def get_deployable_patch_snapshot_for_instance(
        self, ctx: RequestContext, req: GetDeployablePatchSnapshotForInstanceRequest
    ) -> GetDeployablePatchSnapshotForInstanceResult:
        assert req.InstanceId and req.SnapshotId
        override = req.BaselineOverride.model_dump(exclude_none=True) if req.BaselineOverride else None
        _, product = self._snapshot(ctx, req.InstanceId, req.SnapshotId, override)
        return GetDeployablePatchSnapshotForInstanceResult.model_construct(
            InstanceId=req.InstanceId, SnapshotId=req.SnapshotId, Product=product)

