"""What AWS itself provides to Patch Manager: the operating systems, the predefined baselines (AWS-…DefaultPatchBaseline),
the patch properties DescribePatchProperties lists, and which PatchFilter keys each operating system takes.

Predefined baselines belong to AWS's baseline account (075727635805) and are addressed by their ARN. Their ids below
are those AWS shows in us-east-1 (AWS uses other ids in other Regions; the emulator uses these in every Region).
RASPBIAN and AMAZON_LINUX_2022 ids could not be found in AWS's published material, so theirs are made here
(the same pb- form) — see the README.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AWS_BASELINE_ACCOUNT = "075727635805"
CREATED = 1525194800.068  # the creation time AWS's baseline snapshots show for its predefined baselines

WINDOWS, AMAZON_LINUX, AMAZON_LINUX_2, AMAZON_LINUX_2022, AMAZON_LINUX_2023 = (
    "WINDOWS", "AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023")
UBUNTU, DEBIAN, RASPBIAN = "UBUNTU", "DEBIAN", "RASPBIAN"
REDHAT, SUSE, CENTOS, ORACLE, MACOS, ROCKY, ALMA = (
    "REDHAT_ENTERPRISE_LINUX", "SUSE", "CENTOS", "ORACLE_LINUX", "MACOS", "ROCKY_LINUX", "ALMA_LINUX")
OPERATING_SYSTEMS = (WINDOWS, AMAZON_LINUX, AMAZON_LINUX_2, AMAZON_LINUX_2022, UBUNTU, REDHAT, SUSE, CENTOS,
                     ORACLE, DEBIAN, MACOS, RASPBIAN, ROCKY, ALMA, AMAZON_LINUX_2023)
APT_SYSTEMS = (UBUNTU, DEBIAN, RASPBIAN)
# Patched through dnf (SUSE's zypper isn't done).
RPM_SYSTEMS = (AMAZON_LINUX, AMAZON_LINUX_2, AMAZON_LINUX_2022, AMAZON_LINUX_2023, REDHAT, CENTOS, ORACLE, ROCKY,
               ALMA)
# "If you don't specify an operating system value, the default patch baseline for Windows is returned."
DEFAULT_OS = WINDOWS

# PatchFilter keys each operating system's baselines accept (the CreatePatchBaseline reference's table).
_RPM_KEYS = ("PATCH_SET", "PRODUCT", "CLASSIFICATION", "SEVERITY", "ARCH", "NAME", "VERSION", "RELEASE", "EPOCH",
             "REPOSITORY", "ADVISORY_ID", "BUGZILLA_ID", "CVE_ID", "SECURITY")
FILTER_KEYS: dict[str, tuple[str, ...]] = {
    WINDOWS: ("PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION", "MSRC_SEVERITY", "PATCH_ID"),
    UBUNTU: ("PRODUCT", "PRIORITY", "SECTION"),
    DEBIAN: ("PRODUCT", "PRIORITY", "SECTION"),
    RASPBIAN: ("PRODUCT", "PRIORITY", "SECTION"),
    MACOS: ("PRODUCT", "CLASSIFICATION"),
    **{os_: _RPM_KEYS for os_ in (AMAZON_LINUX, AMAZON_LINUX_2, AMAZON_LINUX_2022, AMAZON_LINUX_2023, REDHAT, SUSE,
                                   CENTOS, ORACLE, ROCKY, ALMA)},
}

# Debian's package priorities, as Patch Manager spells them.
PRIORITIES = ("Required", "Important", "Standard", "Optional", "Extra")

# DescribePatchProperties: property -> values, per operating system (PatchSet OS). Windows' APPLICATION set is
# Microsoft's application catalogue, not kept here.
_RPM_CLASSIFICATIONS = ("Security", "Bugfix", "Enhancement", "Recommended", "Newpackage")
_RPM_SEVERITIES = ("Critical", "Important", "Medium", "Low", "None")
PROPERTIES: dict[str, dict[str, tuple[str, ...]]] = {
    WINDOWS: {
        "PRODUCT": ("WindowsServer2012", "WindowsServer2012R2", "WindowsServer2016", "WindowsServer2019",
                    "WindowsServer2022", "WindowsServer2025"),
        "PRODUCT_FAMILY": ("Windows",),
        "CLASSIFICATION": ("CriticalUpdates", "DefinitionUpdates", "Drivers", "FeaturePacks", "SecurityUpdates",
                           "ServicePacks", "Tools", "UpdateRollups", "Updates", "Upgrades"),
        "MSRC_SEVERITY": ("Critical", "Important", "Moderate", "Low", "Unspecified"),
    },
    UBUNTU: {
        "PRODUCT": ("Ubuntu14.04", "Ubuntu16.04", "Ubuntu18.04", "Ubuntu20.04", "Ubuntu20.10", "Ubuntu21.04",
                    "Ubuntu21.10", "Ubuntu22.04", "Ubuntu23.04", "Ubuntu23.10", "Ubuntu24.04"),
        "PRIORITY": PRIORITIES,
    },
    DEBIAN: {"PRODUCT": ("Debian8", "Debian9", "Debian10", "Debian11", "Debian12"), "PRIORITY": PRIORITIES},
    RASPBIAN: {"PRODUCT": ("Raspbian9", "Raspbian10", "Raspbian11"), "PRIORITY": PRIORITIES},
    MACOS: {"PRODUCT": ("macOS11", "macOS12", "macOS13", "macOS14"),
            "CLASSIFICATION": ("Security", "Bugfix", "Enhancement", "Recommended")},
    AMAZON_LINUX: {"PRODUCT": ("AmazonLinux2017.09", "AmazonLinux2018.03"),
                   "CLASSIFICATION": _RPM_CLASSIFICATIONS, "SEVERITY": _RPM_SEVERITIES},
    AMAZON_LINUX_2: {"PRODUCT": ("AmazonLinux2",), "CLASSIFICATION": _RPM_CLASSIFICATIONS,
                     "SEVERITY": _RPM_SEVERITIES},
    AMAZON_LINUX_2022: {"PRODUCT": ("AmazonLinux2022",), "CLASSIFICATION": _RPM_CLASSIFICATIONS,
                        "SEVERITY": _RPM_SEVERITIES},
    AMAZON_LINUX_2023: {"PRODUCT": ("AmazonLinux2023",), "CLASSIFICATION": _RPM_CLASSIFICATIONS,
                        "SEVERITY": _RPM_SEVERITIES},
    REDHAT: {"PRODUCT": ("RedhatEnterpriseLinux7", "RedhatEnterpriseLinux8", "RedhatEnterpriseLinux9"),
             "CLASSIFICATION": _RPM_CLASSIFICATIONS, "SEVERITY": _RPM_SEVERITIES},
    CENTOS: {"PRODUCT": ("CentOS7", "CentOS8", "CentOSStream8", "CentOSStream9"),
             "CLASSIFICATION": _RPM_CLASSIFICATIONS, "SEVERITY": _RPM_SEVERITIES},
    ORACLE: {"PRODUCT": ("OracleLinux7", "OracleLinux8", "OracleLinux9"),
             "CLASSIFICATION": _RPM_CLASSIFICATIONS, "SEVERITY": _RPM_SEVERITIES},
    ROCKY: {"PRODUCT": ("RockyLinux8", "RockyLinux9"), "CLASSIFICATION": _RPM_CLASSIFICATIONS,
            "SEVERITY": _RPM_SEVERITIES},
    ALMA: {"PRODUCT": ("AlmaLinux8", "AlmaLinux9"), "CLASSIFICATION": _RPM_CLASSIFICATIONS,
           "SEVERITY": _RPM_SEVERITIES},
    SUSE: {"PRODUCT": ("Suse12.0", "Suse15.0", "Suse15.1", "Suse15.2", "Suse15.3", "Suse15.4", "Suse15.5"),
           "CLASSIFICATION": ("Security", "Recommended", "Optional", "Feature", "Document", "Yast"),
           "SEVERITY": ("Critical", "Important", "Moderate", "Low")},
}


@dataclass(frozen=True)
class Predefined:
    operating_system: str
    name: str
    pb: str  # the pb- id
    description: str
    rules: list[dict[str, Any]] = field(default_factory=list)  # PatchRule dicts, as GetPatchBaseline shows them

    def arn(self, region: str) -> str:
        return f"arn:aws:ssm:{region}:{AWS_BASELINE_ACCOUNT}:patchbaseline/{self.pb}"


def _rule(filters: dict[str, list[str]], after: int | None = 7, non_security: bool = False) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "PatchFilterGroup": {"PatchFilters": [{"Key": k, "Values": v} for k, v in filters.items()]},
        "ComplianceLevel": "UNSPECIFIED", "EnableNonSecurity": non_security,
    }
    if after is not None:
        rule["ApproveAfterDays"] = after
    return rule


_SECURITY = _rule({"PRODUCT": ["*"], "CLASSIFICATION": ["Security"], "SEVERITY": ["Critical", "Important"]})
_BUGFIX = _rule({"PRODUCT": ["*"], "CLASSIFICATION": ["Bugfix"]})
# Debian and Ubuntu: every security update, whatever its priority, at once (their repositories carry no
# reliable release dates). AWS's baseline snapshot still shows ApproveAfterDays 7, which these systems ignore.
_APT = _rule({"PRODUCT": ["*"], "PRIORITY": list(PRIORITIES)})

PREDEFINED: tuple[Predefined, ...] = (
    Predefined(WINDOWS, "AWS-DefaultPatchBaseline", "pb-09ca3fb51f0412ec3", "Default Patch Baseline Provided by AWS.",
               [_rule({"PRODUCT": ["*"], "CLASSIFICATION": ["CriticalUpdates", "SecurityUpdates"],
                       "MSRC_SEVERITY": ["Critical", "Important"]})]),
    Predefined(AMAZON_LINUX, "AWS-AmazonLinuxDefaultPatchBaseline", "pb-0c10e657807c7a700",
               "Default Patch Baseline for Amazon Linux Provided by AWS.", [_SECURITY, _BUGFIX]),
    Predefined(AMAZON_LINUX_2, "AWS-AmazonLinux2DefaultPatchBaseline", "pb-0be8c61cde3be63f3",
               "Baseline containing all Security and Bugfix updates approved for Amazon Linux 2 instances",
               [_SECURITY, _BUGFIX]),
    Predefined(AMAZON_LINUX_2022, "AWS-AmazonLinux2022DefaultPatchBaseline", "pb-0e4b1c9a2f3d58a71",
               "Default Patch Baseline for Amazon Linux 2022 Provided by AWS.", [_SECURITY, _BUGFIX]),
    Predefined(AMAZON_LINUX_2023, "AWS-AmazonLinux2023DefaultPatchBaseline", "pb-05c9c9bf778d4c4d0",
               "Default Patch Baseline for Amazon Linux 2023 Provided by AWS.", [_SECURITY, _BUGFIX]),
    Predefined(UBUNTU, "AWS-UbuntuDefaultPatchBaseline", "pb-0c7e89f711c3095f4",
               "Default Patch Baseline for Ubuntu Provided by AWS.", [_APT]),
    Predefined(REDHAT, "AWS-RedHatDefaultPatchBaseline", "pb-0cbb3a633de00f07c",
               "Default Patch Baseline for Redhat Enterprise Linux Provided by AWS.", [_SECURITY, _BUGFIX]),
    Predefined(SUSE, "AWS-SuseDefaultPatchBaseline", "pb-07d8884178197b66b",
               "Default Patch Baseline for Suse Provided by AWS.", [_SECURITY]),
    Predefined(CENTOS, "AWS-CentOSDefaultPatchBaseline", "pb-03e3f588eec25344c",
               "Default Patch Baseline for CentOS Provided by AWS.",
               [_rule({"PRODUCT": ["*"], "CLASSIFICATION": ["*"], "SEVERITY": ["*"]}, non_security=True)]),
    Predefined(ORACLE, "AWS-OracleLinuxDefaultPatchBaseline", "pb-06bff38e95fe85c02",
               "Default Patch Baseline for Oracle Linux Server Provided by AWS.", [_SECURITY, _BUGFIX]),
    Predefined(DEBIAN, "AWS-DebianDefaultPatchBaseline", "pb-09a5f8eb62bde80b1",
               "Default Patch Baseline for Debian Provided by AWS.", [_APT]),
    Predefined(MACOS, "AWS-MacOSDefaultPatchBaseline", "pb-0ee4f94581368c0d4",
               "Default Patch Baseline for MacOS Provided by AWS.",
               [_rule({"PRODUCT": ["*"], "CLASSIFICATION": ["*"]}, non_security=True)]),
    Predefined(RASPBIAN, "AWS-RaspbianDefaultPatchBaseline", "pb-0a6d3f1c8e9b24f50",
               "Default Patch Baseline for Raspbian Provided by AWS.", [_APT]),
    Predefined(ROCKY, "AWS-RockyLinuxDefaultPatchBaseline", "pb-03ec98bc512aa3ac0",
               "Default Patch Baseline for Rocky Linux Provided by AWS.", [_SECURITY, _BUGFIX]),
    Predefined(ALMA, "AWS-AlmaLinuxDefaultPatchBaseline", "pb-0cb0c4966f86b059b",
               "Default Patch Baseline for Alma Linux Provided by AWS.", [_SECURITY, _BUGFIX]),
)
BY_PB = {p.pb: p for p in PREDEFINED}
BY_OS = {p.operating_system: p for p in PREDEFINED}


def operating_system_of(os_id: str, version_id: str) -> str | None:
    """The Patch Manager operating system of a machine from its os-release ID and VERSION_ID, or None."""
    if os_id == "amzn":
        return {"1": AMAZON_LINUX, "2": AMAZON_LINUX_2, "2022": AMAZON_LINUX_2022}.get(
            version_id.split(".", 1)[0], AMAZON_LINUX_2023 if version_id.startswith("2023") else AMAZON_LINUX)
    return {"debian": DEBIAN, "ubuntu": UBUNTU, "raspbian": RASPBIAN, "rhel": REDHAT, "centos": CENTOS,
            "ol": ORACLE, "rocky": ROCKY, "almalinux": ALMA, "sles": SUSE, "opensuse-leap": SUSE}.get(os_id.lower())


def product_of(operating_system: str, version_id: str) -> str:
    """The PRODUCT value of a machine (Debian12, Ubuntu22.04, AmazonLinux2023...)."""
    major = version_id.split(".", 1)[0]
    return {
        DEBIAN: f"Debian{major}", UBUNTU: f"Ubuntu{version_id}", RASPBIAN: f"Raspbian{major}",
        REDHAT: f"RedhatEnterpriseLinux{major}", CENTOS: f"CentOS{major}", ORACLE: f"OracleLinux{major}",
        ROCKY: f"RockyLinux{major}", ALMA: f"AlmaLinux{major}", SUSE: f"Suse{version_id}",
    }.get(operating_system, f"{operating_system}{version_id}")
