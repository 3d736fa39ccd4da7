"""The aws:softwareInventory plugin: what SSM Agent gathers, gathered from the instance itself, one small
shell script per type (tab-separated lines back, parsed here), then stored as PutInventory stores.

- AWS:InstanceInformation: from the registry (what the agent reports about itself).
- AWS:Application: dpkg-query, rpm -qa or apk, whichever exists, with the fields the agent asks them for
  (ApplicationType: dpkg's Section, rpm's Group; URL: Homepage, URL; rpm's Release, Epoch, INSTALLTIME and
  source RPM as PackageId; dpkg's Version whole and no InstalledTime; apk has neither).
- AWS:Network: as the agent on Linux, every interface but loopback from /sys/class/net (name, MAC), one
  IPv4 and one IPv6 address each from `ip -o addr` (or, without iproute2, `hostname -I` on the first);
  no subnet mask, gateway, DHCP or DNS server (the agent gathers none on Linux).
- AWS:InstanceDetailedInformation: CPU model, speed, count, sockets, cores and hyper-threading from
  /proc/cpuinfo (the attributes the agent's lscpu gives; no kernel version, not an attribute of the type).
- AWS:File: the document's `files` input ([{Path, Pattern, Recursive, DirScanLimit}]).
- Custom: every /var/lib/amazon/ssm/<instance id>/inventory/custom/*.json ({SchemaVersion, TypeName,
  Content}), as the agent reads its custom inventory folder.
Each input set to "Disabled" skips its type; services, awsComponents, windows* and billingInfo gather
nothing here: SSM Agent has no services, roles, registry or updates gatherer on Linux (its Services gatherer
is Get-Service in PowerShell), and neither an SSM Agent package nor EC2 billing info to report. A type
whose script fails is said on stderr and the step still succeeds; a custom inventory file that can't be read or that PutInventory refuses fails the step, and
everything else gathered is stored all the same.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from emulator.backends import InstanceBackend
from emulator.inventory.aws_types import AWS_TYPES
from emulator.inventory.items import Item, as_content, content_hash
from emulator.managed_instances.model import AGENT_TYPE, AGENT_VERSION, RESOURCE_TYPE

if TYPE_CHECKING:
    from emulator.managed_instances import ManagedInstance

log = logging.getLogger("ssm_emulator.inventory")
SCRIPT_TIMEOUT = 120.0
CUSTOM_FOLDER = "/var/lib/amazon/ssm/{instance}/inventory/custom"

# busybox has rpm and dpkg applets that can't list packages: a manager counts when its listing works.
APPLICATIONS = r"""
if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -W >/dev/null 2>&1; then
  echo dpkg
  f='${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${Maintainer}\t${binary:Summary}'
  dpkg-query -W -f="$f"'\t${Section}\t${Homepage}\n' | grep '^ii' | cut -f2-
elif command -v rpm >/dev/null 2>&1 && rpm -qa >/dev/null 2>&1; then
  echo rpm
  f='%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\t%{VENDOR}\t%{SUMMARY}\t%{INSTALLTIME}\t%{GROUP}\t%{URL}'
  rpm -qa --queryformat "$f"'\t%{SOURCERPM}\n'
elif command -v apk >/dev/null 2>&1; then
  echo apk
  apk list -I 2>/dev/null
fi
"""

NETWORK = r"""
for d in /sys/class/net/*; do
  n=${d##*/}
  printf 'if\t%s\t%s\t%s\t%s\n' "$n" "$(cat "$d/address" 2>/dev/null)" "$(cat "$d/flags")" "$(cat "$d/ifindex")"
done
if command -v ip >/dev/null 2>&1; then
  ip -o addr show 2>/dev/null | awk '{printf "addr\t%s\t%s\t%s\n", $2, $3, $4}'
else
  printf 'host\t%s\n' "$(hostname -I 2>/dev/null)"
fi
"""

DETAILED = r"""
printf 'model\t%s\n' "$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
printf 'mhz\t%s\n' "$(grep -m1 '^cpu MHz' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
printf 'cpus\t%s\n' "$(grep -c '^processor' /proc/cpuinfo 2>/dev/null)"
printf 'sockets\t%s\n' "$(grep '^physical id' /proc/cpuinfo 2>/dev/null | sort -u | wc -l)"
printf 'cores\t%s\n' "$(grep -m1 '^cpu cores' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
"""

# $1 path, $2 recursive (true/false), $3 the dir scan limit, the rest name patterns
FILES = r"""
p=$1; r=$2; limit=$3; shift 3
depth="-maxdepth 1"; [ "$r" = true ] && depth=""
for pat in "$@"; do
  find "$p" $depth -type f -name "$pat" 2>/dev/null | head -n "$limit" \
    | while read -r f; do stat -c '%n	%s	%Y	%X' "$f"; done
done
"""

CUSTOM = r"""
for f in "$1"/*.json; do [ -f "$f" ] || continue; printf '\036%s\n' "$f"; cat "$f"; done
"""


def capture_time(when: datetime) -> str:
    """A time as CaptureTime and the gathered times are written (the model's pattern: seconds, Z)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(epoch: str) -> str:
    try:
        return capture_time(datetime.fromtimestamp(int(epoch), timezone.utc))
    except (ValueError, OSError):
        return ""


def _run(backend: InstanceBackend, script: str, *args: str) -> str:
    result = backend.run(["/bin/sh", "-c", script, "inventory", *args], timeout=SCRIPT_TIMEOUT, stdin=False)
    if result.exit_code != 0:
        raise RuntimeError(result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.exit_code}")
    return result.stdout.decode("utf-8", "replace")


def instance_information(instance: ManagedInstance) -> list[dict[str, str]]:
    entry = {
        "AgentType": AGENT_TYPE,
        "AgentVersion": AGENT_VERSION,
        "ComputerName": instance.computer_name or "",
        "InstanceId": instance.instance_id,
        "IpAddress": instance.ip_address or "",
        "PlatformName": instance.platform_name or "",
        "PlatformType": instance.platform_type or "",
        "PlatformVersion": instance.platform_version or "",
        "ResourceType": RESOURCE_TYPE,
        "InstanceStatus": "Active",
    }
    return [{k: v for k, v in entry.items() if v}]


# The agent keeps a field's first line, cut at 100 characters (its maxSummaryLength), and names 64-bit and
# 32-bit x86 as rpm does (model.FormatArchitecture): dpkg's amd64 is reported x86_64.
FIELD_LENGTH = 100
ARCHITECTURES = {"amd64": "x86_64", "386": "i386"}


def _field(text: str) -> str:
    return text.split("\n", 1)[0][:FIELD_LENGTH]


def _architecture(arch: str) -> str:
    arch = arch.strip().lower()
    return ARCHITECTURES.get(arch, arch)


def applications(backend: InstanceBackend) -> list[dict[str, str]]:
    """As the agent asks dpkg-query and rpm: dpkg's Version whole (no Release, no InstalledTime: dpkg keeps
    no install date), rpm's VERSION, RELEASE and EPOCH apart (EPOCH "(none)" left out) and its source
    package as PackageId."""
    lines = _run(backend, APPLICATIONS).splitlines()
    if not lines:
        return []
    manager, rows = lines[0], lines[1:]
    found: list[dict[str, str]] = []
    if manager == "dpkg":
        for line in rows:
            name, version, arch, maintainer, summary, section, url = (line.split("\t") + [""] * 7)[:7]
            found.append({"Name": name, "Version": version, "Architecture": _architecture(arch),
                          "Publisher": maintainer, "Summary": summary,
                          "PackageId": f"{name}_{version}_{arch}.deb", "ApplicationType": section, "URL": url})
    elif manager == "rpm":
        for line in rows:
            name, version, release, epoch, arch, vendor, summary, when, group, url, source = (
                line.split("\t") + [""] * 11)[:11]
            found.append({"Name": name, "Version": version, "Release": release,
                          "Epoch": "" if epoch == "(none)" else epoch, "Architecture": _architecture(arch),
                          "Publisher": vendor, "Summary": summary, "PackageId": source,
                          "InstalledTime": _iso(when), "ApplicationType": group, "URL": url})
    elif manager == "apk":
        for line in rows:
            parts = line.split()
            if len(parts) < 2 or parts[0].count("-") < 2:
                continue
            name, version, release = parts[0].rsplit("-", 2)
            found.append({"Name": name, "Version": f"{version}-{release}", "Architecture": parts[1],
                          "PackageId": parts[0]})
    return [{k: _field(v) for k, v in e.items() if v} for e in found]


IFF_LOOPBACK = 0x8


def network(backend: InstanceBackend) -> list[dict[str, str]]:
    """As the agent reports interfaces on Linux: every one but loopback, in index order, with its MAC and one
    IPv4 and one IPv6 address (each the interface's last, as the agent overwrites); it gathers no subnet
    mask, gateway, DHCP or DNS server there."""
    interfaces: dict[str, dict[str, str]] = {}
    order: dict[str, int] = {}
    host_ips: list[str] = []
    for line in _run(backend, NETWORK).splitlines():
        kind, *rest = line.split("\t")
        if kind == "if" and len(rest) == 4:
            name, mac, flags, index = rest
            if int(flags or "0", 16) & IFF_LOOPBACK:
                continue
            interfaces[name] = {"Name": name, "MacAddress": mac}
            order[name] = int(index) if index.isdigit() else 0
        elif kind == "addr" and len(rest) == 3 and rest[0].split("@")[0] in interfaces:
            interfaces[rest[0].split("@")[0]]["IPV6" if rest[1] == "inet6" else "IPV4"] = rest[2].split("/")[0]
        elif kind == "host" and rest:
            host_ips = rest[0].split()
    first = min(interfaces, key=order.__getitem__, default=None)
    for ip in host_ips if first else []:
        interfaces[first]["IPV6" if ":" in ip else "IPV4"] = ip
    return [{k: v for k, v in interfaces[n].items() if v} for n in sorted(interfaces, key=order.__getitem__)]


def detailed_information(backend: InstanceBackend) -> list[dict[str, str]]:
    raw = dict(line.split("\t", 1) for line in _run(backend, DETAILED).splitlines() if "\t" in line)
    cpus, sockets = raw.get("cpus", ""), raw.get("sockets", "").strip()
    cores_per_socket = raw.get("cores", "")
    cores = str(int(cores_per_socket) * max(int(sockets or 0), 1)) if cores_per_socket.isdigit() else cpus
    mhz = raw.get("mhz", "").split(".")[0]
    entry = {
        "CPUModel": raw.get("model", ""), "CPUSpeedMHz": mhz, "CPUs": cpus,
        "CPUSockets": sockets if sockets not in ("", "0") else "1", "CPUCores": cores,
        "CPUHyperThreadEnabled": "true" if cpus.isdigit() and cores.isdigit() and int(cpus) > int(cores) else "false",
    }
    return [{k: v for k, v in entry.items() if v}]


def files(backend: InstanceBackend, requested: Any) -> list[dict[str, str]]:
    if isinstance(requested, str):
        requested = json.loads(requested) if requested.strip() else []
    found = []
    for spec in requested or []:
        patterns = spec.get("Pattern") or ["*"]
        limit = str(int(spec.get("DirScanLimit") or 5000))
        recursive = "true" if spec.get("Recursive") else "false"
        for line in _run(backend, FILES, str(spec.get("Path", "")), recursive, limit, *patterns).splitlines():
            path, size, modified, accessed = (line.split("\t") + ["", "", ""])[:4]
            folder, _, name = path.rpartition("/")
            found.append({"Name": name, "InstalledDir": folder or "/", "Size": size,
                          "ModificationTime": _iso(modified), "LastAccessTime": _iso(accessed)})
    return found


def custom(backend: InstanceBackend, instance_id: str, captured: str) -> tuple[list[Item], list[str]]:
    """The custom inventory files' items, and a message for each file that could not be read."""
    items, problems = [], []
    text = _run(backend, CUSTOM, CUSTOM_FOLDER.format(instance=instance_id))
    for chunk in text.split("\036")[1:]:
        path, _, body = chunk.partition("\n")
        try:
            raw = json.loads(body)
            content = as_content(raw["Content"])
            items.append(Item(str(raw["TypeName"]), str(raw.get("SchemaVersion") or "1.0"), captured,
                              content_hash(content), content))
        except Exception as e:  # a broken file is reported, the rest still gathered (as the agent does)
            problems.append(f"{path}: {e}")
    return items, problems


def gather(instance: ManagedInstance, backend: InstanceBackend, inputs: Mapping[str, Any], captured: str,
           store: Callable[[list[Item]], None]) -> tuple[int, bytes, bytes]:
    """Run the plugin: gather every enabled type, store the items (CaptureTime `captured`), and answer
    (exit code, stdout, stderr)."""
    def enabled(name: str) -> bool:
        return str(inputs.get(name, "Enabled")) != "Disabled"

    gathered: dict[str, list[dict[str, str]]] = {"AWS:InstanceInformation": instance_information(instance)}
    problems: list[str] = []
    steps: list[tuple[str, str, Callable[[], list[dict[str, str]]]]] = [
        ("applications", "AWS:Application", lambda: applications(backend)),
        ("networkConfig", "AWS:Network", lambda: network(backend)),
        ("instanceDetailedInformation", "AWS:InstanceDetailedInformation", lambda: detailed_information(backend)),
    ]
    if inputs.get("files"):
        steps.append(("files", "AWS:File", lambda: files(backend, inputs.get("files"))))
    for switch, type_name, collect in steps:
        if not enabled(switch):
            continue
        try:
            content = collect()
        except Exception as e:
            problems.append(f"{type_name}: {e}")
            continue
        gathered[type_name] = content
    items = [Item(t, AWS_TYPES[t].version, captured, content_hash(c), c) for t, c in gathered.items()]
    store(items)
    refused: list[str] = []
    if enabled("customInventory"):
        try:
            found, refused = custom(backend, instance.instance_id, captured)
        except Exception as e:
            found, refused = [], [f"custom inventory: {e}"]
        for item in found:  # one by one: a custom item PutInventory refuses leaves the others stored
            try:
                store([item])
                items.append(item)
            except Exception as e:
                refused.append(f"{item.type_name}: {type(e).__name__}: {e}")
    summary = "\n".join(f"{item.type_name}: {len(item.content)} entries" for item in items)
    # A custom inventory file that can't be read or stored fails the step (what was gathered is kept).
    return 1 if refused else 0, summary.encode(), "\n".join(problems + refused).encode()
