"""The pytest plugin (entry point `pytest11`: ssm_emulator; `-p no:ssm_emulator` turns it off).

Fixtures:
    ssm_emulator_session  the emulator of the whole run (an emulator.testing.SsmEmulator): served in-process
                          on a free port, state in memory, unless --ssm-emulator-url names a running one
    ssm_emulator          the same, reset before the test unless the test is marked ssm_emulator_reuse or
                          the run says --ssm-emulator-reuse
    ssm_client            a boto3 SSM client of it (dummy credentials, the configured region)
    ssm_instance          a managed instance in a new container (Online), removed after the test; the image
                          is --ssm-emulator-image unless the test's `ssm_instance(image=..., tags=...)` marker
                          says otherwise

Each option is also an ini setting of the same name with underscores (ssm_emulator_image = ...); the command
line wins. Nothing here starts or imports anything until a test asks for one of the fixtures.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.testing import EmulatorError, SsmEmulator, SsmInstance

DEFAULT_IMAGE = "debian:bookworm"
DEFAULT_REGION = "us-east-1"
DEFAULT_INSTANCE_TIMEOUT = 60.0
# Instances are checked and labelled containers looked for this often on the in-process emulator: a test sees
# a container it labelled, or one it stopped, within a second or two instead of the command's 5 s.
TEST_CHECK_INTERVAL = 1.0

_OPTIONS: list[tuple[str, str, str]] = [
    # (name, ini type, help)
    ("ssm_emulator_url", "string",
     "Use the emulator running at this URL instead of serving one in-process."),
    ("ssm_emulator_reuse", "bool",
     "Keep the emulator's state between tests (no reset before each test)."),
    ("ssm_emulator_data_dir", "string",
     "Keep the in-process emulator's state in this folder (default: in memory, gone after the run)."),
    ("ssm_emulator_image", "string",
     f"Local Docker image of ssm_instance's containers (never pulled).  [default: {DEFAULT_IMAGE}]"),
    ("ssm_emulator_region", "string", f"Region of ssm_client.  [default: {DEFAULT_REGION}]"),
    ("ssm_emulator_instance_timeout", "string",
     f"Seconds ssm_instance waits for its instance to be Online.  [default: {DEFAULT_INSTANCE_TIMEOUT:g}]"),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ssm-emulator", "ssm-emulator (AWS Systems Manager emulator)")
    for name, kind, help_text in _OPTIONS:
        flag = "--" + name.replace("_", "-")
        if kind == "bool":
            group.addoption(flag, action="store_true", default=None, dest=name, help=help_text)
        else:
            group.addoption(flag, default=None, dest=name, help=help_text)
        parser.addini(name, help_text, type=kind, default=False if kind == "bool" else None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ssm_emulator_reuse: the ssm_emulator fixture keeps the state earlier tests left (no reset)."
    )
    config.addinivalue_line(
        "markers", "ssm_instance(image=None, tags=None): the image and tags of the test's ssm_instance."
    )


def _setting(config: pytest.Config, name: str) -> Any:
    """The command line's value, else the ini file's (None when neither says)."""
    value = config.getoption(name)
    if value is not None:
        return value
    value = config.getini(name)
    return value if value not in ("", None) else None


def _data_dir(config: pytest.Config) -> Path | None:
    if config.getoption("ssm_emulator_data_dir") is not None:
        return Path(config.getoption("ssm_emulator_data_dir"))  # relative to where pytest runs
    value = config.getini("ssm_emulator_data_dir")
    if not value:
        return None
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return base / value  # relative to the ini file, as pytest's own path settings are


@pytest.fixture(scope="session")
def ssm_emulator_session(pytestconfig: pytest.Config) -> Iterator[SsmEmulator]:
    """The emulator of the whole run; not reset by itself (use ssm_emulator in tests)."""
    region = _setting(pytestconfig, "ssm_emulator_region") or DEFAULT_REGION
    url = _setting(pytestconfig, "ssm_emulator_url")
    if url is not None:
        running = SsmEmulator(url, region)
        try:
            running.health()
        except (OSError, EmulatorError) as e:
            pytest.fail(f"no ssm-emulator answers at {url} ({e})", pytrace=False)
        yield running
        return
    from emulator.in_process import EmulatorServer

    data_dir = _data_dir(pytestconfig)
    server = EmulatorServer(
        data_dir=data_dir, ephemeral=data_dir is None, log_level="warning",
        ping_interval=TEST_CHECK_INTERVAL, discovery_interval=TEST_CHECK_INTERVAL,
    )
    server.start()
    try:
        yield SsmEmulator(server.url, region, server=server)
    finally:
        server.stop()


@pytest.fixture
def ssm_emulator(request: pytest.FixtureRequest, ssm_emulator_session: SsmEmulator) -> SsmEmulator:
    """The session's emulator, reset before this test unless it is marked ssm_emulator_reuse or the run
    says --ssm-emulator-reuse (reset before rather than after: a failed test's state stays to look at)."""
    keep = request.node.get_closest_marker("ssm_emulator_reuse") is not None or bool(
        _setting(request.config, "ssm_emulator_reuse")
    )
    if not keep:
        ssm_emulator_session.reset()
    return ssm_emulator_session


@pytest.fixture
def ssm_client(ssm_emulator: SsmEmulator) -> Any:
    """A boto3 SSM client of the emulator."""
    return ssm_emulator.client("ssm")


@pytest.fixture
def ssm_instance(request: pytest.FixtureRequest, ssm_emulator: SsmEmulator) -> Iterator[SsmInstance]:
    """A managed instance in a fresh container, Online; the container is removed after the test."""
    marker = request.node.get_closest_marker("ssm_instance")
    wanted = dict(marker.kwargs) if marker is not None else {}
    image = wanted.pop("image", None) or _setting(request.config, "ssm_emulator_image") or DEFAULT_IMAGE
    tags = wanted.pop("tags", None)
    timeout = float(_setting(request.config, "ssm_emulator_instance_timeout") or DEFAULT_INSTANCE_TIMEOUT)
    try:
        instance = ssm_emulator.add_instance(image, tags=tags, wait=timeout, **wanted)
    except EmulatorError as e:
        pytest.fail(f"ssm_instance: the emulator could not start a container from {image}: {e.message}",
                    pytrace=False)
    except TimeoutError as e:
        pytest.fail(f"ssm_instance: {e}", pytrace=False)
    yield instance
    ssm_emulator.remove_instance(instance.instance_id)
