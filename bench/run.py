"""Benchmark runner: the emulator against moto and the ceiling app, figures ready for the README.

    python bench/run.py [--quick] [--out bench/results/latest.json] [--only NAME[,NAME...]]

Servers run one at a time, each on a free loopback port, and are stopped by PID when measured. The Markdown
report goes to stdout (and next to the JSON as .md); progress goes to stderr. The exit status is 0 even when
a target is missed or a server does not start (the report says so); it is 1 only if a measurement crashed.
"""

import argparse
import json
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.listing import measure_listing  # noqa: E402
from bench.load import boto3_load, ssm_client, wrk_load  # noqa: E402
from bench.machine import describe_machine, machine_line  # noqa: E402
from bench.report import render_markdown, summarize  # noqa: E402
from bench.run_command import measure_run_command  # noqa: E402
from bench.session_manager import measure_session_manager  # noqa: E402
from bench.servers import SERVERS, RunningServer, ServerDidNotStart, running  # noqa: E402
from bench.wire import BENCH_PARAMETER  # noqa: E402

MEASUREMENTS = ("throughput", "listing", "run_command", "session_manager")
OPERATIONS = ("GetParameter", "PutParameter")
CONCURRENCY = (1, 8)
DRIVERS = {"boto3": boto3_load, "wrk": wrk_load}


@dataclass(frozen=True)
class Settings:
    quick: bool
    load_seconds: float
    listing_sizes: tuple[int, ...]
    listing_repetitions: int
    seeding_budget_s: float  # per server; what a server has not seeded by then is reported unfinished
    run_budget_s: float  # seeding also stops early enough for the whole run to end within this
    command_repetitions: int  # run_command: timings per size (median reported)

    @classmethod
    def for_mode(cls, quick: bool) -> "Settings":
        if quick:
            return cls(True, 2.0, (1_000, 10_000), 5, 120.0, 8 * 60.0, 3)
        return cls(False, 5.0, (1_000, 10_000, 100_000), 7, 660.0, 19 * 60.0, 5)


# Time kept back from seeding for the listing fetches that follow it (two operations, up to 15 s each per size).
FETCH_RESERVE_S = 120.0


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_throughput(server: RunningServer, settings: Settings) -> list[dict[str, Any]]:
    """Every operation × concurrency × driver cell against one server (the parameter is created first)."""
    client = ssm_client(server.endpoint)
    client.put_parameter(Name=BENCH_PARAMETER, Value="bench-value", Type="String", Overwrite=True)
    client.get_parameter(Name=BENCH_PARAMETER)
    rows = []
    for operation in OPERATIONS:
        for clients in CONCURRENCY:
            for driver, load in DRIVERS.items():
                result = load(server.endpoint, operation, clients, settings.load_seconds)
                progress(f"  {operation} @{clients} {driver}: {result.requests_per_second:,.0f} req/s, "
                         f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
                         + (f", {result.errors} errors" if result.errors else ""))
                rows.append({"server": server.spec.name, "operation": operation, "clients": clients,
                             "driver": driver} | result.as_dict())
    return rows


def parse_only(values: list[str]) -> tuple[list[str], list[str]]:
    """Split --only names into servers and measurements; no names of a kind means all of that kind."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS and name not in MEASUREMENTS]
    if unknown:
        raise SystemExit(f"--only: unknown {', '.join(unknown)}; choose from "
                         f"{', '.join([*SERVERS, *MEASUREMENTS])}")
    servers = [name for name in SERVERS if name in names] or list(SERVERS)
    measurements = [name for name in MEASUREMENTS if name in names] or list(MEASUREMENTS)
    return servers, measurements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s load cells; listing at 1k and 10k only")
    parser.add_argument("--out", type=Path, default=Path("bench/results/latest.json"), help="JSON results file")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"limit to servers and/or measurements: {', '.join([*SERVERS, *MEASUREMENTS])}")
    args = parser.parse_args(argv)
    servers, measurements = parse_only(args.only)
    settings = Settings.for_mode(args.quick)
    machine = describe_machine()
    results: dict[str, Any] = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {"quick": settings.quick, "load_seconds": settings.load_seconds,
                     "listing_sizes": list(settings.listing_sizes),
                     "listing_repetitions": settings.listing_repetitions,
                     "seeding_budget_s": settings.seeding_budget_s, "run_budget_s": settings.run_budget_s,
                     "servers": servers, "measurements": measurements},
        "machine": machine,
        "servers": {},
        "throughput": [],
        "listing": {},
    }
    if "run_command" in measurements:
        results["run_command"] = {"skipped": "the emulator server was not run"}
    if "session_manager" in measurements:
        results["session_manager"] = {"skipped": "the emulator server was not run"}
    crashed = False
    log_dir = args.out.parent / "logs"
    began = time.monotonic()
    for name in servers:
        spec = SERVERS[name]
        progress(f"{name}: starting ({spec.about})")
        state: dict[str, Any] = {"about": spec.about}
        results["servers"][name] = state
        try:
            with running(spec, log_dir) as server:
                state |= {"status": "ran", "command": server.process.args}
                if "throughput" in measurements:
                    results["throughput"] += measure_throughput(server, settings)
                if "listing" in measurements and spec.keeps_state:
                    deadline = min(time.monotonic() + settings.seeding_budget_s,
                                   began + settings.run_budget_s - FETCH_RESERVE_S)
                    results["listing"][name] = measure_listing(
                        server.endpoint, list(settings.listing_sizes), settings.listing_repetitions,
                        deadline=deadline, progress=progress)
                if "run_command" in measurements and name == "emulator":  # only the emulator runs commands
                    results["run_command"] = measure_run_command(
                        server.endpoint, settings.command_repetitions, progress)
                if "session_manager" in measurements and name == "emulator":  # only the emulator has sessions
                    results["session_manager"] = measure_session_manager(server.endpoint, settings.quick, progress)
        except ServerDidNotStart as error:
            state["status"] = f"did not start: {error.reason} (log: {log_dir / (name + '.log')})"
            state["error"] = str(error)
            progress(f"{name}: SKIPPED, {error.reason}\n{error.log_tail}")
        except Exception as error:  # keep the other servers' figures; report the crash and exit non-zero
            crashed = True
            state["status"] = f"crashed: {error!r}"
            state["error"] = traceback.format_exc()
            progress(f"{name}: CRASHED\n{state['error']}")
    results["elapsed_s"] = round(time.monotonic() - began, 1)
    results["summary"] = summarize(results)
    markdown = render_markdown(results, machine_line(machine))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown)
    print(markdown)
    progress(f"wrote {args.out} and {args.out.with_suffix('.md')} ({results['elapsed_s']:.0f} s)")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
