"""docker-compose.yml, the example that runs the emulator with the host's Docker socket and one labelled service,
kept honest without docker-compose on the machine: its `web` service's labels, on a real container, make a managed
instance with the tags the file promises; the emulator's service mounts the socket and sets only settings the
emulator reads."""
from __future__ import annotations

from pathlib import Path

import yaml

from conftest import ROOT
from test_managed_instances import server, ssm, tags_of, wait_for  # noqa: F401  (fixtures)

COMPOSE = yaml.safe_load((Path(ROOT) / "docker-compose.yml").read_text())


def test_the_labelled_service_becomes_a_managed_instance_with_its_tags(ssm, make_container):
    labels = COMPOSE["services"]["web"]["labels"]
    make_container(labels=labels)
    listed = wait_for(lambda: [i for i in ssm.describe_instance_information()["InstanceInformationList"]
                               if i["PingStatus"] == "Online"], what="the compose file's web service")
    expected = {k.removeprefix("ssm-emulator.tag."): v for k, v in labels.items() if k.startswith("ssm-emulator.tag.")}
    assert expected == {"Role": "web", "Environment": "dev"}
    assert [tags_of(ssm, i["InstanceId"]) for i in listed] == [expected]
    found = ssm.describe_instance_information(Filters=[{"Key": "tag:Role", "Values": ["web"]}])
    assert [i["InstanceId"] for i in found["InstanceInformationList"]] == [listed[0]["InstanceId"]]


def test_the_emulator_service_mounts_the_socket_and_sets_settings_the_emulator_reads():
    service = COMPOSE["services"]["ssm-emulator"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in service["volumes"]
    assert service["ports"][0].endswith(":4583")
    sources = "".join(source.read_text() for source in (Path(ROOT) / "emulator").rglob("*.py"))
    assert {name for name in service["environment"] if f'"{name}"' not in sources} == set()  # all read
    assert (Path(ROOT) / service["build"]["context"] / "Dockerfile").exists()
