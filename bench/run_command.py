"""Run Command fan-out: how long from SendCommand until every invocation is Success, on 1, 10 and 50 containers,
against the floor measured in the same run on the same containers.

The script is a trivial `echo hi` (AWS-RunShellScript) on containers of the test image with host networking.
The emulator's time is taken from a boto3 SendCommand until ListCommands (polled every 5 ms) reports the
command Success. The floor is the same script through `docker exec` — the Docker CLI, as a user types it
(`docker exec <container> sh -c 'echo hi'`): one exec alone, and one per container in parallel threads,
timed until the last one exits. The Docker SDK (docker-py exec_run, in-process, no CLI start-up) is measured
the same way, for reference only. Medians of a few repetitions; every measurement is warmed up once.

Targets: the 50-container fan-out within 1.5× the floor of 50 parallel `docker exec` calls, and one command on
one container within 100 ms of one `docker exec`.
"""

import shutil
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.load import released_together, ssm_client

IMAGE = "ssm-emulator-test/debian:bookworm"
SIZES = (1, 10, 50)
SCRIPT = "echo hi"
POLL_SECONDS = 0.005
TARGET_FANOUT_RATIO = 1.5
TARGET_SINGLE_OVERHEAD_MS = 100.0
LABEL = "ssm-emulator-bench"
TITLE = "Run Command"  # in the report


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _parallel(calls: list[Callable[[], Any]]) -> float:
    """Wall time of running every call at once, one thread each (started together)."""
    ready = threading.Barrier(len(calls) + 1)
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        ready.wait()
        try:
            call()
        except BaseException as e:  # reported after the timing
            errors.append(e)

    elapsed = released_together([threading.Thread(target=run, args=(call,)) for call in calls], ready)
    if errors:
        raise RuntimeError(f"{len(errors)} call(s) failed: {errors[0]!r}")
    return elapsed


def _cli_exec(name: str) -> Callable[[], None]:
    def call() -> None:
        done = subprocess.run(["docker", "exec", name, "sh", "-c", SCRIPT], capture_output=True)
        if done.returncode != 0 or done.stdout != b"hi\n":
            raise RuntimeError(f"docker exec {name}: {done.returncode} {done.stderr!r}")
    return call


def _sdk_exec(container: Any) -> Callable[[], None]:
    def call() -> None:
        code, output = container.exec_run(["sh", "-c", SCRIPT])
        if code != 0 or output != b"hi\n":
            raise RuntimeError(f"exec_run {container.name}: {code} {output!r}")
    return call


class Fleet:
    """The bench's containers, registered as managed instances of the emulator."""

    def __init__(self, endpoint: str, count: int, progress: Callable[[str], None]) -> None:
        import docker

        self.client = docker.from_env(max_pool_size=count + 4)
        self.endpoint = endpoint
        self.containers: list[Any] = []
        self.instance_ids: list[str] = []
        progress(f"  run_command: starting {count} containers of {IMAGE}")
        with ThreadPoolExecutor(8) as pool:
            self.containers = list(pool.map(lambda _: self._start(), range(count)))
            self.instance_ids = list(pool.map(self._register, self.containers))

    def _start(self) -> Any:
        return self.client.containers.run(
            IMAGE, detach=True, network_mode="host", name=f"ssm-emulator-bench-{uuid.uuid4().hex[:8]}",
            labels={LABEL: "1"},
        )

    def _register(self, container: Any) -> str:
        import json
        import urllib.request

        body = json.dumps({"backend": "docker", "container": container.name}).encode()
        request = urllib.request.Request(self.endpoint + "/_emulator/instances", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())["InstanceId"]

    def remove(self) -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda c: c.remove(force=True), self.containers))
        self.client.close()


def _send_and_wait(client: Any, instance_ids: list[str]) -> float:
    """Seconds from SendCommand to the command's Success (ListCommands polled every 5 ms)."""
    began = time.perf_counter()
    command_id = client.send_command(InstanceIds=instance_ids, DocumentName="AWS-RunShellScript",
                                     Parameters={"commands": [SCRIPT]})["Command"]["CommandId"]
    while True:
        listed = client.list_commands(CommandId=command_id)["Commands"][0]
        if listed["Status"] not in ("Pending", "InProgress"):
            elapsed = time.perf_counter() - began
            if listed["Status"] != "Success":
                raise RuntimeError(f"command {command_id} ended {listed['Status']}/{listed['StatusDetails']}")
            return elapsed
        time.sleep(POLL_SECONDS)


def measure_run_command(endpoint: str, repetitions: int, progress: Callable[[str], None]) -> dict[str, Any]:
    if shutil.which("docker") is None:
        return {"skipped": "the docker CLI is not installed"}
    try:
        import docker

        docker.from_env().ping()
    except Exception as error:  # no engine, no socket, no permission
        return {"skipped": f"no Docker engine answers ({error})"}
    fleet = Fleet(endpoint, max(SIZES), progress)
    client = ssm_client(endpoint)
    result: dict[str, Any] = {"repetitions": repetitions, "script": SCRIPT, "image": IMAGE,
                              "floor_tool": "docker CLI (`docker exec`), parallel threads", "sizes": {}}
    try:
        names = [c.name for c in fleet.containers]
        _send_and_wait(client, fleet.instance_ids)  # warm-up: connections, backends, thread pool
        _parallel([_cli_exec(n) for n in names])
        for size in SIZES:
            ids, chosen = fleet.instance_ids[:size], fleet.containers[:size]
            emulator = [_send_and_wait(client, ids) for _ in range(repetitions)]
            cli = [_parallel([_cli_exec(c.name) for c in chosen]) for _ in range(repetitions)]
            sdk = [_parallel([_sdk_exec(c) for c in chosen]) for _ in range(repetitions)]
            row = {"emulator_ms": _median_ms(emulator), "docker_cli_ms": _median_ms(cli),
                   "docker_sdk_ms": _median_ms(sdk)}
            row["ratio_to_cli"] = round(row["emulator_ms"] / row["docker_cli_ms"], 2)
            row["ratio_to_sdk"] = round(row["emulator_ms"] / row["docker_sdk_ms"], 2)
            result["sizes"][str(size)] = row
            progress(f"  run_command {size:>2} containers: emulator {row['emulator_ms']:.0f} ms, "
                     f"docker exec CLI {row['docker_cli_ms']:.0f} ms, SDK {row['docker_sdk_ms']:.0f} ms "
                     f"(×{row['ratio_to_cli']} / ×{row['ratio_to_sdk']})")
        single_cli = [_parallel([_cli_exec(names[0])]) for _ in range(repetitions * 3)]
        single_emulator = [_send_and_wait(client, fleet.instance_ids[:1]) for _ in range(repetitions * 3)]
        result["single"] = {
            "emulator_ms": _median_ms(single_emulator),
            "docker_cli_ms": _median_ms(single_cli),
            "overhead_ms": round(_median_ms(single_emulator) - _median_ms(single_cli), 1),
        }
    finally:
        progress("  run_command: removing the containers")
        fleet.remove()
    return result


def summary_lines(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """The target lines for the report: the 50-container fan-out ratio and the single-command overhead."""
    fanout = measured["sizes"].get(str(max(SIZES)))
    single = measured["single"]
    return [
        {"name": f"run_command: {max(SIZES)}-container fan-out ÷ {max(SIZES)} parallel docker exec (CLI)",
         "value": fanout["ratio_to_cli"], "shown": f"{fanout['ratio_to_cli']:.2f}×",
         "target": f"≤ {TARGET_FANOUT_RATIO:g}×",
         "verdict": "PASS" if fanout["ratio_to_cli"] <= TARGET_FANOUT_RATIO else "FAIL"},
        {"name": "run_command: one command on one container − one docker exec (CLI)",
         "value": single["overhead_ms"], "shown": f"{single['overhead_ms']:+.0f} ms",
         "target": f"≤ {TARGET_SINGLE_OVERHEAD_MS:g} ms",
         "verdict": "PASS" if single["overhead_ms"] <= TARGET_SINGLE_OVERHEAD_MS else "FAIL"},
    ]


def render_table(measured: dict[str, Any]) -> list[str]:
    out = [f"\nRun Command: ms from SendCommand to every invocation Success (`{SCRIPT}`), median of "
           f"{measured['repetitions']}, against parallel `docker exec` on the same containers.\n",
           "| Containers | emulator | docker exec (CLI) | docker SDK exec | ÷ CLI | ÷ SDK |",
           "|---:|---:|---:|---:|---:|---:|"]
    for size, row in measured["sizes"].items():
        out.append(f"| {size} | {row['emulator_ms']:,.0f} | {row['docker_cli_ms']:,.0f} | {row['docker_sdk_ms']:,.0f} "
                   f"| {row['ratio_to_cli']:.2f}× | {row['ratio_to_sdk']:.2f}× |")
    single = measured["single"]
    out.append(f"\nOne command on one container: {single['emulator_ms']:.0f} ms; one `docker exec`: "
               f"{single['docker_cli_ms']:.0f} ms.")
    return out
