"""Who a request is made as: account from the access key, region from the signature scope."""
from __future__ import annotations

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import make_client
from wire import raw_call


def test_state_is_isolated_per_region_and_account(client_factory):
    east = client_factory(region="us-east-1")
    west = client_factory(region="eu-west-1")
    other_account = client_factory(region="us-east-1", access_key="444455556666")
    east.put_parameter(Name="/iso", Value="east", Type="String")
    west.put_parameter(Name="/iso", Value="west", Type="String")
    assert east.get_parameter(Name="/iso")["Parameter"]["Value"] == "east"
    assert west.get_parameter(Name="/iso")["Parameter"]["ARN"] == (
        "arn:aws:ssm:eu-west-1:123456789012:parameter/iso"
    )
    with pytest.raises(other_account.exceptions.ParameterNotFound):
        other_account.get_parameter(Name="/iso")
    other_account.put_parameter(Name="/iso", Value="mine", Type="String")
    assert other_account.get_parameter(Name="/iso")["Parameter"]["ARN"] == (
        "arn:aws:ssm:us-east-1:444455556666:parameter/iso"
    )


def test_unsigned_request_is_default_account_in_us_east_1(client_factory, emulator):
    client_factory().put_parameter(Name="/unsigned", Value="v", Type="String")
    resp = raw_call(emulator.url, "GetParameter", {"Name": "/unsigned"})
    assert resp.status == 200
    assert resp.json["Parameter"]["ARN"] == "arn:aws:ssm:us-east-1:123456789012:parameter/unsigned"


@pytest.fixture
def verifying(start_emulator, tmp_path):
    cfg = tmp_path / "keys.toml"
    cfg.write_text(
        "verify_signatures = true\n"
        "[[access_keys]]\n"
        'access_key_id = "AKIDGOOD"\n'
        'secret_access_key = "right-secret"\n'
        'account_id = "777788889999"\n'
    )
    return start_emulator("--ephemeral", "--config", str(cfg))


def test_verified_signature_is_served(verifying):
    ssm = make_client(verifying.url, access_key="AKIDGOOD", secret_key="right-secret")
    ssm.put_parameter(Name="/signed", Value="v", Type="String")
    assert ssm.get_parameter(Name="/signed")["Parameter"]["ARN"].split(":")[4] == "777788889999"


def test_wrong_secret_is_invalid_signature(verifying):
    ssm = make_client(verifying.url, access_key="AKIDGOOD", secret_key="wrong-secret")
    with pytest.raises(ClientError) as err:
        ssm.describe_parameters()
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    # AWS's JSON services answer credential errors with 400, not 403 (aws-sdk-ruby#431 shows an
    # x-amz-json-1.1 InvalidSignatureException as "HTTP/1.1 400 Bad Request")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # SSM's body is the bare sentence, without the canonical request that REST services append
    # (CrowdStrike/falcon-scripts#126 quotes SSM Parameter Store's whole answer)
    assert err.value.response["Error"]["Message"] == (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details."
    )


def test_unknown_key_is_unrecognized_client(verifying):
    ssm = make_client(verifying.url, access_key="AKIDNOBODY", secret_key="x")
    with pytest.raises(ClientError) as err:
        ssm.describe_parameters()
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert err.value.response["Error"]["Message"] == "The security token included in the request is invalid."
    # as SSM answers it: "Service: AWSSimpleSystemsManagement; Status Code: 400; Error Code:
    # UnrecognizedClientException" (coveooss/spring-boot-parameter-store-integration#3)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unsigned_request_is_refused_when_verifying(verifying):
    resp = raw_call(verifying.url, "DescribeParameters", {})
    # the JSON services' front door, e.g. DynamoDB's: "Request is missing Authentication Token
    # (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: MissingAuthenticationTokenException"
    assert resp.status == 400
    assert resp.json == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token",
    }


def test_incomplete_signature(verifying):
    resp = raw_call(
        verifying.url,
        "DescribeParameters",
        {},
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDGOOD/20260101/us-east-1/ssm/aws4_request"},
    )
    # JSON services name it IncompleteSignatureException, with a 400 (iann0036/cloud9-sync#10,
    # prometheus-community/yet-another-cloudwatch-exporter#169); "IncompleteSignature" is the query
    # protocol's code (SQS, IAM)
    assert resp.status == 400
    assert resp.json["__type"] == "IncompleteSignatureException"


def test_verify_flag_on_the_command_line(start_emulator, tmp_path):
    cfg = tmp_path / "keys.toml"
    cfg.write_text('[[access_keys]]\naccess_key_id = "AKIDCLI"\nsecret_access_key = "s"\n')
    server = start_emulator("--ephemeral", "--config", str(cfg), "--verify-signatures")
    assert make_client(server.url, access_key="AKIDCLI", secret_key="s").describe_parameters()["Parameters"] == []
    with pytest.raises(ClientError):
        make_client(server.url, access_key="AKIDCLI", secret_key="bad").describe_parameters()


def test_garbled_signature_is_tolerated_without_verification(client_factory, emulator):
    client_factory(region="ap-south-1", access_key="AKIDLOOSE").put_parameter(
        Name="/loose", Value="v", Type="String"
    )
    # no X-Amz-Date, bogus signature: a hand-written curl call still finds its region's state
    resp = raw_call(
        emulator.url,
        "GetParameter",
        {"Name": "/loose"},
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDLOOSE/20260101/ap-south-1/ssm/aws4_request, "
            "SignedHeaders=host, Signature=nonsense"
        },
    )
    assert resp.status == 200, resp.body
    assert resp.json["Parameter"]["ARN"] == "arn:aws:ssm:ap-south-1:123456789012:parameter/loose"


def test_credential_scoped_to_another_service_is_refused(verifying):
    # a request signed for another service, with the right key and secret, is refused before its signature is
    # checked; aws/aws-sdk-ruby#431 shows AWS's answer (400, InvalidSignatureException) for EMR
    request = AWSRequest("POST", f"{verifying.url}/", data=b"{}", headers={"X-Amz-Target": "AmazonSSM.DescribeParameters"})
    SigV4Auth(Credentials("AKIDGOOD", "right-secret"), "ec2", "us-east-1").add_auth(request)
    resp = raw_call(verifying.url, "DescribeParameters", b"{}", headers=dict(request.headers))
    assert resp.status == 400
    assert resp.json == {
        "__type": "InvalidSignatureException",
        "message": "Credential should be scoped to correct service: 'ssm'. ",
    }


def test_session_token_with_a_long_term_key_is_refused(verifying):
    # a session token belongs to temporary credentials; a stale one left beside new long-term keys makes AWS refuse
    # every call (aws/aws-cli#1341) with "The security token included in the request is invalid."
    ssm = boto3.client(
        "ssm", endpoint_url=verifying.url, region_name="us-east-1", aws_access_key_id="AKIDGOOD",
        aws_secret_access_key="right-secret", aws_session_token="left-over-token",
    )
    with pytest.raises(ClientError) as err:
        ssm.describe_parameters()
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert err.value.response["Error"]["Message"] == "The security token included in the request is invalid."
