"""Run Command's five operations, in the API reference's order of a command's life: SendCommand, the
listings (ListCommands, ListCommandInvocations), GetCommandInvocation, CancelCommand.

SendCommand checks everything SSM checks before answering (document, version, hash, parameters,
{{ssm:...}} references, instances and their platform), stores the command with one Pending invocation
per instance and hands it to the invoker, which runs it for real (invoker.py).
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    DuplicateInstanceId,
    InvalidCommandId,
    InvalidDocument,
    InvalidFilterKey,
    InvalidInstanceId,
    InvalidNextToken,
    InvalidParameters,
    InvalidPluginName,
    InvocationDoesNotExist,
    UnsupportedPlatformType,
)
from api_models.run_command import (
    CancelCommandRequest,
    CancelCommandResult,
    GetCommandInvocationRequest,
    GetCommandInvocationResult,
    ListCommandInvocationsRequest,
    ListCommandInvocationsResult,
    ListCommandsRequest,
    ListCommandsResult,
    SendCommandRequest,
    SendCommandResult,
)
from emulator import paging
from emulator.context import RequestContext
from emulator.documents import validate_and_fill
from emulator.operations import operation
from emulator.run_command import download_content, plugins, rate, render, status, storage
from emulator.run_command.download_content import DownloadContent
from emulator.run_command.invoker import Invoker, PluginRunner
from emulator.run_command.run_document import NestedDocuments
from emulator.run_command.schema import COMPONENT, MIGRATIONS

if TYPE_CHECKING:
    from flask import Blueprint

    from emulator.documents import Documents
    from emulator.managed_instances import ManagedInstances
    from emulator.parameter_store import ParameterStore
    from emulator.services import Services

DEFAULT_TIMEOUT_SECONDS = 3600
DEFAULT_MAX_RESULTS = 50
# SendCommand answers one message for every parameter problem (AWS, since at least 2022).
PARAMETERS_REFUSED = "document {name} does not support parameters."
TARGETS_NEEDED = "Specify the managed nodes to run the command on, with InstanceIds or with Targets (not both)."
NOT_A_COMMAND = "Document {name} is a {type} document: SendCommand runs Command documents only."
HASH_MISMATCH = "The document hash doesn't match the document version."
SSM_NOT_FOUND = "Parameter Store has no parameter {name} (referenced as {{{{ssm:{name}}}}})."
SSM_SECURE = (
    "Parameter {name} is a SecureString: SSM documents don't support references to SecureString parameters."
)
PLATFORM_UNSUPPORTED = "The document doesn't support the platform type of the given managed node IDs."
INSTANCE_IDS_KEY = "instanceids"


class RunCommand:
    def __init__(
        self, services: Services, *, documents: Documents, instances: ManagedInstances, parameters: ParameterStore,
        plugins: Mapping[str, PluginRunner] | None = None,
    ) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)
        self.documents = documents
        self.instances = instances
        self.parameters = parameters
        # Run Command's own plugins read documents and the S3 stand-in; other capabilities hand theirs in.
        download = DownloadContent(self.documents.resolve, services.config.data_sync_dir)
        nested = NestedDocuments(self.documents.resolve, self._ssm_value)
        self.invoker = Invoker(services, instances, {download_content.PLUGIN: download.run, **(plugins or {})}, nested)
        self.ended = self.invoker.ended  # told of each command that ends (its rc_command row)
        self.base_url = services.config.local_url  # where the output URLs point

    def use_plugins(self, plugins: Mapping[str, PluginRunner]) -> None:
        """Plugins of a capability built after Run Command (State Manager's aws:refreshAssociation, which applies
        associations through Run Command)."""
        self.invoker.plugins.update(plugins)

    # --- lifecycle (called by the app factory) ------------------------------------------------------------
    def start(self) -> None:
        self.invoker.start()

    def on_reset(self) -> None:
        self.invoker.on_reset()

    def blueprint(self) -> Blueprint:
        from emulator.run_command.routes import output_blueprint

        return output_blueprint(self)

    def output(self, command_id: str, instance_id: str, plugin: str, stream: str) -> bytes | None:
        """The whole stdout or stderr of a plugin step (the output URLs)."""
        with self.db.read() as conn:
            return storage.output(conn, command_id, instance_id, plugin, stream)

    # --- SendCommand --------------------------------------------------------------------------------------
    @operation("SendCommand")
    def send_command(self, ctx: RequestContext, req: SendCommandRequest) -> SendCommandResult:
        instance_ids, targets, shown_ids, shown_targets = _targets(req)
        document = self.documents.resolve(ctx, req.DocumentName, req.DocumentVersion)
        if document.document_type != "Command":
            raise InvalidDocument(NOT_A_COMMAND.format(name=document.name, type=document.document_type))
        if req.DocumentHash is not None and req.DocumentHash != _hash(document.raw_content, req.DocumentHashType):
            raise InvalidDocument(HASH_MISMATCH)
        values = validate_and_fill(
            document.parameters, req.Parameters, opaque_message=PARAMETERS_REFUSED.format(name=document.name)
        )
        plan = plugins.build(document, values, lambda name: self._ssm_value(ctx, name))
        chosen = self.instances.select(ctx, instance_ids=instance_ids, targets=targets)
        if instance_ids is not None and any(not plan.runs_on(i.platform_type) for i in chosen):
            raise UnsupportedPlatformType(PLATFORM_UNSUPPORTED)
        ids = [i.instance_id for i in chosen]
        now = self.clock.time()
        timeout = req.TimeoutSeconds or DEFAULT_TIMEOUT_SECONDS
        max_concurrency = req.MaxConcurrency or rate.DEFAULT_MAX_CONCURRENCY
        max_errors = req.MaxErrors or rate.DEFAULT_MAX_ERRORS
        new = storage.NewCommand(
            id=str(uuid.uuid4()),
            account=ctx.account_id,
            region=ctx.region,
            document_name=document.name,
            document_version=req.DocumentVersion or "$DEFAULT",
            comment=req.Comment or "",
            parameters=json.dumps(req.Parameters or {}),
            instance_ids=json.dumps(shown_ids if shown_ids is not None else []),
            targets=json.dumps(shown_targets),
            requested_at=now,
            expires_at=now + timeout + plan.execution_timeout,
            deliver_by=now + timeout,
            timeout_seconds=timeout,
            output_s3_region=req.OutputS3Region or "",
            output_s3_bucket=req.OutputS3BucketName or "",
            output_s3_prefix=req.OutputS3KeyPrefix or "",
            max_concurrency=max_concurrency,
            max_errors=max_errors,
            concurrency_limit=rate.concurrency_limit(max_concurrency, len(ids)),
            error_limit=rate.error_limit(max_errors, len(ids)),
            service_role=req.ServiceRoleArn or "",
            notification_config=_json(req.NotificationConfig),
            cloudwatch_output_config=_json(req.CloudWatchOutputConfig),
            alarm_configuration=_json(req.AlarmConfiguration),
            plan=plan.to_json(),
        )
        with self.db.write() as conn:
            seq = storage.insert(conn, new, ids, [step.name for step in plan.steps])
            row = storage.by_seq(conn, seq)
        result = SendCommandResult.model_construct(Command=render.command(row))
        if ids:
            self.invoker.kick(seq)
        return result

    def _ssm_value(self, ctx: RequestContext, name: str) -> str:
        parameter = self.parameters.read(ctx, name)
        if parameter is None:
            raise InvalidParameters(SSM_NOT_FOUND.format(name=name))
        if parameter.Type == "SecureString":
            raise InvalidParameters(SSM_SECURE.format(name=name))
        return parameter.Value or ""

    # --- listings -----------------------------------------------------------------------------------------
    @operation("ListCommands")
    def list_commands(self, ctx: RequestContext, req: ListCommandsRequest) -> ListCommandsResult:
        where, params = _filters(req.Filters, status.COMMAND_FILTER_VALUES, allow_stage=True)
        if req.CommandId is not None:
            where.append("c.id = ?")
            params.append(req.CommandId)
        if req.InstanceId is not None:
            where.append("EXISTS (SELECT 1 FROM rc_invocation i WHERE i.command_seq = c.seq AND i.instance_id = ?)")
            params.append(req.InstanceId)
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        before = paging.decode("ListCommands", req.NextToken, int)
        with self.db.read() as conn:
            rows = storage.list_commands(conn, ctx.account_id, ctx.region, where, params, before, limit + 1)
        rows, token = paging.page("ListCommands", rows, limit, lambda row: row["seq"])
        return ListCommandsResult.model_construct(Commands=[render.command(row) for row in rows], NextToken=token)

    @operation("ListCommandInvocations")
    def list_command_invocations(
        self, ctx: RequestContext, req: ListCommandInvocationsRequest
    ) -> ListCommandInvocationsResult:
        where, params = _filters(req.Filters, status.INVOCATION_FILTER_VALUES, allow_stage=False, alias="i")
        if req.CommandId is not None:
            where.append("c.id = ?")
            params.append(req.CommandId)
        if req.InstanceId is not None:
            where.append("i.instance_id = ?")
            params.append(req.InstanceId)
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        after = paging.decode("ListCommandInvocations", req.NextToken, list)
        if after is not None and (len(after) != 2 or not all(isinstance(x, int) for x in after)):
            raise InvalidNextToken(paging.INVALID_TOKEN_MESSAGE)
        with self.db.read() as conn:
            rows = storage.list_invocations(
                conn, ctx.account_id, ctx.region, where, params, tuple(after) if after else None, limit + 1
            )
            more = len(rows) > limit
            rows = rows[:limit]
            keys = [(r["command_seq"], r["position"]) for r in rows]
            found = storage.plugins(conn, keys, render.PLUGIN_OUTPUT_CHARS + 1)
        out = []
        for row in rows:
            steps = found.get((row["command_seq"], row["position"]), [])
            names = [p["name"] for p in steps]
            out.append(render.invocation(row, steps if req.Details else None, names, self.base_url))
        token = paging.encode("ListCommandInvocations", list(keys[-1])) if more else None
        return ListCommandInvocationsResult.model_construct(CommandInvocations=out, NextToken=token)

    # --- GetCommandInvocation -----------------------------------------------------------------------------
    @operation("GetCommandInvocation")
    def get_command_invocation(
        self, ctx: RequestContext, req: GetCommandInvocationRequest
    ) -> GetCommandInvocationResult:
        assert req.CommandId is not None and req.InstanceId is not None
        with self.db.read() as conn:
            command = storage.by_id(conn, ctx.account_id, ctx.region, req.CommandId)
            inv = storage.invocation_of(conn, command["seq"], req.InstanceId) if command is not None else None
            if command is None or inv is None:
                # What the CommandExecuted waiter retries on: the invocation may not be there yet.
                raise InvocationDoesNotExist("")
            steps = storage.plugins(conn, [(inv["command_seq"], inv["position"])], render.STDOUT_CHARS)
        plugins_ = steps.get((inv["command_seq"], inv["position"]), [])
        selected = plugins_[0] if len(plugins_) == 1 and req.PluginName is None else None
        if req.PluginName is not None:
            selected = next((p for p in plugins_ if p["name"] == req.PluginName), None)
            if selected is None:
                raise InvalidPluginName("")
        return render.get_invocation(command, inv, plugins_, selected, self.clock.time(), self.base_url)

    # --- CancelCommand ------------------------------------------------------------------------------------
    @operation("CancelCommand")
    def cancel_command(self, ctx: RequestContext, req: CancelCommandRequest) -> CancelCommandResult:
        assert req.CommandId is not None
        wanted = req.InstanceIds or None
        if wanted is not None and len(set(wanted)) != len(wanted):
            raise DuplicateInstanceId("")
        now = self.clock.time()
        running: list[int] = []
        with self.db.write() as conn:
            command = storage.by_id(conn, ctx.account_id, ctx.region, req.CommandId)
            if command is None:
                raise InvalidCommandId("")
            rows = storage.invocations(conn, command["seq"])
            if wanted is not None:
                by_instance = {r["instance_id"]: r for r in rows}
                if any(i not in by_instance for i in wanted):
                    raise InvalidInstanceId("")
                rows = [by_instance[i] for i in wanted]
            elif not command["done"]:
                storage.mark_command(conn, command["seq"], cancel_requested=True)
            for row in rows:
                seq, position = row["command_seq"], row["position"]
                if row["status"] == "Pending":
                    storage.set_invocation(conn, seq, position, status.CANCELLED, ended_at=now, only_from=("Pending",))
                    storage.end_unrun_plugins(conn, seq, position, status.CANCELLED, now)
                elif row["status"] == "InProgress":
                    storage.set_invocation(conn, seq, position, status.CANCELLING, only_from=("InProgress",))
                    running.append(position)
            storage.refresh(conn, command["seq"])
        self.invoker.cancel(command["seq"], running)
        return CancelCommandResult.model_construct()


# --- helpers -----------------------------------------------------------------------------------------------


def _targets(req: SendCommandRequest) -> tuple[list[str] | None, list[Any] | None, list[str] | None, list[dict]]:
    """(instance IDs to select, targets to select by, InstanceIds and Targets as the command shows them).

    Targets naming InstanceIds (AWS accepts any case, e.g. Key=instanceids) are instance IDs: the
    command then shows them as InstanceIds, with no Targets, as AWS does."""
    given_ids = req.InstanceIds or None
    given_targets = req.Targets or None
    if (given_ids is None) == (given_targets is None):
        raise InvalidParameters(TARGETS_NEEDED)
    if given_ids is not None:
        if len(set(given_ids)) != len(given_ids):
            raise DuplicateInstanceId("")
        return list(given_ids), None, list(given_ids), []
    assert given_targets is not None
    targets = [
        {"Key": "InstanceIds" if (t.Key or "").lower() == INSTANCE_IDS_KEY else (t.Key or ""),
         "Values": list(t.Values or [])}
        for t in given_targets
    ]
    if len(targets) == 1 and targets[0]["Key"] == "InstanceIds" and "*" not in targets[0]["Values"]:
        ids = list(dict.fromkeys(targets[0]["Values"]))
        return ids, None, ids, []
    return None, targets, None, targets


def _hash(content: str, hash_type: str | None) -> str:
    data = content.encode("utf-8")
    return hashlib.sha1(data).hexdigest() if hash_type == "Sha1" else hashlib.sha256(data).hexdigest()


def _json(model: Any) -> str | None:
    return None if model is None else json.dumps(model.model_dump(exclude_none=True))


def _filters(filters: Any, statuses: frozenset[str], *, allow_stage: bool,
             alias: str = "c") -> tuple[list[str], list[object]]:
    """SQL conditions for ListCommands/ListCommandInvocations filters (all must hold).

    Status matches Status or StatusDetails (TimedOut covers both timeouts, DeliveryTimedOut one);
    InvokedAfter/InvokedBefore take ISO-8601 times; ExecutionStage (ListCommands only) is Executing or
    Complete. Anything else is InvalidFilterKey, the one filter error these operations declare."""
    where: list[str] = []
    params: list[object] = []
    for f in filters or ():
        key, value = f.key, f.value
        if key in ("InvokedAfter", "InvokedBefore"):
            moment = _instant(value)
            where.append("c.requested_at >= ?" if key == "InvokedAfter" else "c.requested_at <= ?")
            params.append(moment)
        elif key == "Status":
            if value not in statuses:
                raise InvalidFilterKey("")
            where.append(f"({alias}.status = ? OR {alias}.status_details = ?)")
            params += [value, value]
        elif key == "DocumentName":
            where.append("c.document_name = ?")
            params.append(value)
        elif key == "ExecutionStage" and allow_stage and value in ("Executing", "Complete"):
            where.append("c.done = ?")
            params.append(int(value == "Complete"))
        else:
            raise InvalidFilterKey("")
    return where, params


def _instant(value: str) -> float:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilterKey("") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
