"""Automation's eight operations: StartAutomationExecution, StopAutomationExecution, GetAutomationExecution,
DescribeAutomationExecutions, DescribeAutomationStepExecutions, SendAutomationSignal, StartExecutionPreview and
GetExecutionPreview.

StartAutomationExecution checks what SSM checks before answering (the runbook, its version, the parameters, the
targets, the ClientToken), stores the execution with its steps Pending and hands it to the engine (engine.py),
which runs it on a pool of threads; rate control (TargetParameterName with Targets or TargetMaps) is in
rate_control.py, and so are TargetLocations (one child per account and Region, in that account and Region of
this emulator). The in-process API (`start_execution`, `wait`) is what aws:executeAutomation uses.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from api_models.automation import (
    AutomationExecutionPreview,
    DescribeAutomationExecutionsRequest,
    DescribeAutomationExecutionsResult,
    DescribeAutomationStepExecutionsRequest,
    DescribeAutomationStepExecutionsResult,
    ExecutionPreview,
    GetAutomationExecutionRequest,
    GetAutomationExecutionResult,
    GetExecutionPreviewRequest,
    GetExecutionPreviewResponse,
    SendAutomationSignalRequest,
    SendAutomationSignalResult,
    StartAutomationExecutionRequest,
    StartAutomationExecutionResult,
    StartExecutionPreviewRequest,
    StartExecutionPreviewResponse,
    StopAutomationExecutionRequest,
    StopAutomationExecutionResult,
    TargetPreview,
)
from api_models.errors import (
    AutomationDefinitionNotFoundException,
    AutomationDefinitionVersionNotFoundException,
    AutomationExecutionNotFoundException,
    AutomationStepNotFoundException,
    IdempotentParameterMismatch,
    InvalidAutomationExecutionParametersException,
    InvalidAutomationSignalException,
    InvalidAutomationStatusUpdateException,
    InvalidDocument,
    InvalidDocumentVersion,
    InvalidTarget,
    ResourceNotFoundException,
    ValidationException,
)
from emulator import paging
from emulator.automation import filters, rate_control, render, status, storage, variables
from emulator.automation.actions.base import AutomationServices
from emulator.automation.engine import Engine
from emulator.automation.schema import COMPONENT, MIGRATIONS
from emulator.clock import timestamp
from emulator.context import Caller, RequestContext
from emulator.documents import validate_and_fill
from emulator.listeners import Listeners
from emulator.operations import operation
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.documents import Documents, ResolvedDocument
    from emulator.managed_instances import ManagedInstances
    from emulator.services import Services

RESOURCE_TYPE = "Automation"
MAX_TAGS = 5  # "Automations can have a maximum of 5 tags."
DEFAULT_MAX_RESULTS = 50
NOT_FOUND = "Automation execution {id} doesn't exist."
DEFINITION_NOT_FOUND = "Automation document {name} doesn't exist."
VERSION_NOT_FOUND = "Automation document {name} doesn't have version {version}."
NOT_AUTOMATION = "Document {name} is a {type} document: StartAutomationExecution runs Automation documents only."
MISSING_PARAMETER = "Missing required parameter: {name} in user inputs."
TARGET_PARAMETER_UNKNOWN = "TargetParameterName {name} isn't a parameter of the runbook."
TARGETS_NEED_PARAMETER = "TargetParameterName is required with Targets or TargetMaps."
TARGETS_AND_MAPS = "Targets and TargetMaps can't be specified together."
RESOURCE_GROUPS = "Resource groups are not supported by ssm-emulator: target managed nodes by tag or ID."
TOKEN_MISMATCH = "The ClientToken {token} was used before with different parameters."
ALREADY_ENDED = "The execution {id} has already ended with status {status}: it can't be stopped."
SIGNAL_TERMINAL = "The execution {id} has ended ({status}): it takes no signal."
SIGNAL_NOT_WAITING = "The execution {id} has no {action} step waiting for a {signal} signal."
SIGNAL_NOT_INTERACTIVE = "StartStep is only for Interactive executions waiting for their next step."
STEP_NOT_FOUND = "Step {name} doesn't exist in the execution {id}."
STEP_EXECUTION_NOT_FOUND = "Step execution {step} doesn't exist in the execution {id}."
STEP_NOT_RUNNING = "Step execution {step} isn't running."
PAYLOAD_NEEDS = "The {signal} signal needs {key} in its Payload."
PREVIEW_NOT_FOUND = "Execution preview {id} doesn't exist."
LOCATIONS_URL = "TargetLocationsURL is not supported by ssm-emulator (it reads S3): give TargetLocations."
NOT_AN_ACCOUNT = ("{account} isn't an AWS account ID: organizational units need AWS Organizations, which "
                  "ssm-emulator does not run; give 12-digit account IDs.")
DEFAULT_EXECUTION_ROLE = "AWS-SystemsManager-AutomationExecutionRole"  # TargetLocation.ExecutionRoleName's default
ACCOUNT_ID = re.compile(r"\d{12}")
# StepPreviews: what a step may change. Actions that read or wait are NonMutating; actions that run user code or
# arbitrary API calls are Undetermined.
MUTATING = frozenset({"aws:runCommand", "aws:changeInstanceState", "aws:createImage", "aws:deleteImage",
                      "aws:createTags", "aws:copyImage", "aws:createStack", "aws:deleteStack", "aws:runInstances",
                      "aws:invokeLambdaFunction", "aws:executeStateMachine", "aws:invokeWebhook"})
NON_MUTATING = frozenset({"aws:sleep", "aws:pause", "aws:approve", "aws:branch", "aws:assertAwsResourceProperty",
                          "aws:waitForAwsResourceProperty", "aws:loop", "aws:updateVariable"})


class Automation:
    def __init__(self, services: Services, *, documents: Documents, instances: ManagedInstances,
                 actions: AutomationServices) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)
        tag_store.migrate(self.db)
        self.documents = documents
        self.instances = instances
        self.engine = Engine(services)
        self.engine.actions = replace(actions, automation=self)
        self.engine.ssm_lookup = self._ssm_value
        self.rate = rate_control.RateControl(self.engine, self.clock)
        self.ended = Listeners[sqlite3.Row]("automation execution end")
        self.engine.on_end = self._ended
        services.taggable.register(RESOURCE_TYPE, self._taggable_id, max_tags=MAX_TAGS)

    # --- lifecycle (called by the app factory) ----------------------------------------------------------------
    def start(self) -> None:
        self.engine.start()
        self.engine.recover()
        self.rate.recover()

    def on_reset(self) -> None:
        self.engine.on_reset()

    # --- what other capabilities hook in (wired by the app factory) -------------------------------------------
    def _ended(self, row: sqlite3.Row) -> None:
        """An execution ended and is stored: its rate-control parent moves on, and `ended`'s listeners (OpsCenter)
        are told (with its au_execution row)."""
        self.rate.child_ended(row)
        self.ended.notify(row)

    def link_ops_item(self, account: str, region: str, execution_id: str, ops_item_id: str) -> bool:
        """Mark an execution as run for an OpsItem (its OpsItemId); False when there is no such execution."""
        with self.db.write() as conn:
            row = storage.by_id(conn, account, region, execution_id)
            if row is None:
                return False
            storage.update_execution(conn, row["seq"], ops_item_id=ops_item_id)
        return True

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            return resource_id if storage.by_id(conn, ctx.account_id, ctx.region, resource_id) else None

    def _ssm_value(self, account: str, region: str, name: str) -> Any:
        from api_models.parameter_store import GetParameterRequest

        handler = self.engine.actions.operations.get("GetParameter") if self.engine.actions else None
        if handler is None:
            raise variables.Unresolved(f"ssm:{name}")
        try:
            answer = handler(_context(account, region, ""), GetParameterRequest(Name=name))
        except Exception:
            raise variables.Unresolved(f"ssm:{name}") from None
        return answer.Parameter.Value  # type: ignore[union-attr]

    # --- StartAutomationExecution -----------------------------------------------------------------------------
    @operation("StartAutomationExecution")
    def start_automation_execution(
        self, ctx: RequestContext, req: StartAutomationExecutionRequest
    ) -> StartAutomationExecutionResult:
        return StartAutomationExecutionResult.model_construct(AutomationExecutionId=self.start_execution(ctx, req))

    def start_execution(self, ctx: RequestContext, req: StartAutomationExecutionRequest,
                        parent_id: str | None = None) -> str:
        """Check and store an execution, and start it; its ID (the in-process API aws:executeAutomation uses)."""
        fingerprint = request_hash(req)
        earlier = self.earlier_execution(ctx, req.ClientToken, fingerprint)
        if earlier is not None:
            return earlier
        document, values = self.checked_request(ctx, req)
        declared = {p.name: p for p in document.parameters}
        targeted = bool(req.Targets) or bool(req.TargetMaps) or any(loc.Targets for loc in req.TargetLocations or [])
        target_name = req.TargetParameterName
        main_steps = list(document.content.get("mainSteps") or [])
        frozen = json.dumps({"mainSteps": main_steps, "outputs": document.content.get("outputs") or []})
        execution_id = str(uuid.uuid4())
        now = self.clock.time()
        fans_out = targeted or bool(req.TargetLocations)
        interactive = req.Mode == "Interactive" and not fans_out
        new = storage.NewExecution(
            id=execution_id, account=ctx.account_id, region=ctx.region, document_name=document.name,
            document_version=document.version, document=frozen, parameters=json.dumps(values),
            mode=req.Mode or "Auto", status=status.WAITING if interactive else status.PENDING, started_at=now,
            executed_by=ctx.caller.arn, next_step=main_steps[0]["name"] if main_steps and not fans_out else None,
            parent_id=parent_id, client_token=req.ClientToken, request_hash=fingerprint,
            alarm_configuration=json.dumps(req.AlarmConfiguration.model_dump(exclude_none=True))
            if req.AlarmConfiguration else None,
        )
        if req.TargetLocations:
            locations = self._locations(ctx, req, declared)
            limits = next((loc for loc in req.TargetLocations
                           if loc.TargetLocationMaxConcurrency or loc.TargetLocationMaxErrors), None)
            concurrency, errors, concurrency_limit, error_limit = rate_control.limits(
                limits.TargetLocationMaxConcurrency if limits else None,
                limits.TargetLocationMaxErrors if limits else None, len(locations))
            new = replace(
                new, status=status.IN_PROGRESS, automation_type="CrossAccount", target_parameter_name=target_name,
                target_locations=json.dumps([loc.model_dump(exclude_none=True) for loc in req.TargetLocations]),
                targets=json.dumps([{"Key": t.Key, "Values": list(t.Values or [])} for t in req.Targets])
                if req.Targets else None,
                target_maps=json.dumps(req.TargetMaps) if req.TargetMaps else None,
                resolved_targets=json.dumps(locations), max_concurrency=concurrency, max_errors=errors,
                concurrency_limit=concurrency_limit, error_limit=error_limit,
            )
        elif targeted:
            assert target_name is not None
            resolved = self._resolve_targets(ctx, req, declared)
            concurrency, errors, concurrency_limit, error_limit = rate_control.limits(
                req.MaxConcurrency, req.MaxErrors, len(resolved))
            new = replace(
                new, status=status.IN_PROGRESS, target_parameter_name=target_name,
                targets=json.dumps([{"Key": t.Key, "Values": list(t.Values or [])} for t in req.Targets or []])
                if req.Targets else None,
                target_maps=json.dumps(req.TargetMaps) if req.TargetMaps else None,
                resolved_targets=json.dumps(resolved), max_concurrency=concurrency, max_errors=errors,
                concurrency_limit=concurrency_limit, error_limit=error_limit,
            )
        with self.db.write() as conn:
            seq = storage.create(conn, new, [] if fans_out else main_steps)
            if interactive:
                storage.update_execution(conn, seq, awaiting_start=1, current_step=new.next_step)
            if req.Tags:
                tag_store.put_tags(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, execution_id,
                                   [(t.Key, t.Value) for t in req.Tags])
        if fans_out:
            self.rate.kick(seq)
        elif not interactive:
            self.engine.submit(seq)
        return execution_id

    def earlier_execution(self, ctx: RequestContext, token: str | None, fingerprint: str) -> str | None:
        """The execution a ClientToken started before (None: none); IdempotentParameterMismatch when that
        request differed (`fingerprint`: request_hash of this one)."""
        if token is None:
            return None
        with self.db.read() as conn:
            earlier = storage.by_token(conn, ctx.account_id, ctx.region, token)
        if earlier is None:
            return None
        if earlier["request_hash"] != fingerprint:
            raise IdempotentParameterMismatch(TOKEN_MISMATCH.format(token=token))
        return earlier["id"]

    def checked_request(self, ctx: RequestContext, req: StartAutomationExecutionRequest,
                        ) -> tuple[ResolvedDocument, dict[str, Any]]:
        """The runbook a request names and its typed parameter values, checked as StartAutomationExecution
        checks them (Change Manager checks a change request's runbooks with it before storing the request)."""
        document = self.automation_document(ctx, req.DocumentName or "", req.DocumentVersion)
        declared = {p.name: p for p in document.parameters}
        targeted = bool(req.Targets) or bool(req.TargetMaps) or any(loc.Targets for loc in req.TargetLocations or [])
        target_name = req.TargetParameterName
        if req.TargetLocationsURL:
            raise InvalidAutomationExecutionParametersException(LOCATIONS_URL)
        if targeted and target_name is None:
            raise InvalidAutomationExecutionParametersException(TARGETS_NEED_PARAMETER)
        if target_name is not None and target_name not in declared:
            raise InvalidAutomationExecutionParametersException(TARGET_PARAMETER_UNKNOWN.format(name=target_name))
        if req.Targets and req.TargetMaps:
            raise InvalidAutomationExecutionParametersException(TARGETS_AND_MAPS)
        return document, self.checked_parameters(ctx, document, dict(req.Parameters or {}), req.TargetMaps,
                                                 target_name if targeted else None)

    def checked_parameters(self, ctx: RequestContext, document: ResolvedDocument, given: dict[str, Any],
                           target_maps: list[dict[str, Any]] | None = None,
                           target_name: str | None = None) -> dict[str, Any]:
        """A document's parameter values from those given: required ones present, types and constraints
        checked, defaults filled and resolved (InvalidAutomationExecutionParametersException otherwise).
        Parameters a target or a target map provides may be left out."""
        skip = {target_name} if target_name is not None else set()
        if target_maps:
            skip |= {name for target_map in target_maps for name in target_map}
        for p in document.parameters:
            if p.required and p.name not in given and p.name not in skip:
                raise InvalidAutomationExecutionParametersException(MISSING_PARAMETER.format(name=p.name))
        kept = tuple(p for p in document.parameters if p.name not in skip or p.name in given)
        return self._parameter_values(ctx, kept, given)

    def automation_document(self, ctx: RequestContext, name: str, version: str | None) -> ResolvedDocument:
        try:
            document = self.documents.resolve(ctx, name, version)
        except InvalidDocument:
            raise AutomationDefinitionNotFoundException(DEFINITION_NOT_FOUND.format(name=name)) from None
        except InvalidDocumentVersion:
            raise AutomationDefinitionVersionNotFoundException(
                VERSION_NOT_FOUND.format(name=name, version=version)) from None
        if document.document_type not in ("Automation", "Automation.ChangeTemplate"):
            raise AutomationDefinitionNotFoundException(NOT_AUTOMATION.format(name=name, type=document.document_type))
        return document

    def _parameter_values(self, ctx: RequestContext, declared: tuple[Any, ...], given: dict[str, Any]) -> dict:
        values = validate_and_fill(declared, given, error=InvalidAutomationExecutionParametersException)
        # Defaults may be expressions ({{ global:ACCOUNT_ID }}, {{ ssm:/name }}): resolved once, at the start.
        scope = variables.Scope({}, {}, variables.system_variables("", "", ctx.account_id, ctx.region,
                                                                      self.clock.now()),
                                lambda name: self._ssm_value(ctx.account_id, ctx.region, name))
        try:
            return {name: variables.resolve(value, scope) for name, value in values.items()}
        except variables.Unresolved as e:
            raise InvalidAutomationExecutionParametersException(
                f"The parameter value {{{{ {e.name} }}}} can't be resolved.") from None

    def _resolve_targets(self, ctx: RequestContext, req: StartAutomationExecutionRequest,
                         declared: dict[str, Any]) -> list[dict[str, Any]]:
        """One item per child: the target value it shows and the parameters it runs with (typed)."""
        name = req.TargetParameterName
        assert name is not None
        if req.TargetMaps:
            out = []
            for target_map in req.TargetMaps:
                kept = tuple(declared[k] for k in target_map if k in declared)
                if len(kept) != len(target_map):
                    unknown = next(k for k in target_map if k not in declared)
                    raise InvalidAutomationExecutionParametersException(
                        f'Parameter "{unknown}" is not declared in the document.')
                typed = validate_and_fill(kept, target_map, error=InvalidAutomationExecutionParametersException)
                out.append({"value": variables.text(typed.get(name, "")), "parameters": typed})
            return out
        target = (req.Targets or [])[0]
        key, wanted = target.Key or "", list(target.Values or [])
        if key == "ParameterValues":
            found = wanted
        elif key == "ResourceGroup" or key.startswith("resource-groups:"):
            raise InvalidTarget(RESOURCE_GROUPS)
        else:
            selector = {"Key": "InstanceIds" if key.lower() == "instanceids" else key, "Values": wanted}
            found = [i.instance_id for i in self.instances.select(ctx, targets=[selector])]
        single = (declared[name],)
        return [{"value": value,
                 "parameters": validate_and_fill(single, {name: [value]},
                                                 error=InvalidAutomationExecutionParametersException)}
                for value in found]

    def _locations(self, ctx: RequestContext, req: StartAutomationExecutionRequest,
                   declared: dict[str, Any]) -> list[dict[str, Any]]:
        """TargetLocations as rate-control targets: one per account and Region (each once, in the order given),
        run by the location's ExecutionRoleName; with Targets, each fans out over the targets it finds in its
        own account and Region (TargetLocation.Targets, when given, instead of the request's)."""
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for location in req.TargetLocations or []:
            excluded = set(location.ExcludeAccounts or [])
            role = location.ExecutionRoleName or DEFAULT_EXECUTION_ROLE
            here_req = req if not location.Targets else req.model_copy(update={
                "Targets": location.Targets, "MaxConcurrency": location.TargetsMaxConcurrency or req.MaxConcurrency,
                "MaxErrors": location.TargetsMaxErrors or req.MaxErrors})
            for account in location.Accounts or [ctx.account_id]:
                if not ACCOUNT_ID.fullmatch(account):
                    raise InvalidAutomationExecutionParametersException(NOT_AN_ACCOUNT.format(account=account))
                for region in location.Regions or [ctx.region]:
                    if account in excluded or (account, region) in seen:
                        continue
                    seen.add((account, region))
                    item: dict[str, Any] = {"value": f"{account}:{region}", "account": account, "region": region,
                                            "parameters": {},
                                            "executed_by": f"arn:aws:iam::{account}:role/{role}"}
                    if here_req.Targets or here_req.TargetMaps:
                        resolved = self._resolve_targets(_context(account, region, ctx.caller.arn), here_req,
                                                         declared)
                        concurrency, errors, concurrency_limit, error_limit = rate_control.limits(
                            here_req.MaxConcurrency, here_req.MaxErrors, len(resolved))
                        item["fan_out"] = {
                            "resolved_targets": json.dumps(resolved), "max_concurrency": concurrency,
                            "max_errors": errors, "concurrency_limit": concurrency_limit, "error_limit": error_limit,
                            "targets": json.dumps([{"Key": t.Key, "Values": list(t.Values or [])}
                                                   for t in here_req.Targets]) if here_req.Targets else None,
                            "target_maps": json.dumps(here_req.TargetMaps) if here_req.TargetMaps else None,
                        }
                    out.append(item)
        return out

    def wait(self, execution_id: str, cancelled: threading.Event, poll: float = 0.2) -> dict[str, Any] | None:
        """Block until the execution ends (or `cancelled` is set); its row as a dict (None: it vanished)."""
        while True:
            with self.db.read() as conn:
                row = storage.by_any_id(conn, execution_id)
            if row is None:
                return None
            if row["done"] or cancelled.is_set():
                return {**dict(row), "shown_outputs": render.outputs(row)}
            with self.engine.ended:
                self.engine.ended.wait(poll)

    def stop_execution(self, ctx: RequestContext, execution_id: str, stop_type: str = "Cancel") -> None:
        with self.engine.lock:
            with self.db.write() as conn:
                row = storage.by_id(conn, ctx.account_id, ctx.region, execution_id)
                if row is None:
                    raise AutomationExecutionNotFoundException(NOT_FOUND.format(id=execution_id))
                if row["done"] or status.is_terminal(row["status"]):
                    raise InvalidAutomationStatusUpdateException(
                        ALREADY_ENDED.format(id=execution_id, status=row["status"]))
                storage.update_execution(conn, row["seq"], cancel_requested=1, stop_type=stop_type,
                                         status=status.CANCELLING, awaiting_start=0)
                kids = [k for k in storage.children(conn, execution_id) if not k["done"]]
        for kid in kids:  # a TargetLocations child runs in its own account and Region
            try:
                self.stop_execution(_context(kid["account"], kid["region"], ctx.caller.arn), kid["id"], stop_type)
            except InvalidAutomationStatusUpdateException:
                pass
        if row["resolved_targets"] is not None:
            self.rate.kick(row["seq"])
        elif not self.engine.cancel(row["seq"]):
            self.engine.submit(row["seq"])

    # --- StopAutomationExecution ------------------------------------------------------------------------------
    @operation("StopAutomationExecution")
    def stop_automation_execution(
        self, ctx: RequestContext, req: StopAutomationExecutionRequest
    ) -> StopAutomationExecutionResult:
        self.stop_execution(ctx, req.AutomationExecutionId or "", req.Type or "Cancel")
        return StopAutomationExecutionResult.model_construct()

    # --- GetAutomationExecution -------------------------------------------------------------------------------
    @operation("GetAutomationExecution")
    def get_automation_execution(
        self, ctx: RequestContext, req: GetAutomationExecutionRequest
    ) -> GetAutomationExecutionResult:
        with self.db.read() as conn:
            row = self._execution(conn, ctx, req.AutomationExecutionId or "")
            steps = storage.steps(conn, row["seq"])
            kids = storage.children(conn, row["id"]) if row["resolved_targets"] is not None else None
        return GetAutomationExecutionResult.model_construct(AutomationExecution=render.execution(row, steps, kids))

    def _execution(self, conn: Any, ctx: RequestContext, execution_id: str) -> Any:
        row = storage.by_id(conn, ctx.account_id, ctx.region, execution_id)
        if row is None:
            raise AutomationExecutionNotFoundException(NOT_FOUND.format(id=execution_id))
        return row

    # --- DescribeAutomationExecutions -------------------------------------------------------------------------
    @operation("DescribeAutomationExecutions")
    def describe_automation_executions(
        self, ctx: RequestContext, req: DescribeAutomationExecutionsRequest
    ) -> DescribeAutomationExecutionsResult:
        where, params = filters.executions(req.Filters)
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        before = paging.decode("DescribeAutomationExecutions", req.NextToken, int)
        with self.db.read() as conn:
            rows = storage.list_executions(conn, ctx.account_id, ctx.region, where, params, before, limit + 1)
        rows, token = paging.page("DescribeAutomationExecutions", rows, limit, lambda r: r["seq"])
        return DescribeAutomationExecutionsResult.model_construct(
            AutomationExecutionMetadataList=[render.metadata(r) for r in rows], NextToken=token)

    # --- DescribeAutomationStepExecutions ---------------------------------------------------------------------
    @operation("DescribeAutomationStepExecutions")
    def describe_automation_step_executions(
        self, ctx: RequestContext, req: DescribeAutomationStepExecutionsRequest
    ) -> DescribeAutomationStepExecutionsResult:
        where, params = filters.steps(req.Filters)
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        after = paging.decode("DescribeAutomationStepExecutions", req.NextToken, int)
        with self.db.read() as conn:
            row = self._execution(conn, ctx, req.AutomationExecutionId or "")
            rows = storage.list_steps(conn, row["seq"], where, params, after, bool(req.ReverseOrder), limit + 1)
        following = render.successors(row)
        rows, token = paging.page("DescribeAutomationStepExecutions", rows, limit, lambda r: r["position"])
        return DescribeAutomationStepExecutionsResult.model_construct(
            StepExecutions=[render.step(r, following) for r in rows], NextToken=token)

    # --- SendAutomationSignal ---------------------------------------------------------------------------------
    @operation("SendAutomationSignal")
    def send_automation_signal(
        self, ctx: RequestContext, req: SendAutomationSignalRequest
    ) -> SendAutomationSignalResult:
        execution_id, signal_type = req.AutomationExecutionId or "", req.SignalType or ""
        payload = dict(req.Payload or {})
        with self.engine.lock:
            with self.db.write() as conn:
                row = self._execution(conn, ctx, execution_id)
                if row["done"]:
                    raise InvalidAutomationSignalException(
                        SIGNAL_TERMINAL.format(id=execution_id, status=row["status"]))
                if signal_type == "StartStep":
                    self._start_step(conn, row, payload)
                    after = lambda: self.engine.submit(row["seq"])  # noqa: E731
                elif signal_type == "StopStep":
                    step = self._signalled_step(conn, row, payload)
                    after = lambda: self.engine.stop_step(row["seq"], step["position"])  # noqa: E731
                else:
                    signal = self._step_signal(conn, ctx, row, signal_type, payload)
                    position = signal.pop("position")
                    after = lambda: self.engine.deliver(row["seq"], position, signal)  # noqa: E731
            after()
        return SendAutomationSignalResult.model_construct()

    def _start_step(self, conn: Any, row: Any, payload: dict[str, list[str]]) -> None:
        name = _payload_value(payload, "StepName", "StartStep")
        if row["mode"] != "Interactive" or not row["awaiting_start"]:
            raise InvalidAutomationSignalException(SIGNAL_NOT_INTERACTIVE)
        steps = json.loads(row["document"]).get("mainSteps", [])
        if name not in {s.get("name") for s in steps}:
            raise AutomationStepNotFoundException(STEP_NOT_FOUND.format(name=name, id=row["id"]))
        storage.update_execution(conn, row["seq"], next_step=name, awaiting_start=0, status=status.IN_PROGRESS)

    def _signalled_step(self, conn: Any, row: Any, payload: dict[str, list[str]]) -> Any:
        step_id = _payload_value(payload, "StepExecutionId", "StopStep")
        step = storage.step_by_id(conn, row["seq"], step_id)
        if step is None:
            raise AutomationStepNotFoundException(STEP_EXECUTION_NOT_FOUND.format(step=step_id, id=row["id"]))
        if step["status"] not in (status.IN_PROGRESS, status.WAITING):
            raise InvalidAutomationSignalException(STEP_NOT_RUNNING.format(step=step_id))
        return step

    def _step_signal(self, conn: Any, ctx: RequestContext, row: Any, signal_type: str,
                     payload: dict[str, list[str]]) -> dict[str, Any]:
        """Approve/Reject (an aws:approve step waiting) or Resume (the aws:pause step named in the payload):
        stored with the step, so a restart keeps it; the signal with the step's position."""
        action = {"Approve": "aws:approve", "Reject": "aws:approve", "Resume": "aws:pause"}.get(signal_type)
        if action is None:  # Revoke: change requests' access, which this emulator does not start
            raise InvalidAutomationSignalException(
                SIGNAL_NOT_WAITING.format(id=row["id"], action="waiting", signal=signal_type))
        step = storage.running_step(conn, row["seq"])
        if signal_type == "Resume":
            name = _payload_value(payload, "StepName", "Resume")
            if step is not None and step["name"] != name:
                raise AutomationStepNotFoundException(STEP_NOT_FOUND.format(name=name, id=row["id"]))
        if step is None or step["action"] != action or step["status"] != status.WAITING:
            raise InvalidAutomationSignalException(
                SIGNAL_NOT_WAITING.format(id=row["id"], action=action, signal=signal_type))
        signal = {"SignalType": signal_type, "Approver": ctx.caller.arn, "Time": self.clock.time(),
                  "Comment": " ".join(payload.get("Comment", [])) or None}
        stored = json.loads(step["signals"]) + [signal]
        storage.update_step(conn, row["seq"], step["position"], signals=json.dumps(stored))
        return {**signal, "position": step["position"]}

    # --- execution previews -----------------------------------------------------------------------------------
    @operation("StartExecutionPreview")
    def start_execution_preview(
        self, ctx: RequestContext, req: StartExecutionPreviewRequest
    ) -> StartExecutionPreviewResponse:
        """The preview is worked out at once: the runbook's steps by kind and the targets the execution would
        have (managed nodes resolve against this emulator's instances)."""
        document = self.automation_document(ctx, req.DocumentName or "", req.DocumentVersion)
        inputs = req.ExecutionInputs.Automation if req.ExecutionInputs is not None else None
        kinds = {"Mutating": 0, "NonMutating": 0, "Undetermined": 0}
        for step in document.content.get("mainSteps") or []:
            action = step.get("action")
            kinds["Mutating" if action in MUTATING else "NonMutating" if action in NON_MUTATING
                  else "Undetermined"] += 1
        targets: list[TargetPreview] = []
        if inputs is not None and (inputs.Targets or inputs.TargetMaps) and inputs.TargetParameterName:
            request = StartAutomationExecutionRequest.model_construct(
                TargetParameterName=inputs.TargetParameterName, Targets=inputs.Targets, TargetMaps=inputs.TargetMaps)
            declared = {p.name: p for p in document.parameters}
            if inputs.TargetParameterName not in declared:
                raise ValidationException(TARGET_PARAMETER_UNKNOWN.format(name=inputs.TargetParameterName))
            found = self._resolve_targets(ctx, request, declared)
            kind = declared[inputs.TargetParameterName].type
            targets.append(TargetPreview.model_construct(Count=len(found), TargetType=kind))
        preview = AutomationExecutionPreview.model_construct(
            StepPreviews={k: v for k, v in kinds.items() if v}, Regions=[ctx.region], TargetPreviews=targets,
            TotalAccounts=1,
        ).model_dump(exclude_none=True)
        preview_id = str(uuid.uuid4())
        with self.db.write() as conn:
            storage.insert_preview(conn, preview_id, ctx.account_id, ctx.region, "Success", None,
                                   self.clock.time(), preview)
        return StartExecutionPreviewResponse.model_construct(ExecutionPreviewId=preview_id)

    @operation("GetExecutionPreview")
    def get_execution_preview(
        self, ctx: RequestContext, req: GetExecutionPreviewRequest
    ) -> GetExecutionPreviewResponse:
        with self.db.read() as conn:
            row = storage.preview(conn, ctx.account_id, ctx.region, req.ExecutionPreviewId or "")
        if row is None:
            raise ResourceNotFoundException(PREVIEW_NOT_FOUND.format(id=req.ExecutionPreviewId))
        found = json.loads(row["preview"]) if row["preview"] else None
        return GetExecutionPreviewResponse.model_construct(
            ExecutionPreviewId=row["id"], EndedAt=timestamp(row["ended_at"]), Status=row["status"],
            StatusMessage=row["status_message"],
            ExecutionPreview=ExecutionPreview.model_construct(
                Automation=AutomationExecutionPreview.model_validate(found)) if found else None,
        )


def _payload_value(payload: dict[str, list[str]], key: str, signal: str) -> str:
    values = payload.get(key) or []
    if not values:
        raise InvalidAutomationSignalException(PAYLOAD_NEEDS.format(signal=signal, key=key))
    return values[0]


def request_hash(req: BaseModel) -> str:
    """A request's fingerprint for ClientToken idempotency (the token itself left out)."""
    shown = req.model_dump(exclude_none=True, exclude={"ClientToken"})
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()


def _context(account: str, region: str, arn: str) -> RequestContext:
    return RequestContext(Caller(account, region, None, arn or f"arn:aws:iam::{account}:root"), "automation")
