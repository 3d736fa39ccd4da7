"""Hybrid activations: CreateActivation (defaults, limits of ExpirationDate), DescribeActivations (filters,
paging, RegistrationsCount, Expired), DeleteActivation, and registering machines with an activation code
and ID (the pair, the expiry, RegistrationLimit; the instance takes the activation's role, name, tags)."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ROOT, make_client
from test_managed_instances import info, register, tags_of, unreachable_ssh, wait_for
from test_parameter_store import error_of

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
CODE = re.compile(r"[A-Za-z0-9+/]{20}\Z")


@pytest.fixture
def ssm(instance_emulator):
    instance_emulator.admin("POST", "/_emulator/reset")
    return make_client(instance_emulator.url)


@pytest.fixture
def server(instance_emulator, ssm):
    return instance_emulator


def activations(ssm, **kwargs) -> dict[str, dict]:
    return {a["ActivationId"]: a for a in ssm.describe_activations(**kwargs)["ActivationList"]}


def with_activation(username: str, created: dict, **extra) -> dict:
    return unreachable_ssh(username) | {
        "activation_id": created["ActivationId"], "activation_code": created["ActivationCode"], **extra
    }


def test_create_activation_defaults(ssm):
    before = time.time()
    created = ssm.create_activation(IamRole="service-role/HybridRole")
    assert UUID.match(created["ActivationId"]) and CODE.match(created["ActivationCode"])
    described = activations(ssm)[created["ActivationId"]]
    assert described["IamRole"] == "service-role/HybridRole"
    assert described["RegistrationLimit"] == 1 and described["RegistrationsCount"] == 0
    assert described["Expired"] is False
    assert abs(described["ExpirationDate"].timestamp() - (before + 24 * 3600)) < 60
    assert abs(described["CreatedDate"].timestamp() - before) < 60
    assert described["Tags"] == []
    assert "ActivationCode" not in described


def test_create_activation_with_everything(ssm):
    expires = datetime.now(timezone.utc) + timedelta(days=29)
    created = ssm.create_activation(
        IamRole="HybridRole", Description="web servers", DefaultInstanceName="web", RegistrationLimit=10,
        ExpirationDate=expires, Tags=[{"Key": "env", "Value": "prod"}],
        RegistrationMetadata=[{"Key": "k", "Value": "v"}],
    )
    described = activations(ssm)[created["ActivationId"]]
    assert described["Description"] == "web servers" and described["DefaultInstanceName"] == "web"
    assert described["RegistrationLimit"] == 10
    assert abs(described["ExpirationDate"].timestamp() - expires.timestamp()) < 1
    assert described["Tags"] == [{"Key": "env", "Value": "prod"}]


@pytest.mark.parametrize("delta", [timedelta(hours=-1), timedelta(days=30, hours=1)])
def test_expiration_date_bounds(ssm, delta):
    code, message = error_of(ssm.create_activation, IamRole="r", ExpirationDate=datetime.now(timezone.utc) + delta)
    assert code == "ValidationException" and "ExpirationDate" in message


def test_registering_with_an_activation(server, ssm):
    created = ssm.create_activation(
        IamRole="HybridRole", DefaultInstanceName="web", RegistrationLimit=2, Tags=[{"Key": "env", "Value": "prod"}]
    )
    instance_id = register(server, with_activation("a1", created, tags={"team": "red"}), 201)["InstanceId"]
    found = info(ssm, instance_id)
    assert found["ActivationId"] == created["ActivationId"]
    assert found["IamRole"] == "HybridRole" and found["Name"] == "web"
    assert tags_of(ssm, instance_id) == {"env": "prod", "team": "red"}
    assert activations(ssm)[created["ActivationId"]]["RegistrationsCount"] == 1
    # activated instances belong to the activation's region
    assert info(make_client(server.url, region="eu-west-1"), instance_id) is None
    # the same machine again is the same instance, and does not count twice
    assert register(server, with_activation("a1", created), 200)["InstanceId"] == instance_id
    assert activations(ssm)[created["ActivationId"]]["RegistrationsCount"] == 1

    register(server, with_activation("a2", created), 201)
    assert activations(ssm)[created["ActivationId"]]["RegistrationsCount"] == 2
    status, answer = server.admin_call("POST", "/_emulator/instances", with_activation("a3", created))
    assert status == 400 and answer["error"] == "InvalidActivation" and "registration limit" in answer["message"]
    assert activations(ssm)[created["ActivationId"]]["RegistrationsCount"] == 2


def test_wrong_pairs(server, ssm):
    created = ssm.create_activation(IamRole="HybridRole")
    other = ssm.create_activation(IamRole="HybridRole")
    cases = [
        (with_activation("w1", created) | {"activation_code": other["ActivationCode"]}, "InvalidActivation"),
        (with_activation("w2", created) | {"activation_id": "00000000-0000-4000-8000-000000000000"}, "InvalidActivationId"),
        (with_activation("w3", created) | {"region": "eu-west-1"}, "InvalidActivationId"),
    ]
    for body, code in cases:
        status, answer = server.admin_call("POST", "/_emulator/instances", body)
        assert (status, answer["error"]) == (400, code), body
    assert ssm.describe_instance_information()["InstanceInformationList"] == []


def test_expired_activation_refuses_registrations(server, ssm):
    created = ssm.create_activation(IamRole="HybridRole", ExpirationDate=datetime.now(timezone.utc) + timedelta(seconds=2))
    wait_for(lambda: activations(ssm)[created["ActivationId"]]["Expired"], timeout=15, what="the activation to expire")
    status, answer = server.admin_call("POST", "/_emulator/instances", with_activation("late", created))
    assert status == 400 and answer["error"] == "InvalidActivation" and "expired" in answer["message"].lower()


def test_delete_activation(server, ssm):
    created = ssm.create_activation(IamRole="HybridRole")
    instance_id = register(server, with_activation("d1", created))["InstanceId"]
    ssm.delete_activation(ActivationId=created["ActivationId"])
    assert created["ActivationId"] not in activations(ssm)
    assert info(ssm, instance_id) is not None  # deleting an activation leaves its instances registered
    assert error_of(ssm.delete_activation, ActivationId=created["ActivationId"])[0] == "InvalidActivation"
    assert error_of(ssm.delete_activation, ActivationId="00000000-0000-4000-8000-000000000000")[0] == "InvalidActivationId"
    status, answer = server.admin_call("POST", "/_emulator/instances", with_activation("d2", created))
    assert status == 400 and answer["error"] == "InvalidActivation"
    # another region's activation is not this region's
    kept = ssm.create_activation(IamRole="HybridRole")
    west = make_client(server.url, region="eu-west-1")
    assert error_of(west.delete_activation, ActivationId=kept["ActivationId"])[0] == "InvalidActivationId"


def test_describe_activations_filters_and_pages(ssm):
    made = [ssm.create_activation(IamRole=f"role-{n % 2}", DefaultInstanceName=f"name-{n}") for n in range(7)]
    ids = [m["ActivationId"] for m in made]
    first = ssm.describe_activations(MaxResults=3)
    assert [a["ActivationId"] for a in first["ActivationList"]] == ids[:3] and first["NextToken"]
    pages = ssm.get_paginator("describe_activations").paginate(PaginationConfig={"PageSize": 3})
    assert [a["ActivationId"] for p in pages for a in p["ActivationList"]] == ids
    by_role = activations(ssm, Filters=[{"FilterKey": "IamRole", "FilterValues": ["role-1"]}])
    assert set(by_role) == {ids[1], ids[3], ids[5]}
    by_id = activations(ssm, Filters=[{"FilterKey": "ActivationIds", "FilterValues": [ids[0], ids[6]]}])
    assert set(by_id) == {ids[0], ids[6]}
    both = activations(ssm, Filters=[
        {"FilterKey": "IamRole", "FilterValues": ["role-0"]}, {"FilterKey": "DefaultInstanceName", "FilterValues": ["name-2"]},
    ])
    assert set(both) == {ids[2]}
    assert activations(make_client(ssm.meta.endpoint_url, region="eu-west-1")) == {}
    assert error_of(ssm.describe_activations, NextToken="garbage")[0] == "InvalidNextToken"


def test_cli_registers_with_an_activation(server, ssm):
    created = ssm.create_activation(IamRole="HybridRole", DefaultInstanceName="from-cli")
    run = subprocess.run(
        [
            sys.executable, "-m", "emulator", "--port", str(server.port), "instances", "add", "ssh",
            "--host", "127.0.0.1", "--port", "9", "--username", "cli", "--password", "x",
            "--activation-code", created["ActivationCode"], "--activation-id", created["ActivationId"],
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert info(ssm, run.stdout.strip())["Name"] == "from-cli"
