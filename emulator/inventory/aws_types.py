"""The AWS: inventory types: their schema versions and attributes, as GetInventorySchema lists them and
as PutInventory holds items of them to (an attribute outside the type's schema is refused).

Names, versions and DataTypes are the user guide's "Metadata collected by inventory" (whose complete list
has AWS:InstanceInformation's AgentStatus, AWS:File's Size as a string, the CPU counts as numbers and no
kernel version); AWS:Tag, not in that list, is kept as it was (not verified here)."""
from __future__ import annotations

from dataclasses import dataclass

STRING, NUMBER = "string", "number"
SEVERITIES = ("Critical", "High", "Medium", "Low", "Informational", "Unspecified")


@dataclass(frozen=True)
class AwsType:
    name: str
    version: str
    attributes: tuple[tuple[str, str], ...]  # (name, DataType)
    display_name: str | None = None

    @property
    def attribute_names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.attributes)


def _strings(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, STRING) for name in names)


AWS_TYPES: dict[str, AwsType] = {
    t.name: t
    for t in (
        AwsType("AWS:InstanceInformation", "1.0", _strings(
            "AgentType", "AgentVersion", "ComputerName", "InstanceId", "IpAddress", "PlatformName",
            "PlatformType", "PlatformVersion", "ResourceType", "AgentStatus", "InstanceStatus",
        )),
        AwsType("AWS:Application", "1.1", _strings(
            "Name", "ApplicationType", "Publisher", "Version", "InstalledTime", "Architecture", "URL",
            "Summary", "PackageId", "Release", "Epoch",
        )),
        AwsType("AWS:AWSComponent", "1.0", _strings(
            "Name", "ApplicationType", "Publisher", "Version", "InstalledTime", "Architecture", "URL",
        )),
        AwsType("AWS:Network", "1.0", _strings(
            "Name", "SubnetMask", "Gateway", "DHCPServer", "DNSServer", "MacAddress", "IPV4", "IPV6",
        )),
        AwsType("AWS:Service", "1.0", _strings(
            "Name", "DisplayName", "ServiceType", "Status", "DependentServices", "ServicesDependedOn",
            "StartType",
        )),
        AwsType("AWS:File", "1.0", _strings(
            "Name", "Size", "Description", "FileVersion", "InstalledDate", "ModificationTime", "LastAccessTime",
            "ProductName", "InstalledDir", "ProductLanguage", "CompanyName", "ProductVersion",
        )),
        AwsType("AWS:InstanceDetailedInformation", "1.0", (
            ("CPUModel", STRING), ("CPUCores", NUMBER), ("CPUs", NUMBER), ("CPUSpeedMHz", NUMBER),
            ("CPUSockets", NUMBER), ("CPUHyperThreadEnabled", STRING), ("OSServicePack", STRING),
        )),
        AwsType("AWS:WindowsUpdate", "1.0", _strings("HotFixId", "Description", "InstalledTime", "InstalledBy")),
        AwsType("AWS:WindowsRole", "1.0", _strings(
            "Name", "DisplayName", "Path", "FeatureType", "DependsOn", "Description", "Installed",
            "InstalledState", "SubFeatures", "ServerComponentDescriptor", "Parent",
        )),
        AwsType("AWS:WindowsRegistry", "1.0", _strings("KeyPath", "ValueName", "ValueType", "Value")),
        AwsType("AWS:Tag", "1.0", _strings("Key", "Value")),
        AwsType("AWS:PatchSummary", "1.0", (
            *_strings("PatchGroup", "BaselineId", "SnapshotId", "OwnerInformation"),
            *((n, NUMBER) for n in ("InstalledCount", "InstalledOtherCount", "NotApplicableCount",
                                    "MissingCount", "FailedCount")),
            *_strings("OperationType", "OperationStartTime", "OperationEndTime"),
        )),
        AwsType("AWS:ComplianceItem", "1.0", _strings(
            "ComplianceType", "ExecutionId", "ExecutionType", "ExecutionTime", "Id", "Title", "Status",
            "Severity", "DocumentName", "DocumentVersion", "Classification", "PatchBaselineId",
            "PatchSeverity", "PatchState", "PatchGroup", "InstalledTime",
        )),
        AwsType("AWS:ComplianceSummary", "1.0", (
            *_strings("ComplianceType", "PatchGroup", "PatchBaselineId", "Status", "OverallSeverity",
                      "ExecutionId", "ExecutionType", "ExecutionTime"),
            *((f"Compliant{s}Count", NUMBER) for s in SEVERITIES),
            ("LastComplianceStateModifiedTime", STRING),
            *((f"NonCompliant{s}Count", NUMBER) for s in SEVERITIES),
        )),
    )
}
