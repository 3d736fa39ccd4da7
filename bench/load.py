"""Throughput and latency of one operation at a fixed concurrency, driven by boto3 threads or by wrk.

boto3 shows what an SDK user sees (client CPU included); wrk shows what the server alone can do over
keep-alive HTTP. Both run for a fixed duration and report req/s with p50/p99 latency.
"""

import json
import math
import re
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bench.wire import AMZ_DATE, AUTHORIZATION, REQUEST_BODIES

LUA_SCRIPT = Path(__file__).resolve().parent / "ssm_call.lua"
WRK = "wrk"


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)



def released_together(threads: list[threading.Thread], ready: threading.Barrier) -> float:
    """Start `threads`, which each wait on `ready` (sized for them and the caller), release them together, and
    return the wall time from the release until every one has ended."""
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began

def ssm_client(endpoint: str) -> Any:
    """A boto3 SSM client for a local endpoint: dummy credentials, no retries (errors are counted)."""
    session = boto3.session.Session(
        aws_access_key_id="AKIDBENCH", aws_secret_access_key="bench-secret", region_name="us-east-1")
    return session.client(
        "ssm", endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, max_pool_connections=2))


def _percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def boto3_load(endpoint: str, operation: str, clients: int, seconds: float) -> LoadResult:
    """Call `operation` from `clients` threads (one boto3 client each) for `seconds`; time every call."""
    method_name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
    kwargs = REQUEST_BODIES[operation]
    ready = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    def worker(index: int) -> None:
        call = getattr(ssm_client(endpoint), method_name)
        try:
            call(**kwargs)  # warm the client: endpoint resolution, connection, model loading
        finally:
            ready.wait()  # even after a failed warm-up, or every other thread would wait forever
        own, deadline = latencies[index], time.perf_counter() + seconds
        while (started := time.perf_counter()) < deadline:
            try:
                call(**kwargs)
            except Exception:  # an error answer is still a served request; count it apart
                errors[index] += 1
            own.append(time.perf_counter() - started)

    elapsed = released_together([threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)],
                                ready)
    merged = sorted(value for own in latencies for value in own)
    return LoadResult(
        requests=len(merged), errors=sum(errors), seconds=round(elapsed, 3),
        requests_per_second=round(len(merged) / elapsed, 1),
        p50_ms=round(_percentile(merged, 0.50) * 1000, 3), p99_ms=round(_percentile(merged, 0.99) * 1000, 3))


_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)] * 1000


def parse_wrk(output: str) -> LoadResult:
    """Read req/s, the 50%/99% latency lines, request count and errors from `wrk --latency` output."""
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    total = find(r"^\s*(\d+) requests in ([\d.]+\w+)")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(group) for group in socket_errors.groups())
    return LoadResult(
        requests=int(total.group(1)), errors=errors, seconds=round(_duration_ms(total.group(2)) / 1000, 3),
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=round(_duration_ms(find(r"^\s*50%\s+(\S+)").group(1)), 3),
        p99_ms=round(_duration_ms(find(r"^\s*99%\s+(\S+)").group(1)), 3))


def wrk_load(endpoint: str, operation: str, connections: int, seconds: float) -> LoadResult:
    """Drive `operation` with wrk over `connections` keep-alive connections for `seconds`."""
    threads = min(connections, 2)  # the bench machine has 2 cores; wrk must not starve the server
    command = [
        WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
        "-s", str(LUA_SCRIPT), endpoint + "/",
        "--", operation, json.dumps(REQUEST_BODIES[operation]), AUTHORIZATION, AMZ_DATE,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(finished.stdout)
