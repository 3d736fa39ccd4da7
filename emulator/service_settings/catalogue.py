"""Every setting GetServiceSetting knows, its default and the values UpdateServiceSetting accepts.

The /ssm/... ids and values are AWS's (the API reference lists the ids and, under UpdateServiceSetting, each
one's values). The /ssm/opsitem/... and /ssm/opsdata/... ids are the ones the OpsCenter and Explorer consoles
read and write through the same API (not in the API reference; "true"/"false" as the console writes them).
AWS has no setting for "open an OpsItem when an Automation execution, an association run or a command fails"
(it does that with EventBridge rules the emulator does not have), so the emulator adds its own ids under
/ssm-emulator/opsitem/, "false" by default as an EventBridge rule is off until made.
Just-in-time node access judges an access request by the account's approval policies (Cedar, made in the unified
console) that the emulator does not have; its two settings under /ssm-emulator/just-in-time/ stand for them: whether
an auto-approval policy applies to every node ("false": every request waits for an approver), and the access
duration of an approved request, in hours (AWS's policies take 1 to 336; fractions are accepted too, which AWS does
not, so tests need not wait an hour to see a request expire).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TRUE_FALSE = ("true", "false")
ENABLED_DISABLED = ("Enabled", "Disabled")
# An IAM role name, with its path when it has one (service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole).
ROLE_NAME = re.compile(r"^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
# A CloudWatch Logs log group name.
LOG_GROUP = re.compile(r"^[\w#./-]{1,512}$")
NO_ROLE = "$None"  # what the DHMC setting holds while no role is registered

AUTOMATION_FAILED = "/ssm-emulator/opsitem/automation-failed"
ASSOCIATION_FAILED = "/ssm-emulator/opsitem/association-failed"
COMMAND_FAILED = "/ssm-emulator/opsitem/command-failed"
DHMC_ROLE = "/ssm/managed-instance/default-ec2-instance-management-role"
DEFAULT_PARAMETER_TIER = "/ssm/parameter-store/default-parameter-tier"
JIT_AUTO_APPROVAL = "/ssm-emulator/just-in-time/auto-approval"
JIT_ACCESS_DURATION = "/ssm-emulator/just-in-time/access-duration-hours"
MAX_ACCESS_HOURS = 336.0


def _hours(value: str) -> bool:
    try:
        return 0 < float(value) <= MAX_ACCESS_HOURS
    except ValueError:
        return False


@dataclass(frozen=True)
class SettingSpec:
    setting_id: str
    default: str
    # The values accepted, or a test of a value and a description of what it takes (for the error message).
    choices: tuple[str, ...] = ()
    check: Callable[[str], bool] | None = None
    takes: str = ""

    def accepts(self, value: str) -> bool:
        return value in self.choices if self.choices else bool(self.check and self.check(value))

    def expected(self) -> str:
        return ", ".join(self.choices) if self.choices else self.takes


def _choice(setting_id: str, default: str, choices: tuple[str, ...]) -> SettingSpec:
    return SettingSpec(setting_id, default, choices)


SETTINGS: dict[str, SettingSpec] = {s.setting_id: s for s in (
    _choice("/ssm/appmanager/appmanager-enabled", "False", ("True", "False")),
    _choice("/ssm/automation/customer-script-log-destination", "None", ("CloudWatch", "None")),
    SettingSpec("/ssm/automation/customer-script-log-group-name", "/aws/ssm/automation/executeScript",
                check=LOG_GROUP.fullmatch, takes="a CloudWatch Logs log group name"),
    _choice("/ssm/automation/enable-adaptive-concurrency", "false", TRUE_FALSE),
    _choice("/ssm/documents/console/public-sharing-permission", "Enable", ("Enable", "Disable")),
    _choice("/ssm/managed-instance/activation-tier", "standard", ("standard", "advanced")),
    SettingSpec(DHMC_ROLE, NO_ROLE, check=lambda v: v == NO_ROLE or bool(ROLE_NAME.fullmatch(v)),
                takes="the name of an IAM role"),
    _choice("/ssm/opsinsights/opscenter", "Disabled", ENABLED_DISABLED),
    _choice(DEFAULT_PARAMETER_TIER, "Standard", ("Standard", "Advanced", "Intelligent-Tiering")),
    _choice("/ssm/parameter-store/high-throughput-enabled", "false", TRUE_FALSE),
    _choice("/ssm/opsitem/ssm-patchmanager", "false", TRUE_FALSE),
    _choice("/ssm/opsitem/EC2", "false", TRUE_FALSE),
    _choice("/ssm/opsdata/ExplorerOnboarded", "false", TRUE_FALSE),
    _choice(AUTOMATION_FAILED, "false", TRUE_FALSE),
    _choice(ASSOCIATION_FAILED, "false", TRUE_FALSE),
    _choice(COMMAND_FAILED, "false", TRUE_FALSE),
    _choice(JIT_AUTO_APPROVAL, "false", TRUE_FALSE),
    SettingSpec(JIT_ACCESS_DURATION, "1", check=_hours, takes="a number of hours above 0, at most 336"),
)}

# "arn:aws:ssm:us-east-1:111122223333:servicesetting/ssm/parameter-store/high-throughput-enabled"
ARN = re.compile(r"^arn:aws[a-zA-Z-]*:ssm:[a-z0-9-]*:\d{12}:servicesetting(/.+)$")


def setting_id_of(given: str) -> str:
    """The setting id a SettingId names: the id itself, or the id inside its ARN."""
    matched = ARN.match(given)
    return matched.group(1) if matched else given
