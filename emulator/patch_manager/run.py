"""AWS-RunPatchBaseline on a managed instance: the in-process plugin Run Command runs for its PatchLinux step.

    code, stdout, stderr = patching.run(ctx, instance, backend, inputs)   # ctx.request_id: the command id

Scan: refresh the package lists (apt-get update, dnf makecache), judge every installed package and every update
the repositories offer against the effective baseline (SnapshotId's, else BaselineOverride's, else the patch
group's, else the default for the operating system), and record the result. Install: the same, then install
exactly the approved missing updates (or, with an InstallOverrideList, exactly the listed ones), look again and
record that. The baseline's Sources whose Products name the machine's product replace its repositories for the
operation. Either way the instance's patch state (DescribeInstancePatchStates,
DescribeInstancePatches) and its Patch compliance items are replaced by this operation's.

Patch states (AWS's definitions): an approved update not installed is Missing (Failed when its install failed);
an installed package is Installed when the baseline approves its version, InstalledOther when not, and
InstalledRejected when RejectedPatches names it and RejectedPatchesAction is BLOCK (with ALLOW_AS_DEPENDENCY it is
InstalledOther); a package this or an earlier Install updated while the machine still needs a reboot
(/var/run/reboot-required) is InstalledPendingReboot; an approved package the lists offer that isn't installed
is NotApplicable. Missing, Failed, InstalledRejected and InstalledPendingReboot are non-compliant.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.backends import BackendError, InstanceBackend
from emulator.context import RequestContext
from emulator.patch_manager import apt, dnf, overrides, predefined
from emulator.patch_manager.baseline import BLOCK, UNSPECIFIED, Patch, decide
from emulator.patch_manager.catalog import Catalog, Found, patch_group_of
from emulator.patch_manager.packages import REBOOT_REQUIRED, Blocked, Package, PackageError, PackageManager, Repos, \
    Scan, remove_folder

if TYPE_CHECKING:
    from emulator.managed_instances import ManagedInstance

INSTALLED, INSTALLED_OTHER, INSTALLED_PENDING_REBOOT, INSTALLED_REJECTED = (
    "Installed", "InstalledOther", "InstalledPendingReboot", "InstalledRejected")
MISSING, FAILED, NOT_APPLICABLE = "Missing", "Failed", "NotApplicable"
NON_COMPLIANT_STATES = (MISSING, FAILED, INSTALLED_REJECTED, INSTALLED_PENDING_REBOOT)
# DescribeInstancePatchStates' count members, by state.
COUNTS = {INSTALLED: "InstalledCount", INSTALLED_OTHER: "InstalledOtherCount",
          INSTALLED_PENDING_REBOOT: "InstalledPendingRebootCount", INSTALLED_REJECTED: "InstalledRejectedCount",
          MISSING: "MissingCount", FAILED: "FailedCount", NOT_APPLICABLE: "NotApplicableCount"}
SCAN, INSTALL = "Scan", "Install"
REBOOT_IF_NEEDED, NO_REBOOT = "RebootIfNeeded", "NoReboot"
MANAGERS: dict[str, PackageManager] = {
    **{os_: apt for os_ in predefined.APT_SYSTEMS},
    **{os_: dnf for os_ in predefined.RPM_SYSTEMS},
}


class PatchingError(Exception):
    """The operation can't go on; the message is the step's error output."""


@dataclass(frozen=True)
class Operation:
    """What one run of AWS-RunPatchBaseline recorded: its summary (DescribeInstancePatchStates' members, times as
    epoch seconds) and every patch (DescribeInstancePatches' members, plus `_level`, `_security`, `_name` and
    `_version`, the version as the package manager names it)."""

    summary: dict[str, Any]
    patches: list[dict[str, Any]]
    pending: list[str]  # packages waiting for a reboot


def _patch(pkg: Package, product: str) -> Patch:
    return Patch(pkg.name, pkg.arch, pkg.version, pkg.security, {
        "PRODUCT": product, "CLASSIFICATION": "", "SECURITY": "SECURITY" if pkg.security else "NON-SECURITY",
        **pkg.attributes}, noticed=pkg.noticed, released=pkg.released)


# What a patch's record keeps of the properties DescribeAvailablePatches filters on beyond its title.
RECORDED_PROPERTIES = ("REPOSITORY", "ADVISORY_ID", "CVE_ID", "BUGZILLA_ID")


def _record(p: Patch, state: str, installed_time: float | None, level: str) -> dict[str, Any]:
    properties = {k: list(v) if isinstance(v, tuple) else [v]
                  for k in RECORDED_PROPERTIES if (v := p.attributes.get(k))}
    return {"Title": p.title, "KBId": p.kb_id, "Classification": p.attributes.get("CLASSIFICATION", ""),
            "Severity": p.attributes.get("SEVERITY", ""), "State": state, "InstalledTime": installed_time or 0.0,
            "_level": level, "_security": p.security, "_name": p.name, "_version": p.version,
            "_properties": properties}


def assess(scan: Scan, d: Mapping[str, Any], product: str, now: float, *,
           failed: Mapping[str, str] | None = None, pending: set[str] | None = None) -> list[dict[str, Any]]:
    """Every patch's record, by title."""
    block = d.get("RejectedPatchesAction") == BLOCK
    failed = failed or {}
    pending = pending or set()
    out = []
    for pkg in scan.installed.values():
        current = _patch(pkg, product)
        candidate = scan.candidate(pkg.name, pkg.arch)
        if candidate is not None and scan.newer(candidate.version, pkg.version):
            update = _patch(candidate, product)
            verdict = decide(d, update, now)
            if verdict.approved:
                out.append(_record(update, FAILED if pkg.name in failed else MISSING, None, verdict.compliance_level))
                continue
        verdict = decide(d, current, now)
        if verdict.rejected:
            state = INSTALLED_REJECTED if block else INSTALLED_OTHER
        elif pkg.name in pending:
            state = INSTALLED_PENDING_REBOOT
        else:
            state = INSTALLED if verdict.approved else INSTALLED_OTHER
        out.append(_record(current, state, pkg.installed_time, verdict.compliance_level))
    for name in scan.available.keys() - scan.installed.keys():
        arches = {a.arch for a in scan.available[name]}
        for arch in sorted(arches):
            candidate = scan.candidate(name, arch)
            assert candidate is not None
            patch = _patch(candidate, product)
            verdict = decide(d, patch, now)
            if verdict.approved:
                out.append(_record(patch, NOT_APPLICABLE, None, verdict.compliance_level))
    return sorted(out, key=lambda r: r["Title"])


def to_install(scan: Scan, d: Mapping[str, Any], product: str, patches: list[dict[str, Any]],
               listed: list[overrides.Listed] | None) -> list[Package]:
    """The updates an Install installs: the approved missing ones; with an InstallOverrideList, instead every
    update of an installed package the list names (AWS: the list overrides the baseline's approvals), but never
    a rejected one."""
    if listed is None:
        chosen = [scan.offered(p["_name"], p["_version"]) for p in patches if p["State"] == MISSING]
        return [c for c in chosen if c is not None]
    out = []
    for pkg in scan.installed.values():
        candidate = scan.candidate(pkg.name, pkg.arch)
        if candidate is None or not scan.newer(candidate.version, pkg.version):
            continue
        patch = _patch(candidate, product)
        if any(entry.covers(patch) for entry in listed) and not decide(d, patch).rejected:
            out.append(candidate)
    return out


def summarize(patches: list[dict[str, Any]]) -> dict[str, int]:
    counts = {member: 0 for member in COUNTS.values()}
    critical = security = other = 0
    for p in patches:
        counts[COUNTS[p["State"]]] += 1
        if p["State"] in NON_COMPLIANT_STATES:
            if p["_level"] == "CRITICAL":
                critical += 1
            elif p["_security"]:
                security += 1
            else:
                other += 1
    return {**counts, "UnreportedNotApplicableCount": 0, "CriticalNonCompliantCount": critical,
            "SecurityNonCompliantCount": security, "OtherNonCompliantCount": other,
            "AvailableSecurityUpdateCount": 0}


def sources_for(d: Mapping[str, Any], product: str) -> str | None:
    """The repository configuration of the baseline's Sources whose Products name this product (joined, when
    several do), or None: the machine's own repositories."""
    matching = [s["Configuration"] for s in d.get("Sources") or []
                if any(fnmatchcase(product, p) for p in s.get("Products") or [])]
    return "\n".join(matching) if matching else None


class Patching:
    """Runs AWS-RunPatchBaseline's patching on an instance and hands the result to `record`."""

    def __init__(self, catalog: Catalog, now: Callable[[], float], s3_folder: Path | None,
                 snapshot: Callable[[RequestContext, str, str, dict[str, Any] | None], tuple[Found, str]],
                 previous: Callable[[RequestContext, str], dict[str, Any] | None],
                 record: Callable[[RequestContext, str, str, Operation], None]) -> None:
        self.catalog = catalog
        self.now = now
        self.s3_folder = s3_folder
        self.snapshot = snapshot  # (ctx, instance id, snapshot id, override) -> (baseline, product)
        self.previous = previous  # (ctx, instance id) -> the last summary recorded
        self.record = record  # (ctx, instance id, command id, operation)

    def run(self, ctx: RequestContext, instance: ManagedInstance, backend: InstanceBackend,
            inputs: Mapping[str, Any]) -> tuple[int, bytes, bytes]:
        try:
            return 0, self._run(ctx, instance, backend, inputs).encode(), b""
        except (PatchingError, PackageError, overrides.OverrideError, BackendError) as e:
            return 1, b"", str(e).encode()

    def _run(self, ctx: RequestContext, instance: ManagedInstance, backend: InstanceBackend,
             inputs: Mapping[str, Any]) -> str:
        started = self.now()
        operation = str(inputs.get("Operation") or SCAN)
        reboot_option = str(inputs.get("RebootOption") or REBOOT_IF_NEEDED)
        facts = instance.facts
        operating_system = predefined.operating_system_of(facts.os_id, facts.platform_version) if facts else None
        manager = MANAGERS.get(operating_system or "")
        if manager is None or operating_system is None:
            name = facts.pretty_name if facts else "this machine"
            raise PatchingError(f"ssm-emulator patches Debian, Ubuntu and Raspbian machines through apt, and Amazon "
                                f"Linux, RHEL, CentOS, Oracle, Rocky and Alma Linux machines through dnf; {name} "
                                "isn't one of them.")
        override = None
        if inputs.get("BaselineOverride"):
            override = overrides.baseline_override(str(inputs["BaselineOverride"]), self.s3_folder, operating_system)
        listed = None
        if inputs.get("InstallOverrideList") and operation == INSTALL:  # a Scan ignores it, as on AWS
            listed = overrides.install_override_list(str(inputs["InstallOverrideList"]), self.s3_folder)
        group = patch_group_of(dict(instance.tags))
        snapshot_id = str(inputs.get("SnapshotId") or "") or str(uuid.uuid4())
        found, product = self.snapshot(ctx, instance.instance_id, snapshot_id, override)
        d = found.definition
        log = [f"Patch operation {operation} on {instance.instance_id} ({product}) with baseline {found.id}"
               f"{' (' + d['Name'] + ')' if d.get('Name') else ''}, patch group '{group}', snapshot {snapshot_id}, "
               f"through {manager.NAME}."]
        configuration = sources_for(d, product)
        repos = None
        try:
            if configuration is not None:
                repos = manager.prepare(backend, f"/tmp/ssm-emulator-patch-sources-{ctx.request_id}", configuration)
                log.append(f"Using the baseline's Sources for {product} instead of the machine's repositories.")
            return self._operate(ctx, instance, backend, manager, repos, d, found, product, group, snapshot_id,
                                 operation, reboot_option, listed, started, log)
        finally:
            if repos is not None:
                remove_folder(backend, repos.folder)

    def _operate(self, ctx: RequestContext, instance: ManagedInstance, backend: InstanceBackend,
                 manager: PackageManager, repos: Repos | None, d: dict[str, Any], found: Found, product: str,
                 group: str, snapshot_id: str, operation: str, reboot_option: str,
                 listed: list[overrides.Listed] | None, started: float, log: list[str]) -> str:
        scan = manager.scan(backend, repos)
        last = self.previous(ctx, instance.instance_id) or {}
        pending = set(last.get("_pending") or []) if scan.reboot_required else set()
        patches = assess(scan, d, product, self.now(), pending=pending)
        failed: dict[str, str] = {}
        installed_now: list[str] = []
        no_reboot_time = last.get("LastNoRebootInstallOperationTime")
        if operation == INSTALL:
            wanted = to_install(scan, d, product, patches, listed)
            blocked = None
            if d.get("RejectedPatchesAction") == BLOCK and d.get("RejectedPatches"):
                blocked = Blocked(tuple(d["RejectedPatches"]), lambda p: decide(d, _patch(p, product)).rejected)
            failed, output = manager.install(backend, wanted, repos, blocked)
            scan = manager.read(backend, repos)
            # A manager may succeed while leaving a package out (dnf skips one whose dependencies it can't have)
            for p in wanted:
                now_installed = scan.installed.get(p.name)
                if p.name not in failed and (now_installed is None or now_installed.version != p.version):
                    failed[p.name] = f"{manager.NAME} left it out" + (
                        " (something it needs is rejected: BLOCK)" if blocked else "")
            installed_now = [p.name for p in wanted if p.name not in failed]
            which = "update(s) the install override list names" if listed is not None else "approved update(s)"
            log.append(f"Installing {len(wanted)} {which}: "
                       f"{', '.join(f'{p.name}={p.version}' for p in wanted) or 'none'}.")
            if output:
                log.append(output.rstrip())
            if reboot_option == NO_REBOOT and installed_now:
                no_reboot_time = self.now()
            if scan.reboot_required and installed_now:
                pending |= set(installed_now)
                if reboot_option == REBOOT_IF_NEEDED:
                    log.append(self._reboot(backend))
                    scan = manager.read(backend, repos)
                    if not scan.reboot_required:
                        pending = set()
            patches = assess(scan, d, product, self.now(), failed=failed, pending=pending)
        summary = {
            "InstanceId": instance.instance_id, "PatchGroup": group, "BaselineId": found.id,
            "SnapshotId": snapshot_id, "OwnerInformation": None, **summarize(patches),
            "OperationStartTime": started, "OperationEndTime": self.now(), "Operation": operation,
            "RebootOption": reboot_option, "LastNoRebootInstallOperationTime": no_reboot_time,
            "_pending": sorted(pending), "_product": product,
        }
        self.record(ctx, instance.instance_id, ctx.request_id, Operation(summary, patches, sorted(pending)))
        counts = ", ".join(f"{member} {summary[member]}" for member in COUNTS.values())
        log.append(f"Result: {counts}.")
        if failed:
            why = "; ".join(f"{name}: {reason}" for name, reason in sorted(failed.items()))
            raise PatchingError("\n".join([*log, f"Failed to install: {why}."]))
        return "\n".join(log) + "\n"

    @staticmethod
    def _reboot(backend: InstanceBackend) -> str:
        """RebootIfNeeded: a container is restarted (what a reboot is to it); /run survives a container restart,
        unlike a reboot, so the reboot-required marker is removed once it is back. A machine that can't be
        restarted from here (an SSH host) keeps its updates pending a reboot."""
        try:
            backend.restart()
        except BackendError as e:
            return f"A reboot is required, but this machine can't be rebooted from ssm-emulator ({e})."
        backend.run(["/bin/sh", "-c", f"rm -f {REBOOT_REQUIRED} {REBOOT_REQUIRED}.pkgs"], timeout=30,
                    stdin=False)
        return "Rebooted the machine: a reboot was required."


def level_of(record: Mapping[str, Any]) -> str:
    return str(record.get("_level") or UNSPECIFIED)
