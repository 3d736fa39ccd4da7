"""The AWS JSON 1.1 front door: dispatch, error envelopes, malformed input, request ids."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from wire import raw_call


def assert_error(resp, status: int, code: str, message: str | None = None) -> dict:
    assert resp.status == status, resp.body
    assert resp.headers["content-type"] == "application/x-amz-json-1.1"
    assert resp.headers.get("x-amzn-requestid")
    body = resp.json
    assert body["__type"] == code, body
    if message is not None:
        assert body["message"] == message
    assert "Traceback" not in resp.body.decode()
    return body


def test_success_has_request_id_and_json_content_type(ssm, emulator):
    resp = raw_call(emulator.url, "DescribeParameters", {})
    assert resp.status == 200
    assert resp.headers["content-type"] == "application/x-amz-json-1.1"
    assert len(resp.headers["x-amzn-requestid"]) == 36
    assert resp.json == {"Parameters": []}
    meta = ssm.describe_parameters()["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200 and len(meta["RequestId"]) == 36


def test_timestamps_are_epoch_numbers(ssm, emulator):
    ssm.put_parameter(Name="/t/epoch", Value="v", Type="String")
    resp = raw_call(emulator.url, "GetParameter", {"Name": "/t/epoch"})
    assert isinstance(resp.json["Parameter"]["LastModifiedDate"], float | int)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe\x00garbage", b'{"Name": "/a"'],
)
def test_malformed_body_is_serialization_exception(emulator, body):
    assert_error(raw_call(emulator.url, "GetParameter", body), 400, "SerializationException")


@pytest.mark.parametrize(
    "operation, body",
    [
        ("GetParameter", {"Name": 123}),
        ("GetParameter", {"Name": "/a", "WithDecryption": "yes"}),
        ("GetParameters", {"Names": "/a"}),
        ("GetParametersByPath", {"Path": "/a", "MaxResults": "10"}),
        ("PutParameter", {"Name": "/a", "Value": {"nested": 1}}),
        ("DescribeParameters", {"ParameterFilters": [{"Key": ["Name"]}]}),
    ],
)
def test_wrong_json_types_are_serialization_exception(emulator, operation, body):
    assert_error(raw_call(emulator.url, operation, body), 400, "SerializationException")


def test_empty_body_means_no_arguments(ssm, emulator):
    resp = raw_call(emulator.url, "DescribeParameters", b"")
    assert resp.status == 200 and resp.json == {"Parameters": []}


@pytest.mark.parametrize("target", [None, "AmazonSSM.NoSuchOperation", "AmazonEC2.DescribeInstances"])
def test_unknown_target(emulator, target):
    headers = {} if target is None else {"X-Amz-Target": target}
    resp = raw_call(emulator.url, None, {}, headers=headers)
    assert_error(resp, 400, "UnknownOperationException")


def test_body_parsed_whatever_the_content_type(emulator):
    for content_type in ("application/json", "text/plain", "application/octet-stream"):
        resp = raw_call(
            emulator.url, "DescribeParameters", {}, headers={"Content-Type": content_type}
        )
        assert resp.status == 200, resp.body


def test_validation_message_in_aws_format(emulator):
    resp = raw_call(emulator.url, "GetParameter", {"Name": "x" * 2049})
    assert_error(
        resp,
        400,
        "ValidationException",
        f"1 validation error detected: Value '{'x' * 2049}' at 'name' failed to satisfy "
        "constraint: Member must have length less than or equal to 2048",
    )


def test_missing_required_member(emulator):
    resp = raw_call(emulator.url, "GetParameter", {})
    assert_error(
        resp,
        400,
        "ValidationException",
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_several_violations_are_counted_and_joined(emulator):
    resp = raw_call(
        emulator.url, "PutParameter", {"Name": "/a", "Value": "v", "Type": "Strin", "Tier": "Gold"}
    )
    body = assert_error(resp, 400, "ValidationException")
    assert body["message"].startswith("2 validation errors detected: ")
    assert (
        "Value 'Strin' at 'type' failed to satisfy constraint: Member must satisfy enum value set: "
        "[String, StringList, SecureString]" in body["message"]
    )
    assert "; " in body["message"]


def test_sensitive_value_is_left_out_of_the_message(emulator):
    resp = raw_call(
        emulator.url,
        "PutParameter",
        {"Name": "/a", "Value": "secret-value", "Type": "String", "Tier": "Gold"},
    )
    body = assert_error(resp, 400, "ValidationException")
    assert "secret-value" not in body["message"]


def test_oversize_and_hostile_inputs_never_500(emulator):
    cases = [
        ("PutParameter", {"Name": "/big", "Value": "v" * (1024 * 1024), "Type": "String"}),
        ("GetParameters", {"Names": ["/n"] * 1000}),
        ("DescribeParameters", {"MaxResults": 10**30}),
        ("DescribeParameters", {"NextToken": "%%%not-a-token%%%"}),
        ("GetParametersByPath", {"Path": "/" * 5000}),
        ("PutParameter", {"Name": "/a\u0000b", "Value": "v", "Type": "String"}),
        ("GetParameter", {"Name": "\ud800"}),
        ("DescribeParameters", {"ParameterFilters": [None]}),
        ("DescribeParameters", {"Filters": [{"Key": "Name", "Values": [None]}]}),
    ]
    for operation, body in cases:
        resp = raw_call(emulator.url, operation, body)
        assert 400 <= resp.status < 500, (operation, resp.status, resp.body[:300])
        assert "__type" in resp.json
    # and the server keeps serving
    assert raw_call(emulator.url, "DescribeParameters", {}).status == 200


def test_modeled_error_maps_to_boto3_exception(ssm):
    with pytest.raises(ssm.exceptions.ParameterNotFound) as err:
        ssm.get_parameter(Name="/does/not/exist")
    assert err.value.response["Error"]["Code"] == "ParameterNotFound"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_error_body_is_plain_json(emulator):
    resp = raw_call(emulator.url, "GetParameter", {"Name": "/nope"})
    body = assert_error(resp, 400, "ParameterNotFound")
    assert set(body) <= {"__type", "message"}
    json.dumps(body)


def test_client_error_not_retried_as_server_fault(ssm):
    # a 400 must not look like a transient failure to botocore's retry logic
    with pytest.raises(ClientError) as err:
        ssm.get_parameter(Name="/nope")
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 0
