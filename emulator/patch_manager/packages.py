"""What a package manager (apt, dnf) found on a machine, in the terms a patch baseline judges, and what every
manager module offers run.py:

    scan = manager.scan(backend, repos)       # repos: the operation's own repository configuration, or None
    failed, output = manager.install(backend, [package, ...], repos, blocked)

A Package is one version of one package, installed or offered. Its `attributes` hold the PatchFilter values the
manager can tell (apt: PRIORITY, SECTION; dnf: CLASSIFICATION, SEVERITY, REPOSITORY, ADVISORY_ID, CVE_ID...).
`security` makes it a security update (SecurityNonCompliantCount, Classification); `noticed` makes it a patch a
rule approves without EnableNonSecurity — on apt the same as security, on yum/dnf any update an updateinfo
advisory names (Bugfix too), as AWS's baselines for those systems rely on.
"""
from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Protocol

from emulator.backends import InstanceBackend

UPDATE_SECONDS = 600.0
INSTALL_SECONDS = 3600.0
REBOOT_REQUIRED = "/var/run/reboot-required"


class PackageError(Exception):
    """A step on the machine failed; the message says which and why."""


@dataclass(frozen=True)
class Package:
    name: str
    arch: str
    version: str  # as the manager names it: apt's [epoch:]upstream[-revision], rpm's [epoch:]version-release
    attributes: Mapping[str, str] = field(default_factory=dict)
    security: bool = False
    noticed: bool = False
    installed_time: float | None = None
    released: float | None = None  # the advisory's date (yum/dnf); apt lists carry none


@dataclass
class Scan:
    compare: Callable[[str, str], int]  # the manager's version order
    installed: dict[str, Package] = field(default_factory=dict)  # by name
    available: dict[str, list[Package]] = field(default_factory=dict)  # by name, every version offered
    reboot_required: bool = False

    def candidate(self, name: str, arch: str) -> Package | None:
        """The highest version offered for this package and architecture (or an architecture-free one)."""
        offered = [a for a in self.available.get(name, []) if a.arch in (arch, "all", "noarch")]
        return max(offered, key=cmp_to_key(lambda a, b: self.compare(a.version, b.version)), default=None)

    def offered(self, name: str, version: str) -> Package | None:
        return next((a for a in self.available.get(name, []) if a.version == version), None)

    def newer(self, a: str, b: str) -> bool:
        return self.compare(a, b) > 0


@dataclass(frozen=True)
class Repos:
    """The repositories an operation uses instead of the machine's own (a baseline's Sources): a folder on the
    machine the manager module filled, and the options that point the manager at it."""

    folder: str
    options: str


@dataclass(frozen=True)
class Blocked:
    """RejectedPatches under RejectedPatchesAction BLOCK: not even as a dependency of an approved patch."""

    patterns: tuple[str, ...]  # as the baseline names them
    rejects: Callable[[Package], bool]  # the baseline's verdict on one package version


class PackageManager(Protocol):
    """What apt.py and dnf.py each provide."""

    NAME: str

    def prepare(self, backend: InstanceBackend, folder: str, configuration: str) -> Repos: ...

    def scan(self, backend: InstanceBackend, repos: Repos | None = None) -> Scan: ...

    def read(self, backend: InstanceBackend, repos: Repos | None = None) -> Scan: ...

    def install(self, backend: InstanceBackend, wanted: Sequence[Package], repos: Repos | None = None,
                blocked: Blocked | None = None) -> tuple[dict[str, str], str]: ...


def run(backend: InstanceBackend, script: str, timeout: float) -> tuple[int | None, str, str]:
    done = backend.run(["/bin/sh", "-c", script], timeout=timeout, stdin=False)
    return done.exit_code, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


def write_files(backend: InstanceBackend, folder: str, files: Mapping[str, str]) -> None:
    """Make `folder` on the machine (fresh) and write these files into it."""
    script = [f"rm -rf {shlex.quote(folder)}", f"mkdir -p {shlex.quote(folder)}"]
    script += [f"printf '%s' {shlex.quote(text)} > {shlex.quote(folder + '/' + name)}" for name, text in files.items()]
    code, out, err = run(backend, " && ".join(script), 30)
    if code != 0:
        raise PackageError(f"Can't write the patch sources to {folder} on the machine: {out}{err}")


def remove_folder(backend: InstanceBackend, folder: str) -> None:
    run(backend, f"rm -rf {shlex.quote(folder)}", 30)
