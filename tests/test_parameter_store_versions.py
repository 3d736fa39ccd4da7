"""Versions, history, labels and selectors (`name:version`, `name:label`)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import make_client
from test_parameter_store import error_of


@pytest.fixture
def three_versions(ssm):
    for i in (1, 2, 3):
        ssm.put_parameter(Name="/v/p", Value=f"value-{i}", Type="String", Overwrite=i > 1)
    return ssm


def test_version_selector(three_versions):
    p = three_versions.get_parameter(Name="/v/p:2")["Parameter"]
    assert (p["Name"], p["Value"], p["Version"], p["Selector"]) == ("/v/p", "value-2", 2, ":2")
    code, message = error_of(three_versions.get_parameter, Name="/v/p:9")
    assert code == "ParameterVersionNotFound"
    assert message == "Systems Manager could not find version 9 of /v/p. Verify the version and try again."


def test_label_selector_and_moving_labels(three_versions):
    ssm = three_versions
    out = ssm.label_parameter_version(Name="/v/p", ParameterVersion=1, Labels=["prod"])
    assert out["ParameterVersion"] == 1 and out["InvalidLabels"] == []
    p = ssm.get_parameter(Name="/v/p:prod")["Parameter"]
    assert (p["Value"], p["Version"], p["Selector"]) == ("value-1", 1, ":prod")
    # a label moves: attaching it to version 3 detaches it from version 1
    ssm.label_parameter_version(Name="/v/p", ParameterVersion=3, Labels=["prod"])
    assert ssm.get_parameter(Name="/v/p:prod")["Parameter"]["Version"] == 3
    history = {h["Version"]: h["Labels"] for h in ssm.get_parameter_history(Name="/v/p")["Parameters"]}
    assert history == {1: [], 2: [], 3: ["prod"]}
    assert error_of(ssm.get_parameter, Name="/v/p:staging")[0] == "ParameterNotFound"


def test_label_defaults_to_latest_version(three_versions):
    assert three_versions.label_parameter_version(Name="/v/p", Labels=["latest-one"])["ParameterVersion"] == 3


def test_invalid_labels_are_reported_not_raised(three_versions):
    out = three_versions.label_parameter_version(
        Name="/v/p", ParameterVersion=2, Labels=["ok_label", "1starts-with-digit", "awsLabel", "SSMlabel", "bad label", "a:b"]
    )
    assert out["InvalidLabels"] == ["1starts-with-digit", "awsLabel", "SSMlabel", "bad label", "a:b"]
    history = {h["Version"]: h["Labels"] for h in three_versions.get_parameter_history(Name="/v/p")["Parameters"]}
    assert history[2] == ["ok_label"]


def test_ten_labels_per_version(three_versions):
    ssm = three_versions
    ssm.label_parameter_version(Name="/v/p", ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    code, message = error_of(ssm.label_parameter_version, Name="/v/p", ParameterVersion=1, Labels=["eleventh"])
    assert code == "ParameterVersionLabelLimitExceeded"
    assert message == "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again."
    # re-attaching labels it already has is not more labels
    ssm.label_parameter_version(Name="/v/p", ParameterVersion=1, Labels=["l0", "l1"])


def test_label_errors(three_versions):
    ssm = three_versions
    assert error_of(ssm.label_parameter_version, Name="/v/nope", Labels=["x"])[0] == "ParameterNotFound"
    code, message = error_of(ssm.label_parameter_version, Name="/v/p", ParameterVersion=7, Labels=["x"])
    assert (code, message) == ("ParameterVersionNotFound", "Systems Manager could not find version 7 of /v/p. Verify the version and try again.")


def test_unlabel(three_versions):
    ssm = three_versions
    ssm.label_parameter_version(Name="/v/p", ParameterVersion=2, Labels=["a", "b"])
    out = ssm.unlabel_parameter_version(Name="/v/p", ParameterVersion=2, Labels=["a", "zzz"])
    assert out["RemovedLabels"] == ["a"] and out["InvalidLabels"] == ["zzz"]
    assert error_of(ssm.get_parameter, Name="/v/p:a")[0] == "ParameterNotFound"
    assert ssm.get_parameter(Name="/v/p:b")["Parameter"]["Version"] == 2
    assert error_of(ssm.unlabel_parameter_version, Name="/v/p", ParameterVersion=5, Labels=["b"])[0] == "ParameterVersionNotFound"


def test_get_parameters_with_selectors(three_versions):
    ssm = three_versions
    ssm.label_parameter_version(Name="/v/p", ParameterVersion=1, Labels=["old"])
    out = ssm.get_parameters(Names=["/v/p:old", "/v/p:2", "/v/p", "/v/p:8", "/v/p:nolabel"])
    assert [(p["Value"], p.get("Selector")) for p in out["Parameters"]] == [
        ("value-1", ":old"), ("value-2", ":2"), ("value-3", None)
    ]
    assert out["InvalidParameters"] == ["/v/p:8", "/v/p:nolabel"]


def test_history_fields_and_pages(ssm):
    for i in range(1, 8):
        ssm.put_parameter(Name="/h", Value=f"v{i}", Type="String", Overwrite=i > 1, Description=f"d{i}")
    first = ssm.get_parameter_history(Name="/h", MaxResults=3)
    entry = first["Parameters"][0]
    assert (entry["Version"], entry["Value"], entry["Description"], entry["Tier"], entry["DataType"]) == (1, "v1", "d1", "Standard", "text")
    assert entry["LastModifiedUser"] == "arn:aws:iam::123456789012:root" and entry["Labels"] == [] and entry["Policies"] == []
    pages = list(ssm.get_paginator("get_parameter_history").paginate(Name="/h", PaginationConfig={"PageSize": 3}))
    assert [[p["Version"] for p in page["Parameters"]] for page in pages] == [[1, 2, 3], [4, 5, 6], [7]]
    assert error_of(ssm.get_parameter_history, Name="/missing")[0] == "ParameterNotFound"


def test_history_by_arn(ssm):
    ssm.put_parameter(Name="/ha", Value="v", Type="String")
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/ha"
    assert ssm.get_parameter_history(Name=arn)["Parameters"][0]["Value"] == "v"


def test_hundred_versions_are_kept(ssm):
    for i in range(1, 101):
        ssm.put_parameter(Name="/hundred", Value=f"v{i}", Type="String", Overwrite=i > 1)
    ssm.put_parameter(Name="/hundred", Value="v101", Type="String", Overwrite=True)
    versions = [p["Version"] for page in ssm.get_paginator("get_parameter_history").paginate(Name="/hundred") for p in page["Parameters"]]
    assert versions == list(range(2, 102))
    assert error_of(ssm.get_parameter, Name="/hundred:1")[0] == "ParameterVersionNotFound"
    # a label on the oldest version stops it from being dropped
    ssm.label_parameter_version(Name="/hundred", ParameterVersion=2, Labels=["keep"])
    code, message = error_of(ssm.put_parameter, Name="/hundred", Value="v102", Type="String", Overwrite=True)
    assert code == "ParameterMaxVersionLimitExceeded"
    assert message == (
        "You attempted to create a new version of /hundred by calling the PutParameter API with the overwrite flag. "
        "Version 2, the oldest version, can't be deleted because it has a label associated with it. Move the label "
        "to another version of the parameter, and try again."
    )
    ssm.label_parameter_version(Name="/hundred", ParameterVersion=101, Labels=["keep"])
    assert ssm.put_parameter(Name="/hundred", Value="v102", Type="String", Overwrite=True)["Version"] == 102


def test_concurrent_overwrites_each_get_their_own_version(ssm, emulator):
    """Eight clients overwriting one parameter at once: every answer names a distinct version, the versions run
    without a gap, and the history holds each one with the value its writer sent."""
    ssm.put_parameter(Name="/race/p", Value="initial", Type="String")

    def overwrite(writer: int) -> list[tuple[int, str]]:
        client = make_client(emulator.url)
        answered = []
        for i in range(12):
            value = f"{writer}-{i}"
            answered.append((client.put_parameter(Name="/race/p", Value=value, Overwrite=True)["Version"], value))
        return answered

    with ThreadPoolExecutor(8) as pool:
        answered = [pair for writes in pool.map(overwrite, range(8)) for pair in writes]
    versions = sorted(version for version, _ in answered)
    assert versions == list(range(2, 2 + 8 * 12))  # 97 versions: under the 100-version history limit
    history = {
        entry["Version"]: entry["Value"]
        for page in ssm.get_paginator("get_parameter_history").paginate(Name="/race/p")
        for entry in page["Parameters"]
    }
    assert history == {1: "initial", **dict(answered)}
    assert ssm.get_parameter(Name="/race/p")["Parameter"]["Version"] == 97
