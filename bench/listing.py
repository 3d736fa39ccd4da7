"""Listing cost against store size: does fetching 100 results get slower as the store grows?

The store is seeded in steps (1k, 10k, 100k parameters under one prefix) with raw keep-alive PutParameter
calls from several threads; after each step, 100 results are fetched with
GetParametersByPath (10 pages of 10) and DescribeParameters (2 pages of 50) over one raw keep-alive
connection, so the figures are the server's cost and any growth with the store is the server's.
"""

import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench.wire import SsmConnection

LIST_PATH = "/bench/list"
RESULTS_PER_FETCH = 100
MAX_PAGES = 100  # DescribeParameters may return short (even empty) pages; never loop forever


def parameter_name(index: int) -> str:
    return f"{LIST_PATH}/app{index % 100}/p{index}"


@dataclass
class SeedResult:
    stored: int
    errors: int
    seconds: float
    finished: bool
    first_error: str = ""


def seed(endpoint: str, start: int, stop: int, threads: int, deadline: float) -> SeedResult:
    """Put parameters start..stop-1 from `threads` keep-alive connections, giving up at `deadline`."""
    address = urlsplit(endpoint)
    stored = [0] * threads
    errors = [0] * threads
    first_error: list[str] = []
    began = time.monotonic()

    def worker(offset: int) -> None:
        connection = SsmConnection(address.hostname or "127.0.0.1", address.port or 80)
        try:
            for index in range(start + offset, stop, threads):
                if time.monotonic() > deadline:
                    return
                # Intelligent-Tiering: AWS caps Standard at 10,000 per region and moves the rest to Advanced.
                status, body = connection.call("PutParameter", {
                    "Name": parameter_name(index), "Value": f"value-{index}", "Type": "String",
                    "Tier": "Intelligent-Tiering", "Overwrite": True,
                })
                if status == 200:
                    stored[offset] += 1
                else:
                    errors[offset] += 1
                    if not first_error:
                        first_error.append(f"HTTP {status}: {body[:200].decode(errors='replace')}")
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(offset,), daemon=True) for offset in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    done = sum(stored)
    return SeedResult(done, sum(errors), round(time.monotonic() - began, 2), done == stop - start,
                      first_error[0] if first_error else "")


def _collect(fetch_page: Callable[[str | None], dict[str, Any]], key: str) -> tuple[int, int]:
    """Follow NextToken until 100 results have come back; return (results, pages)."""
    token: str | None = None
    results = pages = 0
    while results < RESULTS_PER_FETCH and pages < MAX_PAGES:
        page = fetch_page(token)
        pages += 1
        results += len(page[key])
        token = page.get("NextToken")
        if not token:
            break
    return results, pages


def _raw_page(connection: SsmConnection, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, body = connection.call(operation, payload)
    if status != 200:
        raise RuntimeError(f"{operation} answered {status}: {body[:200]!r}")
    return json.loads(body)


def by_path_fetcher(connection: SsmConnection) -> Callable[[], tuple[int, int]]:
    def page(token: str | None) -> dict[str, Any]:
        extra = {"NextToken": token} if token else {}
        payload = {"Path": LIST_PATH, "Recursive": True, "MaxResults": 10, **extra}
        return _raw_page(connection, "GetParametersByPath", payload)
    return lambda: _collect(page, "Parameters")


def describe_fetcher(connection: SsmConnection) -> Callable[[], tuple[int, int]]:
    filters = [{"Key": "Name", "Option": "BeginsWith", "Values": [LIST_PATH + "/"]}]

    def page(token: str | None) -> dict[str, Any]:
        extra = {"NextToken": token} if token else {}
        payload = {"ParameterFilters": filters, "MaxResults": 50, **extra}
        return _raw_page(connection, "DescribeParameters", payload)
    return lambda: _collect(page, "Parameters")


@dataclass
class FetchTiming:
    ms_per_100: float
    runs_ms: list[float]
    results: int
    pages: int


def time_fetch(fetch: Callable[[], tuple[int, int]], repetitions: int, budget_s: float) -> FetchTiming:
    """Median time per 100 results over up to `repetitions` runs after a warm-up; a slow server gets
    fewer runs, as many as fit in `budget_s` (at least one)."""
    for _ in range(3):  # warm the server's page cache and the client's models before timing
        fetch()
    runs: list[float] = []
    spent = 0.0
    results = pages = 0
    while len(runs) < repetitions and spent < budget_s:
        began = time.perf_counter()
        results, pages = fetch()
        elapsed = time.perf_counter() - began
        spent += elapsed
        runs.append(elapsed * 1000 * RESULTS_PER_FETCH / max(results, 1))
    return FetchTiming(round(statistics.median(runs), 2), [round(run, 2) for run in runs], results, pages)


@dataclass
class SizeStep:
    size: int
    seeding: SeedResult
    timings: dict[str, FetchTiming] = field(default_factory=dict)


def measure_listing(endpoint: str, sizes: list[int], repetitions: int, deadline: float,
                    seed_threads: int = 8, fetch_budget_s: float = 15.0,
                    progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Seed each size in turn and time both listings; stop early (and say so) at `deadline`."""
    # Raw keep-alive HTTP, not boto3: boto3's own cost per call (~3 ms) would drown the server's.
    parts = urlsplit(endpoint)
    connection = SsmConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    fetchers = {"GetParametersByPath": by_path_fetcher(connection), "DescribeParameters": describe_fetcher(connection)}
    steps: list[SizeStep] = []
    stored = 0
    note = ""
    for size in sizes:
        seeded = seed(endpoint, stored, size, seed_threads, deadline)
        stored += seeded.stored
        step = SizeStep(size, seeded)
        steps.append(step)
        progress(f"  seeded {stored:,}/{size:,} in {seeded.seconds:.1f} s"
                 + (f" ({seeded.errors} errors: {seeded.first_error})" if seeded.errors else ""))
        if not seeded.finished:
            note = f"seeding {size:,} did not finish within the time budget ({stored:,} stored)"
            break
        for operation, fetch in fetchers.items():
            step.timings[operation] = time_fetch(fetch, repetitions, fetch_budget_s)
            progress(f"  {operation} @ {size:,}: {step.timings[operation].ms_per_100} ms per 100 results")
    return {"steps": [asdict(step) for step in steps], "note": note}
