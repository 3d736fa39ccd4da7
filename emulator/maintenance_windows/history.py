"""A maintenance window's history and future: its executions, their task executions and invocations
(DescribeMaintenanceWindowExecutions, GetMaintenanceWindowExecution, DescribeMaintenanceWindowExecutionTasks,
GetMaintenanceWindowExecutionTask, DescribeMaintenanceWindowExecutionTaskInvocations,
GetMaintenanceWindowExecutionTaskInvocation), CancelMaintenanceWindowExecution, and when windows next open
(DescribeMaintenanceWindowSchedule)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from api_models.errors import DoesNotExistException, ValidationException
from api_models.maintenance_windows import (
    CancelMaintenanceWindowExecutionRequest,
    CancelMaintenanceWindowExecutionResult,
    DescribeMaintenanceWindowExecutionsRequest,
    DescribeMaintenanceWindowExecutionsResult,
    DescribeMaintenanceWindowExecutionTaskInvocationsRequest,
    DescribeMaintenanceWindowExecutionTaskInvocationsResult,
    DescribeMaintenanceWindowExecutionTasksRequest,
    DescribeMaintenanceWindowExecutionTasksResult,
    DescribeMaintenanceWindowScheduleRequest,
    DescribeMaintenanceWindowScheduleResult,
    GetMaintenanceWindowExecutionRequest,
    GetMaintenanceWindowExecutionResult,
    GetMaintenanceWindowExecutionTaskInvocationRequest,
    GetMaintenanceWindowExecutionTaskInvocationResult,
    GetMaintenanceWindowExecutionTaskRequest,
    GetMaintenanceWindowExecutionTaskResult,
    ScheduledWindowExecution,
)
from emulator.context import RequestContext
from emulator.maintenance_windows import render, schedule, storage
from emulator.maintenance_windows.listing import filtered, page
from emulator.operations import operation

if TYPE_CHECKING:
    from emulator.maintenance_windows.handlers import MaintenanceWindows

EXECUTION_NOT_FOUND = "Maintenance window execution {id} does not exist"
TASK_NOT_FOUND = "Maintenance window execution task {id} does not exist"
INVOCATION_NOT_FOUND = "Maintenance window execution task invocation {id} does not exist"
SCHEDULE_NEEDS = "Specify a WindowId, or Targets with a ResourceType."
TIME_FILTERS = {"ExecutedBefore": "<", "ExecutedAfter": ">", "ScheduledBefore": "<", "ScheduledAfter": ">"}


class MaintenanceWindowHistory:
    """The execution side of Maintenance Windows, over the windows MaintenanceWindows keeps."""

    def __init__(self, windows: MaintenanceWindows) -> None:
        self.windows = windows
        self.db = windows.db
        self.scale = windows.scale

    def _execution(self, conn: Any, ctx: RequestContext, execution_id: str | None) -> Any:
        row = storage.execution(conn, ctx.account_id, ctx.region, execution_id or "")
        if row is None:
            raise DoesNotExistException(EXECUTION_NOT_FOUND.format(id=execution_id))
        return row

    def _task(self, conn: Any, ctx: RequestContext, execution_id: str | None, task_id: str | None) -> Any:
        execution = self._execution(conn, ctx, execution_id)
        row = storage.task_execution(conn, execution["id"], task_id or "")
        if row is None:
            raise DoesNotExistException(TASK_NOT_FOUND.format(id=task_id))
        return row

    @operation("DescribeMaintenanceWindowExecutions")
    def describe_maintenance_window_executions(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowExecutionsRequest
    ) -> DescribeMaintenanceWindowExecutionsResult:
        with self.db.read() as conn:
            window = self.windows.window_row(conn, ctx, req.WindowId)
            rows = storage.executions(conn, window["id"])
        rows = [r for r in rows if all(_in_time(r["start_time"], f.Key, f.Values) for f in _time_filters(
            req.Filters, ("ExecutedBefore", "ExecutedAfter")))]
        shown, token = page("DescribeMaintenanceWindowExecutions", rows, req, lambda r: -r["seq"])
        return DescribeMaintenanceWindowExecutionsResult.model_construct(
            WindowExecutions=[render.execution(r) for r in shown], NextToken=token)

    @operation("GetMaintenanceWindowExecution")
    def get_maintenance_window_execution(
        self, ctx: RequestContext, req: GetMaintenanceWindowExecutionRequest
    ) -> GetMaintenanceWindowExecutionResult:
        with self.db.read() as conn:
            row = self._execution(conn, ctx, req.WindowExecutionId)
            tasks = storage.task_executions(conn, row["id"])
        return render.execution_detail(row, [t["id"] for t in tasks])

    @operation("DescribeMaintenanceWindowExecutionTasks")
    def describe_maintenance_window_execution_tasks(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowExecutionTasksRequest
    ) -> DescribeMaintenanceWindowExecutionTasksResult:
        with self.db.read() as conn:
            rows = storage.task_executions(conn, self._execution(conn, ctx, req.WindowExecutionId)["id"])
        rows = filtered(rows, req.Filters, {"Status": lambda r: [r["status"]]})
        shown, token = page("DescribeMaintenanceWindowExecutionTasks", rows, req, lambda r: r["seq"])
        return DescribeMaintenanceWindowExecutionTasksResult.model_construct(
            WindowExecutionTaskIdentities=[render.task_execution_identity(r) for r in shown], NextToken=token)

    @operation("GetMaintenanceWindowExecutionTask")
    def get_maintenance_window_execution_task(
        self, ctx: RequestContext, req: GetMaintenanceWindowExecutionTaskRequest
    ) -> GetMaintenanceWindowExecutionTaskResult:
        with self.db.read() as conn:
            return render.task_execution(self._task(conn, ctx, req.WindowExecutionId, req.TaskId))

    @operation("DescribeMaintenanceWindowExecutionTaskInvocations")
    def describe_maintenance_window_execution_task_invocations(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowExecutionTaskInvocationsRequest
    ) -> DescribeMaintenanceWindowExecutionTaskInvocationsResult:
        with self.db.read() as conn:
            rows = storage.invocations(conn, self._task(conn, ctx, req.WindowExecutionId, req.TaskId)["id"])
        rows = filtered(rows, req.Filters, {"Status": lambda r: [r["status"]]})
        shown, token = page("DescribeMaintenanceWindowExecutionTaskInvocations", rows, req, lambda r: r["seq"])
        return DescribeMaintenanceWindowExecutionTaskInvocationsResult.model_construct(
            WindowExecutionTaskInvocationIdentities=[render.invocation_identity(r) for r in shown], NextToken=token)

    @operation("GetMaintenanceWindowExecutionTaskInvocation")
    def get_maintenance_window_execution_task_invocation(
        self, ctx: RequestContext, req: GetMaintenanceWindowExecutionTaskInvocationRequest
    ) -> GetMaintenanceWindowExecutionTaskInvocationResult:
        with self.db.read() as conn:
            task = self._task(conn, ctx, req.WindowExecutionId, req.TaskId)
            row = storage.invocation(conn, task["id"], req.InvocationId or "")
        if row is None:
            raise DoesNotExistException(INVOCATION_NOT_FOUND.format(id=req.InvocationId))
        return render.invocation(row)

    @operation("CancelMaintenanceWindowExecution")
    def cancel_maintenance_window_execution(
        self, ctx: RequestContext, req: CancelMaintenanceWindowExecutionRequest
    ) -> CancelMaintenanceWindowExecutionResult:
        with self.db.read() as conn:
            row = self._execution(conn, ctx, req.WindowExecutionId)
        self.windows.runner.cancel(row["id"])  # one that has ended already stays as it ended
        return CancelMaintenanceWindowExecutionResult.model_construct(WindowExecutionId=row["id"])

    @operation("DescribeMaintenanceWindowSchedule")
    def describe_maintenance_window_schedule(
        self, ctx: RequestContext, req: DescribeMaintenanceWindowScheduleRequest
    ) -> DescribeMaintenanceWindowScheduleResult:
        with self.db.read() as conn:
            if req.WindowId:
                windows = [self.windows.window_row(conn, ctx, req.WindowId)]
            elif req.Targets and req.ResourceType:
                windows = None
            else:
                raise ValidationException(SCHEDULE_NEEDS)
        if windows is None:
            windows = self.windows.windows_for_target(
                ctx, [t.model_dump(exclude_none=True) for t in req.Targets or []], req.ResourceType or "INSTANCE")
        checks = _time_filters(req.Filters, ("ScheduledBefore", "ScheduledAfter"))
        found: list[tuple[float, Any]] = []
        for window in windows:
            if not window["enabled"]:
                continue
            definition = json.loads(window["definition"])
            for moment in schedule.upcoming(definition, window["next_run"], self.scale):
                if all(_in_time(moment, f.Key, f.Values) for f in checks):
                    found.append((moment, window))
        found.sort(key=lambda item: (item[0], item[1]["id"]))
        shown, token = page("DescribeMaintenanceWindowSchedule", found, req,
                            lambda item: f"{item[0]:017.3f}|{item[1]['id']}")
        return DescribeMaintenanceWindowScheduleResult.model_construct(ScheduledWindowExecutions=[
            ScheduledWindowExecution.model_construct(
                WindowId=w["id"], Name=w["name"],
                ExecutionTime=schedule.execution_time(moment, json.loads(w["definition"]).get("ScheduleTimezone")))
            for moment, w in shown], NextToken=token)


def _time_filters(filters: list[Any] | None, keys: tuple[str, ...]) -> list[Any]:
    for f in filters or []:
        if f.Key not in keys:
            raise ValidationException(f"Filter key {f.Key} isn't supported. Use {', '.join(keys)}.")
    return list(filters or [])


def _in_time(moment: float, key: str, values: list[str] | None) -> bool:
    bound = schedule.instant((values or [""])[0], key)
    return moment < bound if TIME_FILTERS[key] == "<" else moment > bound
