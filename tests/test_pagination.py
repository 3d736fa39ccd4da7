"""Paginator conformance: every SSM paginator of botocore's model that can be filled over the API without a
container is walked with boto3's own paginator at a small PageSize, and must give every item once, as one big
listing (or what was created) has them, with no empty last page; deleting what was shown between two pages loses
nothing. Every operation with a NextToken answers a garbled token, or one of another listing, with AWS's 400 error,
and refuses a MaxResults outside its model's bounds while taking both bounds. The paginators left out need a real
machine to run something (walked in their own modules: grep tests/ for get_paginator) or cannot give three pages;
test_every_paginator_is_accounted_for names them with the reason."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest

from conftest import make_client
from test_managed_instances import register, unreachable_ssh
from wire import raw_call

SESSION = botocore.session.get_session()
PAGINATORS: dict[str, dict[str, Any]] = SESSION.get_paginator_model("ssm")._paginator_config
SERVICE = SESSION.get_service_model("ssm")
ROLE = "arn:aws:iam::123456789012:role/multicloud-connector"
ACCOUNT = "123456789012"
ITEMS = 7  # at PageSize 2 (or 3): at least three pages


@dataclass
class Listing:
    """What a paginator is walked with, and what it must give."""

    kwargs: dict[str, Any]
    page_size: int
    key: Callable[[dict], Any]
    expected: list[Any] | None = None  # None: whatever one big listing gives
    ordered: bool = False  # the order is AWS's documented one (or the one every page must keep)
    pages: int = 3  # at least


POPULATE: dict[str, Callable[..., Listing]] = {}


def populates(name: str):
    def add(fn):
        POPULATE[name] = fn
        return fn
    return add


def bounds(operation: str) -> tuple[int, int | None]:
    limit = SERVICE.operation_model(operation).input_shape.members[PAGINATORS[operation]["limit_key"]].metadata
    return limit.get("min", 1), limit.get("max")


def instances(server, count: int, prefix: str = "pg") -> list[str]:
    """`count` managed instances over SSH nobody answers for: registered at once, no container."""
    return sorted(register(server, unreachable_ssh(f"{prefix}{n}"))["InstanceId"] for n in range(count))


# --- Parameter Store --------------------------------------------------------------------------------------------
@populates("DescribeParameters")
def _describe_parameters(ssm, server) -> Listing:
    names = [f"/pg/p{n}" for n in range(ITEMS)]
    for name in names:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    return Listing({}, 2, lambda p: p["Name"], names)


@populates("GetParametersByPath")
def _by_path(ssm, server) -> Listing:
    names = [f"/pg/a/p{n}" for n in range(ITEMS)] + [f"/pg/a/deep/q{n}" for n in range(ITEMS)]
    for name in names:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    return Listing({"Path": "/pg/a", "Recursive": True}, 3, lambda p: p["Name"], names)


@populates("GetParameterHistory")
def _history(ssm, server) -> Listing:
    for n in range(ITEMS):
        ssm.put_parameter(Name="/pg/h", Value=f"v{n}", Type="String", Overwrite=True)
    return Listing({"Name": "/pg/h"}, 2, lambda p: p["Version"], list(range(1, ITEMS + 1)), ordered=True)


# --- Documents --------------------------------------------------------------------------------------------------
def command_document(text: str = "true") -> str:
    return json.dumps({"schemaVersion": "2.2", "description": "paging", "mainSteps": [
        {"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": [text]}}]})


@populates("ListDocuments")
def _documents(ssm, server) -> Listing:
    names = [f"pg-doc-{n}" for n in range(ITEMS)]
    for name in names:
        ssm.create_document(Name=name, Content=command_document(), DocumentType="Command")
    return Listing({"Filters": [{"Key": "Owner", "Values": ["Self"]}]}, 2, lambda d: d["Name"], names)


@populates("ListDocumentVersions")
def _document_versions(ssm, server) -> Listing:
    ssm.create_document(Name="pg-doc", Content=command_document("echo 0"), DocumentType="Command")
    for n in range(1, ITEMS):
        ssm.update_document(Name="pg-doc", Content=command_document(f"echo {n}"), DocumentVersion="$LATEST")
    return Listing({"Name": "pg-doc"}, 2, lambda v: v["DocumentVersion"], None)


# --- State Manager ----------------------------------------------------------------------------------------------
def associate(ssm, name: str, targets: list[dict] | None = None) -> str:
    return ssm.create_association(
        Name="AWS-RunShellScript", AssociationName=name, Parameters={"commands": ["true"]},
        Targets=targets or [{"Key": "tag:pg", "Values": ["none"]}],
    )["AssociationDescription"]["AssociationId"]


@populates("ListAssociations")
def _associations(ssm, server) -> Listing:
    ids = [associate(ssm, f"pg-{n}") for n in range(ITEMS)]
    return Listing({}, 2, lambda a: a["AssociationId"], ids)


@populates("ListAssociationVersions")
def _association_versions(ssm, server) -> Listing:
    association = associate(ssm, "pg-association")
    for n in range(1, ITEMS):
        ssm.update_association(AssociationId=association, Parameters={"commands": [f"echo {n}"]})
    return Listing({"AssociationId": association}, 2, lambda v: v["AssociationVersion"],
                   [str(n) for n in range(1, ITEMS + 1)])


@populates("DescribeEffectiveInstanceAssociations")
def _effective_associations(ssm, server) -> Listing:
    [instance] = instances(server, 1)
    ids = [associate(ssm, f"pg-{n}", [{"Key": "InstanceIds", "Values": [instance]}]) for n in range(ITEMS)]
    return Listing({"InstanceId": instance}, 2, lambda a: a["AssociationId"], sorted(ids))


# --- Managed instances ------------------------------------------------------------------------------------------
@populates("DescribeActivations")
def _activations(ssm, server) -> Listing:
    ids = [ssm.create_activation(IamRole="service-role/HybridRole", DefaultInstanceName=f"pg-{n}")["ActivationId"]
           for n in range(ITEMS)]
    return Listing({}, 2, lambda a: a["ActivationId"], ids)


@populates("DescribeInstanceInformation")
def _instance_information(ssm, server) -> Listing:
    return Listing({}, 5, lambda i: i["InstanceId"], instances(server, 12))


@populates("DescribeInstanceProperties")
def _instance_properties(ssm, server) -> Listing:
    return Listing({}, 5, lambda i: i["InstanceId"], instances(server, 12))


@populates("ListNodes")
def _nodes(ssm, server) -> Listing:
    return Listing({}, 2, lambda n: n["Id"], instances(server, ITEMS))


# --- Inventory --------------------------------------------------------------------------------------------------
CAPTURE = "2024-01-01T00:00:00Z"


def put_custom(ssm, instance: str, type_name: str = "Custom:Rack") -> None:
    ssm.put_inventory(InstanceId=instance, Items=[{
        "TypeName": type_name, "SchemaVersion": "1.0", "CaptureTime": CAPTURE, "Content": [{"Slot": "1"}]}])


@populates("GetInventory")
def _inventory(ssm, server) -> Listing:
    ids = instances(server, ITEMS)
    for instance in ids:
        put_custom(ssm, instance)
    return Listing({}, 2, lambda e: e["Id"], ids)


@populates("DescribeInventoryDeletions")
def _inventory_deletions(ssm, server) -> Listing:
    [instance] = instances(server, 1)
    names = [f"Custom:Pg{n}" for n in range(ITEMS)]
    for name in names:
        put_custom(ssm, instance, name)
    ids = [ssm.delete_inventory(TypeName=name, SchemaDeleteOption="DeleteSchema")["DeletionId"] for name in names]
    return Listing({}, 2, lambda d: d["DeletionId"], ids)


# --- Compliance -------------------------------------------------------------------------------------------------
def comply(ssm, instance: str, compliance_type: str, ids: list[str]) -> None:
    ssm.put_compliance_items(
        ResourceId=instance, ResourceType="ManagedInstance", ComplianceType=compliance_type,
        ExecutionSummary={"ExecutionTime": CAPTURE},
        Items=[{"Id": i, "Title": i, "Severity": "LOW", "Status": "COMPLIANT"} for i in ids],
    )


@populates("ListComplianceItems")
def _compliance_items(ssm, server) -> Listing:
    [instance] = instances(server, 1)
    ids = [f"item-{n}" for n in range(ITEMS)]
    comply(ssm, instance, "Custom:Pg", ids)
    return Listing({"ResourceIds": [instance], "ResourceTypes": ["ManagedInstance"]}, 2, lambda c: c["Id"], ids)


@populates("ListComplianceSummaries")
def _compliance_summaries(ssm, server) -> Listing:
    [instance] = instances(server, 1)
    types = [f"Custom:Pg{n}" for n in range(ITEMS)]
    for compliance_type in types:
        comply(ssm, instance, compliance_type, ["a"])
    return Listing({}, 2, lambda s: s["ComplianceType"], types)


@populates("ListResourceComplianceSummaries")
def _resource_compliance(ssm, server) -> Listing:
    ids = instances(server, ITEMS)
    for instance in ids:
        comply(ssm, instance, "Custom:Pg", ["a"])
    return Listing({}, 2, lambda s: s["ResourceId"], ids)


# --- Maintenance Windows ----------------------------------------------------------------------------------------
def window(ssm, name: str = "pg-window") -> str:
    return ssm.create_maintenance_window(Name=name, Schedule="rate(7 days)", Duration=2, Cutoff=1,
                                         AllowUnassociatedTargets=True)["WindowId"]


@populates("DescribeMaintenanceWindows")
def _windows(ssm, server) -> Listing:
    ids = [window(ssm, f"pg-{n}") for n in range(25)]
    return Listing({}, 10, lambda w: w["WindowId"], ids)


@populates("DescribeMaintenanceWindowTargets")
def _window_targets(ssm, server) -> Listing:
    window_id = window(ssm)
    ids = [ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", Targets=[{"Key": "tag:pg", "Values": [str(n)]}])["WindowTargetId"]
        for n in range(25)]
    return Listing({"WindowId": window_id}, 10, lambda t: t["WindowTargetId"], ids)


@populates("DescribeMaintenanceWindowTasks")
def _window_tasks(ssm, server) -> Listing:
    window_id = window(ssm)
    ids = [ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=[{"Key": "tag:pg", "Values": [str(n)]}], TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND", MaxConcurrency="1", MaxErrors="1",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["true"]}}})["WindowTaskId"]
        for n in range(20)]  # AWS's quota: 20 tasks a window; at MaxResults 10 or more that is two pages
    return Listing({"WindowId": window_id}, 10, lambda t: t["WindowTaskId"], ids, pages=2)


@populates("DescribeMaintenanceWindowsForTarget")
def _windows_for_target(ssm, server) -> Listing:
    [instance] = instances(server, 1)
    ids = []
    for n in range(ITEMS):
        ids.append(window(ssm, f"pg-{n}"))
        ssm.register_target_with_maintenance_window(
            WindowId=ids[-1], ResourceType="INSTANCE", Targets=[{"Key": "InstanceIds", "Values": [instance]}])
    return Listing({"Targets": [{"Key": "InstanceIds", "Values": [instance]}], "ResourceType": "INSTANCE"}, 2,
                   lambda w: w["WindowId"], ids)


@populates("DescribeMaintenanceWindowSchedule")
def _window_schedule(ssm, server) -> Listing:
    window_id = ssm.create_maintenance_window(Name="pg-window", Schedule="rate(1 day)", Duration=2, Cutoff=1,
                                              AllowUnassociatedTargets=True)["WindowId"]
    return Listing({"WindowId": window_id}, 2, lambda s: s["ExecutionTime"], None, ordered=True)


# --- Patch Manager ----------------------------------------------------------------------------------------------
def baseline(ssm, name: str) -> str:
    return ssm.create_patch_baseline(Name=name, OperatingSystem="AMAZON_LINUX_2", ApprovedPatches=["pg-patch"])[
        "BaselineId"]


@populates("DescribePatchBaselines")
def _baselines(ssm, server) -> Listing:
    for n in range(ITEMS):
        baseline(ssm, f"pg-{n}")
    return Listing({}, 3, lambda b: b["BaselineId"], None)


@populates("DescribePatchGroups")
def _patch_groups(ssm, server) -> Listing:
    baseline_id = baseline(ssm, "pg-baseline")
    groups = [f"pg-group-{n}" for n in range(ITEMS)]
    for group in groups:
        ssm.register_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup=group)
    return Listing({}, 2, lambda m: m["PatchGroup"], groups)


@populates("DescribePatchProperties")
def _patch_properties(ssm, server) -> Listing:
    return Listing({"OperatingSystem": "AMAZON_LINUX_2", "Property": "CLASSIFICATION"}, 2, json.dumps, None)


# --- OpsCenter --------------------------------------------------------------------------------------------------
def ops_item(ssm, title: str) -> str:
    return ssm.create_ops_item(Title=title, Source="pg", Description=title)["OpsItemId"]


@populates("DescribeOpsItems")
def _ops_items(ssm, server) -> Listing:
    return Listing({}, 2, lambda s: s["OpsItemId"], [ops_item(ssm, f"pg-{n}") for n in range(ITEMS)])


@populates("ListOpsItemEvents")
def _ops_item_events(ssm, server) -> Listing:
    item = ops_item(ssm, "pg")
    for n in range(ITEMS):
        ssm.update_ops_item(OpsItemId=item, Description=f"update {n}")
    return Listing({}, 2, lambda e: e["EventId"], None, ordered=True)


@populates("ListOpsItemRelatedItems")
def _ops_related(ssm, server) -> Listing:
    item = ops_item(ssm, "pg")
    ids = [ssm.associate_ops_item_related_item(
        OpsItemId=item, AssociationType="IsParentOf", ResourceType="AWS::SSMIncidents::IncidentRecord",
        ResourceUri=f"arn:aws:ssm-incidents::{ACCOUNT}:incident-record/pg/{n}")["AssociationId"]
        for n in range(ITEMS)]
    return Listing({"OpsItemId": item}, 2, lambda r: r["AssociationId"], ids)


@populates("ListOpsMetadata")
def _ops_metadata(ssm, server) -> Listing:
    names = [f"pg-app-{n}" for n in range(ITEMS)]
    for name in names:
        ssm.create_ops_metadata(ResourceId=name)
    return Listing({}, 2, lambda m: m["ResourceId"], names)


@populates("GetOpsSummary")
def _ops_summary(ssm, server) -> Listing:
    return Listing({}, 2, lambda e: e["Id"], [ops_item(ssm, f"pg-{n}") for n in range(ITEMS)])


# --- Automation -------------------------------------------------------------------------------------------------
def runbook(ssm, steps: int = 1) -> str:
    ssm.create_document(Name="pg-runbook", DocumentType="Automation", DocumentFormat="JSON", Content=json.dumps({
        "schemaVersion": "0.3", "mainSteps": [
            {"name": f"s{n}", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}} for n in range(steps)]}))
    return "pg-runbook"


@populates("DescribeAutomationExecutions")
def _automation_executions(ssm, server) -> Listing:
    name = runbook(ssm)
    ids = [ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"] for _ in range(ITEMS)]
    return Listing({}, 2, lambda e: e["AutomationExecutionId"], ids)


@populates("DescribeAutomationStepExecutions")
def _automation_steps(ssm, server) -> Listing:
    execution = ssm.start_automation_execution(DocumentName=runbook(ssm, ITEMS))["AutomationExecutionId"]
    wait_for(lambda: ssm.get_automation_execution(AutomationExecutionId=execution)["AutomationExecution"][
        "AutomationExecutionStatus"] == "Success")
    return Listing({"AutomationExecutionId": execution}, 2, lambda s: s["StepName"],
                   [f"s{n}" for n in range(ITEMS)], ordered=True)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


# --- Run Command ------------------------------------------------------------------------------------------------
@populates("ListCommands")
def _commands(ssm, server) -> Listing:
    ids = [ssm.send_command(DocumentName="AWS-RunShellScript", Parameters={"commands": ["true"]},
                            Targets=[{"Key": "tag:pg", "Values": ["none"]}])["Command"]["CommandId"]
           for _ in range(ITEMS)]
    return Listing({}, 2, lambda c: c["CommandId"], ids)


@populates("ListCommandInvocations")
def _command_invocations(ssm, server) -> Listing:
    ids = instances(server, ITEMS)  # nobody answers: each invocation stays Pending, and listed
    command = ssm.send_command(DocumentName="AWS-RunShellScript", Parameters={"commands": ["true"]},
                               InstanceIds=ids)["Command"]["CommandId"]
    return Listing({"CommandId": command}, 2, lambda i: i["InstanceId"], ids)


# --- Resource data syncs, resource policies, cloud connectors ---------------------------------------------------
@populates("ListResourceDataSync")
def _data_syncs(ssm, server) -> Listing:
    names = [f"pg-sync-{n}" for n in range(5)]  # AWS's quota: 5 syncs an account and Region
    for name in names:
        ssm.create_resource_data_sync(SyncName=name, SyncType="SyncFromSource", SyncSource={
            "SourceType": "SingleAccountMultiRegions", "SourceRegions": ["us-east-1"]})
    return Listing({"SyncType": "SyncFromSource"}, 2, lambda s: s["SyncName"], names)


@populates("GetResourcePolicies")
def _resource_policies(ssm, server) -> Listing:
    # an advanced parameter takes any number of policies; the OpsItemGroup only one
    ssm.put_parameter(Name="/pg/shared", Value="v", Type="String", Tier="Advanced")
    arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/pg/shared"
    for n in range(ITEMS):
        ssm.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": f"s{n}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::11112222{n:04d}:root"},
            "Action": ["ssm:GetParameter"], "Resource": arn}]}))
    return Listing({"ResourceArn": arn}, 2, lambda p: p["PolicyId"], None)


@populates("ListCloudConnectors")
def _cloud_connectors(ssm, server) -> Listing:
    configuration = {"AzureConfiguration": {
        "TenantId": "11111111-2222-3333-4444-555555555555", "ApplicationId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "Targets": {"Subscriptions": [{"Id": "99999999-8888-7777-6666-555555555555"}]}}}
    ids = [ssm.create_cloud_connector(DisplayName=f"pg-{n}", RoleArn=ROLE, Configuration=configuration)[
        "CloudConnectorId"] for n in range(ITEMS)]
    return Listing({}, 2, lambda c: c["CloudConnectorId"], ids)


# Paginators whose items only a real machine produces (a command or patch run, a session, an association or window
# run); each is walked in the module named, against containers.
NEEDS_A_MACHINE = {
    "DescribeAssociationExecutionTargets": "an association run on an instance (test_state_manager_runs.py)",
    "DescribeAssociationExecutions": "an association run on an instance (test_state_manager_runs.py)",
    "DescribeInstanceAssociationsStatus": "an association run on an instance (test_state_manager_runs.py)",
    "DescribeAvailablePatches": "the patches patch runs on instances found (test_patch_manager_runs.py)",
    "DescribeInstancePatchStates": "a patch run on an instance (test_patch_manager_runs.py)",
    "DescribeInstancePatchStatesForPatchGroup": "a patch run on an instance (test_patch_manager_runs.py)",
    "DescribeInstancePatches": "a patch run on an instance (test_patch_manager_runs.py)",
    "DescribeMaintenanceWindowExecutionTaskInvocations": "a window run (test_maintenance_windows_runs.py)",
    "DescribeSessions": "a session on an instance (test_session_manager.py)",
}
# Paginators that cannot give three pages however much is created.
CANNOT_FILL = {
    "GetInventorySchema": "MaxResults is 50..200 and at most 20 custom types can be made beside AWS's few",
    "ListNodesSummary": "one summary row per aggregated value; registered SSH machines all share their values",
    "DescribeEffectivePatchesForPatchBaseline": "Windows baselines only, and the emulator keeps no Windows catalogue",
    "ValidateCloudConnector": "needs the other cloud: offline it answers an error, never findings",
}


def test_every_paginator_is_accounted_for():
    covered, machines, unfillable = set(POPULATE) | set(WINDOW_RUN_PAGINATORS), set(NEEDS_A_MACHINE), set(CANNOT_FILL)
    assert not covered & machines and not covered & unfillable and not machines & unfillable
    assert covered | machines | unfillable == set(PAGINATORS), sorted(set(PAGINATORS) - covered - machines - unfillable)
    assert len(covered) >= 39, sorted(machines | unfillable)


def snake(operation: str) -> str:
    return botocore.xform_name(operation)


def walk(ssm, operation: str, page_size: int, **kwargs) -> list[list[dict]]:
    """The pages boto3's paginator gives, each as its items."""
    result_key = PAGINATORS[operation]["result_key"]
    pages = ssm.get_paginator(snake(operation)).paginate(**kwargs, PaginationConfig={"PageSize": page_size})
    return [page[result_key] for page in pages]


def check_walk(ssm, operation: str, listing: Listing) -> None:
    """boto3's paginator at the listing's PageSize gives every item once, as expected, and no empty last page."""
    low, high = bounds(operation)
    assert low <= listing.page_size and (high is None or listing.page_size <= high)
    pages = walk(ssm, operation, listing.page_size, **listing.kwargs)
    assert all(len(page) <= listing.page_size for page in pages)
    assert len(pages) >= listing.pages and all(pages), [len(p) for p in pages]  # no NextToken on the last page
    got = [listing.key(item) for page in pages for item in page]
    assert len(got) == len(set(got)), f"duplicates: {sorted(k for k in set(got) if got.count(k) > 1)}"
    if listing.expected is not None:
        expected = listing.expected
    else:
        expected = [listing.key(item) for page in walk(ssm, operation, high or 1000, **listing.kwargs) for item in page]
    if listing.ordered:
        assert got == expected
    else:
        assert sorted(got, key=str) == sorted(expected, key=str)


@pytest.mark.parametrize("operation", sorted(POPULATE))
def test_paginator_gives_every_item_once(ssm, emulator, operation):
    check_walk(ssm, operation, POPULATE[operation](ssm, emulator))


# Window runs, on the server whose windows' hour lasts a second: one window of 20 tasks (AWS's quota) that targets
# no instance, run 21 times, then disabled. Its tasks succeed at once, with no invocations.
WINDOW_RUNS = 21
WINDOW_RUN_PAGINATORS = ("DescribeMaintenanceWindowExecutions", "DescribeMaintenanceWindowExecutionTasks")


@pytest.fixture(scope="module")
def window_runs(fast_window_emulator) -> tuple[Any, str, list[str]]:
    fast_window_emulator.admin("POST", "/_emulator/reset")
    ssm = make_client(fast_window_emulator.url)
    window_id = ssm.create_maintenance_window(Name="pg-runs", Schedule="rate(1 hour)", Duration=1, Cutoff=0,
                                              AllowUnassociatedTargets=True)["WindowId"]
    for n in range(20):
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, Targets=[{"Key": "tag:pg", "Values": [str(n)]}], TaskArn="AWS-RunShellScript",
            TaskType="RUN_COMMAND", MaxConcurrency="1", MaxErrors="1",
            TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["true"]}}})

    def executions() -> list[dict]:
        return [e for page in walk(ssm, "DescribeMaintenanceWindowExecutions", 100, WindowId=window_id) for e in page]

    wait_for(lambda: len(executions()) >= WINDOW_RUNS, timeout=60)
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    wait_for(lambda: all(e["Status"] not in ("PENDING", "IN_PROGRESS") for e in executions()))
    return ssm, window_id, [e["WindowExecutionId"] for e in executions()]


@pytest.mark.parametrize("operation", WINDOW_RUN_PAGINATORS)
def test_window_run_paginator_gives_every_item_once(window_runs, operation):
    ssm, window_id, runs = window_runs
    if operation == "DescribeMaintenanceWindowExecutions":
        listing = Listing({"WindowId": window_id}, 10, lambda e: e["WindowExecutionId"], runs)
    else:
        listing = Listing({"WindowExecutionId": runs[-1]}, 10, lambda t: t["TaskExecutionId"], None, pages=2)
    check_walk(ssm, operation, listing)


# --- A NextToken the listing did not give ------------------------------------------------------------------------
GARBLED = "bm9wZQ"  # base64 of "nope"
NO_RUN = "11111111-2222-3333-4444-555555555555"  # an execution id: runs need a machine, so none exists here
# The smallest request each operation takes, so that only the token is wrong; {names} are made by `named`.
MINIMAL: dict[str, dict[str, Any]] = {
    "DescribeAssociationExecutionTargets": {"AssociationId": "{association}", "ExecutionId": NO_RUN},
    "DescribeAssociationExecutions": {"AssociationId": "{association}"},
    "DescribeAutomationStepExecutions": {"AutomationExecutionId": "{automation}"},
    "DescribeDocumentPermission": {"Name": "pg-doc", "PermissionType": "Share"},
    "DescribeEffectiveInstanceAssociations": {"InstanceId": "{instance}"},
    "DescribeEffectivePatchesForPatchBaseline": {"BaselineId": "{windows_baseline}"},
    "DescribeInstanceAssociationsStatus": {"InstanceId": "{instance}"},
    "DescribeInstancePatchStates": {"InstanceIds": ["{instance}"]},
    "DescribeInstancePatchStatesForPatchGroup": {"PatchGroup": "pg-group"},
    "DescribeInstancePatches": {"InstanceId": "{instance}"},
    "DescribeMaintenanceWindowExecutionTaskInvocations": {"WindowExecutionId": NO_RUN, "TaskId": NO_RUN},
    "DescribeMaintenanceWindowExecutionTasks": {"WindowExecutionId": NO_RUN},
    "DescribeMaintenanceWindowExecutions": {"WindowId": "{window}"},
    "DescribeMaintenanceWindowSchedule": {"WindowId": "{window}"},
    "DescribeMaintenanceWindowTargets": {"WindowId": "{window}"},
    "DescribeMaintenanceWindowTasks": {"WindowId": "{window}"},
    "DescribeMaintenanceWindowsForTarget": {"Targets": [{"Key": "InstanceIds", "Values": ["{instance}"]}],
                                            "ResourceType": "INSTANCE"},
    "DescribePatchProperties": {"OperatingSystem": "AMAZON_LINUX_2", "Property": "PRODUCT"},
    "DescribeSessions": {"State": "History"},
    "GetOpsMetadata": {"OpsMetadataArn": "{ops_metadata}"},
    "GetParameterHistory": {"Name": "/pg/h"},
    "GetParametersByPath": {"Path": "/pg"},
    "GetResourcePolicies": {"ResourceArn": f"arn:aws:ssm:us-east-1:{ACCOUNT}:opsitemgroup/default"},
    "ListAssociationVersions": {"AssociationId": "{association}"},
    "ListDocumentMetadataHistory": {"Name": "pg-doc", "Metadata": "DocumentReviews"},
    "ListDocumentVersions": {"Name": "pg-doc"},
    "ListInventoryEntries": {"InstanceId": "{instance}", "TypeName": "Custom:Rack"},
    "ListNodesSummary": {"Aggregators": [{"AggregatorType": "Count", "TypeName": "Instance",
                                          "AttributeName": "PlatformName"}]},
    "ListOpsItemRelatedItems": {"OpsItemId": "{ops_item}"},
    "ValidateCloudConnector": {"CloudConnectorId": "{connector}"},
}
# Operations asked about a run that cannot exist here answer for the run before they look at the token.
NO_SUCH_RUN = {"DescribeAssociationExecutionTargets", "DescribeMaintenanceWindowExecutionTaskInvocations",
               "DescribeMaintenanceWindowExecutionTasks"}
TOKEN_OPERATIONS = sorted(o for o in SERVICE.operation_names
                          if "NextToken" in SERVICE.operation_model(o).input_shape.members)


def test_minimal_requests_name_every_required_member():
    for operation in TOKEN_OPERATIONS:
        required = set(SERVICE.operation_model(operation).input_shape.required_members)
        assert required <= set(MINIMAL.get(operation, {})), operation


@pytest.fixture
def named(ssm, emulator) -> dict[str, str]:
    """What the minimal requests name, made, so that a missing resource is not what is answered."""
    ssm.create_document(Name="pg-doc", Content=command_document(), DocumentType="Command")
    ssm.put_parameter(Name="/pg/h", Value="v", Type="String")
    [instance] = instances(emulator, 1)
    put_custom(ssm, instance)
    return {
        "instance": instance,
        "association": associate(ssm, "pg-association"),
        "automation": ssm.start_automation_execution(DocumentName=runbook(ssm))["AutomationExecutionId"],
        "window": window(ssm),
        "windows_baseline": ssm.create_patch_baseline(Name="pg-windows", OperatingSystem="WINDOWS")["BaselineId"],
        "ops_metadata": ssm.create_ops_metadata(ResourceId="pg-app")["OpsMetadataArn"],
        "ops_item": ops_item(ssm, "pg"),
        "connector": _cloud_connectors(ssm, emulator).expected[0],
    }


def filled(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [filled(v, names) for v in value]
    if isinstance(value, dict):
        return {k: filled(v, names) for k, v in value.items()}
    return value


def error_type(answer) -> str:
    return answer.json["__type"].rsplit("#", 1)[-1]


def foreign_token(ssm, operation: str) -> str:
    """A real NextToken, of another listing than `operation`'s."""
    other = "GetParametersByPath" if operation == "DescribeParameters" else "DescribeParameters"
    args = {"Path": "/pg"} if other == "GetParametersByPath" else {}
    for n in range(2):
        ssm.put_parameter(Name=f"/pg/foreign{n}", Value="v", Type="String", Overwrite=True)
    return getattr(ssm, botocore.xform_name(other))(MaxResults=1, **args)["NextToken"]


@pytest.mark.parametrize("operation", TOKEN_OPERATIONS)
def test_garbled_or_foreign_next_token_is_a_400(emulator, ssm, named, operation):
    for token in (GARBLED, foreign_token(ssm, operation)):
        answer = raw_call(emulator.url, operation, {**filled(MINIMAL.get(operation, {}), named), "NextToken": token})
        assert answer.status == 400, (token, answer.status, answer.body[:300])
        if operation == "ValidateCloudConnector":  # unavailable offline, whatever it is asked
            assert error_type(answer) == "UnsupportedOperationException"
            continue
        if operation in NO_SUCH_RUN and error_type(answer) != "InvalidNextToken":
            assert error_type(answer) in {"DoesNotExistException", "AssociationExecutionDoesNotExist"}
            continue
        modelled = {e.name for e in SERVICE.operation_model(operation).error_shapes}
        if "InvalidNextToken" in modelled:
            assert error_type(answer) == "InvalidNextToken", answer.json
        else:
            # the model names no token error for these; SSM answers a bad token with InvalidNextToken all the same,
            # and a client must at least get a 400 it can tell from a missing resource
            assert error_type(answer) in {"InvalidNextToken", "ValidationException"}, answer.json


# --- MaxResults outside the model's bounds -----------------------------------------------------------------------
def limited() -> list[tuple[str, int]]:
    """(operation, a MaxResults just outside its model's bounds) for every operation with a NextToken."""
    out = []
    for operation in TOKEN_OPERATIONS:
        limit = SERVICE.operation_model(operation).input_shape.members.get("MaxResults")
        if limit is None:
            continue
        out.append((operation, limit.metadata.get("min", 1) - 1))
        if "max" in limit.metadata:
            out.append((operation, limit.metadata["max"] + 1))
    return out


@pytest.mark.parametrize(("operation", "max_results"), limited())
def test_max_results_outside_the_bounds_is_refused(emulator, named, operation, max_results):
    # boto3 checks only the minimum before sending; the service checks both
    answer = raw_call(emulator.url, operation, {**filled(MINIMAL.get(operation, {}), named), "MaxResults": max_results})
    assert answer.status == 400, (answer.status, answer.body[:300])
    if operation != "ValidateCloudConnector":
        assert error_type(answer) == "ValidationException", answer.json


def within() -> list[tuple[str, int]]:
    """(operation, its model's smallest and largest MaxResults) for every operation with a NextToken."""
    out = []
    for operation in TOKEN_OPERATIONS:
        limit = SERVICE.operation_model(operation).input_shape.members.get("MaxResults")
        if limit is None or operation in NO_SUCH_RUN or operation == "ValidateCloudConnector":
            continue
        out += [(operation, max(limit.metadata.get("min", 1), 1))]
        if "max" in limit.metadata:
            out += [(operation, limit.metadata["max"])]
    return out


@pytest.mark.parametrize(("operation", "max_results"), within())
def test_max_results_within_the_bounds_is_taken(emulator, named, operation, max_results):
    answer = raw_call(emulator.url, operation, {**filled(MINIMAL.get(operation, {}), named), "MaxResults": max_results})
    assert answer.status == 200, (answer.status, answer.body[:300])


# --- Writes between pages -----------------------------------------------------------------------------------------
# A token resumes after the last item shown, not at an offset: deleting that item, or items already shown, between
# two pages loses nothing that was not shown yet and shows nothing twice.
DELETE: dict[str, Callable[[Any, Any], Any]] = {
    "DescribeParameters": lambda ssm, name: ssm.delete_parameter(Name=name),
    "ListDocuments": lambda ssm, name: ssm.delete_document(Name=name),
    "ListAssociations": lambda ssm, i: ssm.delete_association(AssociationId=i),
    "DescribeActivations": lambda ssm, i: ssm.delete_activation(ActivationId=i),
    "DescribeMaintenanceWindows": lambda ssm, i: ssm.delete_maintenance_window(WindowId=i),
    "DescribeOpsItems": lambda ssm, i: ssm.delete_ops_item(OpsItemId=i),
    "ListOpsMetadata": lambda ssm, name: ssm.delete_ops_metadata(
        OpsMetadataArn=f"arn:aws:ssm:us-east-1:{ACCOUNT}:opsmetadata/{name}"),
    "ListCloudConnectors": lambda ssm, i: ssm.delete_cloud_connector(CloudConnectorId=i),
}


@pytest.mark.parametrize("operation", sorted(DELETE))
def test_deleting_between_pages_loses_nothing(ssm, emulator, operation):
    listing = POPULATE[operation](ssm, emulator)
    result_key = PAGINATORS[operation]["result_key"]
    pages = ssm.get_paginator(snake(operation)).paginate(**listing.kwargs,
                                                         PaginationConfig={"PageSize": listing.page_size})
    seen: list[Any] = []
    for n, page in enumerate(pages):
        seen += [listing.key(item) for item in page[result_key]]
        if n == 0:
            for key in seen:  # everything shown so far, the token's own item included
                DELETE[operation](ssm, key)
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(listing.expected)
