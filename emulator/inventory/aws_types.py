"""The AWS: inventory types: their schema versions and attributes, as GetInventorySchema lists them and
as PutInventory holds items of them to (an attribute outside the type's schema is refused)."""
from __future__ import annotations

from dataclasses import dataclass

STRING, NUMBER = "string", "number"


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
            "PlatformType", "PlatformVersion", "ResourceType", "InstanceStatus",
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
        AwsType("AWS:File", "1.0", (
            *_strings("Name", "Description", "FileVersion", "InstalledDate", "ModificationTime",
                      "LastAccessTime", "ProductName", "InstalledDir", "CompanyName", "ProductVersion",
                      "ProductLanguage"),
            ("Size", NUMBER),
        )),
        AwsType("AWS:InstanceDetailedInformation", "1.0", (
            *_strings("CPUModel", "CPUSpeedMHz", "CPUs", "CPUSockets", "CPUCores", "CPUHyperThreadEnabled",
                      "KernelVersion", "OSServicePack"),
        )),
        AwsType("AWS:WindowsUpdate", "1.0", _strings("HotFixId", "Description", "InstalledTime", "InstalledBy")),
        AwsType("AWS:WindowsRole", "1.0", _strings(
            "Name", "DisplayName", "Path", "FeatureType", "DependsOn", "Description", "Installed",
            "InstalledState", "SubFeatures", "ServerComponentDescriptor", "Parent",
        )),
        AwsType("AWS:WindowsRegistry", "1.0", _strings("KeyPath", "ValueName", "ValueType", "Value")),
        AwsType("AWS:Tag", "1.0", _strings("Key", "Value")),
    )
}
