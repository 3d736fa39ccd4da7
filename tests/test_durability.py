"""State survives restarts and crashes: every acknowledged write is there after kill -9."""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import BotoCoreError

from conftest import make_client


def test_acknowledged_writes_survive_kill_9(start_emulator, tmp_path):
    data_dir = tmp_path / "state"
    server = start_emulator("--data-dir", str(data_dir))
    ssm = make_client(server.url)

    def put(i: int) -> str:
        name = f"/durable/p{i}"
        ssm.put_parameter(Name=name, Value=f"value-{i}", Type="SecureString" if i % 3 == 0 else "String")
        return name

    with ThreadPoolExecutor(8) as pool:
        acknowledged = list(pool.map(put, range(200)))
    ssm.put_parameter(Name="/durable/p0", Value="second", Type="SecureString", Overwrite=True)

    server.kill_hard()
    restarted = start_emulator("--data-dir", str(data_dir), port=server.port)
    ssm = make_client(restarted.url)
    for i, name in enumerate(acknowledged):
        p = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert p["Value"] == ("second" if i == 0 else f"value-{i}")
    assert ssm.get_parameter(Name="/durable/p0")["Parameter"]["Version"] == 2


def test_ephemeral_state_does_not_survive(start_emulator):
    server = start_emulator("--ephemeral")
    make_client(server.url).put_parameter(Name="/gone", Value="v", Type="String")
    server.stop()
    again = start_emulator("--ephemeral", port=server.port)
    assert make_client(again.url).describe_parameters()["Parameters"] == []


def test_reset_clears_everything_and_moto_path_too(start_emulator):
    server = start_emulator("--ephemeral")
    ssm = make_client(server.url)
    ssm.put_parameter(Name="/r/1", Value="v", Type="String")
    assert server.admin("POST", "/_emulator/reset") == {"status": "reset"}
    assert ssm.describe_parameters()["Parameters"] == []
    ssm.put_parameter(Name="/r/2", Value="v", Type="String")
    server.admin("POST", "/moto-api/reset")
    assert ssm.describe_parameters()["Parameters"] == []


def test_writes_acknowledged_before_a_crash_in_mid_load_survive_it(start_emulator, tmp_path):
    """kill -9 while eight clients are writing: every write answered before the crash is there after it."""
    data_dir = tmp_path / "state"
    server = start_emulator("--data-dir", str(data_dir))
    acknowledged: list[tuple[str, int, str]] = []  # (name, version, value), appended once answered
    crashed = threading.Event()

    def write(writer: int) -> None:
        ssm = make_client(server.url)
        for i in itertools.count():
            # a new parameter, then an overwrite of the writer's own one: creates and new versions both at stake
            name = f"/crash/w{writer}/p{i}" if i % 2 == 0 else f"/crash/w{writer}"
            value = f"{writer}-{i}"
            try:
                version = ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)["Version"]
            except BotoCoreError:  # the server is gone: this write was never acknowledged
                assert crashed.is_set()
                return
            acknowledged.append((name, version, value))

    with ThreadPoolExecutor(8) as pool:
        writers = [pool.submit(write, w) for w in range(8)]
        deadline = time.monotonic() + 60
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        crashed.set()
        server.kill_hard()
        for writer in writers:
            writer.result(timeout=30)
    assert len(acknowledged) >= 300

    restarted = start_emulator("--data-dir", str(data_dir), port=server.port)
    ssm = make_client(restarted.url)
    for name, version, value in acknowledged:
        assert ssm.get_parameter(Name=f"{name}:{version}")["Parameter"]["Value"] == value
