"""Public parameters under /aws/service/global-infrastructure/: readable everywhere, writable nowhere."""
from __future__ import annotations

import botocore.session
import pytest

from test_parameter_store import error_of

ROOT = "/aws/service/global-infrastructure"


def test_region_parameters(ssm):
    p = ssm.get_parameter(Name=f"{ROOT}/regions/eu-west-1")["Parameter"]
    assert (p["Value"], p["Type"], p["DataType"], p["Version"]) == ("eu-west-1", "String", "text", 1)
    assert p["ARN"] == f"arn:aws:ssm:us-east-1::parameter{ROOT}/regions/eu-west-1"
    assert ssm.get_parameter(Name=f"{ROOT}/regions/us-east-1/longName")["Parameter"]["Value"] == "US East (N. Virginia)"
    assert ssm.get_parameter(Name=f"{ROOT}/regions/cn-north-1/partition")["Parameter"]["Value"] == "aws-cn"
    assert ssm.get_parameter(Name=f"{ROOT}/regions/cn-north-1/domain")["Parameter"]["Value"] == "amazonaws.com.cn"


def test_regions_match_botocore(ssm):
    expected = set()
    for partition in botocore.session.get_session().get_data("endpoints")["partitions"]:
        expected |= set(partition["regions"])
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{ROOT}/regions")
    listed = {p["Value"] for page in pages for p in page["Parameters"]}
    assert listed == expected


def test_service_parameters(ssm):
    assert ssm.get_parameter(Name=f"{ROOT}/services/ssm")["Parameter"]["Value"] == "ssm"
    long_name = ssm.get_parameter(Name=f"{ROOT}/services/ssm/longName")["Parameter"]["Value"]
    assert "Systems Manager" in long_name
    regions = [
        p["Value"]
        for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{ROOT}/services/ssm/regions")
        for p in page["Parameters"]
    ]
    assert "us-east-1" in regions and "eu-west-1" in regions and regions == sorted(regions)
    in_region = ssm.get_parameters_by_path(Path=f"{ROOT}/regions/eu-west-1/services", MaxResults=10)
    assert len(in_region["Parameters"]) == 10 and "NextToken" in in_region


def test_public_parameters_in_get_parameters(ssm):
    out = ssm.get_parameters(Names=[f"{ROOT}/regions/us-west-2", f"{ROOT}/regions/nowhere-1"])
    assert [p["Value"] for p in out["Parameters"]] == ["us-west-2"]
    assert out["InvalidParameters"] == [f"{ROOT}/regions/nowhere-1"]


def test_recursive_listing_of_a_region(ssm):
    got = ssm.get_parameters_by_path(Path=f"{ROOT}/regions/us-east-1", Recursive=True, MaxResults=10)["Parameters"]
    names = [p["Name"] for p in got]
    assert names[:3] == [f"{ROOT}/regions/us-east-1/domain", f"{ROOT}/regions/us-east-1/longName", f"{ROOT}/regions/us-east-1/partition"]


def test_public_parameters_are_not_in_describe(ssm):
    assert ssm.describe_parameters()["Parameters"] == []


@pytest.mark.parametrize("name", [f"{ROOT}/regions/us-east-1", "/aws/service/mine"])
def test_writes_under_aws_are_denied(ssm, name):
    code, message = error_of(ssm.put_parameter, Name=name, Value="v", Type="String", Overwrite=True)
    assert code == "AccessDeniedException"
    assert message == f"No access to reserved parameter name: {name[1:]}."
    assert error_of(ssm.delete_parameter, Name=name)[0] == "AccessDeniedException"
    assert error_of(ssm.label_parameter_version, Name=f"{ROOT}/regions/us-east-1", Labels=["x"])[0] == "AccessDeniedException"
    assert error_of(ssm.get_parameter, Name="/aws/service/mine")[0] == "ParameterNotFound"


def test_public_history(ssm):
    history = ssm.get_parameter_history(Name=f"{ROOT}/regions/us-east-1")["Parameters"]
    assert [(h["Version"], h["Value"]) for h in history] == [(1, "us-east-1")]


def test_secrets_manager_references_need_decryption(ssm):
    # Reading a Secrets Manager secret through /aws/reference/secretsmanager/ without WithDecryption is refused
    # (sous-chefs/aws#419: "WithDecryption flag must be True for retrieving a Secret Manager secret.").
    name = "/aws/reference/secretsmanager/app/db"
    assert error_of(ssm.get_parameter, Name=name) == (
        "ValidationException", "WithDecryption flag must be True for retrieving a Secret Manager secret."
    )
    # This emulator keeps no Secrets Manager secrets: with decryption, there is none to find.
    assert error_of(ssm.get_parameter, Name=name, WithDecryption=True)[0] == "ParameterNotFound"
