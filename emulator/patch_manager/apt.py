"""Patching a Debian-family machine through apt, as AWS-RunPatchBaseline's PatchLinux step does on Debian, Ubuntu
and Raspbian.

    found = apt.scan(backend)          # apt-get update, then what is installed and what the lists offer
    result = apt.install(backend, [("pkg", "2.0"), ...])

A package's update is a *security* update when the list that offers it comes from a repository whose Release file
marks it so: a Suite or Codename ending in "-security" (bookworm-security, jammy-security) or a Label naming
security (Debian-Security). The lists apt downloaded (/var/lib/apt/lists/*_Packages) are read on the machine, only
the fields needed, with their Release's Origin/Label/Suite/Codename; versions are compared here as dpkg does.
"""
from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key

from emulator.backends import InstanceBackend

UPDATE_SECONDS = 600.0
INSTALL_SECONDS = 3600.0
REBOOT_REQUIRED = "/var/run/reboot-required"
APT_ENV = "DEBIAN_FRONTEND=noninteractive"

# What is installed (with when: the mtime of dpkg's file list), then every list with its Release fields.
SCAN_SCRIPT = r"""
command -v apt-get >/dev/null 2>&1 || { echo "apt-get isn't installed on this machine" >&2; exit 3; }
echo "@@INSTALLED"
dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Architecture}\t${Version}\t${Priority}\t${Section}\n'
echo "@@TIMES"
find /var/lib/dpkg/info -name '*.list' -printf '%f\t%T@\n'
for p in /var/lib/apt/lists/*_Packages; do
  [ -e "$p" ] || continue
  echo "@@LIST $p"
  d=${p%_Packages}
  while [ -n "$d" ]; do
    for c in "${d}_InRelease" "${d}_Release"; do
      if [ -f "$c" ]; then grep -E -m4 '^(Origin|Label|Suite|Codename):' "$c"; d=""; break; fi
    done
    case "$d" in *_*) d=${d%_*};; *) d="";; esac
  done
  echo "@@PACKAGES"
  grep -E '^(Package|Version|Architecture|Priority|Section):|^$' "$p"
  echo
done
[ -e /var/run/reboot-required ] && echo "@@REBOOT"
exit 0
"""


class AptError(Exception):
    """A step on the machine failed; the message says which and why."""


@dataclass(frozen=True)
class Available:
    name: str
    arch: str
    version: str
    priority: str
    section: str
    security: bool
    repository: str  # the list's Label, or its Origin


@dataclass(frozen=True)
class Installed:
    name: str
    arch: str
    version: str
    priority: str
    section: str
    installed_time: float | None


@dataclass
class Scan:
    installed: dict[str, Installed] = field(default_factory=dict)  # by name
    available: dict[str, list[Available]] = field(default_factory=dict)  # by name, every version offered
    reboot_required: bool = False

    def candidate(self, name: str, arch: str) -> Available | None:
        """The highest version the lists offer for this package and architecture (or "all")."""
        offered = [a for a in self.available.get(name, []) if a.arch in (arch, "all")]
        return max(offered, key=cmp_to_key(lambda a, b: compare(a.version, b.version)), default=None)

    def offered(self, name: str, version: str) -> Available | None:
        return next((a for a in self.available.get(name, []) if a.version == version), None)


def _security(release: dict[str, str]) -> bool:
    suites = (release.get("Suite", ""), release.get("Codename", ""))
    return any(s.endswith("-security") or s.endswith("/updates") for s in suites) or \
        "security" in release.get("Label", "").lower()


def parse_scan(text: str) -> Scan:
    scan = Scan()
    times: dict[str, float] = {}
    section = ""
    release: dict[str, str] = {}
    stanza: dict[str, str] = {}

    def end_stanza() -> None:
        if "Package" in stanza and "Version" in stanza:
            scan.available.setdefault(stanza["Package"], []).append(Available(
                stanza["Package"], stanza.get("Architecture", "all"), stanza["Version"],
                stanza.get("Priority", "optional"), stanza.get("Section", ""), _security(release),
                release.get("Label") or release.get("Origin", "")))
        stanza.clear()

    for line in text.splitlines():
        if line.startswith("@@"):
            end_stanza()
            section = line.split(" ", 1)[0]
            if section == "@@LIST":
                release = {}
            elif section == "@@REBOOT":
                scan.reboot_required = True
            continue
        if section == "@@INSTALLED":
            parts = line.split("\t")
            if len(parts) == 6 and parts[0].startswith("ii"):
                scan.installed[parts[1]] = Installed(parts[1], parts[2], parts[3], parts[4], parts[5], None)
        elif section == "@@TIMES":
            name, _, when = line.partition("\t")
            try:
                times[name.removesuffix(".list").split(":", 1)[0]] = float(when)
            except ValueError:
                pass
        elif section == "@@LIST":
            key, _, value = line.partition(":")
            release[key] = value.strip()
        elif section == "@@PACKAGES":
            if not line.strip():
                end_stanza()
            else:
                key, _, value = line.partition(":")
                stanza[key] = value.strip()
    end_stanza()
    for name, pkg in scan.installed.items():
        scan.installed[name] = Installed(pkg.name, pkg.arch, pkg.version, pkg.priority, pkg.section, times.get(name))
    return scan


def _run(backend: InstanceBackend, script: str, timeout: float) -> tuple[int | None, str, str]:
    done = backend.run(["/bin/sh", "-c", script], timeout=timeout, stdin=False)
    return done.exit_code, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


def refresh(backend: InstanceBackend) -> str:
    """apt-get update; its output. Raises AptError when it fails."""
    code, out, err = _run(backend, f"{APT_ENV} apt-get update -q 2>&1", UPDATE_SECONDS)
    if code != 0:
        raise AptError(f"apt-get update failed (exit status {code}):\n{out}{err}")
    return out


def scan(backend: InstanceBackend) -> Scan:
    code, out, err = _run(backend, SCAN_SCRIPT, UPDATE_SECONDS)
    if code != 0:
        raise AptError(err.strip() or f"reading the package lists failed (exit status {code})")
    return parse_scan(out)


def install(backend: InstanceBackend, wanted: Sequence[tuple[str, str]]) -> tuple[set[str], str]:
    """Upgrade exactly these packages to exactly these versions (`apt-get install --only-upgrade pkg=version`):
    all in one transaction, and when that fails, one by one so one bad package doesn't hold back the others.
    Answers the names that failed and the output."""
    if not wanted:
        return set(), ""

    def attempt(pairs: Sequence[tuple[str, str]]) -> tuple[int | None, str]:
        args = " ".join(shlex.quote(f"{n}={v}") for n, v in pairs)
        code, out, err = _run(backend, f"{APT_ENV} apt-get install -y -q --only-upgrade --no-install-recommends "
                                       f"-o Dpkg::Options::=--force-confold {args} 2>&1", INSTALL_SECONDS)
        return code, out + err

    code, output = attempt(wanted)
    if code == 0:
        return set(), output
    failed: set[str] = set()
    for pair in wanted:
        code, out = attempt([pair])
        output += out
        if code != 0:
            failed.add(pair[0])
    return failed, output


# --- dpkg's version ordering (deb-version(7)) ---------------------------------------------------------------------
def _order(c: str) -> int:
    if c == "~":
        return -1
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _compare_part(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            bc = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split(version: str) -> tuple[int, str, str]:
    epoch, _, rest = version.partition(":") if ":" in version else ("0", "", version)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch or 0), upstream, revision


def compare(a: str, b: str) -> int:
    """<0, 0 or >0 as dpkg --compare-versions orders a and b."""
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return ea - eb
    return _compare_part(ua, ub) or _compare_part(ra, rb)
