"""StartChangeRequestExecution: a change request, made from a change template, that runs its runbook once its
approvals arrive.

A change request is an Automation execution (AutomationSubtype ChangeRequest): GetAutomationExecution,
DescribeAutomationExecutions, SendAutomationSignal (Approve/Reject, with a Comment), StopAutomationExecution and
the Automation tags answer for it. Its steps are the template's approval levels (aws:approve steps); its status
goes through Change Manager's own flow (flow.py). StartChangeRequestExecution checks everything before storing:
the template (an Automation.ChangeTemplate not pending review or rejected), its parameters, the runbook (an
Automation document the template allows, with its parameters and targets checked as StartAutomationExecution
checks them), AutoApprove (only on an autoApprovable template), the scheduled times and the ClientToken.
"""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from api_models.change_manager import StartChangeRequestExecutionRequest, StartChangeRequestExecutionResult
from api_models.errors import (
    AutomationDefinitionNotApprovedException,
    AutomationDefinitionNotFoundException,
    InvalidAutomationExecutionParametersException,
)
from api_models.shared import Runbook
from emulator.automation.handlers import RESOURCE_TYPE, request_hash
from emulator.change_manager import flow, reports, template
from emulator.change_manager.flow import ChangeRequestFlow
from emulator.change_manager.reports import ChangeRequestReport
from emulator.context import RequestContext
from emulator.listeners import Listeners
from emulator.operations import operation
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.automation import Automation
    from emulator.change_calendar import ChangeCalendars
    from emulator.services import Services

CHANGE_TEMPLATE = "Automation.ChangeTemplate"
SWEEP_SECONDS = 0.5  # how soon an approval, a scheduled time, an opened calendar or an ended runbook is seen
NOT_A_TEMPLATE = ("Document {name} is a {type} document: StartChangeRequestExecution needs a change template "
                  "(Automation.ChangeTemplate).")
NOT_APPROVED = "Version {version} of change template {name} is {status}: only an approved template can be used."
NOT_A_RUNBOOK = "Runbook {name} is a {type} document: a change request runs Automation runbooks only."
RUNBOOK_NOT_ALLOWED = "Runbook {name} isn't one of the runbooks change template {template} allows."
NOT_AUTO_APPROVABLE = "Change template {name} doesn't allow auto-approval (autoApprovable isn't true)."
END_BEFORE_START = "ScheduledEndTime must be later than ScheduledTime."


class ChangeManager:
    """Change Manager: StartChangeRequestExecution, and the flow that takes change requests to their end.

    `changed` tells its listeners (OpsCenter's /aws/changerequest OpsItems, wired by the app factory) of every
    change request that started, moved or ended (reports.py)."""

    def __init__(self, services: Services, *, automation: Automation, calendars: ChangeCalendars) -> None:
        self.db = services.db
        self.clock = services.clock
        self.background = services.background
        self.automation = automation
        self.changed = Listeners[ChangeRequestReport]("change request change")
        self._reporting = threading.Lock()  # one report at a time, so the last one sent is the latest state
        self._reported: dict[int, tuple[Any, ...]] = {}  # seq -> signature last reported
        self.flow = ChangeRequestFlow(services, automation=automation, calendars=calendars, changed=self.report)
        # A change request ends through the engine (the flow's end, StopAutomationExecution): report that end.
        automation.ended.add(self._execution_ended)

    def start(self) -> None:
        """Change requests a previous run left unfinished go on at the next sweep (their state is stored)."""
        self.background.every(SWEEP_SECONDS, self.flow.sweep, "change-requests")

    def on_reset(self) -> None:
        with self._reporting:
            self._reported.clear()

    # --- reports to `changed`'s listeners -------------------------------------------------------------------
    def report(self, seq: int) -> None:
        """Tell `changed`'s listeners of the change request `seq` if it changed since it was last told."""
        with self._reporting:
            with self.db.read() as conn:
                signature = reports.signature(conn, seq)
                if not signature or self._reported.get(seq) == signature:
                    return
                report = reports.read(conn, seq)
            if report is None:
                return
            self._reported[seq] = signature
            if report.ended_at is not None:
                self._reported.pop(seq)  # ended: it won't move again
            self.changed.notify(report)

    def _execution_ended(self, row: sqlite3.Row) -> None:
        if row["automation_subtype"] == flow.SUBTYPE:
            self.report(row["seq"])

    @operation("StartChangeRequestExecution")
    def start_change_request_execution(
        self, ctx: RequestContext, req: StartChangeRequestExecutionRequest
    ) -> StartChangeRequestExecutionResult:
        fingerprint = request_hash(req)
        earlier = self.automation.earlier_execution(ctx, req.ClientToken, fingerprint)
        if earlier is not None:
            return StartChangeRequestExecutionResult.model_construct(AutomationExecutionId=earlier)
        document = self.automation.automation_document(ctx, req.DocumentName or "", req.DocumentVersion)
        if document.document_type != CHANGE_TEMPLATE:
            raise AutomationDefinitionNotFoundException(
                NOT_A_TEMPLATE.format(name=document.name, type=document.document_type))
        if document.review_status in ("PENDING", "REJECTED"):
            raise AutomationDefinitionNotApprovedException(NOT_APPROVED.format(
                version=document.version, name=document.name, status=document.review_status))
        change_template = template.read(document.content)
        values = self.automation.checked_parameters(ctx, document, dict(req.Parameters or {}))
        runbooks = [self._runbook(ctx, runbook, document.name, change_template) for runbook in req.Runbooks or []]
        auto = bool(req.AutoApprove)
        if auto and not change_template.auto_approvable:
            raise InvalidAutomationExecutionParametersException(NOT_AUTO_APPROVABLE.format(name=document.name))
        if change_template.calendars:  # a calendar that can't be read is refused now, as GetCalendarState would
            self.flow.calendars.state_for(ctx, change_template.calendars)
        start, end = _epoch(req.ScheduledTime), _epoch(req.ScheduledEndTime)
        if start is not None and end is not None and end <= start:
            raise InvalidAutomationExecutionParametersException(END_BEFORE_START)
        request = {
            "ChangeRequestName": req.ChangeRequestName, "ScheduledTime": start, "ScheduledEndTime": end,
            "Runbooks": runbooks, "ChangeDetails": req.ChangeDetails or change_template.information,
            "AutoApprove": auto, "Emergency": change_template.emergency,
            "Calendars": list(change_template.calendars), "RunbookExecutions": [],
        }
        execution_id = self.flow.create(ctx, document, values, change_template, request, req.ClientToken,
                                        fingerprint)
        if req.Tags:
            with self.db.write() as conn:
                tag_store.put_tags(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, execution_id,
                                   [(t.Key, t.Value) for t in req.Tags])
        return StartChangeRequestExecutionResult.model_construct(AutomationExecutionId=execution_id)

    def _runbook(self, ctx: RequestContext, runbook: Runbook, template_name: str,
                 change_template: template.ChangeTemplate) -> dict[str, Any]:
        """The runbook as the request gives it (shown back in Runbooks), checked now so it can run later."""
        name = runbook.DocumentName or ""
        if not change_template.allows_runbook(name, runbook.DocumentVersion):
            raise InvalidAutomationExecutionParametersException(
                RUNBOOK_NOT_ALLOWED.format(name=name, template=template_name))
        document, _ = self.automation.checked_request(ctx, flow.automation_request(runbook.model_dump(
            exclude_none=True)))
        if document.document_type != "Automation":
            raise AutomationDefinitionNotFoundException(NOT_A_RUNBOOK.format(name=name, type=document.document_type))
        return runbook.model_dump(mode="json", exclude_none=True)


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()
