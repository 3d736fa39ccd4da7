"""AddTagsToResource / RemoveTagsFromResource / ListTagsForResource, and tag filters."""
from __future__ import annotations

import pytest

from test_parameter_store import error_of


def tags(ssm, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]}


def test_add_list_remove(ssm):
    ssm.put_parameter(Name="/tg", Value="v", Type="String", Tags=[{"Key": "team", "Value": "a"}])
    assert tags(ssm, "/tg") == {"team": "a"}
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tg", Tags=[{"Key": "team", "Value": "b"}, {"Key": "env", "Value": ""}])
    assert tags(ssm, "/tg") == {"team": "b", "env": ""}
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tg")["TagList"]
    assert [t["Key"] for t in listed] == ["env", "team"]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/tg", TagKeys=["team", "absent"])
    assert tags(ssm, "/tg") == {"env": ""}


def test_resource_id_by_name_forms(ssm):
    ssm.put_parameter(Name="bare", Value="v", Type="String")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="bare", Tags=[{"Key": "k", "Value": "v"}])
    assert tags(ssm, "/bare") == {"k": "v"}


def test_overwrite_keeps_tags_and_delete_drops_them(ssm):
    ssm.put_parameter(Name="/keep", Value="v", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name="/keep", Value="v2", Type="String", Overwrite=True)
    assert tags(ssm, "/keep") == {"k": "v"}
    ssm.delete_parameter(Name="/keep")
    ssm.put_parameter(Name="/keep", Value="v", Type="String")
    assert tags(ssm, "/keep") == {}


def test_unknown_resource(ssm):
    for call, extra in (
        (ssm.add_tags_to_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (ssm.remove_tags_from_resource, {"TagKeys": ["k"]}),
        (ssm.list_tags_for_resource, {}),
    ):
        code, _ = error_of(call, ResourceType="Parameter", ResourceId="/missing", **extra)
        assert code == "InvalidResourceId"
    # resource types whose capability has no such resource
    assert error_of(ssm.list_tags_for_resource, ResourceType="MaintenanceWindow", ResourceId="mw-0123456789abcdef0")[0] == "InvalidResourceId"


def test_fifty_tags_per_resource(ssm):
    ssm.put_parameter(Name="/many-tags", Value="v", Type="String", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/many-tags", Tags=[{"Key": "k0", "Value": "replaced"}])
    code, _ = error_of(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId="/many-tags", Tags=[{"Key": "k50", "Value": "v"}])
    assert code == "TooManyTagsError"
    assert len(tags(ssm, "/many-tags")) == 50
    code, _ = error_of(ssm.put_parameter, Name="/too-many", Value="v", Type="String", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert code == "TooManyTagsError"


def test_tags_are_per_account_and_region(client_factory):
    east, west = client_factory(), client_factory(region="us-west-2")
    east.put_parameter(Name="/regional", Value="v", Type="String", Tags=[{"Key": "where", "Value": "east"}])
    assert error_of(west.list_tags_for_resource, ResourceType="Parameter", ResourceId="/regional")[0] == "InvalidResourceId"
    west.put_parameter(Name="/regional", Value="v", Type="String")
    assert tags(west, "/regional") == {}


@pytest.fixture
def tagged(ssm):
    spec = {
        "/svc/a": {"env": "prod", "team": "red"},
        "/svc/b": {"env": "dev", "team": "red"},
        "/svc/c": {"env": "prod"},
        "/svc/d": {},
        "/other/e": {"env": "production"},
    }
    for name, kv in spec.items():
        kwargs = {"Tags": [{"Key": k, "Value": v} for k, v in kv.items()]} if kv else {}
        ssm.put_parameter(Name=name, Value="v", Type="String", **kwargs)
    return ssm


@pytest.mark.parametrize(
    "filters, expected",
    [
        ([{"Key": "tag:env", "Values": ["prod"]}], ["/svc/a", "/svc/c"]),
        ([{"Key": "tag:env", "Values": ["prod", "dev"]}], ["/svc/a", "/svc/b", "/svc/c"]),
        ([{"Key": "tag:env", "Option": "BeginsWith", "Values": ["prod"]}], ["/other/e", "/svc/a", "/svc/c"]),
        ([{"Key": "tag:team"}], ["/svc/a", "/svc/b"]),
        ([{"Key": "tag:env", "Values": ["prod"]}, {"Key": "tag:team", "Values": ["red"]}], ["/svc/a"]),
        ([{"Key": "tag:env", "Values": ["prod"]}, {"Key": "Path", "Values": ["/svc"]}], ["/svc/a", "/svc/c"]),
        ([{"Key": "tag:nothing", "Values": ["x"]}], []),
    ],
)
def test_describe_tag_filters(tagged, filters, expected):
    assert [p["Name"] for p in tagged.describe_parameters(ParameterFilters=filters)["Parameters"]] == expected


def test_tag_filter_pages(ssm):
    for i in range(12):
        kwargs = {"Tags": [{"Key": "group", "Value": "x"}]} if i % 2 else {}
        ssm.put_parameter(Name=f"/tp/p{i:02d}", Value="v", Type="String", **kwargs)
    pages = list(
        ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "tag:group", "Values": ["x"]}], PaginationConfig={"PageSize": 4}
        )
    )
    assert [[p["Name"] for p in page["Parameters"]] for page in pages] == [
        ["/tp/p01", "/tp/p03", "/tp/p05", "/tp/p07"], ["/tp/p09", "/tp/p11"]
    ]
