"""Change requests as OpsItems: every Change Manager change request is an OpsItem of type /aws/changerequest (as
in AWS), opened when the request starts and following it (the app factory connects ChangeRequestOpsItems.changed
to Change Manager's `changed` listeners).

The OpsItem: Title the ChangeRequestName (the template's name when it has none), Description the ChangeDetails,
Source "SSM", CreatedBy the requester, Status the request's (PendingApproval, Approved, Scheduled,
RunbookInProgress, CompletedWithSuccess, CompletedWithFailure, Rejected, TimedOut, Cancelled, the
ChangeCalendarOverride* ones: all OpsItem statuses), PlannedStart/EndTime the ScheduledTime/ScheduledEndTime,
ActualStart/EndTime the runbook workflow's. OperationalData /aws/automations names the change request's
execution (so GetAutomationExecution's OpsItemId is this OpsItem), and /aws/changerequest is a JSON document whose
fields are those DescribeOpsItems' ChangeRequestBy* filter keys read (templateName, requesterArn, requesterName,
approverArn, approverName: AWS's names for them) and the emulator's own (changeRequestName, templateVersion,
automationExecutionId, runbooks, runbookExecutions, scheduledTime, scheduledEndTime, failureMessage): AWS does
not document that document. Approvers appear as they signal Approve or Reject.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from emulator.ops_center.handlers import CHANGE_REQUEST, NewOpsItem, OpsCenter
from emulator.ops_center.items import AUTOMATIONS

if TYPE_CHECKING:
    from emulator.change_manager.reports import ChangeRequestReport

log = logging.getLogger(__name__)

SOURCE = "SSM"


def _name(arn: str) -> str:
    """The user (or role session) name an ARN ends with."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(report: ChangeRequestReport) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "changeRequestName": report.name, "templateName": report.template_name,
        "templateVersion": report.template_version, "automationExecutionId": report.execution_id,
        "requesterArn": report.requester_arn, "requesterName": _name(report.requester_arn),
        "approverArn": list(report.approver_arns), "approverName": [_name(a) for a in report.approver_arns],
        "runbooks": [{"documentName": r["DocumentName"],
                      **({"documentVersion": r["DocumentVersion"]} if r.get("DocumentVersion") else {})}
                     for r in report.runbooks],
        "runbookExecutions": list(report.runbook_executions),
        "scheduledTime": _iso(report.scheduled_time), "scheduledEndTime": _iso(report.scheduled_end_time),
        "failureMessage": report.failure_message,
    }
    return {k: v for k, v in doc.items() if v not in (None, [])}


def operational_data(report: ChangeRequestReport) -> dict[str, dict[str, str]]:
    automations = [{"automationId": report.execution_id, "automationType": "AWS::SSM::Automation"}]
    return {
        CHANGE_REQUEST: {"Value": json.dumps(document(report)), "Type": "SearchableString"},
        AUTOMATIONS: {"Value": json.dumps(automations), "Type": "SearchableString"},
    }


def times(report: ChangeRequestReport) -> dict[str, float | None]:
    ran = report.runbooks_started_at is not None
    return {"planned_start": report.scheduled_time, "planned_end": report.scheduled_end_time,
            "actual_start": report.runbooks_started_at, "actual_end": report.ended_at if ran else None}


class ChangeRequestOpsItems:
    def __init__(self, ops_center: OpsCenter) -> None:
        self.ops_center = ops_center

    def changed(self, report: ChangeRequestReport) -> None:
        """Change Manager's report of a change request: open its OpsItem, or bring it up to date."""
        if report.ops_item_id is not None:
            self.ops_center.follow(report.account, report.region, report.ops_item_id, report.requester_arn,
                                   status=report.status, operational_data=operational_data(report),
                                   times=times(report))
            return
        name = report.name or report.template_name
        ops_item_id = self.ops_center.open_ops_item(report.account, report.region, report.requester_arn, NewOpsItem(
            title=name[:1024], description=report.details or f"Change request {name} ({report.template_name})",
            source=SOURCE, ops_item_type=CHANGE_REQUEST, status=report.status,
            operational_data=operational_data(report), times=times(report)))
        log.info("change request %s is OpsItem %s", report.execution_id, ops_item_id)
