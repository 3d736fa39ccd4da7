"""State Manager's association operations against the real server: create (and its checks), describe, update
(versions), the listings with their filters and paging, delete, CreateAssociationBatch, UpdateAssociationStatus,
and the schedule checks. Runs on real containers are in test_state_manager_runs.py."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from conftest import EmulatorProcess, make_client
from test_automation import runbook
from test_parameter_store import error_of
from test_run_command import register_container

SCRIPT = "AWS-RunShellScript"


@pytest.fixture
def server(state_manager_emulator: EmulatorProcess) -> EmulatorProcess:
    state_manager_emulator.admin("POST", "/_emulator/reset")
    return state_manager_emulator


@pytest.fixture
def ssm(server: EmulatorProcess):
    return make_client(server.url)


def tag_target(value: str) -> list[dict]:
    return [{"Key": "tag:sm-test", "Values": [value]}]


def create(ssm, **kwargs) -> dict:
    request = {"Name": SCRIPT, "Targets": tag_target("nobody"), "Parameters": {"commands": ["true"]}, **kwargs}
    return ssm.create_association(**request)["AssociationDescription"]


def test_create_and_describe(ssm):
    created = create(ssm, AssociationName="web-baseline", ScheduleExpression="cron(0 2 ? * SUN *)",
                     ApplyOnlyAtCronInterval=True, MaxConcurrency="2", MaxErrors="1", ComplianceSeverity="HIGH",
                     Tags=[{"Key": "team", "Value": "ops"}])
    assert created["AssociationVersion"] == "1"
    assert created["Overview"] == {"Status": "Pending", "DetailedStatus": "Creating"}
    assert created["Targets"] == tag_target("nobody")
    plain = create(ssm)
    assert plain["DocumentVersion"] == "$DEFAULT" and plain["ApplyOnlyAtCronInterval"] is False
    described = ssm.describe_association(AssociationId=created["AssociationId"])["AssociationDescription"]
    for key in ("Name", "AssociationName", "ScheduleExpression", "ApplyOnlyAtCronInterval", "MaxConcurrency",
                "MaxErrors", "ComplianceSeverity", "Parameters"):
        assert described[key] == created[key], key
    tags = ssm.list_tags_for_resource(ResourceType="Association", ResourceId=created["AssociationId"])
    assert tags["TagList"] == [{"Key": "team", "Value": "ops"}]


def test_update_makes_versions(ssm):
    created = create(ssm, AssociationName="first", ScheduleExpression="rate(1 day)", ApplyOnlyAtCronInterval=True)
    association_id = created["AssociationId"]
    updated = ssm.update_association(AssociationId=association_id, AssociationName="second",
                                     Parameters={"commands": ["echo v2"]},
                                     ScheduleExpression="rate(2 days)", ApplyOnlyAtCronInterval=True,
                                     AssociationVersion="$LATEST")["AssociationDescription"]
    assert updated["AssociationVersion"] == "2" and updated["AssociationName"] == "second"
    assert updated["Targets"] == created["Targets"]  # kept when left out
    versions = ssm.list_association_versions(AssociationId=association_id)["AssociationVersions"]
    assert [(v["AssociationVersion"], v["AssociationName"], v["ScheduleExpression"]) for v in versions] == [
        ("1", "first", "rate(1 day)"), ("2", "second", "rate(2 days)")]
    first = ssm.describe_association(AssociationId=association_id, AssociationVersion="1")["AssociationDescription"]
    assert first["AssociationName"] == "first" and first["AssociationVersion"] == "1"
    page = ssm.list_association_versions(AssociationId=association_id, MaxResults=1)
    assert len(page["AssociationVersions"]) == 1 and page["NextToken"]
    assert error_of(ssm.update_association, AssociationId=association_id, AssociationVersion="1")[0] == \
        "InvalidAssociationVersion"
    assert error_of(ssm.describe_association, AssociationId=association_id, AssociationVersion="9")[0] == \
        "InvalidAssociationVersion"


def test_list_filters_and_paging(ssm):
    ids = [create(ssm, AssociationName=f"a-{n}", ScheduleExpression="rate(1 day)",
                  ApplyOnlyAtCronInterval=True)["AssociationId"] for n in range(3)]
    seen, token = [], None
    while True:
        page = ssm.list_associations(MaxResults=2, **({"NextToken": token} if token else {}))
        seen += [a["AssociationId"] for a in page["Associations"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ids
    named = ssm.list_associations(AssociationFilterList=[{"key": "AssociationName", "value": "a-1"}])
    assert [a["AssociationId"] for a in named["Associations"]] == [ids[1]]
    by_doc = ssm.list_associations(AssociationFilterList=[{"key": "Name", "value": SCRIPT}])
    assert len(by_doc["Associations"]) == 3
    pending = ssm.list_associations(AssociationFilterList=[{"key": "AssociationStatusName", "value": "Pending"}])
    assert len(pending["Associations"]) == 3
    assert error_of(ssm.list_associations, NextToken="bogus")[0] == "InvalidNextToken"


def test_delete(ssm):
    association_id = create(ssm)["AssociationId"]
    ssm.delete_association(AssociationId=association_id)
    assert error_of(ssm.describe_association, AssociationId=association_id)[0] == "AssociationDoesNotExist"
    assert error_of(ssm.delete_association, AssociationId=association_id)[0] == "AssociationDoesNotExist"
    assert ssm.list_associations()["Associations"] == []


@pytest.mark.parametrize("expression", [
    "rate(5 minutes)", "rate(1 minutes)", "rate(2 weeks)", "cron(0 2 * * * *)", "cron(0 2 ? *)",
    "cron(61 2 ? * SUN *)", "cron(0 2 ? * MON#6 *)", "at(2025-13-01T00:00:00)", "every day",
])
def test_schedules_refused(ssm, expression):
    assert error_of(create, ssm, ScheduleExpression=expression)[0] == "InvalidSchedule"


@pytest.mark.parametrize("expression", [
    "rate(30 minutes)", "rate(1 hour)", "rate(7 days)", "cron(0 2 ? * SUN *)", "cron(30 23 ? * TUE#3 *)",
    "cron(0 0 L * ? *)", "cron(0 0 ? * 6L *)", "cron(0 */4 * * ? *)", "cron(0 0 9 ? * MON-FRI *)",
    "at(2030-07-07T15:55:00)",
])
def test_schedules_accepted(ssm, expression):
    created = create(ssm, ScheduleExpression=expression, ApplyOnlyAtCronInterval=not expression.startswith("at"))
    assert created["ScheduleExpression"] == expression


def test_checks(ssm):
    assert error_of(create, ssm, Name="NoSuchDocument")[0] == "InvalidDocument"
    assert error_of(create, ssm, Parameters={"nope": ["x"]})[0] == "InvalidParameters"
    assert error_of(create, ssm, Targets=[{"Key": "resource-groups:Name", "Values": ["web"]}])[0] == "InvalidTarget"
    assert error_of(create, ssm, Targets=[{"Key": "colour", "Values": ["red"]}])[0] == "InvalidTarget"
    assert error_of(create, ssm, Targets=[])[0] == "InvalidTarget"
    # "Both Targets and TargetMaps can't be specified together" (CreateAssociation API reference, TargetMaps)
    assert error_of(create, ssm, TargetMaps=[{"commands": ["true"]}])[0] == "InvalidTargetMaps"
    for accepted in ({"Key": "tag-key", "Values": ["team"]}, {"Key": "InstanceIds", "Values": ["*"]}):
        assert create(ssm, Targets=[accepted], ScheduleExpression="rate(1 day)",
                      ApplyOnlyAtCronInterval=True)["Targets"] == [accepted]
    assert error_of(create, ssm, ScheduleExpression="rate(1 day)", ScheduleOffset=2)[0] == "InvalidSchedule"
    assert error_of(create, ssm, ApplyOnlyAtCronInterval=True)[0] == "InvalidSchedule"
    assert error_of(ssm.describe_association, AssociationId=str(uuid.uuid4()))[0] == "AssociationDoesNotExist"
    assert error_of(ssm.start_associations_once, AssociationIds=[str(uuid.uuid4())])[0] == "InvalidAssociation"


def test_runbook_targets_need_automation_target_parameter_name(ssm):
    # AWS answers an Automation association with Targets and no AutomationTargetParameterName so
    # (hashicorp/terraform#22935, hashicorp/terraform-provider-aws#32471).
    name = runbook(ssm, [{"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
                   parameters={"InstanceId": {"type": "String", "default": "none"}})
    assert error_of(ssm.create_association, Name=name, Targets=tag_target("x")) == (
        "ValidationException", "Must specify both Automation Target Parameter Name and Targets")
    created = ssm.create_association(Name=name, Targets=tag_target("x"), AutomationTargetParameterName="InstanceId")
    assert error_of(ssm.update_association, AssociationId=created["AssociationDescription"]["AssociationId"],
                    Targets=tag_target("y")) == (
        "ValidationException", "Must specify both Automation Target Parameter Name and Targets")


def test_legacy_instance_form(ssm):
    instance_id = "mi-0123456789abcdef0"
    ssm.create_association(Name=SCRIPT, InstanceId=instance_id, Parameters={"commands": ["true"]})
    assert error_of(ssm.create_association, Name=SCRIPT, InstanceId=instance_id,
                    Parameters={"commands": ["true"]})[0] == "AssociationAlreadyExists"
    found = ssm.describe_association(Name=SCRIPT, InstanceId=instance_id)["AssociationDescription"]
    assert found["InstanceId"] == instance_id
    # "Filtering associations using the InstanceID attribute only returns legacy associations created using
    # the InstanceID attribute" (ListAssociations API reference): one targeting the node by InstanceIds isn't.
    create(ssm, Targets=[{"Key": "InstanceIds", "Values": [instance_id]}])
    listed = ssm.list_associations(AssociationFilterList=[{"key": "InstanceId", "value": instance_id}])
    assert [a["AssociationId"] for a in listed["Associations"]] == [found["AssociationId"]]
    ssm.delete_association(Name=SCRIPT, InstanceId=instance_id)
    assert [a.get("InstanceId") for a in ssm.list_associations()["Associations"]] == [None]


def test_create_association_batch(ssm):
    answer = ssm.create_association_batch(Entries=[
        {"Name": SCRIPT, "Targets": tag_target("x"), "Parameters": {"commands": ["true"]}},
        {"Name": SCRIPT, "Targets": tag_target("x"), "ScheduleExpression": "rate(1 minute)",
         "Parameters": {"commands": ["true"]}},
    ])
    assert len(answer["Successful"]) == 1
    assert len(answer["Failed"]) == 1 and answer["Failed"][0]["Fault"] == "Client"
    assert answer["Failed"][0]["Entry"]["ScheduleExpression"] == "rate(1 minute)"


def test_update_association_status(ssm, server: EmulatorProcess, make_container):
    instance_id = register_container(server, make_container())
    ssm.create_association(Name=SCRIPT, InstanceId=instance_id, Parameters={"commands": ["true"]},
                           ScheduleExpression="rate(1 day)", ApplyOnlyAtCronInterval=True)
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    answer = ssm.update_association_status(Name=SCRIPT, InstanceId=instance_id, AssociationStatus={
        "Date": when, "Name": "Failed", "Message": "drift found", "AdditionalInfo": "{}"})["AssociationDescription"]
    assert answer["Status"] == {"Date": when, "Name": "Failed", "Message": "drift found", "AdditionalInfo": "{}"}
    described = ssm.describe_association(Name=SCRIPT, InstanceId=instance_id)["AssociationDescription"]
    assert described["Status"]["Name"] == "Failed"
    ok = {"Date": when, "Name": "Success", "Message": "ok"}
    assert error_of(ssm.update_association_status, Name="AWS-RunPatchBaseline", InstanceId=instance_id,
                    AssociationStatus=ok)[0] == "AssociationDoesNotExist"
    assert error_of(ssm.update_association_status, Name=SCRIPT, InstanceId="mi-0000000000000dead",
                    AssociationStatus=ok)[0] == "InvalidInstanceId"
