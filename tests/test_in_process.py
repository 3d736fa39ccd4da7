"""The in-process server (emulator.serve / EmulatorServer): started and stopped repeatedly, it leaves no thread,
socket or container behind."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import emulator
from conftest import ROOT, make_client
from emulator.in_process import EmulatorServer
from emulator.testing import SsmEmulator
from fixtures_instances import BUSYBOX_IMAGE, need_image

# /proc/net/tcp states of a socket that is still the server's: listening, connected, or closed by the peer only.
LISTEN, ESTABLISHED, CLOSE_WAIT = "0A", "01", "08"


def server_sockets(port: int) -> list[str]:
    """The states of the TCP sockets on this machine whose local port is `port` and that the server holds."""
    states = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] in (LISTEN, ESTABLISHED, CLOSE_WAIT):
                states.append(fields[3])
    return states


def threads_now() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_started_and_stopped_repeatedly_on_one_port_without_leaks(docker_client):
    need_image(docker_client, BUSYBOX_IMAGE)
    baseline = threads_now()
    port = None
    for round_ in range(3):
        with emulator.serve(port=port or 0, ping_interval=0.3, discovery_interval=0.3) as url:
            port = int(url.rsplit(":", 1)[1])
            assert url == f"http://127.0.0.1:{port}"
            ssm = make_client(url)
            ssm.put_parameter(Name="/round", Value=str(round_), Type="String")
            # every round starts empty: in memory by default
            assert [p["Name"] for p in ssm.describe_parameters()["Parameters"]] == ["/round"]
            instance = SsmEmulator(url).add_instance(BUSYBOX_IMAGE, wait=30)
            assert docker_client.containers.get(instance.container).status == "running"
            assert server_sockets(port)  # listening, and the client's keep-alive connection
            running = threads_now() - baseline
            assert any(t.name.startswith("ssm-command") for t in running)
        # The client still holds its keep-alive connection: the server closed its side all the same.
        assert threads_now() - baseline == set(), [t.name for t in threads_now() - baseline]
        assert server_sockets(port) == []
        assert docker_client.containers.list(all=True, filters={"name": f"^{instance.container}$"}) == []


def test_data_dir_keeps_state_across_restarts(tmp_path: Path):
    with emulator.serve(data_dir=tmp_path) as url:
        make_client(url).put_parameter(Name="/kept", Value="v", Type="String")
    with emulator.serve(data_dir=tmp_path) as url:
        assert make_client(url).get_parameter(Name="/kept")["Parameter"]["Value"] == "v"


def test_a_taken_port_raises_without_starting_anything():
    with emulator.serve() as url:
        before = threads_now()
        port = int(url.rsplit(":", 1)[1])
        server = EmulatorServer(port=port)
        with pytest.raises(OSError):
            server.start()
        assert not server.running
        assert threads_now() == before
        assert make_client(url).describe_parameters()["Parameters"] == []  # the first one still serves


def test_server_object_stops_twice_and_says_when_it_does_not_run():
    server = EmulatorServer(schedule_scale=10)
    with pytest.raises(RuntimeError):
        server.url
    url = server.start()
    assert server.start() == url and server.config.schedule_scale == 10
    assert SsmEmulator(url).health()["ephemeral"] is True
    server.stop()
    server.stop()
    assert not server.running


def test_stop_ends_a_request_in_progress_within_the_deadline():
    """A client holding a connection mid-request (headers never finished) does not hold stop."""
    import socket

    with emulator.serve() as url:
        port = int(url.rsplit(":", 1)[1])
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        time.sleep(0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert slow.recv(1) == b""  # the server hung up
    slow.close()


def test_importing_the_package_and_plugin_stays_light():
    """The plugin is loaded into every pytest run where the package is installed: it must not import the
    server, boto3 or docker until a fixture is used."""
    code = (
        "import sys, emulator, emulator.pytest_plugin\n"
        "heavy = [m for m in ('flask', 'werkzeug', 'boto3', 'docker', 'emulator.app') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert callable(emulator.serve) and 'werkzeug' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
