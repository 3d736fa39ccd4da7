"""OpsItems OpsCenter opens by itself when an operation fails, each kind switched on by a service setting:

- /ssm-emulator/opsitem/automation-failed: an Automation execution (not a child of another) ends Failed or
  TimedOut;
- /ssm-emulator/opsitem/association-failed: a State Manager association run ends Failed;
- /ssm-emulator/opsitem/command-failed: a Run Command command ends Failed, TimedOut or DeliveryTimedOut.

AWS opens these through EventBridge rules on the services' status-change events (which this emulator does not
have), hence the emulator's own setting ids. The OpsItem has Source "SSM", the failed resource's ARN under
/aws/resources and a /aws/dedup string of its kind, so deduplication (string and resource) keeps one open
OpsItem per failing association while it is Open or InProgress, and opens one per failed execution or command;
an execution is also under /aws/automations (linked both ways).
"""
from __future__ import annotations

import json
import logging
import sqlite3
from typing import TYPE_CHECKING

from api_models.errors import OpsItemAlreadyExistsException
from emulator.ops_center.handlers import NewOpsItem, OpsCenter
from emulator.ops_center.items import AUTOMATIONS, DEDUP, RESOURCES
from emulator.service_settings.catalogue import ASSOCIATION_FAILED, AUTOMATION_FAILED, COMMAND_FAILED

if TYPE_CHECKING:
    from emulator.service_settings import ServiceSettings
    from emulator.state_manager.executions import FailedRun

log = logging.getLogger(__name__)

SOURCE = "SSM"
FAILED_EXECUTION = ("Failed", "TimedOut")
FAILED_COMMAND = ("Failed", "TimedOut", "DeliveryTimedOut")


def _data(kind: str, arn: str, extra: dict[str, str]) -> dict[str, dict[str, str]]:
    data = {
        DEDUP: {"Value": json.dumps({"dedupString": f"SSMOpsItems-{kind}-failed"}), "Type": "SearchableString"},
        RESOURCES: {"Value": json.dumps([{"arn": arn}]), "Type": "SearchableString"},
    }
    data.update({k: {"Value": v, "Type": "SearchableString"} for k, v in extra.items() if v})
    return data


class OpsItemsFromOperations:
    def __init__(self, ops_center: OpsCenter, settings: ServiceSettings) -> None:
        self.ops_center = ops_center
        self.settings = settings

    def _open(self, account: str, region: str, setting: str, new: NewOpsItem) -> None:
        if not self.settings.enabled(account, region, setting):
            return
        try:
            ops_item_id = self.ops_center.open_ops_item(account, region, f"arn:aws:iam::{account}:root", new)
        except OpsItemAlreadyExistsException:
            return  # already reported
        log.info("opened %s: %s", ops_item_id, new.title)

    def automation_ended(self, row: sqlite3.Row) -> None:
        if row["status"] not in FAILED_EXECUTION or row["parent_id"] is not None:
            return
        account, region, execution_id = row["account"], row["region"], row["id"]
        arn = f"arn:aws:ssm:{region}:{account}:automation-execution/{execution_id}"
        data = _data("Automation", arn, {"DocumentName": row["document_name"],
                                         "FailureMessage": (row["failure_message"] or "")[:2048]})
        data[AUTOMATIONS] = {"Value": json.dumps([{"automationId": execution_id,
                                                   "automationType": "AWS::SSM::Automation"}]),
                             "Type": "SearchableString"}
        self._open(account, region, AUTOMATION_FAILED, NewOpsItem(
            title=f"Automation execution {row['status']}: {row['document_name']}",
            description=(f"The Automation execution {execution_id} of the runbook {row['document_name']} ended "
                         f"{row['status']}. {row['failure_message'] or ''}").strip(),
            source=SOURCE, category="Availability", severity="2", operational_data=data))

    def association_failed(self, run: FailedRun) -> None:
        arn = f"arn:aws:ssm:{run.region}:{run.account}:association/{run.association_id}"
        name = run.association_name or run.association_id
        self._open(run.account, run.region, ASSOCIATION_FAILED, NewOpsItem(
            title=f"State Manager association failed: {name}",
            description=(f"The association {run.association_id} ({run.document_name}) failed in its execution "
                         f"{run.execution_id} on {', '.join(run.failed_resources) or 'its target'}."),
            source=SOURCE, category="Availability", severity="2",
            operational_data=_data("Association", arn, {
                "DocumentName": run.document_name, "AssociationExecutionId": run.execution_id})))

    def command_ended(self, row: sqlite3.Row) -> None:
        if row["status"] not in FAILED_COMMAND:
            return
        account, region, command_id = row["account"], row["region"], row["id"]
        arn = f"arn:aws:ssm:{region}:{account}:command/{command_id}"
        self._open(account, region, COMMAND_FAILED, NewOpsItem(
            title=f"Run Command {row['status']}: {row['document_name']}",
            description=(f"The command {command_id} ({row['document_name']}) ended {row['status']}: "
                         f"{row['error_count']} of {row['target_count']} invocation(s) failed."),
            source=SOURCE, category="Availability", severity="2",
            operational_data=_data("RunCommand", arn, {"DocumentName": row["document_name"],
                                                        "CommandId": command_id})))
