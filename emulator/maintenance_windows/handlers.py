"""Maintenance Windows' definition operations, in the order of a window's life: CreateMaintenanceWindow,
GetMaintenanceWindow, UpdateMaintenanceWindow, DeleteMaintenanceWindow, DescribeMaintenanceWindows; the targets
(RegisterTargetWithMaintenanceWindow, UpdateMaintenanceWindowTarget, DeregisterTargetFromMaintenanceWindow,
DescribeMaintenanceWindowTargets); the tasks (RegisterTaskWithMaintenanceWindow, UpdateMaintenanceWindowTask,
GetMaintenanceWindowTask, DeregisterTaskFromMaintenanceWindow, DescribeMaintenanceWindowTasks); and
DescribeMaintenanceWindowsForTarget.

The window's history, its schedule and cancelling are history.py's; running windows is runner.py's.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    DoesNotExistException,
    IdempotentParameterMismatch,
    ResourceLimitExceededException,
    TargetInUseException,
    ValidationException,
)
from api_models.maintenance_windows import (
    CreateMaintenanceWindowRequest,
    CreateMaintenanceWindowResult,
    DeleteMaintenanceWindowRequest,
    DeleteMaintenanceWindowResult,
    DeregisterTargetFromMaintenanceWindowRequest,
    DeregisterTargetFromMaintenanceWindowResult,
    DeregisterTaskFromMaintenanceWindowRequest,
    DeregisterTaskFromMaintenanceWindowResult,
    DescribeMaintenanceWindowsForTargetRequest,
    DescribeMaintenanceWindowsForTargetResult,
    DescribeMaintenanceWindowsRequest,
    DescribeMaintenanceWindowsResult,
    DescribeMaintenanceWindowTargetsRequest,
    DescribeMaintenanceWindowTargetsResult,
    DescribeMaintenanceWindowTasksRequest,
    DescribeMaintenanceWindowTasksResult,
    GetMaintenanceWindowRequest,
    GetMaintenanceWindowResult,
    GetMaintenanceWindowTaskRequest,
    GetMaintenanceWindowTaskResult,
    MaintenanceWindowIdentityForTarget,
    RegisterTargetWithMaintenanceWindowRequest,
    RegisterTargetWithMaintenanceWindowResult,
    RegisterTaskWithMaintenanceWindowRequest,
    RegisterTaskWithMaintenanceWindowResult,
    UpdateMaintenanceWindowRequest,
    UpdateMaintenanceWindowResult,
    UpdateMaintenanceWindowTargetRequest,
    UpdateMaintenanceWindowTargetResult,
    UpdateMaintenanceWindowTaskRequest,
    UpdateMaintenanceWindowTaskResult,
)
from emulator.context import RequestContext
from emulator.maintenance_windows import render, schedule, storage
from emulator.maintenance_windows.listing import filtered, page
from emulator.maintenance_windows.runner import WindowRunner
from emulator.maintenance_windows.schema import COMPONENT, MIGRATIONS
from emulator.managed_instances.registry import RESOURCE_GROUPS_UNSUPPORTED
from emulator.operations import operation
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.managed_instances import ManagedInstances
    from emulator.services import Services

# Systems Manager service quotas (AWS General Reference): maintenance windows per account and Region, tasks and
# targets per window, managed node IDs per target.
MAX_WINDOWS = 50
MAX_TASKS = 20
MAX_TARGETS = 100
MAX_IDS_PER_TARGET = 50
# ... and how many of the window's targets one task names (AWS's ValidationException, quoted in
# terraform-provider-aws issue 18372).
MAX_WINDOW_TARGETS_PER_TASK = 10
WINDOW_FIELDS = ("Name", "Description", "StartDate", "EndDate", "Schedule", "ScheduleTimezone", "ScheduleOffset",
                 "Duration", "Cutoff", "AllowUnassociatedTargets")
SCHEDULE_FIELDS = ("Schedule", "ScheduleTimezone", "ScheduleOffset", "StartDate", "EndDate")
WINDOW_REQUIRED = ("Name", "Schedule", "Duration", "Cutoff", "AllowUnassociatedTargets")
TARGET_FIELDS = ("ResourceType", "Targets", "OwnerInformation", "Name", "Description")
TASK_FIELDS = ("Targets", "TaskArn", "ServiceRoleArn", "TaskType", "TaskParameters", "TaskInvocationParameters",
               "Priority", "MaxConcurrency", "MaxErrors", "LoggingInfo", "Name", "Description", "CutoffBehavior",
               "AlarmConfiguration")
# What a targetless task shows for MaxConcurrency and MaxErrors (the user guide: "the system inserts a placeholder
# value of 1"); targeted tasks registered without them get the same.
PLACEHOLDER = "1"
NOT_FOUND = "Maintenance window {id} does not exist"
TARGET_NOT_FOUND = "Maintenance window target {id} does not exist"
TASK_NOT_FOUND = "Maintenance window task {id} does not exist"
TOKEN_MISMATCH = "The ClientToken {token} was used before with different parameters."
# AWS's message, its spelling included, as quoted in awsdocs/aws-cloudformation-user-guide issue 891 ("Cuttoff was
# 12 but must be smaller than 5 (Duration - 1 )"); AWS's own examples (Duration 2, Cutoff 1) show Duration - 1 itself
# is allowed.
CUTOFF = "Cuttoff was {cutoff} but must be smaller than {limit} (Duration - 1 )"
OFFSET_NEEDS_CRON = "ScheduleOffset can be used with cron expressions only."
DATES = "EndDate {end} must be after StartDate {start}."
REPLACE_NEEDS = "Replace needs every required field: {missing}."
WINDOW_LIMIT = "Maximum number of maintenance windows ({n}) reached for this account and Region."
MEMBER_LIMIT = "Maximum number of {what} ({n}) reached for maintenance window {id}."
BAD_TARGET_KEY = "Target key {key} isn't supported for a {kind}. Use {allowed}."
UNASSOCIATED = ("Maintenance window {id} doesn't allow unassociated targets: a task's targets must be WindowTargetIds "
                "of targets registered with the window.")
RUN_COMMAND_NEEDS_TARGETS = "Targets are required for tasks of type RUN_COMMAND."
# The user guide's troubleshooting page quotes both; AWS joins them when both are given, MaxErrors first
# (terraform-provider-aws issue 19396).
TARGETLESS_RATE_CONTROL = "Maintenance window tasks without targets do not support {member} values."
TOO_MANY_WINDOW_TARGETS = "The maximum number of window targets is {n}"
IN_USE = "Target {target} is in use by task(s) {tasks} of maintenance window {id}."


class MaintenanceWindows:
    """Maintenance windows: a schedule, a Duration, registered targets and tasks, run for real when they open."""

    def __init__(self, services: Services, *, instances: ManagedInstances, runner: WindowRunner) -> None:
        self.db = services.db
        self.clock = services.clock
        self.scale = services.config.schedule_scale
        self.instances = instances
        self.runner = runner
        self.db.migrate(COMPONENT, MIGRATIONS)
        tag_store.migrate(self.db)
        services.taggable.register(storage.RESOURCE_TYPE, self._taggable_id)

    def start(self) -> None:
        self.runner.start()

    def on_reset(self) -> None:
        self.runner.on_reset()

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            return resource_id if storage.window(conn, ctx.account_id, ctx.region, resource_id) else None

    def window_row(self, conn: Any, ctx: RequestContext, window_id: str | None) -> Any:
        row = storage.window(conn, ctx.account_id, ctx.region, window_id or "")
        if row is None:
            raise DoesNotExistException(NOT_FOUND.format(id=window_id))
        return row

    # --- windows ------------------------------------------------------------------------------------------------
    @operation("CreateMaintenanceWindow")
    def create_maintenance_window(
        self, ctx: RequestContext, req: CreateMaintenanceWindowRequest
    ) -> CreateMaintenanceWindowResult:
        definition = _fields(req, WINDOW_FIELDS)
        _check_window(definition)
        fingerprint = _hash(req)
        now = self.clock.time()
        window_id = "mw-" + secrets.token_hex(9)[:17]
        with self.db.write() as conn:
            if req.ClientToken and (earlier := storage.window_by_token(conn, ctx.account_id, ctx.region,
                                                                       req.ClientToken)) is not None:
                return CreateMaintenanceWindowResult.model_construct(
                    WindowId=_same(earlier, fingerprint, req.ClientToken))
            if storage.count_windows(conn, ctx.account_id, ctx.region) >= MAX_WINDOWS:
                raise ResourceLimitExceededException(WINDOW_LIMIT.format(n=MAX_WINDOWS))
            storage.insert_window(conn, storage.NewWindow(
                id=window_id, account=ctx.account_id, region=ctx.region, name=definition["Name"],
                definition=definition, enabled=True, created_at=now,
                next_run=schedule.first_opening(definition, now, self.scale), client_token=req.ClientToken,
                request_hash=fingerprint))
            if req.Tags:
                tag_store.put_tags(conn, ctx.account_id, ctx.region, storage.RESOURCE_TYPE, window_id,
                                   [(t.Key, t.Value) for t in req.Tags])
        return CreateMaintenanceWindowResult.model_construct(WindowId=window_id)

    @operation("GetMaintenanceWindow")
    def get_maintenance_window(self, ctx: RequestContext, req: GetMaintenanceWindowRequest
                               ) -> GetMaintenanceWindowResult:
        with self.db.read() as conn:
            return render.window(self.window_row(conn, ctx, req.WindowId))

    @operation("UpdateMaintenanceWindow")
    def update_maintenance_window(
        self, ctx: RequestContext, req: UpdateMaintenanceWindowRequest
    ) -> UpdateMaintenanceWindowResult:
        given = _fields(req, WINDOW_FIELDS)
        now = self.clock.time()
        with self.db.write() as conn:
            row = self.window_row(conn, ctx, req.WindowId)
            definition = _merged(json.loads(row["definition"]), given, bool(req.Replace), WINDOW_REQUIRED)
            _check_window(definition)
            enabled = bool(row["enabled"]) if req.Enabled is None else req.Enabled
            old = json.loads(row["definition"])
            rescheduled = any(old.get(k) != definition.get(k) for k in SCHEDULE_FIELDS) or (
                enabled and not row["enabled"])  # a window enabled again opens at its next time from now
            next_run = schedule.first_opening(definition, now, self.scale) if rescheduled else row["next_run"]
            storage.update_window(conn, row["id"], definition=definition, enabled=enabled, at=now, next_run=next_run)
            row = self.window_row(conn, ctx, req.WindowId)
        shown = render.window(row).model_dump(exclude_none=True)
        return UpdateMaintenanceWindowResult.model_validate(
            {k: v for k, v in shown.items() if k in UpdateMaintenanceWindowResult.model_fields})

    @operation("DeleteMaintenanceWindow")
    def delete_maintenance_window(
        self, ctx: RequestContext, req: DeleteMaintenanceWindowRequest
    ) -> DeleteMaintenanceWindowResult:
        with self.db.write() as conn:
            row = self.window_row(conn, ctx, req.WindowId)
            running = storage.running_execution(conn, row["id"])
            storage.delete_window(conn, row["id"])
            tag_store.delete_resource(conn, ctx.account_id, ctx.region, storage.RESOURCE_TYPE, row["id"])
        if running is not None:  # its commands and runbooks stop with it
            self.runner.cancel(running["id"])
        return DeleteMaintenanceWindowResult.model_construct(WindowId=row["id"])

    @operation("DescribeMaintenanceWindows")
    def describe_maintenance_windows(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowsRequest
    ) -> DescribeMaintenanceWindowsResult:
        with self.db.read() as conn:
            rows = storage.windows(conn, ctx.account_id, ctx.region)
        rows = filtered(rows, req.Filters, {"Name": lambda r: [r["name"]],
                                            "Enabled": lambda r: [str(bool(r["enabled"])).lower()]},
                        casefold=("Enabled",))
        shown, token = page("DescribeMaintenanceWindows", rows, req, lambda r: r["seq"])
        return DescribeMaintenanceWindowsResult.model_construct(
            WindowIdentities=[render.window_identity(r) for r in shown], NextToken=token)

    # --- targets ------------------------------------------------------------------------------------------------
    @operation("RegisterTargetWithMaintenanceWindow")
    def register_target_with_maintenance_window(
        self, ctx: RequestContext, req: RegisterTargetWithMaintenanceWindowRequest
    ) -> RegisterTargetWithMaintenanceWindowResult:
        definition = _fields(req, TARGET_FIELDS)
        _check_window_target(definition)
        target_id = self._register(ctx, req.WindowId, req.ClientToken, _hash(req), storage.TARGETS, definition,
                                   "targets", MAX_TARGETS)
        return RegisterTargetWithMaintenanceWindowResult.model_construct(WindowTargetId=target_id)

    def _register(self, ctx: RequestContext, window_id: str | None, token: str | None, fingerprint: str, table: str,
                  definition: dict[str, Any], what: str, limit: int,
                  check: Callable[[Any, Any], None] | None = None) -> str:
        member_id = str(uuid.uuid4())
        with self.db.write() as conn:
            window = self.window_row(conn, ctx, window_id)
            if token and (earlier := storage.member_by_token(conn, table, window["id"], token)) is not None:
                return _same(earlier, fingerprint, token)
            if len(storage.members(conn, table, window["id"])) >= limit:
                raise ResourceLimitExceededException(MEMBER_LIMIT.format(what=what, n=limit, id=window["id"]))
            if check is not None:
                check(conn, window)
            storage.insert_member(conn, table, member_id, window["id"], definition, token, fingerprint)
        return member_id

    def _member(self, conn: Any, ctx: RequestContext, table: str, window_id: str | None, member_id: str | None
                ) -> Any:
        """A registered target or task (`table`) of the caller's window."""
        window = self.window_row(conn, ctx, window_id)
        row = storage.member(conn, table, window["id"], member_id or "")
        if row is None:
            missing = TARGET_NOT_FOUND if table == storage.TARGETS else TASK_NOT_FOUND
            raise DoesNotExistException(missing.format(id=member_id))
        return row

    def _target(self, conn: Any, ctx: RequestContext, window_id: str | None, target_id: str | None) -> Any:
        return self._member(conn, ctx, storage.TARGETS, window_id, target_id)

    def _listed(self, ctx: RequestContext, req: Any, table: str, listing: str,
                keys: dict[str, Callable[[Any], list[str]]]) -> tuple[list[Any], str | None]:
        """A page of a window's targets or tasks (`table`), filtered on `keys` (each a value of a row's definition)."""
        with self.db.read() as conn:
            rows = storage.members(conn, table, self.window_row(conn, ctx, req.WindowId)["id"])
        columns = {key: (lambda row, value=value: value(row, json.loads(row["definition"])))
                   for key, value in keys.items()}
        return page(listing, filtered(rows, req.Filters, columns), req, lambda r: r["seq"])

    @operation("UpdateMaintenanceWindowTarget")
    def update_maintenance_window_target(
        self, ctx: RequestContext, req: UpdateMaintenanceWindowTargetRequest
    ) -> UpdateMaintenanceWindowTargetResult:
        given = _fields(req, TARGET_FIELDS)
        with self.db.write() as conn:
            row = self._target(conn, ctx, req.WindowId, req.WindowTargetId)
            old = json.loads(row["definition"])
            definition = {**_merged(old, given, bool(req.Replace), ("Targets",)), "ResourceType": old["ResourceType"]}
            _check_window_target(definition)
            storage.update_member(conn, storage.TARGETS, row["id"], definition)
            row = self._target(conn, ctx, req.WindowId, req.WindowTargetId)
        shown = render.target(row).model_dump(exclude_none=True)
        shown.pop("ResourceType", None)
        return UpdateMaintenanceWindowTargetResult.model_validate(shown)

    @operation("DeregisterTargetFromMaintenanceWindow")
    def deregister_target_from_maintenance_window(
        self, ctx: RequestContext, req: DeregisterTargetFromMaintenanceWindowRequest
    ) -> DeregisterTargetFromMaintenanceWindowResult:
        with self.db.write() as conn:
            row = self._target(conn, ctx, req.WindowId, req.WindowTargetId)
            if req.Safe:
                users = [t["id"] for t in storage.members(conn, storage.TASKS, row["window_id"])
                         if row["id"] in _window_target_ids(json.loads(t["definition"]))]
                if users:
                    raise TargetInUseException(IN_USE.format(target=row["id"], tasks=", ".join(users),
                                                             id=row["window_id"]))
            storage.delete_member(conn, storage.TARGETS, row["id"])
        return DeregisterTargetFromMaintenanceWindowResult.model_construct(WindowId=row["window_id"],
                                                                           WindowTargetId=row["id"])

    @operation("DescribeMaintenanceWindowTargets")
    def describe_maintenance_window_targets(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowTargetsRequest
    ) -> DescribeMaintenanceWindowTargetsResult:
        shown, token = self._listed(ctx, req, storage.TARGETS, "DescribeMaintenanceWindowTargets", {
            "WindowTargetId": lambda r, d: [r["id"]], "Type": lambda r, d: [d["ResourceType"]],
            "OwnerInformation": lambda r, d: [d.get("OwnerInformation", "")]})
        return DescribeMaintenanceWindowTargetsResult.model_construct(
            Targets=[render.target(r) for r in shown], NextToken=token)

    # --- tasks --------------------------------------------------------------------------------------------------
    @operation("RegisterTaskWithMaintenanceWindow")
    def register_task_with_maintenance_window(
        self, ctx: RequestContext, req: RegisterTaskWithMaintenanceWindowRequest
    ) -> RegisterTaskWithMaintenanceWindowResult:
        given = _fields(req, TASK_FIELDS)
        _check_targetless(given, given)
        definition = _task_defaults(given)
        task_id = self._register(ctx, req.WindowId, req.ClientToken, _hash(req), storage.TASKS, definition, "tasks",
                                 MAX_TASKS, check=lambda conn, window: _check_task(conn, window, definition))
        return RegisterTaskWithMaintenanceWindowResult.model_construct(WindowTaskId=task_id)

    def _task(self, conn: Any, ctx: RequestContext, window_id: str | None, task_id: str | None) -> Any:
        return self._member(conn, ctx, storage.TASKS, window_id, task_id)

    @operation("GetMaintenanceWindowTask")
    def get_maintenance_window_task(
        self, ctx: RequestContext, req: GetMaintenanceWindowTaskRequest
    ) -> GetMaintenanceWindowTaskResult:
        with self.db.read() as conn:
            return render.task(self._task(conn, ctx, req.WindowId, req.WindowTaskId))

    @operation("UpdateMaintenanceWindowTask")
    def update_maintenance_window_task(
        self, ctx: RequestContext, req: UpdateMaintenanceWindowTaskRequest
    ) -> UpdateMaintenanceWindowTaskResult:
        given = _fields(req, TASK_FIELDS)
        with self.db.write() as conn:
            row = self._task(conn, ctx, req.WindowId, req.WindowTaskId)
            old = json.loads(row["definition"])
            merged = _merged(old, given, bool(req.Replace), ("TaskArn",))
            _check_targetless(merged, given)
            definition = _task_defaults({**merged, "TaskType": old["TaskType"]})
            _check_task(conn, self.window_row(conn, ctx, req.WindowId), definition)
            storage.update_member(conn, storage.TASKS, row["id"], definition)
            row = self._task(conn, ctx, req.WindowId, req.WindowTaskId)
        shown = render.task_fields(row)
        return UpdateMaintenanceWindowTaskResult.model_validate(
            {k: v for k, v in shown.items() if k in UpdateMaintenanceWindowTaskResult.model_fields})

    @operation("DeregisterTaskFromMaintenanceWindow")
    def deregister_task_from_maintenance_window(
        self, ctx: RequestContext, req: DeregisterTaskFromMaintenanceWindowRequest
    ) -> DeregisterTaskFromMaintenanceWindowResult:
        with self.db.write() as conn:
            row = self._task(conn, ctx, req.WindowId, req.WindowTaskId)
            storage.delete_member(conn, storage.TASKS, row["id"])
        return DeregisterTaskFromMaintenanceWindowResult.model_construct(WindowId=row["window_id"],
                                                                         WindowTaskId=row["id"])

    @operation("DescribeMaintenanceWindowTasks")
    def describe_maintenance_window_tasks(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowTasksRequest
    ) -> DescribeMaintenanceWindowTasksResult:
        shown, token = self._listed(ctx, req, storage.TASKS, "DescribeMaintenanceWindowTasks", {
            "WindowTaskId": lambda r, d: [r["id"]], "TaskArn": lambda r, d: [d["TaskArn"]],
            "Priority": lambda r, d: [str(d["Priority"])], "TaskType": lambda r, d: [d["TaskType"]]})
        return DescribeMaintenanceWindowTasksResult.model_construct(
            Tasks=[render.listed_task(r) for r in shown], NextToken=token)

    # --- DescribeMaintenanceWindowsForTarget -------------------------------------------------------------------
    @operation("DescribeMaintenanceWindowsForTarget")
    def describe_maintenance_windows_for_target(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowsForTargetRequest
    ) -> DescribeMaintenanceWindowsForTargetResult:
        rows = self.windows_for_target(ctx, [t.model_dump(exclude_none=True) for t in req.Targets or []],
                                       req.ResourceType or "INSTANCE")
        shown, token = page("DescribeMaintenanceWindowsForTarget", rows, req, lambda r: r["seq"])
        return DescribeMaintenanceWindowsForTargetResult.model_construct(
            WindowIdentities=[MaintenanceWindowIdentityForTarget.model_construct(WindowId=r["id"], Name=r["name"])
                              for r in shown], NextToken=token)

    def windows_for_target(self, ctx: RequestContext, targets: list[dict[str, Any]], resource_type: str
                           ) -> list[Any]:
        """The caller's windows with a registered target that names `targets` as written, or covers the managed
        instances they name now."""
        wanted = {(t.get("Key"), v) for t in targets for v in t.get("Values") or []}
        try:
            instances = {i.instance_id for i in self.instances.select(ctx, targets=targets)} if targets else set()
        except Exception:  # targets that don't resolve offline (resource groups) match as written only
            instances = set()
        found = []
        with self.db.read() as conn:
            for window in storage.windows(conn, ctx.account_id, ctx.region):
                for member in storage.members(conn, storage.TARGETS, window["id"]):
                    definition = json.loads(member["definition"])
                    if definition["ResourceType"] != resource_type:
                        continue
                    written = {(t["Key"], v) for t in definition["Targets"] for v in t.get("Values") or []}
                    if wanted & written or (instances and instances & self.runner.resolve_window_target(
                            ctx, definition)):
                        found.append(window)
                        break
        return found


# --- checks and defaults ---------------------------------------------------------------------------------------
def _fields(req: Any, names: tuple[str, ...]) -> dict[str, Any]:
    dumped = req.model_dump(mode="json", exclude_none=True)
    return {k: dumped[k] for k in names if k in dumped}


def _hash(req: Any) -> str:
    dumped = req.model_dump(mode="json", exclude_none=True, exclude={"ClientToken"})
    return hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()


def _same(earlier: Any, fingerprint: str, token: str) -> str:
    """What a ClientToken created before, when the request is the same; IdempotentParameterMismatch if not."""
    if earlier["request_hash"] != fingerprint:
        raise IdempotentParameterMismatch(TOKEN_MISMATCH.format(token=token))
    return earlier["id"]


def _merged(old: dict[str, Any], given: dict[str, Any], replace: bool, required: tuple[str, ...]) -> dict[str, Any]:
    """An update: `given` over `old`; with Replace, the fields left out are cleared and the required ones must be
    given (AWS: "all fields that are required by the Create/Register operation are also required")."""
    if not replace:
        return {**old, **given}
    missing = [k for k in required if k not in given]
    if missing:
        raise ValidationException(REPLACE_NEEDS.format(missing=", ".join(missing)))
    return dict(given)


def _check_window(definition: dict[str, Any]) -> None:
    if definition["Cutoff"] >= definition["Duration"]:
        raise ValidationException(CUTOFF.format(cutoff=definition["Cutoff"], limit=definition["Duration"] - 1))
    sched = schedule.parse(definition)
    if definition.get("ScheduleOffset") and sched.kind != "cron":
        raise ValidationException(OFFSET_NEEDS_CRON)
    start, end = definition.get("StartDate"), definition.get("EndDate")
    if start is not None:
        schedule.instant(start, "StartDate")
    if end is not None and schedule.instant(end, "EndDate") <= (schedule.instant(start, "StartDate") if start
                                                                  else float("-inf")):
        raise ValidationException(DATES.format(start=start, end=end))


def _check_targets(targets: list[dict[str, Any]], kind: str, allowed: Callable[[str], bool], names: str) -> None:
    for target in targets:
        key = target.get("Key") or ""
        if key.startswith("resource-groups:"):
            raise ValidationException(RESOURCE_GROUPS_UNSUPPORTED.format(key=key))
        if not allowed(key):
            raise ValidationException(BAD_TARGET_KEY.format(key=key, kind=kind, allowed=names))
        if len(target.get("Values") or []) > MAX_IDS_PER_TARGET:
            raise ValidationException(f"A target takes at most {MAX_IDS_PER_TARGET} values.")


def _instance_key(key: str) -> bool:
    return key == "InstanceIds" or key == "tag-key" or (key.startswith("tag:") and len(key) > 4)


def _check_window_target(definition: dict[str, Any]) -> None:
    if definition["ResourceType"] == "RESOURCE_GROUP":
        raise ValidationException(RESOURCE_GROUPS_UNSUPPORTED.format(key="RESOURCE_GROUP"))
    _check_targets(definition.get("Targets") or [], "maintenance window target", _instance_key,
                   "InstanceIds, tag:<key> or tag-key")


def _window_target_ids(task: dict[str, Any]) -> set[str]:
    return {v for t in task.get("Targets") or [] if t.get("Key") == "WindowTargetIds" for v in t.get("Values") or []}


def _check_targetless(task: dict[str, Any], given: dict[str, Any]) -> None:
    """A task left without targets takes no MaxConcurrency or MaxErrors from the caller: it gets placeholders."""
    if task.get("Targets"):
        return
    refused = [TARGETLESS_RATE_CONTROL.format(member=m) for m in ("MaxErrors", "MaxConcurrency") if m in given]
    if refused:
        raise ValidationException(" ".join(refused))


def _task_defaults(definition: dict[str, Any]) -> dict[str, Any]:
    definition.setdefault("Priority", 1)
    definition.setdefault("CutoffBehavior", "CONTINUE_TASK")
    if not definition.get("Targets"):  # a targetless task: the placeholders AWS inserts
        definition["MaxConcurrency"] = definition["MaxErrors"] = PLACEHOLDER
    definition.setdefault("MaxConcurrency", PLACEHOLDER)
    definition.setdefault("MaxErrors", PLACEHOLDER)
    return definition


def _check_task(conn: Any, window: Any, definition: dict[str, Any]) -> None:
    targets = definition.get("Targets") or []
    if definition["TaskType"] == "RUN_COMMAND" and not targets:
        raise ValidationException(RUN_COMMAND_NEEDS_TARGETS)
    unassociated = json.loads(window["definition"])["AllowUnassociatedTargets"]
    if not unassociated and any(t.get("Key") != "WindowTargetIds" for t in targets):
        raise ValidationException(UNASSOCIATED.format(id=window["id"]))
    _check_targets(targets, "task", lambda key: key == "WindowTargetIds" or _instance_key(key),
                   "WindowTargetIds, InstanceIds, tag:<key> or tag-key")
    window_targets = _window_target_ids(definition)
    if len(window_targets) > MAX_WINDOW_TARGETS_PER_TASK:
        raise ValidationException(TOO_MANY_WINDOW_TARGETS.format(n=MAX_WINDOW_TARGETS_PER_TASK))
    for target_id in window_targets:
        if storage.member(conn, storage.TARGETS, window["id"], target_id) is None:
            raise DoesNotExistException(TARGET_NOT_FOUND.format(id=target_id))
