"""A patch baseline: its definition as the API shows it, the checks CreatePatchBaseline and UpdatePatchBaseline make,
and the decision it takes on one patch (approved, rejected, with which compliance level).

A definition is kept as the dict of GetPatchBaseline's members (Name, OperatingSystem, GlobalFilters, ApprovalRules,
ApprovedPatches, ...), defaults filled in, so what is stored is what is shown.
"""
from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from api_models.errors import ValidationException
from emulator.patch_manager import predefined

UNSPECIFIED = "UNSPECIFIED"
ALLOW_AS_DEPENDENCY, BLOCK = "ALLOW_AS_DEPENDENCY", "BLOCK"
# Members a definition always shows, with their defaults (what AWS answers for a baseline created without them).
DEFAULTS: dict[str, Any] = {
    "OperatingSystem": predefined.DEFAULT_OS,
    "GlobalFilters": {"PatchFilters": []},
    "ApprovalRules": {"PatchRules": []},
    "ApprovedPatches": [],
    "ApprovedPatchesComplianceLevel": UNSPECIFIED,
    "ApprovedPatchesEnableNonSecurity": False,
    "RejectedPatches": [],
    "RejectedPatchesAction": ALLOW_AS_DEPENDENCY,
    "Sources": [],
}
# Members a caller sets (CreatePatchBaseline's, less ClientToken and Tags).
MEMBERS = ("Name", "OperatingSystem", "Description", *[k for k in DEFAULTS if k != "OperatingSystem"],
           "AvailableSecurityUpdatesComplianceStatus")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY = 86400


def definition(given: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A full definition from the members given (None members leave `base`'s, or the default)."""
    out = {**DEFAULTS, **(base or {})}
    for key in MEMBERS:
        if given.get(key) is not None:
            out[key] = given[key]
    return out


def check(d: Mapping[str, Any]) -> None:
    """The service-side rules the model can't state; raises ValidationException."""
    os_ = d["OperatingSystem"]
    keys = predefined.FILTER_KEYS.get(os_, ())
    groups = [("GlobalFilters", d["GlobalFilters"])]
    groups += [(f"ApprovalRules rule {n + 1}", r["PatchFilterGroup"]) for n, r in enumerate(d["ApprovalRules"]["PatchRules"])]
    for where, group in groups:
        seen: set[str] = set()
        for f in group.get("PatchFilters") or []:
            if f["Key"] not in keys:
                raise ValidationException(
                    f"Patch filter key {f['Key']} in {where} isn't supported for operating system {os_}. "
                    f"Supported keys: {', '.join(keys)}.")
            if f["Key"] in seen:
                raise ValidationException(f"Patch filter key {f['Key']} appears more than once in {where}.")
            seen.add(f["Key"])
    for n, rule in enumerate(d["ApprovalRules"]["PatchRules"]):
        after, until = rule.get("ApproveAfterDays"), rule.get("ApproveUntilDate")
        if after is not None and until is not None:
            raise ValidationException(
                f"Approval rule {n + 1} can't have both ApproveAfterDays and ApproveUntilDate.")
        if os_ not in predefined.APT_SYSTEMS and after is None and until is None:
            # Debian and Ubuntu repositories carry no release dates, so those systems approve at once.
            raise ValidationException(f"Approval rule {n + 1} must have ApproveAfterDays or ApproveUntilDate.")
        if until is not None and not _DATE.match(until):
            raise ValidationException(
                f"ApproveUntilDate {until} of approval rule {n + 1} isn't a date in the format YYYY-MM-DD.")
    if d.get("AvailableSecurityUpdatesComplianceStatus") is not None and os_ != predefined.WINDOWS:
        raise ValidationException("AvailableSecurityUpdatesComplianceStatus applies to Windows baselines only.")


@dataclass(frozen=True)
class Patch:
    """One package version as the baseline judges it. `attributes` holds the PatchFilter keys it answers
    (PRODUCT, PRIORITY, SECTION, CLASSIFICATION, CVE_ID...; a key with several values holds a tuple); `names` the
    forms an ApprovedPatches/RejectedPatches entry may match. `noticed`: a rule approves it without
    EnableNonSecurity (see packages.py); `released`: its release date, for ApproveAfterDays/ApproveUntilDate."""

    name: str
    arch: str
    version: str
    security: bool
    attributes: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    noticed: bool = False
    released: float | None = None

    @property
    def epoch(self) -> str:
        return self.version.split(":", 1)[0] if ":" in self.version else "0"

    @property
    def bare_version(self) -> str:
        return self.version.split(":", 1)[1] if ":" in self.version else self.version

    @property
    def title(self) -> str:
        """name.arch:epoch:version-release, as Patch Manager titles a Linux package."""
        return f"{self.name}.{self.arch}:{self.epoch}:{self.bare_version}"

    @property
    def kb_id(self) -> str:
        return f"{self.name}.{self.arch}"

    def names(self) -> tuple[str, ...]:
        n, a, v = self.name, self.arch, self.version
        return (n, f"{n}:{a}", f"{n}={v}", f"{n}:{a}={v}", f"{n}.{a}", self.title)


@dataclass(frozen=True)
class Decision:
    approved: bool
    rejected: bool
    compliance_level: str = UNSPECIFIED


def _listed(patterns: Iterable[str], patch: Patch) -> bool:
    forms = patch.names()
    return any(fnmatchcase(form, pattern) for pattern in patterns for form in forms)


def _matches(group: Mapping[str, Any] | None, patch: Patch) -> bool:
    for f in (group or {}).get("PatchFilters") or []:
        value = patch.attributes.get(f["Key"], "")
        values = value if isinstance(value, tuple) else (value,)
        if not any(fnmatchcase(one.lower(), v.lower()) for one in values for v in f["Values"]):
            return False
    return True


def _released_in_time(rule: Mapping[str, Any], patch: Patch, now: float | None) -> bool:
    """ApproveAfterDays / ApproveUntilDate, in whole UTC days as AWS counts them. A patch without a release date
    (every apt package) isn't held back."""
    if patch.released is None or now is None:
        return True
    released_day = int(patch.released // _DAY)
    if rule.get("ApproveAfterDays") is not None:
        return released_day + int(rule["ApproveAfterDays"]) <= int(now // _DAY)
    if rule.get("ApproveUntilDate"):
        until = calendar.timegm(time.strptime(rule["ApproveUntilDate"], "%Y-%m-%d"))
        return released_day <= until // _DAY
    return True


def decide(d: Mapping[str, Any], patch: Patch, now: float | None = None) -> Decision:
    """The baseline's word on `patch`: RejectedPatches win over everything; then ApprovedPatches (a non-security
    update only with ApprovedPatchesEnableNonSecurity); then the first approval rule whose filters and the global
    filters all match and whose ApproveAfterDays/ApproveUntilDate has come (a patch not `noticed` only with the
    rule's EnableNonSecurity)."""
    if _listed(d.get("RejectedPatches") or [], patch):
        return Decision(False, True)
    if _listed(d.get("ApprovedPatches") or [], patch):
        if patch.noticed or d.get("ApprovedPatchesEnableNonSecurity"):
            return Decision(True, False, d.get("ApprovedPatchesComplianceLevel") or UNSPECIFIED)
    if not _matches(d.get("GlobalFilters"), patch):
        return Decision(False, False)
    for rule in (d.get("ApprovalRules") or {}).get("PatchRules") or []:
        if _matches(rule.get("PatchFilterGroup"), patch) and (patch.noticed or rule.get("EnableNonSecurity")) \
                and _released_in_time(rule, patch, now):
            return Decision(True, False, rule.get("ComplianceLevel") or UNSPECIFIED)
    return Decision(False, False)
