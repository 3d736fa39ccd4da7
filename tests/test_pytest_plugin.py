"""The pytest plugin (emulator/pytest_plugin.py), used by sample suites that pytester runs in a subprocess."""
from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import docker  # noqa: F401  imported before pytester snapshots sys.modules: re-imported after, requests breaks
import pytest

import emulator
from conftest import ROOT, make_client
from fixtures_instances import BUSYBOX_IMAGE, DEBIAN_IMAGE, need_image

pytest_plugins = ["pytester"]


@pytest.fixture
def run_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Run the sample suite written into `pytester` in a fresh interpreter that imports this checkout."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    installed = any(ep.value == "emulator.pytest_plugin" for ep in entry_points(group="pytest11"))
    # An installed package loads the plugin by its entry point; asking for it by -p as well would register
    # it twice. Not installed (this checkout only on PYTHONPATH): -p loads it.
    load = [] if installed else ["-p", "emulator.pytest_plugin"]

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess(*load, "-p", "no:cacheprovider", *args, timeout=240)

    return run


PARAMETER_SUITE = """
import pytest

def test_1_writes(ssm_client):
    ssm_client.put_parameter(Name="/first", Value="1", Type="String")

def test_2_starts_clean(ssm_client):
    assert ssm_client.describe_parameters()["Parameters"] == []
    ssm_client.put_parameter(Name="/second", Value="2", Type="String")

@pytest.mark.ssm_emulator_reuse
def test_3_marked_reuse_sees_what_test_2_left(ssm_client):
    assert [p["Name"] for p in ssm_client.describe_parameters()["Parameters"]] == ["/second"]

def test_4_fixtures_share_one_emulator(ssm_emulator, ssm_emulator_session, ssm_client):
    assert ssm_emulator is ssm_emulator_session
    assert ssm_client.meta.endpoint_url == ssm_emulator.url
    assert ssm_client.meta.region_name == "us-east-1"
"""


def test_state_is_reset_between_tests_unless_marked(pytester: pytest.Pytester, run_suite):
    pytester.makepyfile(test_sample=PARAMETER_SUITE)
    run_suite("-v").assert_outcomes(passed=4)


def test_reuse_in_the_ini_file_keeps_state_between_tests(pytester: pytest.Pytester, run_suite):
    pytester.makeini("[pytest]\nssm_emulator_reuse = true\nssm_emulator_region = eu-west-1\n")
    pytester.makepyfile(test_sample="""
def test_1_writes(ssm_client):
    assert ssm_client.meta.region_name == "eu-west-1"
    ssm_client.put_parameter(Name="/kept", Value="1", Type="String")

def test_2_sees_it(ssm_client):
    assert [p["Name"] for p in ssm_client.describe_parameters()["Parameters"]] == ["/kept"]
""")
    run_suite().assert_outcomes(passed=2)


def test_data_dir_keeps_state_across_runs(pytester: pytest.Pytester, run_suite, tmp_path: Path):
    data_dir = tmp_path / "state"
    pytester.makepyfile(test_write="""
def test_write(ssm_client):
    ssm_client.put_parameter(Name="/durable", Value="yes", Type="String")
""")
    run_suite("--ssm-emulator-data-dir", str(data_dir)).assert_outcomes(passed=1)
    assert any(data_dir.iterdir())
    pytester.makepyfile(test_write="""
def test_read(ssm_client):
    assert ssm_client.get_parameter(Name="/durable")["Parameter"]["Value"] == "yes"
""")
    run_suite("--ssm-emulator-data-dir", str(data_dir), "--ssm-emulator-reuse").assert_outcomes(passed=1)


def test_url_option_uses_a_running_emulator(pytester: pytest.Pytester, run_suite):
    pytester.makepyfile(test_remote="""
def test_write(ssm_emulator, ssm_client):
    assert ssm_emulator.server is None  # nothing served in this process
    ssm_client.put_parameter(Name="/from-the-suite", Value="hello", Type="String")
""")
    with emulator.serve() as url:
        run_suite("--ssm-emulator-url", url).assert_outcomes(passed=1)
        value = make_client(url).get_parameter(Name="/from-the-suite")["Parameter"]["Value"]
    assert value == "hello"


def test_ssm_instance_is_a_real_container_removed_after_the_test(
    pytester: pytest.Pytester, run_suite, docker_client
):
    need_image(docker_client, DEBIAN_IMAGE)
    need_image(docker_client, BUSYBOX_IMAGE)
    seen = pytester.path / "containers.txt"
    pytester.makepyfile(test_instances=f"""
import json, time
import pytest

def record(instance):
    with open({str(seen)!r}, "a") as f:
        f.write(json.dumps([instance.instance_id, instance.container]) + "\\n")

def wait(ssm_client, command_id, instance_id):
    for _ in range(300):
        try:
            found = ssm_client.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except ssm_client.exceptions.InvocationDoesNotExist:
            found = {{"Status": "Pending"}}
        if found["Status"] not in ("Pending", "InProgress", "Delayed"):
            return found
        time.sleep(0.1)
    raise AssertionError("the command did not finish")

def test_runs_a_command(ssm_client, ssm_instance):
    record(ssm_instance)
    info = ssm_client.describe_instance_information()["InstanceInformationList"]
    assert [(i["InstanceId"], i["PingStatus"]) for i in info] == [(ssm_instance.instance_id, "Online")]
    sent = ssm_client.send_command(
        InstanceIds=[ssm_instance.instance_id], DocumentName="AWS-RunShellScript",
        Parameters={{"commands": [". /etc/os-release && echo $ID"]}},
    )["Command"]
    found = wait(ssm_client, sent["CommandId"], ssm_instance.instance_id)
    assert (found["Status"], found["StandardOutputContent"].strip()) == ("Success", "debian")

@pytest.mark.ssm_instance(image={BUSYBOX_IMAGE!r}, tags={{"team": "blue"}})
def test_marker_chooses_image_and_tags(ssm_client, ssm_instance):
    record(ssm_instance)
    assert ssm_instance.image == {BUSYBOX_IMAGE!r}
    chosen = ssm_client.describe_instance_information(
        Filters=[{{"Key": "tag:team", "Values": ["blue"]}}])["InstanceInformationList"]
    assert [i["InstanceId"] for i in chosen] == [ssm_instance.instance_id]
""")
    result = run_suite("--ssm-emulator-image", DEBIAN_IMAGE, "-v")
    result.assert_outcomes(passed=2)
    made = [json.loads(line) for line in seen.read_text().splitlines()]
    assert len(made) == 2 and all(instance_id.startswith("mi-") for instance_id, _ in made)
    for _, container in made:
        assert docker_client.containers.list(all=True, filters={"name": f"^{container}$"}) == []


def test_ssm_instance_from_a_missing_image_fails_with_the_reason(
    pytester: pytest.Pytester, run_suite, docker_client
):
    pytester.makepyfile(test_missing="""
def test_needs_an_instance(ssm_instance):
    pass
""")
    result = run_suite("--ssm-emulator-image", "ssm-emulator-test/no-such-image:never")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*could not start a container from ssm-emulator-test/no-such-image:never*"])


def test_options_and_markers_are_registered(pytester: pytest.Pytester, run_suite):
    run_suite("--help").stdout.fnmatch_lines([
        "*--ssm-emulator-url=SSM_EMULATOR_URL*", "*--ssm-emulator-reuse*", "*--ssm-emulator-data-dir*",
        "*--ssm-emulator-image*", "*ssm_emulator_image (string)*",
    ])
    run_suite("--markers").stdout.fnmatch_lines(["*ssm_emulator_reuse:*", "*ssm_instance(image=None*"])
