"""Turn a run's results into the project's target verdicts and a Markdown report for the README."""

from typing import Any

from bench import run_command, session_manager

# Measurements with a module of their own (summary_lines, render_table, TITLE); a skipped one is reported here.
MEASURED_BY_MODULE = {"run_command": run_command, "session_manager": session_manager}

# The project's performance targets (see the README's Performance section).
TARGET_TIMES_MOTO = 3.0
TARGET_SHARE_OF_CEILING = 0.60
TARGET_LISTING_GROWTH = 1.5
TARGET_SIZES = (1_000, 100_000)
HEADLINE = ("GetParameter", "wrk", 8)


def _throughput(results: dict[str, Any], server: str, operation: str, driver: str,
                clients: int) -> dict[str, Any] | None:
    for row in results["throughput"]:
        if (row["server"], row["operation"], row["driver"], row["clients"]) == (server, operation, driver, clients):
            return row
    return None


def listing_ms(results: dict[str, Any], server: str, operation: str) -> dict[int, float]:
    """Milliseconds per 100 results by store size, for the sizes a server finished."""
    steps = results["listing"].get(server, {}).get("steps", [])
    return {step["size"]: step["timings"][operation]["ms_per_100"]
            for step in steps if operation in step["timings"]}


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def summarize(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The target lines: emulator vs moto and vs the ceiling, and listing growth from 1k to 100k."""
    lines: list[dict[str, Any]] = []
    operation, driver, clients = HEADLINE
    emulator = _throughput(results, "emulator", operation, driver, clients)
    for other, target, label in (
        ("moto", TARGET_TIMES_MOTO, f"≥ {TARGET_TIMES_MOTO:g}× moto"),
        ("ceiling", TARGET_SHARE_OF_CEILING, f"≥ {TARGET_SHARE_OF_CEILING:.0%} of the ceiling"),
    ):
        reference = _throughput(results, other, operation, driver, clients)
        name = f"emulator {operation} @{clients} ({driver}) ÷ {other}"
        if emulator and reference:
            ratio = emulator["requests_per_second"] / reference["requests_per_second"]
            shown = f"{ratio:.2f}×" if other == "moto" else f"{ratio:.0%}"
            lines.append({"name": name, "value": round(ratio, 3), "shown": shown, "target": label,
                          "verdict": _verdict(ratio >= target)})
        else:
            lines.append({"name": name, "value": None, "shown": "n/a", "target": label,
                          "verdict": "n/a (a server did not run)"})
    smallest, largest = TARGET_SIZES
    for server in ("emulator", "moto"):
        for listing in ("GetParametersByPath", "DescribeParameters"):
            by_size = listing_ms(results, server, listing)
            if server not in results["listing"]:
                continue
            name = f"{server} {listing} cost {largest // 1000}k ÷ {smallest // 1000}k"
            target = f"≤ {TARGET_LISTING_GROWTH:g}×" if server == "emulator" else ""
            if smallest in by_size and largest in by_size:
                ratio = by_size[largest] / by_size[smallest]
                verdict = _verdict(ratio <= TARGET_LISTING_GROWTH) if server == "emulator" else ""
                lines.append({"name": name, "value": round(ratio, 2), "shown": f"{ratio:.2f}×",
                              "target": target, "verdict": verdict})
            elif smallest in by_size and len(by_size) > 1:
                top = max(by_size)
                ratio = by_size[top] / by_size[smallest]
                lines.append({"name": f"{server} {listing} cost {top // 1000}k ÷ {smallest // 1000}k",
                              "value": round(ratio, 2), "shown": f"{ratio:.2f}×", "target": target,
                              "verdict": f"not judged: {largest // 1000}k not measured"})
            else:
                lines.append({"name": name, "value": None, "shown": "n/a", "target": target,
                              "verdict": "not judged: not measured"})
    for name, module in MEASURED_BY_MODULE.items():
        if name in results:
            measured = results[name]
            lines += ([{"name": name, "value": None, "shown": "n/a", "target": "",
                        "verdict": f"not measured: {measured['skipped']}"}]
                      if "skipped" in measured else module.summary_lines(measured))
    return lines


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "—"
    cell = f"{row['requests_per_second']:,.0f} ({row['p50_ms']:.2f} / {row['p99_ms']:.2f})"
    if row["errors"]:
        cell += f" [{row['errors']:,} errors]"
    return cell


def _size_label(size: int) -> str:
    return f"{size // 1000}k"


def render_markdown(results: dict[str, Any], machine_line: str) -> str:
    """The README section: throughput table, listing table, target lines, machine line."""
    servers = [name for name, state in results["servers"].items() if state["status"] == "ran"]
    out: list[str] = []
    mode = "quick run" if results["settings"]["quick"] else "full run"
    seconds = results["settings"]["load_seconds"]
    if results["throughput"]:
        out.append(f"Throughput: req/s (p50 / p99 ms), {seconds:g} s per cell, {mode}.\n")
        out.append("| Operation | Clients | Driver | " + " | ".join(servers) + " |")
        out.append("|---|---:|---|" + "---:|" * len(servers))
        combos = sorted({(row["operation"], row["clients"], row["driver"]) for row in results["throughput"]},
                        key=lambda combo: (combo[0] != "GetParameter", combo[1], combo[2]))
        for operation, clients, driver in combos:
            cells = [_cell(_throughput(results, server, operation, driver, clients)) for server in servers]
            out.append(f"| {operation} | {clients} | {driver} | " + " | ".join(cells) + " |")

    listed = [server for server in servers if server in results["listing"]]
    if listed:
        sizes = sorted({step["size"] for server in listed for step in results["listing"][server]["steps"]})
        out.append(f"\nListing: ms to fetch 100 results (median), by parameters in the store, {mode}.\n")
        out.append("| Operation | Store | " + " | ".join(listed) + " |")
        out.append("|---|---:|" + "---:|" * len(listed))
        for operation in ("GetParametersByPath", "DescribeParameters"):
            for size in sizes:
                cells = []
                for server in listed:
                    value = listing_ms(results, server, operation).get(size)
                    cells.append("did not finish" if value is None else f"{value:,.1f}")
                out.append(f"| {operation} | {_size_label(size)} | " + " | ".join(cells) + " |")
        for server in listed:
            if results["listing"][server].get("note"):
                out.append(f"\n{server}: {results['listing'][server]['note']}.")

    for name, module in MEASURED_BY_MODULE.items():
        if name in results:
            measured = results[name]
            out += ([f"\n{module.TITLE}: not measured ({measured['skipped']})."]
                    if "skipped" in measured else module.render_table(measured))

    out.append("\nTargets:\n")
    for line in results["summary"]:
        target = f" (target {line['target']})" if line["target"] else " (for reference)"
        verdict = f" — {line['verdict']}" if line["verdict"] else ""
        out.append(f"- {line['name']}: **{line['shown']}**{target}{verdict}")
    for name, state in results["servers"].items():
        if state["status"] != "ran":
            out.append(f"- {name}: {state['status']}")
    out.append(f"\nMachine: {machine_line}.")
    return "\n".join(out) + "\n"
