"""The aws:softwareInventory plugin: what SSM Agent gathers, gathered from the instance itself, one small
shell script per type (tab-separated lines back, parsed here), then stored as PutInventory stores.

- AWS:InstanceInformation: from the registry (what the agent reports about itself).
- AWS:Application: dpkg-query, rpm -qa or apk, whichever exists, with the fields the agent asks them for
  (ApplicationType: dpkg's Section, rpm's Group; URL: Homepage, URL; rpm's Release, Epoch, INSTALLTIME and
  source RPM as PackageId; dpkg's Version whole and no InstalledTime; apk has neither), and `snap list`'s
  snaps when the snapd package is installed.
- AWS:Network: as the agent on Linux, every interface but loopback from /sys/class/net (name, MAC), one
  IPv4 and one IPv6 address each from `ip -o addr` (or, without iproute2, `hostname -I` on the first);
  no subnet mask, gateway, DHCP or DNS server (the agent gathers none on Linux).
- AWS:Service (the emulator's own extension: SSM Agent's Services gatherer is Windows' Get-Service, and
  Linux gets none): systemctl's service units when systemd runs, else the System V init scripts
  `service --status-all` can tell running or stopped (scripts that can't tell are left out).
- AWS:InstanceDetailedInformation: CPU model, speed, count, sockets, cores and hyper-threading from lscpu,
  read as the agent reads it (no kernel version: not an attribute of the type).
- AWS:File: the document's `files` input ([{Path, Pattern, Recursive, DirScanLimit}]), with the agent's
  fields on Linux (Name, Size, ModificationTime, InstalledDir) and limits.
- Custom: every /var/lib/amazon/ssm/<instance id>/inventory/custom/*.json ({SchemaVersion, TypeName,
  Content}), as the agent reads its custom inventory folder.
- AWS:AWSComponent: the applications the agent counts as AWS components (amazon-ssm-agent,
  aws-cfn-bootstrap, aws-apitools-*, ...), with that type's attributes.
A type is gathered only when its input is exactly "Enabled" (a document that leaves an input out gathers
nothing of it); windows* and billingInfo gather nothing here: SSM Agent has no roles, registry or updates
gatherer on Linux, and it asks no billing info of an on-premises (mi-) node.
As the agent's plugin: a gatherer that fails fails the step and nothing is stored; a custom inventory file
the agent would not read (not JSON, not Custom:, a value that is not a string, ...) is skipped; all items go
up in one PutInventory, and when it is refused the step fails and nothing is stored.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from emulator.backends import InstanceBackend
from emulator.inventory.aws_types import AWS_TYPES
from emulator.inventory.items import Item, content_hash
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
  f='${Package}\t${Version}\t${Architecture}\t${Maintainer}\t${binary:Summary}\t${Section}\t${Homepage}'
  dpkg-query -W -f="$f"'\n'
elif command -v rpm >/dev/null 2>&1 && rpm -qa >/dev/null 2>&1; then
  echo rpm
  f='%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\t%{VENDOR}\t%{SUMMARY}\t%{INSTALLTIME}\t%{GROUP}\t%{URL}'
  rpm -qa --queryformat "$f"'\t%{SOURCERPM}\n'
elif command -v apk >/dev/null 2>&1; then
  echo apk
  apk list -I 2>/dev/null
fi
if command -v snap >/dev/null 2>&1; then echo '---snap'; snap list 2>/dev/null; fi
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

# systemd's units when systemd runs; otherwise the System V scripts `service --status-all` reports on (what a
# container without systemd has): a script whose `status` says running is "+", stopped "-", can't tell "?".
SERVICES = r"""
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl list-units --type=service --all --no-legend --plain 2>/dev/null \
    | awk '{u=$1; s=$4; $1=$2=$3=$4=""; sub(/^ +/, ""); printf "%s\t%s\t%s\n", u, s, $0}'
elif command -v service >/dev/null 2>&1 && [ -d /etc/init.d ]; then
  service --status-all 2>/dev/null \
    | sed -n -e 's/^ *\[ + \] *\(.*\)$/\1\trunning\t/p' -e 's/^ *\[ - \] *\(.*\)$/\1\tdead\t/p'
fi
"""

# The agent asks lscpu (without it, it reports nothing).
DETAILED = r"""
command -v lscpu >/dev/null 2>&1 || exit 0
LC_ALL=C lscpu
"""

# $1 path, $2 recursive (true/false), the rest name patterns. First line: the directories a recursive walk
# scans (the path's own included); then each matching entry that is not a directory (a link followed).
FILES = r"""
p=$1; r=$2; shift 2
[ -e "$p" ] || exit 0
if [ "$r" = true ]; then depth=""; find "$p" -type d 2>/dev/null | wc -l; else depth="-maxdepth 1"; echo 1; fi
for pat in "$@"; do find "$p" -mindepth 1 $depth ! -type d -name "$pat" 2>/dev/null; done | sort -u \
  | while read -r f; do stat -L -c '%n	%s	%Y' "$f" 2>/dev/null; done
exit 0
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
    """As the agent asks dpkg-query and rpm: every package `dpkg-query -W` lists (one removed but not
    purged too), dpkg's Version whole (no Release, no InstalledTime: dpkg keeps no install date), rpm's
    VERSION, RELEASE and EPOCH apart (EPOCH "(none)" left out) and its source package as PackageId."""
    lines = _run(backend, APPLICATIONS).splitlines()
    if not lines:
        return []
    cut = lines.index("---snap") if "---snap" in lines else len(lines)
    manager, rows, snaps = lines[0], lines[1:cut], lines[cut + 1:]
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
    if any(e["Name"].lower() == "snapd" for e in found):
        found += snap_applications(snaps)
    # the agent sorts what it lists by name, publisher (neither by case) and version (model.MergeLists)
    found.sort(key=lambda e: (e["Name"].lower(), e.get("Publisher", "").lower(), e["Version"]))
    return [{k: _field(v) for k, v in e.items() if v} for e in found]


IFF_LOOPBACK = 0x8


# The applications the agent counts as AWS components (gatherers/application/dataProvider.go), by name.
AWS_COMPONENT_NAMES = frozenset({"amazon-ssm-agent", "amazon ssm agent", "aws tools for windows", "ec2configservice",
                                 "aws-cfn-bootstrap", "aws pv drivers"})
AWS_COMPONENT_PARTS = ("aws-apitools-", "aws-amitools-")


def aws_components(backend: InstanceBackend) -> list[dict[str, str]]:
    """The applications that are AWS components, with the attributes AWS:AWSComponent has."""
    attributes = AWS_TYPES["AWS:AWSComponent"].attribute_names
    return [{k: v for k, v in app.items() if k in attributes} for app in applications(backend)
            if app["Name"].strip().lower() in AWS_COMPONENT_NAMES
            or any(part in app["Name"].lower() for part in AWS_COMPONENT_PARTS)]


def snap_applications(listing: list[str]) -> list[dict[str, str]]:
    """`snap list` below its header, as the agent adds it when the snapd package is installed: Name,
    Version and Publisher from the columns, ApplicationType "admin"; a line of fewer than six columns ends
    the listing."""
    found = []
    for line in listing[1:]:
        columns = line.split()
        if len(columns) < 6:
            break
        found.append({"Name": columns[0], "Publisher": columns[4], "Version": columns[1],
                      "ApplicationType": "admin"})
    return found


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


def _lscpu(output: str, key: str) -> str:
    """The value after the first "<key>:" in lscpu's output, as the agent looks it up (a newer lscpu that
    prints no "CPU MHz:" line gives no speed)."""
    at = output.find(key + ":")
    return "" if at < 0 else output[at + len(key) + 1:].split("\n", 1)[0].strip()


def _whole(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


def detailed_information(backend: InstanceBackend) -> list[dict[str, str]]:
    output = _run(backend, DETAILED)
    if not output.strip():
        return []
    mhz, sockets = _lscpu(output, "CPU MHz"), _lscpu(output, "Socket(s)")
    per_socket, threads = _lscpu(output, "Core(s) per socket"), _lscpu(output, "Thread(s) per core")
    entry = {
        "CPUModel": _lscpu(output, "Model name"), "CPUs": _lscpu(output, "CPU(s)"),
        "CPUSpeedMHz": str(_whole(mhz)) if mhz else "", "CPUSockets": sockets,
        "CPUCores": str(_whole(sockets) * _whole(per_socket)) if sockets and per_socket else "",
        "CPUHyperThreadEnabled": ("true" if _whole(threads) > 1 else "false") if threads else "",
    }
    return [{k: v for k, v in entry.items() if v}]


# SSM Agent's file gatherer (gatherers/file/dataProvider.go): at most 500 files in all, a recursive walk of at
# most DirScanLimit directories (5000 unless given); past either, the gatherer fails with its message.
FILE_COUNT_LIMIT, DIR_SCAN_LIMIT = 500, 5000


def services(backend: InstanceBackend) -> list[dict[str, str]]:
    found = []
    for line in _run(backend, SERVICES).splitlines():
        unit, state, description = (line.split("\t") + ["", ""])[:3]
        if unit:
            found.append({"Name": unit.removesuffix(".service"), "DisplayName": description,
                          "ServiceType": "", "Status": "Running" if state == "running" else "Stopped"})
    return [{k: v for k, v in e.items() if v} for e in found]


def files(backend: InstanceBackend, requested: Any) -> list[dict[str, str]]:
    """As the agent on Linux: files whose name matches one of Pattern (none: no file), with Name, Size,
    ModificationTime and InstalledDir only."""
    if isinstance(requested, str):
        requested = json.loads(requested.replace("\\", "/")) if requested.strip() else []
    found: dict[str, dict[str, str]] = {}
    for spec in requested or []:
        recursive = bool(spec.get("Recursive"))
        lines = _run(backend, FILES, str(spec.get("Path", "")), "true" if recursive else "false",
                     *(spec.get("Pattern") or [])).splitlines()
        dir_limit = spec.get("DirScanLimit")
        if recursive and lines and int(lines[0]) > (DIR_SCAN_LIMIT if dir_limit is None else int(dir_limit)):
            raise RuntimeError("Directory Scan Limit Exceeded")
        for line in lines[1:]:
            path, size, modified = (line.split("\t") + ["", ""])[:3]
            folder, _, name = path.rpartition("/")
            found[path] = {"Name": name, "Size": size, "ModificationTime": _iso(modified),
                           "InstalledDir": folder or "/"}
        if len(found) > FILE_COUNT_LIMIT:
            raise RuntimeError("File Count Limit Exceeded")
    return list(found.values())


# SSM Agent's custom inventory limits (gatherers/custom/customGatherer.go): a file breaking one is skipped.
CUSTOM_FILES_LIMIT = 20
TYPE_NAME_LENGTH, ATTRIBUTES_LIMIT, ATTRIBUTE_NAME_LENGTH, ATTRIBUTE_VALUE_LENGTH = 100, 50, 64, 4096
SCHEMA_VERSION = re.compile(r"^[0-9]{1,6}\.[0-9]{1,6}$")


def custom_item(body: str, captured: str) -> Item:
    """A custom inventory file as the agent reads it; ValueError says why the agent would skip it."""
    raw = json.loads(body)
    type_name, version, content = raw.get("TypeName") or "", raw.get("SchemaVersion") or "", raw.get("Content")
    if not isinstance(type_name, str) or not type_name.startswith("Custom:") or len(type_name) > TYPE_NAME_LENGTH:
        raise ValueError(f"TypeName {type_name!r} is not Custom:<name> of at most {TYPE_NAME_LENGTH} characters")
    if not isinstance(version, str) or not SCHEMA_VERSION.match(version):
        raise ValueError(f"SchemaVersion {version!r} is not like 1.0")
    entries = content if isinstance(content, list) else [content]
    for entry in entries:
        if not isinstance(entry, dict) or not entry or len(entry) > ATTRIBUTES_LIMIT:
            raise ValueError(f"Content must be objects of 1 to {ATTRIBUTES_LIMIT} attributes")
        for name, value in entry.items():
            if not 0 < len(name) <= ATTRIBUTE_NAME_LENGTH:
                raise ValueError(f"attribute name {name!r} is empty or over {ATTRIBUTE_NAME_LENGTH} characters")
            if not isinstance(value, str) or len(value) > ATTRIBUTE_VALUE_LENGTH:
                raise ValueError(f"{name}'s value is not a string of at most {ATTRIBUTE_VALUE_LENGTH} characters")
    return Item(type_name, version, captured, content_hash(entries), entries)


def custom(backend: InstanceBackend, instance_id: str, captured: str) -> tuple[list[Item], list[str]]:
    """The custom inventory files' items, and why each skipped file was skipped (the agent logs it and goes
    on; a second file of a type already read is skipped too). More files than the agent reads is an error."""
    items: list[Item] = []
    skipped: list[str] = []
    chunks = _run(backend, CUSTOM, CUSTOM_FOLDER.format(instance=instance_id)).split("\036")[1:]
    if len(chunks) > CUSTOM_FILES_LIMIT:
        raise RuntimeError(f"Total custom inventory file count ({len(chunks)}) exceed limit ({CUSTOM_FILES_LIMIT})")
    for chunk in chunks:
        path, _, body = chunk.partition("\n")
        try:
            item = custom_item(body, captured)
            if any(i.type_name == item.type_name for i in items):
                raise ValueError(f"{item.type_name} is already in another file")
            items.append(item)
        except (ValueError, AttributeError) as e:  # json.JSONDecodeError is a ValueError
            skipped.append(f"{path}: {e}")
    return items, skipped


# What the agent's plugin says (plugins/inventory/inventory.go).
UPLOADED = "Inventory policy has been successfully applied and collected inventory data has been uploaded to SSM"
GATHERER_FAILED = "Encountered error while executing {name}. Error - {error}"
UPLOAD_FAILED = ("inventory data could not be uploaded to Systems Manager. "
                 "Additional troubleshooting information - {error}")


def gather(instance: ManagedInstance, backend: InstanceBackend, inputs: Mapping[str, Any], captured: str,
           store: Callable[[list[Item]], None]) -> tuple[int, bytes, bytes]:
    """Run the plugin as the agent does: every enabled gatherer, then one upload of all their items
    (CaptureTime `captured`); a gatherer's error or a refused upload fails the step and nothing is stored.
    Answers (exit code, stdout, stderr)."""
    def enabled(name: str) -> bool:  # the agent runs a gatherer only for exactly "Enabled" (model.Enabled)
        return inputs.get(name) == "Enabled"

    gathered: dict[str, list[dict[str, str]]] = {"AWS:InstanceInformation": instance_information(instance)}
    steps: list[tuple[bool, str, Callable[[], list[dict[str, str]]]]] = [
        (enabled("applications"), "AWS:Application", lambda: applications(backend)),
        (enabled("awsComponents"), "AWS:AWSComponent", lambda: aws_components(backend)),
        (enabled("networkConfig"), "AWS:Network", lambda: network(backend)),
        # The agent's Services gatherer is Windows' Get-Service; here, as the emulator's own extension, a Linux
        # instance's service manager answers (no service manager: no AWS:Service item at all).
        (enabled("services"), "AWS:Service", lambda: services(backend)),
        (enabled("instanceDetailedInformation"), "AWS:InstanceDetailedInformation",
         lambda: detailed_information(backend)),
        # files has filters, not a switch: any filters run it
        (bool(inputs.get("files")), "AWS:File", lambda: files(backend, inputs.get("files"))),
    ]
    custom_items: list[Item] = []
    running = ""  # the gatherer the agent names when one fails
    try:
        for wanted, type_name, collect in steps:
            if wanted:
                running = type_name
                content = collect()
                if content or type_name != "AWS:Service":
                    gathered[type_name] = content
        if enabled("customInventory"):
            running = "CustomInventory"
            custom_items, skipped = custom(backend, instance.instance_id, captured)
            for reason in skipped:
                log.info("custom inventory file skipped, as SSM Agent skips it: %s", reason)
    except Exception as e:
        return 1, b"", GATHERER_FAILED.format(name=running, error=e).encode()
    items = [Item(t, AWS_TYPES[t].version, captured, content_hash(c), c) for t, c in gathered.items()]
    try:
        store(items + custom_items)
    except Exception as e:
        return 1, b"", UPLOAD_FAILED.format(error=f"{type(e).__name__}: {e}").encode()
    return 0, UPLOADED.encode(), b""
