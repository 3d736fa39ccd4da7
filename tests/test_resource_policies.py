"""Resource policies (PutResourcePolicy, GetResourcePolicies, DeleteResourcePolicy) on advanced-tier parameters
and the OpsItemGroup, and other accounts reading a parameter shared with them by its ARN."""
from __future__ import annotations

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from pages import walk_pages

OWNER = "123456789012"
FRIEND = "111122223333"
STRANGER = "999988887777"
REGION = "us-east-1"
NAME = "/shared/db-host"
ARN = f"arn:aws:ssm:{REGION}:{OWNER}:parameter{NAME}"
GROUP = f"arn:aws:ssm:{REGION}:{OWNER}:opsitemgroup/default"


def error_of(call, **kwargs) -> tuple[str, str, dict]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"], info.value.response


def policy(*accounts: str, actions: list[str] | None = None, effect: str = "Allow", resource: str = ARN) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": effect,
            "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
            "Action": actions or ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"],
            "Resource": resource,
        }],
    })


@pytest.fixture
def clients(client_factory):
    return client_factory(), client_factory(access_key=FRIEND), client_factory(access_key=STRANGER)


@pytest.fixture
def advanced(ssm):
    ssm.put_parameter(Name=NAME, Value="db.internal", Type="String", Tier="Advanced")
    return ssm


def test_put_get_update_delete_with_hash(advanced):
    ssm = advanced
    text = policy(FRIEND)
    put = ssm.put_resource_policy(ResourceArn=ARN, Policy=text)
    assert put["PolicyHash"] == hashlib.sha256(text.encode()).hexdigest()
    listed = ssm.get_resource_policies(ResourceArn=ARN)["Policies"]
    assert listed == [{"PolicyId": put["PolicyId"], "PolicyHash": put["PolicyHash"], "Policy": text}]

    updated_text = policy(FRIEND, STRANGER)
    updated = ssm.put_resource_policy(
        ResourceArn=ARN, Policy=updated_text, PolicyId=put["PolicyId"], PolicyHash=put["PolicyHash"])
    assert updated["PolicyId"] == put["PolicyId"] and updated["PolicyHash"] != put["PolicyHash"]

    # the old hash is stale now: both an update and a delete made against it are refused
    code, _, _ = error_of(ssm.put_resource_policy, ResourceArn=ARN, Policy=text, PolicyId=put["PolicyId"],
                          PolicyHash=put["PolicyHash"])
    assert code == "ResourcePolicyConflictException"
    code, _, _ = error_of(ssm.delete_resource_policy, ResourceArn=ARN, PolicyId=put["PolicyId"],
                          PolicyHash=put["PolicyHash"])
    assert code == "ResourcePolicyConflictException"

    code, _, _ = error_of(ssm.delete_resource_policy, ResourceArn=ARN, PolicyId="no-such-policy",
                          PolicyHash=updated["PolicyHash"])
    assert code == "ResourcePolicyNotFoundException"
    ssm.delete_resource_policy(ResourceArn=ARN, PolicyId=put["PolicyId"], PolicyHash=updated["PolicyHash"])
    assert ssm.get_resource_policies(ResourceArn=ARN)["Policies"] == []


def test_policy_id_without_hash(advanced):
    put = advanced.put_resource_policy(ResourceArn=ARN, Policy=policy(FRIEND))
    code, _, response = error_of(advanced.put_resource_policy, ResourceArn=ARN, Policy=policy(FRIEND),
                                 PolicyId=put["PolicyId"])
    assert code == "ResourcePolicyInvalidParameterException"
    assert response["ParameterNames"] == ["PolicyHash"]


def test_standard_tier_and_missing_parameters_are_refused(ssm):
    ssm.put_parameter(Name="/standard", Value="v", Type="String")
    code, message, response = error_of(ssm.put_resource_policy,
                                       ResourceArn=f"arn:aws:ssm:{REGION}:{OWNER}:parameter/standard",
                                       Policy=policy(FRIEND))
    assert code == "ResourcePolicyInvalidParameterException" and "advanced tier" in message
    assert response["ParameterNames"] == ["ResourceArn"]
    for arn in (f"arn:aws:ssm:{REGION}:{OWNER}:parameter/missing", f"arn:aws:ssm:{REGION}:{FRIEND}:parameter/standard"):
        assert error_of(ssm.put_resource_policy, ResourceArn=arn, Policy=policy(FRIEND))[0] == "ResourceNotFoundException"
        assert error_of(ssm.get_resource_policies, ResourceArn=arn)[0] == "ResourceNotFoundException"


def test_securestring_needs_a_customer_managed_key(ssm):
    ssm.put_parameter(Name="/secret", Value="s", Type="SecureString", Tier="Advanced")
    code, message, _ = error_of(ssm.put_resource_policy, ResourceArn=f"arn:aws:ssm:{REGION}:{OWNER}:parameter/secret",
                                Policy=policy(FRIEND))
    assert code == "ResourcePolicyInvalidParameterException" and "customer managed key" in message


def test_unsupported_resource_types(ssm):
    for arn in (f"arn:aws:ssm:{REGION}:{OWNER}:document/my-doc", "arn:aws:s3:::some-bucket-name"):
        code, message, _ = error_of(ssm.put_resource_policy, ResourceArn=arn, Policy=policy(FRIEND))
        assert code == "ResourcePolicyInvalidParameterException" and arn in message


@pytest.mark.parametrize("text", [
    "not json",
    "[1, 2]",
    json.dumps({"Version": "2012-10-17"}),
    json.dumps({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "ssm:GetParameter"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "not-an-account"}, "Action": "ssm:Get"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "GetParameter"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ssm:X", "Colour": "red"}]}),
])
def test_malformed_policies(advanced, text):
    assert error_of(advanced.put_resource_policy, ResourceArn=ARN, Policy=text)[0] == (
        "MalformedResourcePolicyDocumentException")


def test_policy_size_limit(advanced):
    big = json.dumps({"Statement": [{"Sid": "x" * 1000, "Effect": "Allow", "Principal": "*", "Action": "ssm:*"}]})
    code, _, response = error_of(advanced.put_resource_policy, ResourceArn=ARN, Policy=big)
    assert code == "ResourcePolicyLimitExceededException" and response["Limit"] == 1024


def test_ops_item_group_takes_one_policy(ssm):
    text = policy(FRIEND, actions=["ssm:CreateOpsItem", "ssm:GetOpsItem"], resource=GROUP)
    first = ssm.put_resource_policy(ResourceArn=GROUP, Policy=text)
    code, _, response = error_of(ssm.put_resource_policy, ResourceArn=GROUP, Policy=text)
    assert code == "ResourcePolicyLimitExceededException" and response["Limit"] == 1
    assert [p["PolicyId"] for p in ssm.get_resource_policies(ResourceArn=GROUP)["Policies"]] == [first["PolicyId"]]


def test_get_pages(advanced):
    ids = [advanced.put_resource_policy(ResourceArn=ARN, Policy=policy(FRIEND))["PolicyId"] for _ in range(5)]
    seen = walk_pages(advanced.get_resource_policies, "Policies", 2, ResourceArn=ARN)
    assert [p["PolicyId"] for p in seen] == ids
    assert error_of(advanced.get_resource_policies, ResourceArn=ARN, NextToken="garbage")[0] == "InvalidNextToken"


def test_shared_parameter_is_read_by_arn(clients):
    owner, friend, stranger = clients
    owner.put_parameter(Name=NAME, Value="db.internal", Type="String", Tier="Advanced")
    owner.put_parameter(Name=NAME, Value="db2.internal", Type="String", Overwrite=True)
    assert error_of(friend.get_parameter, Name=ARN)[0] == "ParameterNotFound"  # not shared yet

    owner.put_resource_policy(ResourceArn=ARN, Policy=policy(FRIEND))
    got = friend.get_parameter(Name=ARN)["Parameter"]
    assert (got["Value"], got["Version"], got["ARN"]) == ("db2.internal", 2, ARN)
    assert friend.get_parameter(Name=f"{ARN}:1")["Parameter"]["Value"] == "db.internal"
    many = friend.get_parameters(Names=[ARN, f"arn:aws:ssm:{REGION}:{OWNER}:parameter/nope"])
    assert [p["Value"] for p in many["Parameters"]] == ["db2.internal"]
    assert many["InvalidParameters"] == [f"arn:aws:ssm:{REGION}:{OWNER}:parameter/nope"]
    assert [p["Value"] for p in friend.get_parameter_history(Name=ARN)["Parameters"]] == ["db.internal", "db2.internal"]
    # only by ARN, only in the owner's region, and never listed (a policy-made share isn't promoted to RAM)
    assert error_of(friend.get_parameter, Name=NAME)[0] == "ParameterNotFound"
    assert friend.describe_parameters(Shared=True)["Parameters"] == []
    # an account the policy doesn't name sees nothing, and the friend can't write
    assert error_of(stranger.get_parameter, Name=ARN)[0] == "ParameterNotFound"
    assert stranger.get_parameters(Names=[ARN])["InvalidParameters"] == [ARN]
    with pytest.raises(ClientError):
        friend.delete_parameter(Name=ARN)
    assert owner.get_parameter(Name=NAME)["Parameter"]["Value"] == "db2.internal"


def test_shared_actions_and_deny(clients):
    owner, friend, _ = clients
    owner.put_parameter(Name=NAME, Value="v", Type="String", Tier="Advanced")
    put = owner.put_resource_policy(ResourceArn=ARN, Policy=policy(FRIEND, actions=["ssm:GetParameters"]))
    assert error_of(friend.get_parameter, Name=ARN)[0] == "ParameterNotFound"
    assert [p["Value"] for p in friend.get_parameters(Names=[ARN])["Parameters"]] == ["v"]
    deny = owner.put_resource_policy(ResourceArn=ARN, Policy=policy(FRIEND, actions=["ssm:Get*"], effect="Deny"))
    assert friend.get_parameters(Names=[ARN])["InvalidParameters"] == [ARN]
    owner.delete_resource_policy(ResourceArn=ARN, PolicyId=deny["PolicyId"], PolicyHash=deny["PolicyHash"])
    owner.delete_resource_policy(ResourceArn=ARN, PolicyId=put["PolicyId"], PolicyHash=put["PolicyHash"])
    assert friend.get_parameters(Names=[ARN])["InvalidParameters"] == [ARN]


def test_shared_securestring_with_customer_key(clients):
    owner, friend, _ = clients
    owner.put_parameter(Name="/s", Value="s3cret", Type="SecureString", Tier="Advanced", KeyId="alias/my-key")
    arn = f"arn:aws:ssm:{REGION}:{OWNER}:parameter/s"
    owner.put_resource_policy(ResourceArn=arn, Policy=policy(FRIEND, resource=arn))
    assert friend.get_parameter(Name=arn, WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    assert friend.get_parameter(Name=arn)["Parameter"]["Value"] != "s3cret"


def test_policies_go_with_their_parameter(clients):
    owner, friend, _ = clients
    owner.put_parameter(Name=NAME, Value="v", Type="String", Tier="Advanced")
    owner.put_resource_policy(ResourceArn=ARN, Policy=policy(FRIEND))
    owner.delete_parameter(Name=NAME)
    owner.put_parameter(Name=NAME, Value="again", Type="String", Tier="Advanced")
    assert owner.get_resource_policies(ResourceArn=ARN)["Policies"] == []
    assert error_of(friend.get_parameter, Name=ARN)[0] == "ParameterNotFound"
