"""Change requests as /aws/changerequest OpsItems, against the real server over boto3: the OpsItem opens with the
request (its data, GetAutomationExecution's OpsItemId), follows its approvals, schedule and runbooks to its end,
DescribeOpsItems finds it with the ChangeRequestBy* filters, and a rejected or cancelled request's OpsItem ends
Rejected or Cancelled."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from test_automation import runbook, wait_execution
from test_change_manager import ENDED, NAP, approve, change_template, request
from test_managed_instances import wait_for
from test_run_command import server, ssm  # noqa: F401  (fixtures)

CHANGE = "/aws/changerequest"


def ops_item_of(ssm, execution_id: str) -> dict:
    """The change request's OpsItem, once GetAutomationExecution names it."""
    ops_item_id = wait_for(lambda: ssm.get_automation_execution(AutomationExecutionId=execution_id)[
        "AutomationExecution"].get("OpsItemId"), 10, f"change request {execution_id}'s OpsItemId")
    return get(ssm, ops_item_id)


def get(ssm, ops_item_id: str) -> dict:
    return ssm.get_ops_item(OpsItemId=ops_item_id)["OpsItem"]


def wait_ops_item(ssm, ops_item_id: str, status: str) -> dict:
    return wait_for(lambda: (lambda item: item if item["Status"] == status else None)(get(ssm, ops_item_id)), 15,
                    f"OpsItem {ops_item_id} to be {status}")


def document(item: dict) -> dict:
    return json.loads(item["OperationalData"][CHANGE]["Value"])


def found_by(ssm, key: str, value: str) -> list[str]:
    summaries = ssm.describe_ops_items(OpsItemFilters=[
        {"Key": "OpsItemType", "Values": [CHANGE], "Operator": "Equal"},
        {"Key": key, "Values": [value], "Operator": "Equal"}])["OpsItemSummaries"]
    return [s["OpsItemId"] for s in summaries]


def test_change_request_ops_item_follows_approval_and_completion(ssm):
    nap = runbook(ssm, NAP)
    template = change_template(ssm, levels=[1, 1], runbooks=[nap])
    execution_id = request(ssm, template, nap, name="Rotate the keys", ChangeDetails="Why: the keys are old")
    wait_execution(ssm, execution_id, wanted=("PendingApproval",))

    item = ops_item_of(ssm, execution_id)
    assert item["OpsItemType"] == CHANGE and item["Status"] == "PendingApproval"
    assert item["Title"] == "Rotate the keys" and item["Source"] == "SSM"
    assert item["Description"] == "Why: the keys are old"
    requester = item["CreatedBy"]
    doc = document(item)
    assert doc["templateName"] == template and doc["requesterArn"] == requester
    assert doc["requesterName"] == requester.rsplit(":", 1)[-1]
    assert doc["automationExecutionId"] == execution_id
    assert doc["runbooks"] == [{"documentName": nap}] and "approverArn" not in doc
    assert json.loads(item["OperationalData"]["/aws/automations"]["Value"]) == [
        {"automationId": execution_id, "automationType": "AWS::SSM::Automation"}]
    assert ssm.describe_ops_items(OpsItemFilters=[{"Key": "AutomationId", "Values": [execution_id],
                                                   "Operator": "Equal"}])["OpsItemSummaries"][0]["OpsItemId"] == \
        item["OpsItemId"]

    approve(ssm, execution_id)  # the first of two levels: still PendingApproval, the approver shows
    wait_for(lambda: "approverArn" in document(get(ssm, item["OpsItemId"])), 10, "the approver in the OpsItem")
    assert get(ssm, item["OpsItemId"])["Status"] == "PendingApproval"
    approve(ssm, execution_id)
    assert wait_execution(ssm, execution_id, wanted=ENDED)["AutomationExecutionStatus"] == "CompletedWithSuccess"

    done = wait_ops_item(ssm, item["OpsItemId"], "CompletedWithSuccess")
    doc = document(done)
    assert doc["approverArn"] == [requester] and doc["approverName"] == [requester.rsplit(":", 1)[-1]]
    assert len(doc["runbookExecutions"]) == 1
    assert done["ActualStartTime"] <= done["ActualEndTime"]

    events = ssm.list_ops_item_events(Filters=[{"Key": "OpsItemId", "Values": [item["OpsItemId"]],
                                                "Operator": "Equal"}])["Summaries"]
    statuses = [json.loads(e["Detail"]).get("Status") for e in reversed(events)]
    assert statuses[0] == "PendingApproval" and statuses[-1] == "CompletedWithSuccess"
    assert "RunbookInProgress" in statuses

    for key, value in (("ChangeRequestByTemplate", template), ("ChangeRequestByRequesterArn", requester),
                       ("ChangeRequestByRequesterName", doc["requesterName"]),
                       ("ChangeRequestByApproverArn", requester),
                       ("ChangeRequestByApproverName", doc["approverName"][0])):
        assert item["OpsItemId"] in found_by(ssm, key, value), key
    assert found_by(ssm, "ChangeRequestByTemplate", "another-template") == []


def test_rejected_change_request_ops_item_ends_rejected(ssm):
    nap = runbook(ssm, NAP)
    template = change_template(ssm, runbooks=[nap])
    execution_id = request(ssm, template, nap, name="Not now")
    wait_execution(ssm, execution_id, wanted=("PendingApproval",))
    item = ops_item_of(ssm, execution_id)
    approve(ssm, execution_id, "not during the sale", signal="Reject")
    assert wait_execution(ssm, execution_id, wanted=ENDED)["AutomationExecutionStatus"] == "Rejected"
    rejected = wait_ops_item(ssm, item["OpsItemId"], "Rejected")
    assert document(rejected)["approverArn"] == [item["CreatedBy"]]
    assert "ActualStartTime" not in rejected  # no runbook ran
    assert item["OpsItemId"] in [s["OpsItemId"] for s in ssm.describe_ops_items(OpsItemFilters=[
        {"Key": "Status", "Values": ["Rejected"], "Operator": "Equal"}])["OpsItemSummaries"]]


def test_auto_approved_scheduled_change_request_ops_item_then_cancelled(ssm):
    nap = runbook(ssm, NAP)
    template = change_template(ssm, auto=True, runbooks=[nap])
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    execution_id = ssm.start_change_request_execution(  # no ChangeRequestName
        DocumentName=template, Runbooks=[{"DocumentName": nap}], AutoApprove=True, ScheduledTime=later,
        ScheduledEndTime=later + timedelta(hours=1))["AutomationExecutionId"]
    wait_execution(ssm, execution_id, wanted=("Scheduled",))
    item = wait_ops_item(ssm, ops_item_of(ssm, execution_id)["OpsItemId"], "Scheduled")
    assert item["Title"] == template  # no ChangeRequestName: the template's name
    assert abs(item["PlannedStartTime"].timestamp() - later.timestamp()) < 1
    assert abs(item["PlannedEndTime"].timestamp() - later.timestamp() - 3600) < 1
    assert document(item)["scheduledTime"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    events = ssm.list_ops_item_events(Filters=[{"Key": "OpsItemId", "Values": [item["OpsItemId"]],
                                                "Operator": "Equal"}])["Summaries"]
    assert json.loads(events[-1]["Detail"])["Status"] == "Approved"  # auto-approved: opened Approved

    ssm.stop_automation_execution(AutomationExecutionId=execution_id)
    assert wait_execution(ssm, execution_id, wanted=ENDED)["AutomationExecutionStatus"] == "Cancelled"
    wait_ops_item(ssm, item["OpsItemId"], "Cancelled")
