"""Patch Manager's response models, from stored definitions, summaries and patch records, and the filters of the
Describe operations that read records."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from api_models.errors import InvalidFilter
from api_models.patch_manager import (
    DescribePatchGroupStateResult,
    InstancePatchState,
    InstancePatchStateFilter,
    Patch,
    PatchBaselineIdentity,
    PatchComplianceData,
)
from emulator.clock import timestamp
from emulator.patch_manager.catalog import Found
from emulator.patch_manager.run import COUNTS

M = TypeVar("M")
# PatchComplianceData's State enum, by the state names filters, compliance details and counts use.
STATE_ENUM = {"Installed": "INSTALLED", "InstalledOther": "INSTALLED_OTHER",
              "InstalledPendingReboot": "INSTALLED_PENDING_REBOOT", "InstalledRejected": "INSTALLED_REJECTED",
              "Missing": "MISSING", "NotApplicable": "NOT_APPLICABLE", "Failed": "FAILED"}
_TIMES = ("OperationStartTime", "OperationEndTime", "LastNoRebootInstallOperationTime")


def baseline(model: Callable[..., M], found: Found, **extra: Any) -> M:
    d = found.definition
    return model.model_construct(  # type: ignore[attr-defined, no-any-return]
        BaselineId=found.id, **{k: v for k, v in d.items()},
        CreatedDate=timestamp(found.created), ModifiedDate=timestamp(found.modified), **extra)


def identity(found: Found, default: bool) -> PatchBaselineIdentity:
    d = found.definition
    return PatchBaselineIdentity.model_construct(
        BaselineId=found.id, BaselineName=d["Name"], OperatingSystem=d["OperatingSystem"],
        BaselineDescription=d.get("Description"), DefaultBaseline=default)


def patch_state(s: Mapping[str, Any]) -> InstancePatchState:
    shown = {k: v for k, v in s.items() if not k.startswith("_") and v is not None}
    for key in _TIMES:
        if key in shown:
            shown[key] = timestamp(shown[key])
    return InstancePatchState.model_construct(**shown)


def patch(p: Mapping[str, Any]) -> PatchComplianceData:
    return PatchComplianceData.model_construct(
        Title=p["Title"], KBId=p["KBId"], Classification=p["Classification"], Severity=p["Severity"],
        State=STATE_ENUM[p["State"]], InstalledTime=timestamp(p["InstalledTime"]))


def _same_state(a: str, b: str) -> bool:
    return a.replace("_", "").lower() == b.replace("_", "").lower()


def patch_matches(p: Mapping[str, Any], wanted: Mapping[str, list[str]]) -> bool:
    for key, values in wanted.items():
        if key == "State":
            if not any(_same_state(p["State"], v) for v in values):
                return False
        elif p[key] not in values:
            return False
    return True


def group_state(summaries: list[Mapping[str, Any]]) -> DescribePatchGroupStateResult:
    def having(member: str) -> int:
        return sum(1 for s in summaries if s.get(member, 0) > 0)

    return DescribePatchGroupStateResult.model_construct(
        Instances=len(summaries),
        InstancesWithInstalledPatches=having("InstalledCount"),
        InstancesWithInstalledOtherPatches=having("InstalledOtherCount"),
        InstancesWithInstalledPendingRebootPatches=having("InstalledPendingRebootCount"),
        InstancesWithInstalledRejectedPatches=having("InstalledRejectedCount"),
        InstancesWithMissingPatches=having("MissingCount"),
        InstancesWithFailedPatches=having("FailedCount"),
        InstancesWithNotApplicablePatches=having("NotApplicableCount"),
        InstancesWithUnreportedNotApplicablePatches=having("UnreportedNotApplicableCount"),
        InstancesWithCriticalNonCompliantPatches=having("CriticalNonCompliantCount"),
        InstancesWithSecurityNonCompliantPatches=having("SecurityNonCompliantCount"),
        InstancesWithOtherNonCompliantPatches=having("OtherNonCompliantCount"),
        InstancesWithAvailableSecurityUpdates=having("AvailableSecurityUpdateCount"),
    )


_COUNT_KEYS = (*COUNTS.values(), "UnreportedNotApplicableCount", "CriticalNonCompliantCount",
               "SecurityNonCompliantCount", "OtherNonCompliantCount", "AvailableSecurityUpdateCount")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "Equal": lambda a, b: a == b, "NotEqual": lambda a, b: a != b,
    "LessThan": lambda a, b: a < b, "GreaterThan": lambda a, b: a > b,
}


def state_filter(f: InstancePatchStateFilter) -> Callable[[Mapping[str, Any]], bool]:
    """DescribeInstancePatchStatesForPatchGroup's filter: a count member (or Operation/BaselineId...) compared
    with Equal, NotEqual, LessThan or GreaterThan (the last two for counts only)."""
    assert f.Key and f.Values and f.Type
    value = f.Values[0]
    compare = _COMPARE[f.Type]
    if f.Key in _COUNT_KEYS:
        try:
            number = int(value)
        except ValueError:
            raise InvalidFilter(f"The value {value} of filter {f.Key} isn't an integer.") from None
        return lambda s: compare(s.get(f.Key, 0), number)
    if f.Key in ("Operation", "BaselineId", "SnapshotId", "RebootOption", "InstanceId"):
        if f.Type not in ("Equal", "NotEqual"):
            raise InvalidFilter(f"Filter {f.Key} takes the types Equal and NotEqual only.")
        return lambda s: compare(s.get(f.Key), value)
    raise InvalidFilter(f"The filter key {f.Key} isn't valid.")


def _properties(p: Mapping[str, Any]) -> dict[str, list[str]]:
    """A recorded patch's properties by DescribeAvailablePatches' filter keys; its title is
    name.arch:epoch:version-release."""
    name, arch = p["KBId"].rsplit(".", 1)
    epoch, version = p["Title"].split(":", 2)[1:]
    upstream, _, release = version.rpartition("-") if "-" in version else (version, "", "")
    return {"PRODUCT": [p.get("_product", "")], "NAME": [name], "ARCH": [arch], "EPOCH": [epoch],
            "VERSION": [upstream], "RELEASE": [release], "CLASSIFICATION": [p["Classification"]],
            "SEVERITY": [p["Severity"]], "PRIORITY": [p["Severity"]], **p.get("_properties", {})}


def available(p: Mapping[str, Any]) -> Patch:
    found = _properties(p)
    epoch = found["EPOCH"][0]
    return Patch.model_construct(
        Id=p["Title"], Title=p["Title"], Name=found["NAME"][0], Arch=found["ARCH"][0],
        Epoch=int(epoch) if epoch.isdigit() else 0, Version=found["VERSION"][0], Release=found["RELEASE"][0],
        Classification=p["Classification"], Severity=p["Severity"], Product=p.get("_product") or None,
        Repository=(found.get("REPOSITORY") or [None])[0], AdvisoryIds=found.get("ADVISORY_ID"),
        CVEIds=found.get("CVE_ID"), BugzillaIds=found.get("BUGZILLA_ID"))


def available_matches(p: Mapping[str, Any], wanted: Mapping[str, list[str]]) -> bool:
    """Every filter matches one of the patch's values for its key; a key the patch has no value for (Windows'
    PATCH_SET, MSRC_SEVERITY... on a Linux package) matches nothing."""
    found = _properties(p)
    return all(any(v in values for v in found.get(k, [])) for k, values in wanted.items())
