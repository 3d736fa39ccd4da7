"""What the figures were measured on: cores, CPU model, Python and the versions of what was compared."""

import os
import platform
import subprocess
from importlib import metadata
from typing import Any

PACKAGES = ("ssm-emulator", "boto3", "botocore", "moto", "flask", "werkzeug", "gunicorn")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    try:
        banner = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return "not installed"
    return banner.split()[1] if banner.startswith("wrk ") else "unknown"


def describe_machine() -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        # Other work on the machine skews every figure; a busy start is worth knowing about.
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "packages": {package: _version(package) for package in PACKAGES} | {"wrk": _wrk_version()},
    }


def machine_line(machine: dict[str, Any]) -> str:
    """One Markdown line naming the machine and versions."""
    versions = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    line = (f"{machine['nproc']} × {machine['cpu_model']}, {machine['memory_gib']} GiB, "
            f"Python {machine['python']}; {versions}")
    if machine["load_average_1m_at_start"] > 0.5:
        line += f" (load average {machine['load_average_1m_at_start']} at start: other work was running)"
    return line
