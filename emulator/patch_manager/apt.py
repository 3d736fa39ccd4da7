"""Patching a Debian-family machine through apt, as AWS-RunPatchBaseline's PatchLinux step does on Debian, Ubuntu
and Raspbian.

    found = apt.scan(backend, repos)          # apt-get update, then what is installed and what the lists offer
    failed, output = apt.install(backend, [package, ...], repos, blocked)

A package's update is a *security* update when the list that offers it comes from a repository whose Release file
marks it so: a Suite or Codename ending in "-security" (bookworm-security, jammy-security) or a Label naming
security (Debian-Security). The lists apt downloaded (*_Packages) are read on the machine, only the fields needed,
with their Release's Origin/Label/Suite/Codename; versions are compared here as dpkg does.

With a baseline's Sources (`repos`) apt reads that sources list instead of the machine's, and keeps the lists it
downloads for it in the operation's own folder: the machine's own lists are left as they were.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from emulator.backends import InstanceBackend
from emulator.patch_manager.packages import (
    INSTALL_SECONDS,
    Blocked,
    UPDATE_SECONDS,
    Package,
    PackageError,
    Repos,
    Scan,
    run,
    write_files,
)

NAME = "apt"
APT_ENV = "DEBIAN_FRONTEND=noninteractive"
LISTS = "/var/lib/apt/lists"

# What is installed (with when: the mtime of dpkg's file list), then every list with its Release fields.
SCAN_SCRIPT = r"""
command -v apt-get >/dev/null 2>&1 || { echo "apt-get isn't installed on this machine" >&2; exit 3; }
echo "@@INSTALLED"
dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Architecture}\t${Version}\t${Priority}\t${Section}\n'
echo "@@TIMES"
find /var/lib/dpkg/info -name '*.list' -printf '%f\t%T@\n'
for p in @LISTS@/*_Packages; do
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
# `apt-get -s` prints one line per package a transaction would install or upgrade: "Inst name [old] (new ... [arch])"
_SIMULATED = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)", re.M)


def _security(release: dict[str, str]) -> bool:
    suites = (release.get("Suite", ""), release.get("Codename", ""))
    return any(s.endswith("-security") or s.endswith("/updates") for s in suites) or \
        "security" in release.get("Label", "").lower()


def _attributes(priority: str, section: str, security: bool, repository: str = "") -> dict[str, str]:
    return {"PRIORITY": priority.capitalize(), "SECTION": section, "CLASSIFICATION": "Security" if security else "",
            "SEVERITY": priority.capitalize(), "REPOSITORY": repository}


def parse_scan(text: str) -> Scan:
    scan = Scan(compare)
    times: dict[str, float] = {}
    installed: list[tuple[str, str, str, str, str]] = []
    section = ""
    release: dict[str, str] = {}
    stanza: dict[str, str] = {}

    def end_stanza() -> None:
        if "Package" in stanza and "Version" in stanza:
            security = _security(release)
            scan.available.setdefault(stanza["Package"], []).append(Package(
                stanza["Package"], stanza.get("Architecture", "all"), stanza["Version"],
                _attributes(stanza.get("Priority", "optional"), stanza.get("Section", ""), security,
                            release.get("Label") or release.get("Origin", "")),
                security=security, noticed=security))
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
                installed.append((parts[1], parts[2], parts[3], parts[4], parts[5]))
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
    for name, arch, version, priority, sect in installed:
        offered = scan.offered(name, version)
        security = bool(offered and offered.security)
        scan.installed[name] = Package(name, arch, version, _attributes(priority, sect, security),
                                       security=security, noticed=security, installed_time=times.get(name))
    return scan


def prepare(backend: InstanceBackend, folder: str, configuration: str) -> Repos:
    """The baseline's Sources as apt's sources list for this operation, with lists of its own."""
    write_files(backend, folder, {"sources.list": configuration.rstrip("\n") + "\n"})
    run(backend, f"mkdir -p {shlex.quote(folder)}/lists/partial", 30)
    options = (f"-o Dir::Etc::SourceList={folder}/sources.list -o Dir::Etc::SourceParts=/dev/null "
               f"-o Dir::State::Lists={folder}/lists")
    return Repos(folder, options)


def refresh(backend: InstanceBackend, repos: Repos | None = None) -> str:
    """apt-get update; its output. Raises PackageError when it fails."""
    options = repos.options if repos else ""
    code, out, err = run(backend, f"{APT_ENV} apt-get update -q {options} 2>&1", UPDATE_SECONDS)
    if code != 0:
        raise PackageError(f"apt-get update failed (exit status {code}):\n{out}{err}")
    return out


def scan(backend: InstanceBackend, repos: Repos | None = None) -> Scan:
    refresh(backend, repos)
    return read(backend, repos)


def read(backend: InstanceBackend, repos: Repos | None = None) -> Scan:
    """What is installed and offered now, without refreshing the lists."""
    lists = f"{repos.folder}/lists" if repos else LISTS
    code, out, err = run(backend, SCAN_SCRIPT.replace("@LISTS@", shlex.quote(lists)), UPDATE_SECONDS)
    if code != 0:
        raise PackageError(err.strip() or f"reading the package lists failed (exit status {code})")
    return parse_scan(out)


def _command(verb: str, wanted: Sequence[Package], repos: Repos | None) -> str:
    args = " ".join(shlex.quote(f"{p.name}={p.version}") for p in wanted)
    return (f"{APT_ENV} apt-get {verb} -q --only-upgrade --no-install-recommends {repos.options if repos else ''} "
            f"-o Dpkg::Options::=--force-confold {args} 2>&1")


def _pulls_in_blocked(backend: InstanceBackend, wanted: Sequence[Package], repos: Repos | None,
                      blocked: Blocked) -> list[str]:
    """The packages apt would install along with `wanted` that the baseline blocks (RejectedPatchesAction BLOCK):
    `apt-get -s` shows the whole transaction without doing it."""
    code, out, _ = run(backend, _command("install -s", wanted, repos), UPDATE_SECONDS)
    names = {p.name for p in wanted}
    pulled = [Package(n, arch, version) for n, version, arch in _SIMULATED.findall(out) if n not in names]
    return [f"{p.name}={p.version}" for p in pulled if blocked.rejects(p)]


def install(backend: InstanceBackend, wanted: Sequence[Package], repos: Repos | None = None,
            blocked: Blocked | None = None) -> tuple[dict[str, str], str]:
    """Upgrade exactly these packages to exactly these versions (`apt-get install --only-upgrade pkg=version`):
    all in one transaction, and when that fails, one by one so one bad package doesn't hold back the others.
    With `blocked`, a package whose transaction would pull in a blocked package isn't installed at all.
    Answers the names that failed (with why) and the output."""
    failed: dict[str, str] = {}
    output = ""
    if blocked is not None and wanted and _pulls_in_blocked(backend, wanted, repos, blocked):
        for p in wanted:
            refused = _pulls_in_blocked(backend, [p], repos, blocked)
            if refused:
                failed[p.name] = f"it needs {', '.join(refused)}, which the baseline rejects (BLOCK)"
                output += f"Not installing {p.name}={p.version}: {failed[p.name]}.\n"
        wanted = [p for p in wanted if p.name not in failed]
    if not wanted:
        return failed, output

    def attempt(packages: Sequence[Package]) -> tuple[int | None, str]:
        code, out, err = run(backend, _command("install -y", packages, repos), INSTALL_SECONDS)
        return code, out + err

    code, out = attempt(wanted)
    output += out
    if code == 0:
        return failed, output
    for p in wanted:
        code, out = attempt([p])
        output += out
        if code != 0:
            failed[p.name] = "apt-get failed"
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
