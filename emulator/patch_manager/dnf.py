"""Patching an RPM machine through dnf (or yum where yum is dnf: RHEL 8+, Amazon Linux 2023), as
AWS-RunPatchBaseline's PatchLinux step does on Amazon Linux, RHEL, CentOS, Oracle, Rocky and Alma Linux.

    found = dnf.scan(backend, repos)          # refreshed metadata, what rpm has installed, what the repos offer
    failed, output = dnf.install(backend, [package, ...], repos, blocked)

What an update is comes from the repositories' updateinfo (`dnf updateinfo`): the advisory naming a package
version gives its CLASSIFICATION (the advisory type: Security, Bugfix, Enhancement, Newpackage), SEVERITY,
ADVISORY_ID, CVE_ID and release date; an update no advisory names has none of these, and only a rule with
EnableNonSecurity approves it (AWS's "packages that aren't classified in updateinfo.xml"). Versions are ordered
here as rpm orders them (rpmvercmp).

yum 3 (RHEL 7, Amazon Linux 2) has no `repoquery` command: such a machine fails the operation saying so.
"""
from __future__ import annotations

import calendar
import re
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from emulator.backends import InstanceBackend
from emulator.patch_manager.packages import (
    INSTALL_SECONDS,
    UPDATE_SECONDS,
    Blocked,
    Package,
    PackageError,
    Repos,
    Scan,
    run,
    write_files,
)

NAME = "dnf"
_FIND = ('PM=$(command -v dnf || command -v yum) || '
         '{ echo "neither dnf nor yum is installed on this machine" >&2; exit 3; }')
SCAN_SCRIPT = _FIND + r"""
O="@OPTIONS@"
echo "@@INSTALLED"
rpm -qa --qf '%{NAME}\t%{ARCH}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{INSTALLTIME}\n'
echo "@@AVAILABLE"
$PM -q $O repoquery --available --qf '%{name}\t%{arch}\t%{epoch}\t%{version}\t%{release}\t%{repoid}' || {
  echo "$PM can't list the repositories' packages (yum 3 has no repoquery command; ssm-emulator patches through dnf)" >&2
  exit 4; }
echo "@@ADVISORIES"
$PM -q $O updateinfo list --all
echo "@@INFO"
$PM -q $O updateinfo info --all
[ -e /var/run/reboot-required ] && echo "@@REBOOT"
if command -v needs-restarting >/dev/null 2>&1; then needs-restarting -r >/dev/null 2>&1; [ $? = 1 ] && echo "@@REBOOT"; fi
exit 0
"""
_CLASSIFICATIONS = {"security": "Security", "bugfix": "Bugfix", "enhancement": "Enhancement",
                    "newpackage": "Newpackage", "recommended": "Recommended"}
_RANK = ("Security", "Bugfix", "Enhancement", "Recommended", "Newpackage")  # which advisory speaks for a package
_INFO_LINE = re.compile(r"^\s*([A-Za-z ]*?)\s*: (.*)$")


@dataclass
class Advisory:
    id: str
    kind: str = ""
    severity: str = ""
    released: float | None = None
    cves: list[str] = field(default_factory=list)

    @property
    def classification(self) -> str:
        return _CLASSIFICATIONS.get(self.kind.lower(), self.kind.capitalize())


def _evr(epoch: str, version: str, release: str) -> str:
    return f"{epoch}:{version}-{release}" if epoch not in ("", "0", "(none)") else f"{version}-{release}"


def _nevra(text: str) -> tuple[str, str, str] | None:
    """(name, arch, evr) of "name-[epoch:]version-release.arch"."""
    nvr, _, arch = text.rpartition(".")
    parts = nvr.rsplit("-", 2)
    if len(parts) != 3 or not arch:
        return None
    name, version, release = parts
    epoch, _, version = version.rpartition(":")
    return name, arch, _evr(epoch, version, release)


def _date(text: str) -> float | None:
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return float(calendar.timegm(time.strptime(text.strip(), form)))
        except ValueError:
            pass
    return None


def _parse_info(lines: list[str]) -> dict[str, Advisory]:
    """`dnf updateinfo info` blocks: "  Update ID: X", "Type: security", "Severity: Important", "Updated: date",
    "CVEs: CVE-..." (further values on lines of their own, " : value")."""
    found: dict[str, Advisory] = {}
    current: Advisory | None = None
    key = ""
    for line in lines:
        m = _INFO_LINE.match(line)
        if not m:
            continue
        key = m.group(1) or key
        value = m.group(2).strip()
        if key == "Update ID":
            current = found.setdefault(value, Advisory(value))
        elif current is None:
            continue
        elif key == "Type":
            current.kind = value
        elif key == "Severity":
            current.severity = value
        elif key in ("Updated", "Issued") and (key == "Issued" or current.released is None):
            current.released = _date(value)
        elif key == "CVEs":
            current.cves.append(value)
    return found


def _attributes(name: str, arch: str, evr: str, repository: str, advisory: Advisory | None) -> dict[str, object]:
    epoch, _, rest = evr.rpartition(":")
    version, _, release = rest.rpartition("-")
    security = bool(advisory and advisory.classification == "Security")
    return {"NAME": name, "ARCH": arch, "EPOCH": epoch or "0", "VERSION": version, "RELEASE": release,
            "REPOSITORY": repository, "CLASSIFICATION": advisory.classification if advisory else "",
            "SEVERITY": advisory.severity if advisory else "", "ADVISORY_ID": advisory.id if advisory else "",
            "CVE_ID": tuple(advisory.cves) if advisory else (), "SECURITY": "SECURITY" if security else "NON-SECURITY"}


def _rank(advisory: Advisory) -> int:
    return _RANK.index(advisory.classification) if advisory.classification in _RANK else len(_RANK)


def parse_scan(text: str) -> Scan:
    scan = Scan(compare)
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("@@"):
            current = line.strip()
            if current == "@@REBOOT":
                scan.reboot_required = True
            sections.setdefault(current, [])
            continue
        sections.setdefault(current, []).append(line)
    advisories = _parse_info(sections.get("@@INFO", []))
    by_package: dict[tuple[str, str, str], Advisory] = {}
    for line in sections.get("@@ADVISORIES", []):
        tokens = line.split()
        if len(tokens) < 3:
            continue
        nevra = _nevra(tokens[-1])
        advisory = advisories.get(tokens[-3])
        if nevra is None or advisory is None:
            continue
        known = by_package.get(nevra)
        if known is None or _rank(advisory) < _rank(known):
            by_package[nevra] = advisory

    def package(name: str, arch: str, evr: str, repository: str, installed_time: float | None) -> Package:
        advisory = by_package.get((name, arch, evr))
        attributes = _attributes(name, arch, evr, repository, advisory)
        security = attributes["SECURITY"] == "SECURITY"
        return Package(name, arch, evr, attributes, security=security, noticed=advisory is not None,  # type: ignore[arg-type]
                       installed_time=installed_time, released=advisory.released if advisory else None)

    for line in sections.get("@@AVAILABLE", []):
        parts = line.split("\t")
        if len(parts) == 6:
            name, arch, epoch, version, release, repo = parts
            scan.available.setdefault(name, []).append(package(name, arch, _evr(epoch, version, release), repo, None))
    for line in sections.get("@@INSTALLED", []):
        parts = line.split("\t")
        if len(parts) != 6 or parts[1] == "(none)":  # gpg-pubkey "packages" have no architecture
            continue
        name, arch, epoch, version, release, when = parts
        evr = _evr(epoch, version, release)
        known = scan.installed.get(name)
        if known is not None and compare(known.version, evr) >= 0:
            continue  # several installed versions (kernels): the newest speaks for the package
        scan.installed[name] = package(name, arch, evr, "", float(when) if when.isdigit() else None)
    return scan


def prepare(backend: InstanceBackend, folder: str, configuration: str) -> Repos:
    """The baseline's Sources as the only repository folder dnf reads during this operation."""
    write_files(backend, folder, {"patch-sources.repo": configuration.rstrip("\n") + "\n"})
    return Repos(folder, f"--setopt=reposdir={folder}")


def scan(backend: InstanceBackend, repos: Repos | None = None) -> Scan:
    """Refresh the metadata (`dnf makecache --refresh`), then read."""
    options = repos.options if repos else ""
    code, out, err = run(backend, f"{_FIND}\n$PM -q -y {options} --refresh makecache 2>&1", UPDATE_SECONDS)
    if code != 0:
        raise PackageError(f"refreshing the repositories' metadata failed (exit status {code}):\n{out}{err}")
    return read(backend, repos)


def read(backend: InstanceBackend, repos: Repos | None = None) -> Scan:
    options = repos.options if repos else ""
    code, out, err = run(backend, SCAN_SCRIPT.replace("@OPTIONS@", options), UPDATE_SECONDS)
    if code != 0:
        raise PackageError(err.strip() or f"reading the package lists failed (exit status {code})")
    return parse_scan(out)


def install(backend: InstanceBackend, wanted: Sequence[Package], repos: Repos | None = None,
            blocked: Blocked | None = None) -> tuple[dict[str, str], str]:
    """`dnf upgrade name-epoch:version-release.arch ...` for exactly these versions, all in one transaction, then
    one by one if that fails. A blocked patch (RejectedPatches under BLOCK) is a dnf --exclude spec: dnf installs
    neither it nor what needs it. Answers the names that failed (with why) and the output."""
    if not wanted:
        return {}, ""
    excluded = blocked.patterns if blocked else ()
    options = " ".join([repos.options if repos else "", *(f"--exclude={shlex.quote(e)}" for e in excluded)])

    def attempt(packages: Sequence[Package]) -> tuple[int | None, str]:
        specs = " ".join(shlex.quote(f"{p.name}-{p.version if ':' in p.version else '0:' + p.version}.{p.arch}")
                         for p in packages)
        code, out, err = run(backend, f"{_FIND}\n$PM -y {options} upgrade {specs} 2>&1", INSTALL_SECONDS)
        return code, out + err

    code, output = attempt(wanted)
    if code == 0:
        return {}, output
    failed: dict[str, str] = {}
    for p in wanted:
        code, out = attempt([p])
        output += out
        if code != 0:
            failed[p.name] = "dnf failed"
    return failed, output


# --- rpm's version ordering (rpmvercmp) ---------------------------------------------------------------------------
_SEGMENT = re.compile(r"(\d+|[A-Za-z]+|~|\^)")


def _vercmp(a: str, b: str) -> int:
    """rpmvercmp: alternate runs of digits and letters, compared run by run (digits numerically and newer than
    letters); separators only separate; "~" sorts before everything, even the end; "^" after the end only."""
    if a == b:
        return 0
    sa, sb = _SEGMENT.findall(a), _SEGMENT.findall(b)
    for x, y in zip(sa, sb):
        if x == y:
            continue
        if x in "~^" or y in "~^":  # against anything else, a mark sorts first; "~" before "^"
            return -1 if x == "~" or (x == "^" and y != "~") else 1
        if x.isdigit() and y.isdigit():
            return (int(x) > int(y)) - (int(x) < int(y))
        if x.isdigit() != y.isdigit():
            return 1 if x.isdigit() else -1
        return (x > y) - (x < y)
    rest_a, rest_b = sa[len(sb):], sb[len(sa):]
    if rest_a:
        return -1 if rest_a[0] == "~" else 1
    if rest_b:
        return 1 if rest_b[0] == "~" else -1
    return 0


def _split(evr: str) -> tuple[int, str, str]:
    epoch, _, rest = evr.rpartition(":")
    version, _, release = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch) if epoch.isdigit() else 0, version, release


def compare(a: str, b: str) -> int:
    """<0, 0 or >0 as rpm orders two [epoch:]version-release strings."""
    ea, va, ra = _split(a)
    eb, vb, rb = _split(b)
    if ea != eb:
        return (ea > eb) - (ea < eb)
    return _vercmp(va, vb) or _vercmp(ra, rb)
