"""GetParametersByPath and DescribeParameters: hierarchy, filters with AWS's errors, pagination."""
from __future__ import annotations

import pytest
from wire import raw_call

from test_parameter_store import error_of

TREE = ["/app/a", "/app/b", "/app/db/host", "/app/db/port", "/app/db/secret/key", "/apple", "/other/x", "top"]


@pytest.fixture
def tree(ssm):
    for name in TREE:
        kind = "SecureString" if name.endswith("key") else "String"
        ssm.put_parameter(Name=name, Value=f"value of {name}", Type=kind)
    return ssm


def names_of(params) -> list[str]:
    return [p["Name"] for p in params]


# --- GetParametersByPath -------------------------------------------------------------------------


def test_by_path_one_level(tree):
    assert names_of(tree.get_parameters_by_path(Path="/app")["Parameters"]) == ["/app/a", "/app/b"]
    assert names_of(tree.get_parameters_by_path(Path="/app/")["Parameters"]) == ["/app/a", "/app/b"]
    assert names_of(tree.get_parameters_by_path(Path="/")["Parameters"]) == ["/apple", "top"]


def test_by_path_recursive(tree):
    got = names_of(tree.get_parameters_by_path(Path="/app", Recursive=True)["Parameters"])
    assert got == ["/app/a", "/app/b", "/app/db/host", "/app/db/port", "/app/db/secret/key"]
    assert "/apple" not in got
    everything = names_of(tree.get_parameters_by_path(Path="/", Recursive=True, MaxResults=10)["Parameters"])
    assert sorted(everything) == sorted(TREE)


def test_by_path_with_decryption(tree):
    enc = tree.get_parameters_by_path(Path="/app/db/secret")["Parameters"][0]["Value"]
    dec = tree.get_parameters_by_path(Path="/app/db/secret", WithDecryption=True)["Parameters"][0]["Value"]
    assert dec == "value of /app/db/secret/key" and enc != dec


def test_by_path_type_filter(tree):
    got = tree.get_parameters_by_path(
        Path="/app", Recursive=True, ParameterFilters=[{"Key": "Type", "Option": "Equals", "Values": ["SecureString"]}]
    )
    assert names_of(got["Parameters"]) == ["/app/db/secret/key"]


@pytest.mark.parametrize("key", ["Name", "Path", "Tier", "DataType", "tag:env"])
def test_by_path_rejects_describe_only_keys(tree, key):
    code, message = error_of(
        tree.get_parameters_by_path, Path="/app", ParameterFilters=[{"Key": key, "Values": ["x"]}]
    )
    assert code == "InvalidFilterKey"
    assert message == f"The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId]."


def test_by_path_label_filter_only_equals(tree):
    code, message = error_of(
        tree.get_parameters_by_path, Path="/app", ParameterFilters=[{"Key": "Label", "Option": "BeginsWith", "Values": ["x"]}]
    )
    assert (code, message) == ("InvalidFilterOption", "The following filter option is not valid: BeginsWith. Valid options include: [Equals].")


def test_by_path_label_filter_answers_the_labelled_version(ssm):
    ssm.put_parameter(Name="/lab/a", Value="a1", Type="String")
    ssm.put_parameter(Name="/lab/a", Value="a2", Type="String", Overwrite=True)
    ssm.put_parameter(Name="/lab/b", Value="b1", Type="String")
    ssm.label_parameter_version(Name="/lab/a", ParameterVersion=1, Labels=["prod"])
    got = ssm.get_parameters_by_path(Path="/lab", ParameterFilters=[{"Key": "Label", "Option": "Equals", "Values": ["prod"]}])
    assert [(p["Name"], p["Value"], p["Version"]) for p in got["Parameters"]] == [("/lab/a", "a1", 1)]


def test_by_path_invalid_path(ssm):
    code, message = error_of(ssm.get_parameters_by_path, Path="no-slash")
    assert code == "ValidationException"
    assert message.startswith("The parameter doesn't meet the parameter name requirements.")
    assert 'It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive).' in message


def test_by_path_pages_with_next_token(ssm):
    names = [f"/page/p{i:02d}" for i in range(23)]
    for n in names:
        ssm.put_parameter(Name=n, Value="v", Type="String")
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"Path": "/page", "MaxResults": 10}
        if token:
            kwargs["NextToken"] = token
        out = ssm.get_parameters_by_path(**kwargs)
        seen += names_of(out["Parameters"])
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
    assert seen == names and pages == 3


def test_by_path_page_survives_writes_in_between(ssm):
    for i in range(6):
        ssm.put_parameter(Name=f"/kp/p{i}", Value="v", Type="String")
    first = ssm.get_parameters_by_path(Path="/kp", MaxResults=3)
    assert names_of(first["Parameters"]) == ["/kp/p0", "/kp/p1", "/kp/p2"]
    ssm.delete_parameter(Name="/kp/p1")  # an offset would now skip /kp/p3
    rest = ssm.get_parameters_by_path(Path="/kp", MaxResults=3, NextToken=first["NextToken"])
    assert names_of(rest["Parameters"]) == ["/kp/p3", "/kp/p4", "/kp/p5"]


def test_by_path_paginator(ssm):
    for i in range(25):
        ssm.put_parameter(Name=f"/pg/x{i:02d}", Value="v", Type="String")
    pages = list(ssm.get_paginator("get_parameters_by_path").paginate(Path="/pg", PaginationConfig={"PageSize": 10}))
    assert [len(p["Parameters"]) for p in pages] == [10, 10, 5]
    assert [p["Name"] for page in pages for p in page["Parameters"]] == [f"/pg/x{i:02d}" for i in range(25)]


def test_by_path_max_results_range(emulator, ssm):
    resp = raw_call(emulator.url, "GetParametersByPath", {"Path": "/", "MaxResults": 11})
    assert resp.status == 400 and resp.json["__type"] == "ValidationException"


def test_invalid_next_token(ssm):
    assert error_of(ssm.get_parameters_by_path, Path="/x", NextToken="garbage!")[0] == "InvalidNextToken"
    assert error_of(ssm.describe_parameters, NextToken="bm90IG91cnM")[0] == "InvalidNextToken"
    # a token of one listing is not a token of another
    for i in range(3):
        ssm.put_parameter(Name=f"/tok/p{i}", Value="v", Type="String")
    token = ssm.describe_parameters(MaxResults=1)["NextToken"]
    assert error_of(ssm.get_parameter_history, Name="/tok/p0", NextToken=token)[0] == "InvalidNextToken"


# --- DescribeParameters ----------------------------------------------------------------------


def test_describe_lists_metadata(tree):
    params = tree.describe_parameters()["Parameters"]
    assert sorted(names_of(params)) == sorted(TREE)
    secret = next(p for p in params if p["Name"] == "/app/db/secret/key")
    assert secret["KeyId"] == "alias/aws/ssm" and secret["Type"] == "SecureString"
    assert secret["Policies"] == [] and secret["Tier"] == "Standard" and secret["DataType"] == "text"
    assert "Value" not in secret
    plain = next(p for p in params if p["Name"] == "/app/a")
    assert "KeyId" not in plain and "Description" not in plain


@pytest.mark.parametrize(
    "filters, expected",
    [
        ([{"Key": "Name", "Values": ["/app/a"]}], ["/app/a"]),
        ([{"Key": "Name", "Values": ["top"]}], ["top"]),
        ([{"Key": "Name", "Option": "BeginsWith", "Values": ["/app/d"]}], ["/app/db/host", "/app/db/port", "/app/db/secret/key"]),
        ([{"Key": "Name", "Option": "BeginsWith", "Values": ["/app/a", "/oth"]}], ["/app/a", "/other/x"]),
        ([{"Key": "Name", "Option": "Contains", "Values": ["db/p"]}], ["/app/db/port"]),
        ([{"Key": "Path", "Values": ["/app"]}], ["/app/a", "/app/b"]),
        ([{"Key": "Path", "Option": "OneLevel", "Values": ["/"]}], ["/apple", "top"]),
        ([{"Key": "Path", "Option": "Recursive", "Values": ["/app/db"]}], ["/app/db/host", "/app/db/port", "/app/db/secret/key"]),
        ([{"Key": "Type", "Values": ["SecureString"]}], ["/app/db/secret/key"]),
        ([{"Key": "KeyId", "Values": ["alias/aws/ssm"]}], ["/app/db/secret/key"]),
        ([{"Key": "Tier", "Values": ["Advanced"]}], []),
        ([{"Key": "DataType", "Values": ["text"]}, {"Key": "Path", "Values": ["/other"]}], ["/other/x"]),
        (
            [{"Key": "Path", "Option": "Recursive", "Values": ["/app"]}, {"Key": "Type", "Option": "BeginsWith", "Values": ["Str"]}],
            ["/app/a", "/app/b", "/app/db/host", "/app/db/port"],
        ),
    ],
)
def test_describe_parameter_filters(tree, filters, expected):
    assert names_of(tree.describe_parameters(ParameterFilters=filters)["Parameters"]) == expected


def test_describe_deprecated_filters(tree):
    got = tree.describe_parameters(Filters=[{"Key": "Name", "Values": ["/app/db"]}, {"Key": "Type", "Values": ["String"]}])
    assert names_of(got["Parameters"]) == ["/app/db/host", "/app/db/port"]


@pytest.mark.parametrize(
    "kwargs, code, message",
    [
        (
            {"Filters": [{"Key": "Name", "Values": ["a"]}], "ParameterFilters": [{"Key": "Name", "Values": ["a"]}]},
            "ValidationException",
            "You can use either Filters or ParameterFilters in a single request.",
        ),
        (
            {"ParameterFilters": [{"Key": "Label", "Values": ["a"]}]},
            "InvalidFilterKey",
            "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].",
        ),
        (
            {"ParameterFilters": [{"Key": "Path", "Option": "Equals", "Values": ["/a"]}]},
            "InvalidFilterOption",
            "The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel].",
        ),
        (
            {"ParameterFilters": [{"Key": "Type", "Option": "Contains", "Values": ["String"]}]},
            "InvalidFilterOption",
            "The following filter option is not valid: Contains. Valid options include: [BeginsWith, Equals].",
        ),
        (
            {"ParameterFilters": [{"Key": "Tier", "Values": ["Gold"]}]},
            "InvalidFilterOption",
            "The following filter value is not valid: Gold. Valid values include: [Standard, Advanced, Intelligent-Tiering].",
        ),
        (
            {"ParameterFilters": [{"Key": "Name"}]},
            "InvalidFilterValue",
            "The following filter values are missing : null for filter key Name.",
        ),
        (
            {"ParameterFilters": [{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["String"]}]},
            "InvalidFilterKey",
            "The following filter is duplicated in the request: Type. A request can contain only one occurrence of a specific filter.",
        ),
        (
            {"ParameterFilters": [{"Key": "Path", "Values": ["/aws/service"]}]},
            "ValidationException",
            "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). "
            "When using global parameters, please specify within a global namespace.",
        ),
    ],
)
def test_describe_filter_errors(ssm, kwargs, code, message):
    assert error_of(ssm.describe_parameters, **kwargs) == (code, message)


def test_describe_pages_and_paginator(ssm):
    for i in range(120):
        ssm.put_parameter(Name=f"/d/p{i:03d}", Value="v", Type="String")
    # Without MaxResults AWS answers 10 parameters a page (cloudsploit#147: a scan calling
    # DescribeParameters once saw "only the first 10 SSM parameters per region").
    first = ssm.describe_parameters()
    assert len(first["Parameters"]) == 10 and "NextToken" in first
    pages = list(ssm.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 50}))
    assert [len(p["Parameters"]) for p in pages] == [50, 50, 20]
    assert [p["Name"] for page in pages for p in page["Parameters"]] == [f"/d/p{i:03d}" for i in range(120)]
    filtered = ssm.describe_parameters(
        MaxResults=7, ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/d/p05"]}]
    )
    assert names_of(filtered["Parameters"]) == [f"/d/p05{i}" for i in range(7)]
    more = ssm.describe_parameters(
        MaxResults=7, NextToken=filtered["NextToken"],
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/d/p05"]}],
    )
    assert names_of(more["Parameters"]) == ["/d/p057", "/d/p058", "/d/p059"] and "NextToken" not in more


def test_describe_shared_lists_nothing_shared(tree):
    assert tree.describe_parameters(Shared=True)["Parameters"] == []


def test_describe_max_results_range(emulator, ssm):
    resp = raw_call(emulator.url, "DescribeParameters", {"MaxResults": 51})
    assert resp.status == 400 and resp.json["__type"] == "ValidationException"
