"""Parameter Store: PutParameter/GetParameter(s)/DeleteParameter(s), names, types, tiers, data types."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from wire import raw_call

from conftest import make_client

INVALID_NAME = (
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can "
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_"
)


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err["Code"], err["Message"]


def test_put_then_get_returns_aws_fields(ssm):
    put = ssm.put_parameter(Name="/app/db/host", Value="db.internal", Type="String", Description="the host")
    assert (put["Version"], put["Tier"]) == (1, "Standard")
    p = ssm.get_parameter(Name="/app/db/host")["Parameter"]
    assert p["Name"] == "/app/db/host"
    assert p["Type"] == "String"
    assert p["Value"] == "db.internal"
    assert p["Version"] == 1
    assert p["DataType"] == "text"
    assert p["ARN"] == "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host"
    assert "Selector" not in p and "SourceResult" not in p
    assert p["LastModifiedDate"].year >= 2024


def test_name_without_slash_and_with_slash_are_one_parameter(ssm):
    ssm.put_parameter(Name="plain", Value="v", Type="String")
    assert ssm.get_parameter(Name="/plain")["Parameter"]["Name"] == "plain"
    assert ssm.get_parameter(Name="plain")["Parameter"]["ARN"].endswith(":parameter/plain")
    assert error_of(ssm.put_parameter, Name="/plain", Value="w", Type="String")[0] == "ParameterAlreadyExists"


def test_get_by_arn(ssm):
    ssm.put_parameter(Name="/by/arn", Value="v", Type="String")
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/by/arn"
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "v"
    assert ssm.get_parameters(Names=[arn])["Parameters"][0]["Name"] == "/by/arn"
    # an ARN of another account or region is not this account's parameter
    other = "arn:aws:ssm:us-east-1:999999999999:parameter/by/arn"
    assert error_of(ssm.get_parameter, Name=other)[0] == "ParameterNotFound"


def test_missing_parameter(ssm):
    code, message = error_of(ssm.get_parameter, Name="/nope")
    assert (code, message) == ("ParameterNotFound", "")
    assert error_of(ssm.delete_parameter, Name="/nope")[0] == "ParameterNotFound"


def test_already_exists_without_overwrite(ssm):
    ssm.put_parameter(Name="/dup", Value="a", Type="String")
    code, message = error_of(ssm.put_parameter, Name="/dup", Value="b", Type="String")
    assert code == "ParameterAlreadyExists"
    assert message == "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
    assert ssm.get_parameter(Name="/dup")["Parameter"]["Value"] == "a"


def test_overwrite_keeps_type_description_and_pattern(ssm):
    ssm.put_parameter(Name="/ow", Value="1", Type="StringList", Description="d", AllowedPattern="^[0-9,]+$")
    put = ssm.put_parameter(Name="/ow", Value="1,2", Overwrite=True)
    assert put["Version"] == 2
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/ow"]}])["Parameters"][0]
    assert (meta["Type"], meta["Description"], meta["AllowedPattern"], meta["Version"]) == ("StringList", "d", "^[0-9,]+$", 2)
    # the kept AllowedPattern still applies
    code, message = error_of(ssm.put_parameter, Name="/ow", Value="x", Overwrite=True)
    assert code == "ParameterPatternMismatchException"
    assert message == "Parameter value, cannot be validated against allowedPattern: ^[0-9,]+$"


def test_overwrite_may_change_type(ssm):
    ssm.put_parameter(Name="/retype", Value="v", Type="String")
    ssm.put_parameter(Name="/retype", Value="v2", Type="SecureString", Overwrite=True)
    p = ssm.get_parameter(Name="/retype", WithDecryption=True)["Parameter"]
    assert (p["Type"], p["Value"], p["Version"]) == ("SecureString", "v2", 2)


def test_type_required_on_create(ssm):
    code, message = error_of(ssm.put_parameter, Name="/untyped", Value="v")
    assert (code, message) == ("ValidationException", "A parameter type is required when you create a parameter.")


def test_empty_value_is_rejected(emulator, ssm):
    resp = raw_call(emulator.url, "PutParameter", {"Name": "/empty", "Value": "", "Type": "String"})
    assert resp.status == 400
    assert resp.json["__type"] == "ValidationException"
    assert resp.json["message"] == (
        "1 validation error detected: Value at 'value' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_tags_and_overwrite_together(ssm):
    code, message = error_of(
        ssm.put_parameter, Name="/t", Value="v", Type="String", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}]
    )
    assert code == "ValidationException"
    assert message.startswith("Invalid request: tags and overwrite can't be used together.")


def test_last_modified_user_is_the_caller(client_factory):
    ssm = client_factory(access_key="444455556666")
    ssm.put_parameter(Name="/who", Value="v", Type="String")
    meta = ssm.describe_parameters()["Parameters"][0]
    assert meta["LastModifiedUser"] == "arn:aws:iam::444455556666:root"


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["/ssm/x", "ssmthing", "/SSM-x", "/has space/x", "/a/b@c", "/a//b", "/a/b/"])
def test_invalid_names(ssm, name):
    assert error_of(ssm.put_parameter, Name=name, Value="v", Type="String") == ("ValidationException", INVALID_NAME)


@pytest.mark.parametrize("name", ["/aws/mine", "/AWS/mine", "/awsome/x", "awslimitschecker"])
def test_aws_prefix_is_reserved(ssm, name):
    code, message = error_of(ssm.put_parameter, Name=name, Value="v", Type="String")
    assert code == "AccessDeniedException"
    assert message == f"No access to reserved parameter name: {name.lstrip('/')}."


def test_slash_names_must_be_fully_qualified(ssm):
    code, message = error_of(ssm.put_parameter, Name="a/b", Value="v", Type="String")
    assert (code, message) == ("ValidationException", "Parameter name must be a fully qualified name.")


def test_spaces_around_a_name_are_dropped(ssm):
    ssm.put_parameter(Name="  /spaced  ", Value="v", Type="String")
    assert ssm.get_parameter(Name="/spaced")["Parameter"]["Name"] == "/spaced"


def test_hierarchy_depth_limit(ssm):
    fifteen = "/" + "/".join(f"l{i}" for i in range(15))
    ssm.put_parameter(Name=fifteen, Value="v", Type="String")
    code, message = error_of(ssm.put_parameter, Name=fifteen + "/x", Value="v", Type="String")
    assert code == "HierarchyLevelLimitExceededException"
    assert message.startswith("A hierarchy can have a maximum of 15 levels.")


def test_name_length_counts_the_arn_prefix(ssm):
    prefix = len("arn:aws:ssm:us-east-1:123456789012:parameter")
    longest = "/" + "n" * (1011 - prefix - 1)
    ssm.put_parameter(Name=longest, Value="v", Type="String")
    code, _ = error_of(ssm.put_parameter, Name=longest + "n", Value="v", Type="String")
    assert code == "ValidationException"


def test_read_with_invalid_name_is_validation_error(ssm):
    assert error_of(ssm.get_parameter, Name="{bad}-name") == ("ValidationException", INVALID_NAME)


# --- GetParameters / DeleteParameters ------------------------------------------------------------


def test_get_parameters_reports_invalid_names(ssm):
    ssm.put_parameter(Name="/gp/a", Value="a", Type="String")
    ssm.put_parameter(Name="/gp/b", Value="b", Type="StringList")
    out = ssm.get_parameters(Names=["/gp/b", "/gp/missing", "/gp/a", "/gp/a"])
    assert [p["Name"] for p in out["Parameters"]] == ["/gp/b", "/gp/a"]
    assert out["InvalidParameters"] == ["/gp/missing"]


def test_get_parameters_at_most_ten(emulator, ssm):
    names = [f"/n{i}" for i in range(11)]
    resp = raw_call(emulator.url, "GetParameters", {"Names": names})
    assert resp.status == 400 and resp.json["__type"] == "ValidationException"
    assert "Member must have length less than or equal to 10" in resp.json["message"]


def test_delete_parameter_and_parameters(ssm):
    for n in ("/d/1", "/d/2", "/d/3"):
        ssm.put_parameter(Name=n, Value="v", Type="String")
    ssm.delete_parameter(Name="/d/1")
    assert error_of(ssm.get_parameter, Name="/d/1")[0] == "ParameterNotFound"
    out = ssm.delete_parameters(Names=["/d/2", "/d/nope", "d/3x", "/d/3"])
    assert out["DeletedParameters"] == ["/d/2", "/d/3"]
    assert out["InvalidParameters"] == ["/d/nope", "d/3x"]
    assert ssm.describe_parameters()["Parameters"] == []


def test_deleted_name_can_be_created_again_from_version_1(ssm):
    ssm.put_parameter(Name="/again", Value="1", Type="String")
    ssm.put_parameter(Name="/again", Value="2", Type="String", Overwrite=True)
    ssm.delete_parameter(Name="/again")
    assert ssm.put_parameter(Name="/again", Value="3", Type="String")["Version"] == 1


# --- tiers -----------------------------------------------------------------------------------------


def test_standard_value_limit(ssm):
    ssm.put_parameter(Name="/tier/ok", Value="x" * 4096, Type="String")
    code, message = error_of(ssm.put_parameter, Name="/tier/big", Value="x" * 4097, Type="String")
    assert code == "ValidationException"
    assert message.startswith("Standard tier parameters support a maximum parameter value of 4096 characters.")


def test_advanced_value_limit(ssm):
    assert ssm.put_parameter(Name="/tier/adv", Value="x" * 8192, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    code, message = error_of(ssm.put_parameter, Name="/tier/adv2", Value="x" * 8193, Type="String", Tier="Advanced")
    assert code == "ValidationException"
    assert "Advanced-tier parameters support a maximum parameter value of 8192 characters." in message


def test_intelligent_tiering_picks_the_tier(ssm):
    small = ssm.put_parameter(Name="/it/small", Value="x", Type="String", Tier="Intelligent-Tiering")
    big = ssm.put_parameter(Name="/it/big", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")
    assert (small["Tier"], big["Tier"]) == ("Standard", "Advanced")
    tiers = {p["Name"]: p["Tier"] for p in ssm.describe_parameters()["Parameters"]}
    assert tiers == {"/it/small": "Standard", "/it/big": "Advanced"}


def test_no_downgrade_from_advanced(ssm):
    ssm.put_parameter(Name="/adv", Value="v", Type="String", Tier="Advanced")
    code, message = error_of(ssm.put_parameter, Name="/adv", Value="v2", Overwrite=True, Tier="Standard")
    assert code == "ValidationException"
    assert "You can't downgrade a parameter from the advanced-parameter tier" in message
    # without a tier an advanced parameter stays advanced
    assert ssm.put_parameter(Name="/adv", Value="v3", Overwrite=True)["Tier"] == "Advanced"


def test_upgrade_standard_to_advanced(ssm):
    ssm.put_parameter(Name="/up", Value="v", Type="String")
    assert ssm.put_parameter(Name="/up", Value="v" * 5000, Overwrite=True, Tier="Advanced")["Tier"] == "Advanced"


def put_many(url: str, names: list[str], threads: int = 8) -> None:
    """PutParameter for many names over kept-alive connections (boto3 costs ~1 ms per call)."""
    import http.client
    import json
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlparse

    target = urlparse(url)

    def worker(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {"X-Amz-Target": "AmazonSSM.PutParameter", "Content-Type": "application/x-amz-json-1.1"}
        for name in chunk:
            conn.request("POST", "/", json.dumps({"Name": name, "Value": "v", "Type": "String"}), headers)
            resp = conn.getresponse()
            assert resp.status == 200, resp.read()
            resp.read()
        conn.close()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, [names[i::threads] for i in range(threads)]))


def test_standard_parameter_limit(start_emulator):
    """10,000 standard parameters per account and region; Intelligent-Tiering then goes advanced."""
    server = start_emulator("--ephemeral")
    put_many(server.url, [f"/many/p{i}" for i in range(10_000)])
    ssm = make_client(server.url)
    code, message = error_of(ssm.put_parameter, Name="/many/one-more", Value="v", Type="String")
    assert code == "ParameterLimitExceeded"
    assert message.startswith(
        "You have reached the maximum number of standard parameters for this AWS account and Region (10000)."
    )
    auto = ssm.put_parameter(Name="/many/auto", Value="v", Type="String", Tier="Intelligent-Tiering")
    assert auto["Tier"] == "Advanced"
    # other regions have their own limit
    west = make_client(server.url, region="eu-west-1")
    assert west.put_parameter(Name="/x", Value="v", Type="String")["Tier"] == "Standard"
    # deleting one frees a place
    ssm.delete_parameter(Name="/many/p0")
    assert ssm.put_parameter(Name="/many/one-more", Value="v", Type="String")["Tier"] == "Standard"


# --- AllowedPattern, data types, KeyId -------------------------------------------------------


def test_allowed_pattern(ssm):
    ssm.put_parameter(Name="/num", Value="42", Type="String", AllowedPattern=r"^\d+$")
    code, message = error_of(ssm.put_parameter, Name="/num2", Value="4x", Type="String", AllowedPattern=r"^\d+$")
    assert (code, message) == ("ParameterPatternMismatchException", r"Parameter value, cannot be validated against allowedPattern: ^\d+$")
    assert error_of(ssm.put_parameter, Name="/num3", Value="4", Type="String", AllowedPattern="([")[0] == (
        "InvalidAllowedPatternException"
    )


def test_data_type_ec2_image(ssm):
    ssm.put_parameter(Name="/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name="/ami")["Parameter"]["DataType"] == "aws:ec2:image"
    ssm.put_parameter(Name="/ami8", Value="ami-0123abcd", Type="String", DataType="aws:ec2:image")
    for bad in ("ami-xyz", "ami-0000000000000", "i-0123456789abcdef0"):
        assert error_of(ssm.put_parameter, Name="/ami-bad", Value=bad, Type="String", DataType="aws:ec2:image")[0] == (
            "ValidationException"
        )


def test_unsupported_data_type(ssm):
    code, message = error_of(ssm.put_parameter, Name="/dt", Value="v", Type="String", DataType="Text")
    assert (code, message) == (
        "ValidationException",
        "The following data type is not supported: Text (Data type names are all lowercase.)",
    )


def test_data_type_changes_except_to_or_from_aws_types(ssm):
    # "You can change an existing parameter from one data type to another, such as from text to integer or from
    # integer to float. The exceptions are aws:ec2:image and aws:ssm:integration." (User Guide, data types)
    ssm.put_parameter(Name="/dtc", Value="ami-0123abcd", Type="String", DataType="aws:ec2:image")
    assert ssm.put_parameter(Name="/dtc", Value="ami-0123abce", Overwrite=True)["Version"] == 2
    assert error_of(ssm.put_parameter, Name="/dtc", Value="x", Overwrite=True, DataType="text")[0] == (
        "HierarchyTypeMismatchException"
    )
    ssm.put_parameter(Name="/dtn", Value="443", Type="String")
    assert error_of(ssm.put_parameter, Name="/dtn", Value="ami-0123abcd", Overwrite=True, DataType="aws:ec2:image")[
        0
    ] == "HierarchyTypeMismatchException"
    ssm.put_parameter(Name="/dtn", Value="443", Overwrite=True, DataType="integer")
    ssm.put_parameter(Name="/dtn", Value="4.5", Overwrite=True, DataType="float")
    assert ssm.get_parameter(Name="/dtn")["Parameter"]["DataType"] == "float"
    assert ssm.put_parameter(Name="/dtn", Value="any text", Overwrite=True, DataType="text")["Version"] == 4


def test_string_list_items_are_validated_one_by_one(ssm):
    # "For a StringList parameter, Parameter Store validates each item in the list. If any item is invalid, the
    # whole request fails." (User Guide, data types)
    ssm.put_parameter(Name="/ports", Value="80,443", Type="StringList", DataType="integer")
    assert ssm.get_parameter(Name="/ports")["Parameter"]["Value"] == "80,443"
    assert error_of(ssm.put_parameter, Name="/ports", Value="80,https", Overwrite=True)[0] == "ValidationException"
    assert ssm.get_parameter(Name="/ports")["Parameter"]["Version"] == 1


def test_data_type_ssm_integration(ssm):
    prefix = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/"
    value = '{"description": "hook", "url": "https://example.com/hook"}'
    ssm.put_parameter(Name=prefix + "hook", Value=value, Type="SecureString", DataType="aws:ssm:integration")
    assert ssm.get_parameter(Name=prefix + "hook", WithDecryption=True)["Parameter"]["Value"] == value
    assert error_of(ssm.put_parameter, Name=prefix + "plain", Value=value, Type="String", DataType="aws:ssm:integration")[0] == (
        "ValidationException"
    )
    assert error_of(ssm.put_parameter, Name="/elsewhere", Value=value, Type="SecureString", DataType="aws:ssm:integration")[0] == (
        "ValidationException"
    )


def test_key_id_only_for_secure_string(ssm):
    code, message = error_of(ssm.put_parameter, Name="/k", Value="v", Type="String", KeyId="alias/mine")
    assert (code, message) == ("ValidationException", "KeyId is required for SecureString type parameter only.")


# --- isolation ---------------------------------------------------------------------------------


def test_accounts_and_regions_are_isolated(client_factory):
    east = client_factory()
    west = client_factory(region="eu-west-1")
    other = client_factory(access_key="210987654321")
    east.put_parameter(Name="/iso/p", Value="east", Type="String")
    west.put_parameter(Name="/iso/p", Value="west", Type="String")
    assert east.get_parameter(Name="/iso/p")["Parameter"]["Value"] == "east"
    assert west.get_parameter(Name="/iso/p")["Parameter"]["Value"] == "west"
    assert west.get_parameter(Name="/iso/p")["Parameter"]["ARN"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/iso/p"
    assert error_of(other.get_parameter, Name="/iso/p")[0] == "ParameterNotFound"
    assert other.get_parameters_by_path(Path="/iso")["Parameters"] == []
    assert other.describe_parameters()["Parameters"] == []
    other.put_parameter(Name="/iso/p", Value="other", Type="String")
    assert other.get_parameter(Name="/iso/p")["Parameter"]["ARN"] == "arn:aws:ssm:us-east-1:210987654321:parameter/iso/p"
    assert east.get_parameter(Name="/iso/p")["Parameter"]["Value"] == "east"
