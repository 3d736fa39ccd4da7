"""Parameter policies: AWS's checks, status reporting, and Expiration really deleting."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from test_parameter_store import error_of


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def expiration(moment: datetime) -> dict:
    return {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": iso(moment)}}


def test_expiration_deletes_the_parameter(ssm):
    due = datetime.now(timezone.utc) + timedelta(seconds=2)
    ssm.put_parameter(Name="/exp/soon", Value="v", Type="String", Tier="Advanced", Policies=json.dumps([expiration(due)]))
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/exp/soon", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name="/exp/later", Value="v", Type="String", Tier="Advanced",
                      Policies=json.dumps([expiration(due + timedelta(days=1))]))
    assert ssm.get_parameter(Name="/exp/soon")["Parameter"]["Value"] == "v"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
        if "/exp/soon" not in names:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the expired parameter was not deleted")
    assert datetime.now(timezone.utc) >= due
    assert error_of(ssm.get_parameter, Name="/exp/soon")[0] == "ParameterNotFound"
    assert ssm.get_parameters(Names=["/exp/soon"])["InvalidParameters"] == ["/exp/soon"]
    assert [p["Name"] for p in ssm.get_parameters_by_path(Path="/exp")["Parameters"]] == ["/exp/later"]
    assert error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/exp/soon")[0] == "InvalidResourceId"
    # the name is free again, from version 1, with none of the old tags
    assert ssm.put_parameter(Name="/exp/soon", Value="new", Type="String")["Version"] == 1
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/exp/soon")["TagList"] == []


def test_an_expired_parameter_is_gone_before_the_sweep(ssm):
    """Reads treat a due Expiration as deleted at once, not only after the once-a-second sweep.

    The read below lands within a few milliseconds of the due time, so the sweep (at a random
    phase of its one-second period) has almost never run yet: without the read-side check this
    test fails ~99% of runs.
    """
    due = datetime.now(timezone.utc) + timedelta(milliseconds=700)
    policy = json.dumps([expiration(due)])  # iso() truncates to ms: the server's due time <= `due`
    ssm.put_parameter(Name="/exp/now", Value="v", Type="String", Tier="Advanced", Policies=policy)
    assert ssm.get_parameter(Name="/exp/now")["Parameter"]["Value"] == "v"
    time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds() - 0.05))
    while datetime.now(timezone.utc) < due:
        pass
    assert error_of(ssm.get_parameter, Name="/exp/now")[0] == "ParameterNotFound"


def test_policies_reported_with_status(ssm):
    due = datetime.now(timezone.utc) + timedelta(days=30)
    policies = [
        expiration(due),
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "15", "Unit": "Days"}},
        {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "20", "Unit": "Days"}},
    ]
    put = ssm.put_parameter(Name="/pol", Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies))
    assert put["Tier"] == "Advanced"
    meta = ssm.describe_parameters()["Parameters"][0]
    reported = [(p["PolicyType"], p["PolicyStatus"], json.loads(p["PolicyText"])) for p in meta["Policies"]]
    assert reported == [(p["Type"], "Pending", p) for p in policies]
    # updating the value keeps the policies; sending new ones replaces them; [] removes them
    ssm.put_parameter(Name="/pol", Value="v2", Overwrite=True)
    assert len(ssm.describe_parameters()["Parameters"][0]["Policies"]) == 3
    history = ssm.get_parameter_history(Name="/pol")["Parameters"]
    assert [len(h["Policies"]) for h in history] == [3, 3]
    ssm.put_parameter(Name="/pol", Value="v3", Overwrite=True, Policies="[]")
    assert ssm.describe_parameters()["Parameters"][0]["Policies"] == []


def test_notification_status_finishes_when_due(ssm):
    due = datetime.now(timezone.utc) + timedelta(hours=2)
    policies = [expiration(due), {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "3", "Unit": "Hours"}}]
    ssm.put_parameter(Name="/notify", Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies))
    statuses = {p["PolicyType"]: p["PolicyStatus"] for p in ssm.describe_parameters()["Parameters"][0]["Policies"]}
    assert statuses == {"Expiration": "Pending", "ExpirationNotification": "Finished"}


def test_intelligent_tiering_goes_advanced_for_policies(ssm):
    due = datetime.now(timezone.utc) + timedelta(days=1)
    out = ssm.put_parameter(Name="/itp", Value="v", Type="String", Tier="Intelligent-Tiering", Policies=json.dumps([expiration(due)]))
    assert out["Tier"] == "Advanced"


def test_standard_tier_has_no_policies(ssm):
    due = datetime.now(timezone.utc) + timedelta(days=1)
    code, message = error_of(ssm.put_parameter, Name="/std", Value="v", Type="String", Policies=json.dumps([expiration(due)]))
    assert (code, message) == ("ValidationException", "You can't assign parameter policies to a standard-parameter tier.")


FUTURE = iso(datetime.now(timezone.utc) + timedelta(days=3))


@pytest.mark.parametrize(
    "policies, code, message",
    [
        ('{"Type":"Expiration"}', "ValidationException", 'Invalid policies input: {"Type":"Expiration"}.'),
        ("not json", "ValidationException", "Invalid policies input: not json."),
        (json.dumps([{"Type": "Rotation", "Version": "1.0", "Attributes": {}}]), "InvalidPolicyTypeException", "Policy type Rotation is not supported."),
        (json.dumps([{"Type": "Expiration", "Version": "2.0", "Attributes": {"Timestamp": FUTURE}}]), "InvalidPolicyAttributeException", "Unsupported policy version."),
        (json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {}}]), "InvalidPolicyAttributeException", "A valid Expiration policy must have an attribute of Timestamp."),
        (json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "tomorrow"}}]), "InvalidPolicyAttributeException", "Invalid timestamp format"),
        (json.dumps([{"Type": "Expiration", "Version": "1.0"}]), "InvalidPolicyAttributeException", "Mandatory policy attribute Attributes is missing."),
        (json.dumps([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "0", "Unit": "Days"}}]), "InvalidPolicyAttributeException", "Attribute After must be a positive integer."),
        (json.dumps([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "2", "Unit": "Weeks"}}]), "InvalidPolicyAttributeException", "Supported time units: DAYS HOURS"),
        (json.dumps([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"Unit": "Days"}}]), "InvalidPolicyAttributeException", "Mandatory policy attribute After is missing."),
        (
            json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": FUTURE}}] * 2),
            "IncompatiblePolicyException",
            "There can be only one expiration policy",
        ),
        (
            json.dumps([{"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "1", "Unit": "Days"}}]),
            "IncompatiblePolicyException",
            "Expiration notification policies are missing expiration policy",
        ),
        (
            json.dumps([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "1", "Unit": "Days"}}] * 11),
            "PoliciesLimitExceededException",
            "Number of policies attached to a parameter cannot exceed 10",
        ),
    ],
)
def test_policy_errors(ssm, policies, code, message):
    assert error_of(ssm.put_parameter, Name="/bad-policy", Value="v", Type="String", Tier="Advanced", Policies=policies) == (code, message)
    assert ssm.describe_parameters()["Parameters"] == []
