"""Association compliance: each association run is reported to Compliance (ComplianceType `Association`), read back
over HTTP with ListComplianceItems and ListResourceComplianceSummaries, against real containers."""
from __future__ import annotations

from test_managed_instances import wait_for
from test_state_manager import server, ssm  # noqa: F401  (fixtures)
from test_state_manager_runs import SCRIPT, ended_executions, tagged_container


def association_items(ssm, instance_id: str) -> list[dict]:
    return ssm.list_compliance_items(ResourceIds=[instance_id], ResourceTypes=["ManagedInstance"], Filters=[
        {"Key": "ComplianceType", "Values": ["Association"], "Type": "EQUAL"}])["ComplianceItems"]


def test_association_runs_make_the_instance_compliant_or_not(ssm, server, make_container):
    _, team, instance_id = tagged_container(server, make_container)
    good = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}],
        Parameters={"commands": ["true"]})["AssociationDescription"]["AssociationId"]
    ended_executions(ssm, good)
    items = wait_for(lambda: association_items(ssm, instance_id) or None, 20, "the association's compliance")
    assert [(i["Id"], i["Status"], i["Title"]) for i in items] == [(good, "COMPLIANT", SCRIPT)]

    bad = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}],
        Parameters={"commands": ["exit 4"]})["AssociationDescription"]["AssociationId"]
    ended_executions(ssm, bad)
    wait_for(lambda: len(association_items(ssm, instance_id)) == 2, 20, "both associations' compliance")
    statuses = {i["Id"]: i["Status"] for i in association_items(ssm, instance_id)}
    assert statuses == {good: "COMPLIANT", bad: "NON_COMPLIANT"}
    summary = ssm.list_resource_compliance_summaries(Filters=[
        {"Key": "ComplianceType", "Values": ["Association"], "Type": "EQUAL"}])["ResourceComplianceSummaryItems"]
    mine = [s for s in summary if s["ResourceId"] == instance_id]
    assert mine and mine[0]["Status"] == "NON_COMPLIANT"


def test_manual_sync_compliance_reports_nothing(ssm, server, make_container):
    _, team, instance_id = tagged_container(server, make_container)
    manual = ssm.create_association(
        Name=SCRIPT, Targets=[{"Key": "tag:team", "Values": [team]}], SyncCompliance="MANUAL",
        Parameters={"commands": ["true"]})["AssociationDescription"]["AssociationId"]
    assert ended_executions(ssm, manual)[0]["Status"] == "Success"
    assert association_items(ssm, instance_id) == []
