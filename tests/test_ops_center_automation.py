"""OpsCenter with Automation, State Manager and Run Command: the OpsItem opened for a failed execution, association
run or command when the emulator's service settings ask for it (and none when they don't), and a runbook run for an
OpsItem, linked through the OpsItem's /aws/automations data."""
from __future__ import annotations

import json

from conftest import make_client
from test_automation import runbook, start, wait_execution
from test_managed_instances import wait_for
from test_run_command import register_container, send, wait_invocation

AUTOMATION_FAILED = "/ssm-emulator/opsitem/automation-failed"
ASSOCIATION_FAILED = "/ssm-emulator/opsitem/association-failed"
FAILING_STEP = {"name": "boom", "action": "aws:executeScript",
                "inputs": {"Runtime": "python3.11", "Handler": "handler",
                           "Script": "def handler(events, context):\n    raise RuntimeError('disk on fire')\n"}}
PASSING_STEP = {"name": "fine", "action": "aws:executeScript",
                "inputs": {"Runtime": "python3.11", "Handler": "handler",
                           "Script": "def handler(events, context):\n    return {'ok': True}\n"}}


def ops_items(ssm, *filters: dict) -> list[dict]:
    return ssm.describe_ops_items(OpsItemFilters=list(filters))["OpsItemSummaries"]


def by_automation(ssm, execution_id: str) -> list[dict]:
    return ops_items(ssm, {"Key": "AutomationId", "Values": [execution_id], "Operator": "Equal"})


def test_failed_execution_opens_an_ops_item_only_when_enabled(ssm, emulator):
    # Off (the default) in us-east-1: the failure opens nothing.
    name = runbook(ssm, [FAILING_STEP])
    off = wait_execution(ssm, start(ssm, name))
    assert off["AutomationExecutionStatus"] == "Failed"

    # On in eu-west-1: the same failure there opens an OpsItem that links the execution both ways.
    eu = make_client(emulator.url, region="eu-west-1")
    eu.update_service_setting(SettingId=AUTOMATION_FAILED, SettingValue="true")
    name = runbook(eu, [FAILING_STEP])
    execution_id = start(eu, name)
    assert wait_execution(eu, execution_id)["AutomationExecutionStatus"] == "Failed"
    found = wait_for(lambda: by_automation(eu, execution_id), 20, "the OpsItem of the failed execution")
    assert len(found) == 1
    item = eu.get_ops_item(OpsItemId=found[0]["OpsItemId"])["OpsItem"]
    assert item["Source"] == "SSM" and item["Status"] == "Open" and name in item["Title"]
    assert "disk on fire" in item["Description"]
    data = item["OperationalData"]
    assert json.loads(data["/aws/automations"]["Value"]) == [
        {"automationId": execution_id, "automationType": "AWS::SSM::Automation"}]
    assert json.loads(data["/aws/resources"]["Value"]) == [
        {"arn": f"arn:aws:ssm:eu-west-1:123456789012:automation-execution/{execution_id}"}]
    assert data["DocumentName"]["Value"] == name
    execution = eu.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
    assert execution["OpsItemId"] == item["OpsItemId"]
    linked = eu.describe_automation_executions(Filters=[{"Key": "OpsItemId", "Values": [item["OpsItemId"]]}])
    assert [e["AutomationExecutionId"] for e in linked["AutomationExecutionMetadataList"]] == [execution_id]

    assert ops_items(ssm) == []  # nothing in us-east-1, where the setting is off
    eu.reset_service_setting(SettingId=AUTOMATION_FAILED)


def test_successful_execution_opens_nothing(ssm):
    ssm.update_service_setting(SettingId=AUTOMATION_FAILED, SettingValue="true")
    good = wait_execution(ssm, start(ssm, runbook(ssm, [PASSING_STEP])))
    bad = wait_execution(ssm, start(ssm, runbook(ssm, [FAILING_STEP])))
    assert (good["AutomationExecutionStatus"], bad["AutomationExecutionStatus"]) == ("Success", "Failed")
    wait_for(lambda: by_automation(ssm, bad["AutomationExecutionId"]), 20, "the failed execution's OpsItem")
    assert by_automation(ssm, good["AutomationExecutionId"]) == []
    assert len(ops_items(ssm)) == 1
    ssm.reset_service_setting(SettingId=AUTOMATION_FAILED)


def test_failed_association_run_opens_one_ops_item(ssm):
    ssm.update_service_setting(SettingId=ASSOCIATION_FAILED, SettingValue="true")
    name = runbook(ssm, [FAILING_STEP])
    association = ssm.create_association(Name=name, AssociationName="nightly-cleanup")["AssociationDescription"]
    found = wait_for(lambda: ops_items(ssm, {"Key": "Title", "Operator": "Contains", "Values": ["nightly-cleanup"]}),
                     30, "the OpsItem of the failed association run")
    item = ssm.get_ops_item(OpsItemId=found[0]["OpsItemId"])["OpsItem"]
    assert json.loads(item["OperationalData"]["/aws/resources"]["Value"]) == [
        {"arn": f"arn:aws:ssm:us-east-1:123456789012:association/{association['AssociationId']}"}]
    # Run again while the OpsItem is Open: deduplicated, still one.
    ssm.start_associations_once(AssociationIds=[association["AssociationId"]])
    wait_for(lambda: len(ssm.describe_association_executions(
        AssociationId=association["AssociationId"])["AssociationExecutions"]) >= 2 and all(
        e["Status"] != "InProgress" for e in ssm.describe_association_executions(
            AssociationId=association["AssociationId"])["AssociationExecutions"]), 30, "the second run to end")
    assert len(ops_items(ssm)) == 1
    ssm.reset_service_setting(SettingId=ASSOCIATION_FAILED)


def test_runbook_run_for_an_ops_item(ssm):
    oi = ssm.create_ops_item(Title="Web server down", Source="monitoring", Description="restart it")["OpsItemId"]
    execution_id = start(ssm, runbook(ssm, [PASSING_STEP]))
    ssm.update_ops_item(OpsItemId=oi, OperationalData={"/aws/automations": {
        "Value": json.dumps([{"automationId": execution_id, "automationType": "AWS::SSM::Automation"}]),
        "Type": "SearchableString"}})
    assert wait_execution(ssm, execution_id)["AutomationExecutionStatus"] == "Success"
    execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
    assert execution["OpsItemId"] == oi
    assert [i["OpsItemId"] for i in by_automation(ssm, execution_id)] == [oi]
    listed = ssm.describe_automation_executions(Filters=[{"Key": "OpsItemId", "Values": [oi]}])
    assert [e["AutomationExecutionId"] for e in listed["AutomationExecutionMetadataList"]] == [execution_id]
    assert ssm.describe_automation_executions(
        Filters=[{"Key": "OpsItemId", "Values": ["oi-0123456789ab"]}])["AutomationExecutionMetadataList"] == []


def test_failed_command_opens_an_ops_item(ssm, emulator, debian_container):
    instance = register_container(emulator, debian_container)
    ssm.update_service_setting(SettingId="/ssm-emulator/opsitem/command-failed", SettingValue="true")
    good = send(ssm, [instance], ["true"])
    bad = send(ssm, [instance], ["exit 3"])
    assert wait_invocation(ssm, good, instance)["Status"] == "Success"
    assert wait_invocation(ssm, bad, instance)["Status"] == "Failed"
    resource = {"Key": "ResourceId", "Operator": "Contains", "Values": [bad]}
    found = wait_for(lambda: ops_items(ssm, resource), 20, "the OpsItem of the failed command")
    item = ssm.get_ops_item(OpsItemId=found[0]["OpsItemId"])["OpsItem"]
    assert item["OperationalData"]["CommandId"]["Value"] == bad and "AWS-RunShellScript" in item["Title"]
    assert ops_items(ssm, {"Key": "ResourceId", "Operator": "Contains", "Values": [good]}) == []
    ssm.reset_service_setting(SettingId="/ssm-emulator/opsitem/command-failed")
