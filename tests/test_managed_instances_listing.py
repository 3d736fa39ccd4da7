"""Listing managed instances: DescribeInstanceInformation (both filter styles, tags, paging, AWS's errors),
DescribeInstanceProperties, ListNodes and ListNodesSummary, over a fleet of two running containers and
seven SSH hosts that do not answer."""
from __future__ import annotations

import pytest

from conftest import make_client
from fixtures_instances import DEBIAN_IMAGE, run_test_container
from test_managed_instances import register, unreachable_ssh
from test_parameter_store import error_of

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def fleet(instance_emulator, docker_client):
    """web (env=prod, team=red) and db (env=dev): running Debian containers; u0..u6: SSH hosts that do not
    answer; u0 env=prod, u2 has an IAM role, u6 came in through an activation."""
    instance_emulator.admin("POST", "/_emulator/reset")
    ssm = make_client(instance_emulator.url)
    containers = [run_test_container(docker_client, DEBIAN_IMAGE) for _ in range(2)]
    try:
        ids = {
            "web": register(instance_emulator, {"backend": "docker", "container": containers[0].name, "tags": {"env": "prod", "team": "red"}})["InstanceId"],
            "db": register(instance_emulator, {"backend": "docker", "container": containers[1].name, "tags": {"env": "dev"}})["InstanceId"],
        }
        for n in range(6):
            tags = {"env": "prod"} if n == 0 else {}
            ids[f"u{n}"] = register(instance_emulator, unreachable_ssh(f"u{n}") | {"tags": tags})["InstanceId"]
        activation = ssm.create_activation(IamRole="HybridRole")
        ids["u6"] = register(
            instance_emulator,
            unreachable_ssh("u6") | {"activation_id": activation["ActivationId"], "activation_code": activation["ActivationCode"]},
        )["InstanceId"]
        ids["activation"] = activation["ActivationId"]
        ssm.update_managed_instance_role(InstanceId=ids["u2"], IamRole="OtherRole")
        yield ids
    finally:
        for container in containers:
            container.remove(force=True)


@pytest.fixture
def ssm(instance_emulator, fleet):
    return make_client(instance_emulator.url)


def described(ssm, **kwargs) -> set[str]:
    return {i["InstanceId"] for i in ssm.describe_instance_information(**kwargs)["InstanceInformationList"]}


def legacy(key: str, *values: str) -> dict:
    return {"InstanceInformationFilterList": [{"key": key, "valueSet": list(values)}]}


def string_filters(*pairs: tuple[str, list[str]]) -> dict:
    return {"Filters": [{"Key": k, "Values": v} for k, v in pairs]}


def names(fleet, *keys: str) -> set[str]:
    return {fleet[k] for k in keys}


ALL = ("web", "db", "u0", "u1", "u2", "u3", "u4", "u5", "u6")
LOST = ("u0", "u1", "u2", "u3", "u4", "u5", "u6")


# --- DescribeInstanceInformation ----------------------------------------------------------------------------
def test_pages_of_instances_in_id_order(ssm, fleet):
    first = ssm.describe_instance_information(MaxResults=5)
    assert len(first["InstanceInformationList"]) == 5 and first["NextToken"]
    second = ssm.describe_instance_information(MaxResults=5, NextToken=first["NextToken"])
    assert len(second["InstanceInformationList"]) == 4 and "NextToken" not in second
    ids = [i["InstanceId"] for page in (first, second) for i in page["InstanceInformationList"]]
    assert ids == sorted(names(fleet, *ALL))
    pages = ssm.get_paginator("describe_instance_information").paginate(PaginationConfig={"PageSize": 5})
    assert [i["InstanceId"] for p in pages for i in p["InstanceInformationList"]] == ids
    assert error_of(ssm.describe_instance_information, NextToken="garbage")[0] == "InvalidNextToken"
    other = ssm.describe_instance_properties(MaxResults=5)["NextToken"]
    assert error_of(ssm.describe_instance_information, NextToken=other)[0] == "InvalidNextToken"


@pytest.mark.parametrize(
    "key, values, expected",
    [
        ("PingStatus", ["Online"], ("web", "db")),
        ("PingStatus", ["ConnectionLost", "Inactive"], LOST),
        ("PlatformTypes", ["Linux"], ("web", "db")),
        ("PlatformTypes", ["Windows"], ()),
        ("ResourceType", ["ManagedInstance"], ALL),
        ("ResourceType", ["EC2Instance"], ()),
        ("AgentVersion", ["3.3.1957.0"], ALL),
        ("IamRole", ["HybridRole"], ("u6",)),
        ("IamRole", ["OtherRole"], ("u2",)),
        ("AssociationStatus", ["Success"], ()),
    ],
)
def test_legacy_and_string_filters_agree(ssm, fleet, key, values, expected):
    assert described(ssm, **legacy(key, *values)) == names(fleet, *expected)
    assert described(ssm, **string_filters((key, values))) == names(fleet, *expected)


def test_filters_by_ids_and_activation(ssm, fleet):
    assert described(ssm, **legacy("InstanceIds", fleet["web"], fleet["u0"])) == names(fleet, "web", "u0")
    assert described(ssm, **legacy("ActivationIds", fleet["activation"])) == names(fleet, "u6")
    assert described(ssm, **string_filters(("SourceIds", [fleet["db"]]))) == names(fleet, "db")
    assert described(ssm, **string_filters(("SourceTypes", ["AWS::SSM::ManagedInstance"]))) == names(fleet, *ALL)
    # several filters: all must hold
    both = {"InstanceInformationFilterList": [
        {"key": "PingStatus", "valueSet": ["Online"]}, {"key": "InstanceIds", "valueSet": [fleet["web"], fleet["u0"]]},
    ]}
    assert described(ssm, **both) == names(fleet, "web")
    # an ID of the right form that is not managed: no error, no result
    assert described(ssm, **legacy("InstanceIds", "mi-0123456789abcdef0")) == set()


def test_tag_filters(ssm, fleet):
    assert described(ssm, **string_filters(("tag:env", ["prod"]))) == names(fleet, "web", "u0")
    assert described(ssm, **string_filters(("tag:env", ["prod", "dev"]))) == names(fleet, "web", "db", "u0")
    assert described(ssm, **string_filters(("tag-key", ["team"]))) == names(fleet, "web")
    assert described(ssm, **string_filters(("tag:env", ["prod"]), ("tag-key", ["team"]))) == names(fleet, "web")
    assert described(ssm, **string_filters(("tag:absent", ["x"]))) == set()


@pytest.mark.parametrize(
    "kwargs, code, message",
    [
        (
            {**legacy("PingStatus", "Online"), **string_filters(("PingStatus", ["Online"]))},
            "ValidationException", "InstanceInformationFilterList and Filters",
        ),
        (string_filters(("tag:env", ["prod"]), ("PingStatus", ["Online"])), "ValidationException",
         "Cannot mix tag or inventory filter with any other filter."),
        (string_filters(("Nope", ["x"])), "InvalidFilterKey", "Nope"),
        (string_filters(("tag:", ["x"])), "InvalidFilterKey", "tag:"),
        (legacy("ResourceType", "ManagedInstance", "EC2Instance"), "InvalidInstanceInformationFilterValue",
         "ResourceType filter may contain only one value."),
        (string_filters(("ResourceType", ["Document"])), "InvalidInstanceInformationFilterValue",
         "ResourceType filter is invalid, valid values are EC2Instance, ManagedInstance"),
        (legacy("PingStatus", "Sleeping"), "InvalidInstanceInformationFilterValue",
         "PingStatus filter is invalid, valid values are Online, ConnectionLost, Inactive"),
        (legacy("PlatformTypes", "Linux", "BeOS"), "InvalidInstanceInformationFilterValue", "PlatformTypes filter is invalid"),
        (legacy("InstanceIds", "not-an-instance"), "InvalidInstanceId", ""),
    ],
)
def test_filter_errors(ssm, kwargs, code, message):
    got_code, got_message = error_of(ssm.describe_instance_information, **kwargs)
    assert got_code == code
    assert message in got_message


def test_activated_instance_fields(ssm, fleet):
    found = ssm.describe_instance_information(**legacy("InstanceIds", fleet["u6"]))["InstanceInformationList"][0]
    assert found["ActivationId"] == fleet["activation"] and found["IamRole"] == "HybridRole"
    assert found["PingStatus"] == "ConnectionLost" and "PlatformName" not in found and "LastPingDateTime" not in found


# --- DescribeInstanceProperties -----------------------------------------------------------------------------
def properties(ssm, **kwargs) -> set[str]:
    return {i["InstanceId"] for i in ssm.describe_instance_properties(**kwargs)["InstanceProperties"]}


def with_operator(key: str, operator: str, *values: str) -> dict:
    return {"FiltersWithOperator": [{"Key": key, "Operator": operator, "Values": list(values)}]}


def test_instance_properties(ssm, fleet):
    web = ssm.describe_instance_properties(
        InstancePropertyFilterList=[{"key": "InstanceIds", "valueSet": [fleet["web"]]}]
    )["InstanceProperties"][0]
    assert web["PlatformName"] == "Debian GNU/Linux" and web["PlatformVersion"] == "12"
    assert web["Architecture"] and web["IPAddress"] and web["PingStatus"] == "Online"
    assert web["ResourceType"] == "ManagedInstance" and web["AgentVersion"] == "3.3.1957.0"
    assert properties(ssm, InstancePropertyFilterList=[{"key": "PingStatus", "valueSet": ["Online"]}]) == names(fleet, "web", "db")
    assert properties(ssm, InstancePropertyFilterList=[{"key": "DocumentName", "valueSet": ["AWS-RunShellScript"]}]) == set()
    assert properties(ssm, **with_operator("PlatformName", "BeginWith", "Debian")) == names(fleet, "web", "db")
    assert properties(ssm, **with_operator("PingStatus", "NotEqual", "Online")) == names(fleet, *LOST)
    assert properties(ssm, **with_operator("AgentVersion", "GreaterThan", "3.0.0.0")) == names(fleet, *ALL)
    assert properties(ssm, **with_operator("AgentVersion", "LessThan", "3.0.0.0")) == set()
    assert properties(ssm, **with_operator("PlatformVersion", "LessThan", "13")) == names(fleet, "web", "db")
    assert properties(ssm, **with_operator("tag:env", "Equal", "prod")) == names(fleet, "web", "u0")
    first = ssm.describe_instance_properties(MaxResults=5)
    second = ssm.describe_instance_properties(MaxResults=5, NextToken=first["NextToken"])
    assert len(first["InstanceProperties"]) + len(second["InstanceProperties"]) == 9


def test_instance_properties_errors(ssm):
    both = {
        "InstancePropertyFilterList": [{"key": "PingStatus", "valueSet": ["Online"]}],
        **with_operator("PingStatus", "Equal", "Online"),
    }
    assert error_of(ssm.describe_instance_properties, **both)[0] == "ValidationException"
    assert error_of(ssm.describe_instance_properties, **with_operator("Nope", "Equal", "x"))[0] == "InvalidFilterKey"
    code, _ = error_of(ssm.describe_instance_properties, **with_operator("PingStatus", "LessThan", "Online"))
    assert code == "InvalidInstancePropertyFilterValue"
    code, _ = error_of(ssm.describe_instance_properties, **with_operator("PingStatus", "Equal", "Sleeping"))
    assert code == "InvalidInstancePropertyFilterValue"


# --- ListNodes and ListNodesSummary -------------------------------------------------------------------------
def node_ids(ssm, **kwargs) -> set[str]:
    return {n["Id"] for n in ssm.list_nodes(**kwargs)["Nodes"]}


def test_list_nodes(ssm, fleet):
    nodes = {n["Id"]: n for n in ssm.list_nodes()["Nodes"]}
    assert set(nodes) == names(fleet, *ALL)
    web = nodes[fleet["web"]]
    assert web["Owner"]["AccountId"] == ACCOUNT and web["Region"] == "us-east-1"
    instance = web["NodeType"]["Instance"]
    assert instance["AgentType"] == "amazon-ssm-agent" and instance["ManagedStatus"] == "Managed"
    assert instance["PlatformName"] == "Debian GNU/Linux" and instance["InstanceStatus"] == "Online"
    assert node_ids(ssm, Filters=[{"Key": "PlatformName", "Values": ["Debian GNU/Linux"], "Type": "Equal"}]) == names(fleet, "web", "db")
    assert node_ids(ssm, Filters=[{"Key": "InstanceStatus", "Values": ["Online"], "Type": "NotEqual"}]) == names(fleet, *LOST)
    assert node_ids(ssm, Filters=[{"Key": "InstanceId", "Values": [fleet["db"][:6]], "Type": "BeginWith"}]) >= names(fleet, "db")
    assert node_ids(ssm, Filters=[{"Key": "ManagedStatus", "Values": ["All"]}]) == names(fleet, *ALL)
    assert node_ids(ssm, Filters=[{"Key": "ManagedStatus", "Values": ["Unmanaged"]}]) == set()
    pages = list(ssm.get_paginator("list_nodes").paginate(PaginationConfig={"PageSize": 4}))
    assert [len(p["Nodes"]) for p in pages] == [4, 4, 1]


def test_list_nodes_summary(ssm, fleet):
    def summary(*aggregators: dict, **kwargs) -> list[dict]:
        return ssm.list_nodes_summary(Aggregators=list(aggregators), **kwargs)["Summary"]

    def count(attribute: str, nested: list[dict] | None = None) -> dict:
        agg = {"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": attribute}
        return {**agg, "Aggregators": nested} if nested else agg

    assert summary(count("PlatformName")) == [{"PlatformName": "Debian GNU/Linux", "Count": "2"}]
    assert summary(count("AgentVersion")) == [{"AgentVersion": "3.3.1957.0", "Count": "9"}]
    assert summary(count("Region")) == [{"Region": "us-east-1", "Count": "9"}]
    assert summary(count("PlatformType", [count("PlatformName")])) == [
        {"PlatformType": "Linux", "PlatformName": "Debian GNU/Linux", "Count": "2"}
    ]
    online = [{"Key": "InstanceStatus", "Values": ["Online"]}]
    assert summary(count("ResourceType"), Filters=online) == [{"ResourceType": "ManagedInstance", "Count": "2"}]
    deep = count("PlatformType", [count("PlatformName", [count("PlatformVersion")])])
    assert error_of(ssm.list_nodes_summary, Aggregators=[deep])[0] == "InvalidAggregatorException"


def test_sync_name_is_refused_offline(ssm):
    for call, extra in (
        (ssm.list_nodes, {}),
        (ssm.list_nodes_summary, {"Aggregators": [{"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "Region"}]}),
    ):
        with pytest.raises(ssm.exceptions.ResourceDataSyncNotFoundException) as e:
            call(SyncName="AWS-QuickSetup-ManagedNode", **extra)
        assert e.value.response["SyncName"] == "AWS-QuickSetup-ManagedNode"
        assert "offline" in e.value.response["Error"]["Message"]
