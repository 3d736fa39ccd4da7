"""Just-in-time node access against the real server over boto3: StartAccessRequest opens a Pending access request
(an /aws/accessrequest OpsItem) for a real managed node, an approver decides it with UpdateOpsItem, GetAccessToken
hands its requester temporary credentials that really sign requests (StartSession to the node among them, also
with --verify-signatures), and rejection, revocation, expiry, auto-approval and AWS's errors."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import EmulatorProcess, make_client
from test_parameter_store import error_of
from test_run_command import register_container
# The module's server (instance_emulator), its client and a real managed node (a connected debian container).
from test_session_manager import Shell, server, ssm, target  # noqa: F401

AUTO_APPROVAL = "/ssm-emulator/just-in-time/auto-approval"
DURATION = "/ssm-emulator/just-in-time/access-duration-hours"


@pytest.fixture
def settings(ssm):
    """Service settings a test changes, reset after it."""
    changed: list[str] = []

    def put(setting_id: str, value: str) -> None:
        ssm.update_service_setting(SettingId=setting_id, SettingValue=value)
        changed.append(setting_id)

    yield put
    for setting_id in changed:
        ssm.reset_service_setting(SettingId=setting_id)


def request(ssm, node: str, reason: str = "investigate the disk", **kwargs) -> str:
    return ssm.start_access_request(Reason=reason, Targets=[{"Key": "InstanceIds", "Values": [node]}],
                                    **kwargs)["AccessRequestId"]


def document(ssm, access_request_id: str) -> dict:
    item = ssm.get_ops_item(OpsItemId=access_request_id)["OpsItem"]
    return json.loads(item["OperationalData"]["/aws/accessrequest"]["Value"])


def error_of_any(call, **kwargs) -> tuple[str, int]:
    """A refused call's error code and HTTP status (credential errors too, unlike error_of's)."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def client_of(server: EmulatorProcess, credentials: dict):
    return boto3.client(
        "ssm", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def test_request_is_a_pending_ops_item_until_approved(server, ssm, target):
    access_request_id = request(ssm, target, Tags=[{"Key": "ticket", "Value": "INC-1"}])
    item = ssm.get_ops_item(OpsItemId=access_request_id)["OpsItem"]
    assert (item["OpsItemType"], item["Status"], item["Description"]) == (
        "/aws/accessrequest", "Pending", "investigate the disk")
    doc = document(ssm, access_request_id)
    assert doc["requesterArn"] == "arn:aws:iam::123456789012:root"
    assert (doc["targetResourceId"], doc["sourceAccountId"], doc["sourceRegion"]) == (
        target, "123456789012", "us-east-1")
    tags = ssm.list_tags_for_resource(ResourceType="OpsItem", ResourceId=access_request_id)["TagList"]
    assert tags == [{"Key": "ticket", "Value": "INC-1"}]
    # found by the access-request filter keys, as the console lists "requests for me"
    found = ssm.describe_ops_items(OpsItemFilters=[
        {"Key": "AccessRequestByTargetResourceId", "Values": [target], "Operator": "Equal"},
        {"Key": "Status", "Values": ["Pending"], "Operator": "Equal"}])["OpsItemSummaries"]
    assert access_request_id in [s["OpsItemId"] for s in found]

    pending = ssm.get_access_token(AccessRequestId=access_request_id)
    assert pending["AccessRequestStatus"] == "Pending" and "Credentials" not in pending

    before = time.time()
    ssm.update_ops_item(OpsItemId=access_request_id, Status="Approved")
    approved = ssm.get_access_token(AccessRequestId=access_request_id)
    assert approved["AccessRequestStatus"] == "Approved"
    creds = approved["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"]
    expires = creds["ExpirationTime"].timestamp()
    assert before + 3600 - 5 <= expires <= time.time() + 3600 + 5  # the default access duration: an hour
    doc = document(ssm, access_request_id)
    assert doc["approverArn"] == "arn:aws:iam::123456789012:root" and doc["accessExpirationTime"]

    # the credentials act as the requester: a real call, and a real session on the target
    jit = client_of(server, creds)
    listed = jit.describe_instance_information()["InstanceInformationList"]
    assert target in [i["InstanceId"] for i in listed]
    shell = Shell(server, jit.start_session(Target=target, Reason="jit")).ready()
    shell.type("echo jit-$((40+2))\n")
    shell.expect("jit-42")
    jit.terminate_session(SessionId=shell.session_id)
    shell.wait_closed()


def test_rejected_and_revoked_requests_give_no_credentials(server, ssm, target):
    rejected = request(ssm, target)
    ssm.update_ops_item(OpsItemId=rejected, Status="Rejected")
    answer = ssm.get_access_token(AccessRequestId=rejected)
    assert answer["AccessRequestStatus"] == "Rejected" and "Credentials" not in answer
    assert document(ssm, rejected)["rejecterArn"] == "arn:aws:iam::123456789012:root"
    code, message = error_of(ssm.update_ops_item, OpsItemId=rejected, Status="Approved")
    assert code == "OpsItemInvalidParameterException" and "Rejected" in message

    revoked = request(ssm, target)
    code, message = error_of(ssm.update_ops_item, OpsItemId=revoked, Status="Revoked")
    assert code == "OpsItemInvalidParameterException" and "Approved or Rejected" in message
    ssm.update_ops_item(OpsItemId=revoked, Status="Approved")
    jit = client_of(server, ssm.get_access_token(AccessRequestId=revoked)["Credentials"])
    jit.describe_instance_information()
    ssm.update_ops_item(OpsItemId=revoked, Status="Revoked")
    assert ssm.get_access_token(AccessRequestId=revoked)["AccessRequestStatus"] == "Revoked"
    # the credentials already handed out end with the revocation
    code, _ = error_of_any(jit.describe_instance_information)
    assert code == "UnrecognizedClientException"


def test_auto_approval_and_expiry(server, ssm, target, settings):
    settings(AUTO_APPROVAL, "true")
    settings(DURATION, "0.0005")  # 1.8 seconds
    access_request_id = request(ssm, target)
    item = ssm.get_ops_item(OpsItemId=access_request_id)["OpsItem"]
    assert item["Status"] == "Approved" and document(ssm, access_request_id)["autoApproved"] == "true"
    creds = ssm.get_access_token(AccessRequestId=access_request_id)["Credentials"]
    assert creds["ExpirationTime"] <= datetime.now(timezone.utc) + timedelta(seconds=3)
    jit = client_of(server, creds)
    jit.describe_instance_information()
    time.sleep(2.0)
    answer = ssm.get_access_token(AccessRequestId=access_request_id)
    assert answer["AccessRequestStatus"] == "Expired" and "Credentials" not in answer
    assert error_of_any(jit.describe_instance_information) == ("ExpiredTokenException", 400)
    code, _ = error_of(ssm.update_service_setting, SettingId=DURATION, SettingValue="337")  # AWS's limit: 336 h
    assert code == "ValidationException"


def test_errors(server, ssm, target):
    code, message = error_of(ssm.start_access_request, Reason="x",
                             Targets=[{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}])
    assert code == "ResourceNotFoundException" and "mi-0123456789abcdef0" in message
    for targets in ([], [{"Key": "tag:env", "Values": ["dev"]}], [{"Key": "InstanceIds", "Values": [target, target]}]):
        code, _ = error_of(ssm.start_access_request, Reason="x", Targets=targets)
        assert code == "ValidationException"
    code, _ = error_of(ssm.get_access_token, AccessRequestId="oi-0123456789ab")
    assert code == "ResourceNotFoundException"
    # an OpsItem that isn't an access request is no access request
    plain = ssm.create_ops_item(Title="Disk full", Source="monitoring", Description="d")["OpsItemId"]
    code, _ = error_of(ssm.get_access_token, AccessRequestId=plain)
    assert code == "ResourceNotFoundException"
    # another account sees neither the target nor the request
    other = make_client(server.url, access_key="210987654321")
    code, _ = error_of(other.start_access_request, Reason="x", Targets=[{"Key": "InstanceIds", "Values": [target]}])
    assert code == "ResourceNotFoundException"
    code, _ = error_of(other.get_access_token, AccessRequestId=request(ssm, target))
    assert code == "ResourceNotFoundException"


def test_credentials_pass_signature_verification(start_emulator, tmp_path, debian_container):
    config = tmp_path / "emulator.toml"
    config.write_text('[[access_keys]]\naccess_key_id = "AKIDJIT"\nsecret_access_key = "jit-secret"\n')
    verified = start_emulator("--ephemeral", "--config", str(config), "--verify-signatures")
    ssm = make_client(verified.url, access_key="AKIDJIT", secret_key="jit-secret")
    node = register_container(verified, debian_container)
    access_request_id = request(ssm, node)
    ssm.update_ops_item(OpsItemId=access_request_id, Status="Approved")
    creds = ssm.get_access_token(AccessRequestId=access_request_id)["Credentials"]
    jit = client_of(verified, creds)
    assert node in [i["InstanceId"] for i in jit.describe_instance_information()["InstanceInformationList"]]
    # the same key signed with a wrong secret, or without its session token, is refused
    wrong = client_of(verified, {**creds, "SecretAccessKey": "x" * 40})
    assert error_of_any(wrong.describe_instance_information) == ("InvalidSignatureException", 400)
    tokenless = make_client(verified.url, access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    assert error_of_any(tokenless.describe_instance_information) == ("UnrecognizedClientException", 400)
