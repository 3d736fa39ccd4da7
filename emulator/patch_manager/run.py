"""AWS-RunPatchBaseline on a managed instance: the in-process plugin Run Command runs for its PatchLinux step.

    code, stdout, stderr = patching.run(ctx, instance, backend, inputs)   # ctx.request_id: the command id

Scan: refresh the package lists (apt-get update), judge every installed package and every update the lists offer
against the effective baseline (SnapshotId's, else BaselineOverride's, else the patch group's, else the default
for the operating system), and record the result. Install: the same, then install exactly the approved missing
updates, look again and record that. Either way the instance's patch state (DescribeInstancePatchStates,
DescribeInstancePatches) and its Patch compliance items are replaced by this operation's.

Patch states (AWS's definitions): an approved update not installed is Missing (Failed when its install failed);
an installed package is Installed when the baseline approves its version, InstalledOther when not, and
InstalledRejected when RejectedPatches names it and RejectedPatchesAction is BLOCK (with ALLOW_AS_DEPENDENCY it is
InstalledOther); a package this or an earlier Install updated while the machine still needs a reboot
(/var/run/reboot-required) is InstalledPendingReboot; an approved package the lists offer that isn't installed
is NotApplicable. Missing, Failed, InstalledRejected and InstalledPendingReboot are non-compliant.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.backends import BackendError, InstanceBackend
from emulator.context import RequestContext
from emulator.patch_manager import apt, predefined
from emulator.patch_manager.baseline import BLOCK, UNSPECIFIED, Patch, decide
from emulator.patch_manager.catalog import Catalog, Found, patch_group_of

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


class PatchingError(Exception):
    """The operation can't go on; the message is the step's error output."""


@dataclass(frozen=True)
class Operation:
    """What one run of AWS-RunPatchBaseline recorded: its summary (DescribeInstancePatchStates' members, times as
    epoch seconds) and every patch (DescribeInstancePatches' members, plus `_level` and `_security`)."""

    summary: dict[str, Any]
    patches: list[dict[str, Any]]
    pending: list[str]  # packages waiting for a reboot


def _patch(name: str, arch: str, version: str, priority: str, section: str, security: bool, product: str) -> Patch:
    return Patch(name, arch, version, security, {
        "PRODUCT": product, "PRIORITY": priority.capitalize(), "SECTION": section,
        "CLASSIFICATION": "Security" if security else "", "SECURITY": "SECURITY" if security else "NON-SECURITY",
    })


def _record(p: Patch, state: str, installed_time: float | None, level: str) -> dict[str, Any]:
    return {"Title": p.title, "KBId": p.kb_id, "Classification": p.attributes["CLASSIFICATION"],
            "Severity": p.attributes["PRIORITY"], "State": state, "InstalledTime": installed_time or 0.0,
            "_level": level, "_security": p.security}


def assess(scan: apt.Scan, d: Mapping[str, Any], product: str, *, failed: set[str] = frozenset(),  # type: ignore[assignment]
           pending: set[str] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]
    """Every patch's record, by title."""
    block = d.get("RejectedPatchesAction") == BLOCK
    out = []
    for pkg in scan.installed.values():
        offered = scan.offered(pkg.name, pkg.version)
        current = _patch(pkg.name, pkg.arch, pkg.version, pkg.priority, pkg.section,
                         bool(offered and offered.security), product)
        candidate = scan.candidate(pkg.name, pkg.arch)
        if candidate is not None and apt.compare(candidate.version, pkg.version) > 0:
            update = _patch(candidate.name, pkg.arch, candidate.version, candidate.priority, candidate.section,
                            candidate.security, product)
            verdict = decide(d, update)
            if verdict.approved:
                out.append(_record(update, FAILED if pkg.name in failed else MISSING, None, verdict.compliance_level))
                continue
        verdict = decide(d, current)
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
            patch = _patch(name, arch, candidate.version, candidate.priority, candidate.section, candidate.security,
                           product)
            verdict = decide(d, patch)
            if verdict.approved:
                out.append(_record(patch, NOT_APPLICABLE, None, verdict.compliance_level))
    return sorted(out, key=lambda r: r["Title"])


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


def read_override(location: str, s3_folder: Path | None) -> Any:
    """The BaselineOverride file: s3://bucket/key is read from <data_sync_dir>/bucket/key, the local folder that
    stands in for Amazon S3 (there is no S3 offline); https:// URLs can't be fetched offline."""
    if not location.startswith("s3://"):
        raise PatchingError(f"ssm-emulator can't download {location}: it works offline. Put the file in the folder "
                            "standing in for S3 (data_sync_dir) and give its s3:// path.")
    if s3_folder is None:
        raise PatchingError(f"ssm-emulator has no Amazon S3: set data_sync_dir in the config file to read {location} "
                            "from <data_sync_dir>/<bucket>/<key>.")
    path = s3_folder / location.removeprefix("s3://")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise PatchingError(f"Can't read the baseline override {location} ({path}): {e}") from e


def override_for(raw: Any, operating_system: str) -> dict[str, Any] | None:
    """The override for this operating system: the file holds one baseline or a list of them, one per system."""
    entries = raw if isinstance(raw, list) else [raw]
    return next((e for e in entries if isinstance(e, dict) and e.get("OperatingSystem") == operating_system), None)


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
        except (PatchingError, apt.AptError, BackendError) as e:
            return 1, b"", str(e).encode()

    def _run(self, ctx: RequestContext, instance: ManagedInstance, backend: InstanceBackend,
             inputs: Mapping[str, Any]) -> str:
        started = self.now()
        operation = str(inputs.get("Operation") or SCAN)
        reboot_option = str(inputs.get("RebootOption") or REBOOT_IF_NEEDED)
        facts = instance.facts
        operating_system = predefined.operating_system_of(facts.os_id, facts.platform_version) if facts else None
        if operating_system not in predefined.APT_SYSTEMS:
            name = facts.pretty_name if facts else "this machine"
            raise PatchingError(f"ssm-emulator patches Debian, Ubuntu and Raspbian machines through apt; "
                                f"{name} isn't one of them.")
        assert operating_system is not None
        override = None
        if inputs.get("BaselineOverride"):
            override = override_for(read_override(str(inputs["BaselineOverride"]), self.s3_folder), operating_system)
            if override is None:
                raise PatchingError(f"The baseline override has no baseline for {operating_system}.")
        if inputs.get("InstallOverrideList"):
            raise PatchingError("ssm-emulator doesn't take an InstallOverrideList: give the patches to install "
                                "through the baseline (ApprovedPatches) or a BaselineOverride.")
        group = patch_group_of(dict(instance.tags))
        snapshot_id = str(inputs.get("SnapshotId") or "") or str(uuid.uuid4())
        found, product = self.snapshot(ctx, instance.instance_id, snapshot_id, override)
        d = found.definition
        log = [f"Patch operation {operation} on {instance.instance_id} ({product}) with baseline {found.id}"
               f"{' (' + d['Name'] + ')' if d.get('Name') else ''}, patch group '{group}', snapshot {snapshot_id}."]
        apt.refresh(backend)
        scan = apt.scan(backend)
        last = self.previous(ctx, instance.instance_id) or {}
        pending = set(last.get("_pending") or []) if scan.reboot_required else set()
        patches = assess(scan, d, product, pending=pending)
        failed: set[str] = set()
        installed_now: list[str] = []
        no_reboot_time = last.get("LastNoRebootInstallOperationTime")
        if operation == INSTALL:
            wanted = [(p["KBId"].rsplit(".", 1)[0], p["Title"].split(":", 2)[2]) for p in patches
                      if p["State"] == MISSING]
            wanted = [(n, _full_version(scan, n, v)) for n, v in wanted]
            failed, output = apt.install(backend, wanted)
            installed_now = [n for n, _ in wanted if n not in failed]
            log.append(f"Installing {len(wanted)} approved update(s): "
                       f"{', '.join(f'{n}={v}' for n, v in wanted) or 'none'}.")
            if output:
                log.append(output.rstrip())
            scan = apt.scan(backend)
            if reboot_option == NO_REBOOT and installed_now:
                no_reboot_time = self.now()
            if scan.reboot_required and installed_now:
                pending |= set(installed_now)
                if reboot_option == REBOOT_IF_NEEDED:
                    log.append(self._reboot(backend))
                    scan = apt.scan(backend)
                    if not scan.reboot_required:
                        pending = set()
            patches = assess(scan, d, product, failed=failed, pending=pending)
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
            raise PatchingError("\n".join([*log, f"Failed to install: {', '.join(sorted(failed))}."]))
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
        backend.run(["/bin/sh", "-c", f"rm -f {apt.REBOOT_REQUIRED} {apt.REBOOT_REQUIRED}.pkgs"], timeout=30,
                    stdin=False)
        return "Rebooted the machine: a reboot was required."


def _full_version(scan: apt.Scan, name: str, version_without_epoch: str) -> str:
    """The version as apt names it (with its epoch) from a title's version."""
    return next((a.version for a in scan.available.get(name, [])
                 if a.version == version_without_epoch or a.version.endswith(":" + version_without_epoch)),
                version_without_epoch)


def level_of(record: Mapping[str, Any]) -> str:
    return str(record.get("_level") or UNSPECIFIED)
