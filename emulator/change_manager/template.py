"""What a change template (an Automation.ChangeTemplate document, schemaVersion 0.3) says about the change
requests made from it.

    templateInformation: markdown shown to requesters (a request's ChangeDetails when it gives none)
    emergencyChange: true           # its requests run even while a change calendar is CLOSED
    autoApprovable: true            # StartChangeRequestExecution may ask AutoApprove: no approvals then
    executableRunBooks:             # the runbooks its requests may run (absent: any Automation runbook)
      - name: AWS-HelloWorld
        version: '1'                # or $DEFAULT / $LATEST; absent: any version
    changeCalendars: [ProdFreeze]   # ssm-emulator: the calendars to honour (AWS takes them from settings)
    mainSteps:                      # approval levels, in order: one aws:approve step each
      - name: ApproveAction1
        action: aws:approve
        timeoutSeconds: 3600
        inputs:
          MinRequiredApprovals: 2   # per level
          EnhancedApprovals:
            NotificationArn: ...
            Approvers:
              - {approver: John-Doe, type: IamUser, minRequiredApprovals: 1}   # per line

A level needs the larger of its MinRequiredApprovals and the sum of its approvers' minRequiredApprovals (the
user guide: "Whichever approval type requires more approvals takes precedence"), and at least one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.automation.variables import flag, integer

APPROVE = "aws:approve"
DEFAULT_APPROVAL_TIMEOUT = 604800  # aws:approve's default: 7 days


@dataclass(frozen=True, slots=True)
class ExecutableRunbook:
    name: str
    version: str | None

    def allows(self, name: str, version: str | None) -> bool:
        if name != self.name:
            return False
        return self.version in (None, "$DEFAULT", "$LATEST") or (version or "$DEFAULT") == self.version


@dataclass(frozen=True, slots=True)
class ChangeTemplate:
    emergency: bool
    auto_approvable: bool
    information: str | None
    runbooks: tuple[ExecutableRunbook, ...]   # empty: any runbook
    calendars: tuple[str, ...]
    approval_steps: tuple[dict[str, Any], ...]

    def allows_runbook(self, name: str, version: str | None) -> bool:
        return not self.runbooks or any(r.allows(name, version) for r in self.runbooks)


def read(content: dict[str, Any]) -> ChangeTemplate:
    runbooks = tuple(
        ExecutableRunbook(str(r.get("name")), str(r["version"]) if r.get("version") is not None else None)
        for r in content.get("executableRunBooks") or [] if isinstance(r, dict) and r.get("name")
    )
    calendars = content.get("changeCalendars") or []
    if isinstance(calendars, str):
        calendars = [calendars]
    information = content.get("templateInformation")
    return ChangeTemplate(
        emergency=flag(content.get("emergencyChange")),
        auto_approvable=flag(content.get("autoApprovable")),
        information=str(information) if information else None,
        runbooks=runbooks,
        calendars=tuple(str(c) for c in calendars),
        approval_steps=tuple(s for s in content.get("mainSteps") or []
                             if isinstance(s, dict) and s.get("action") == APPROVE),
    )


def required_approvals(inputs: dict[str, Any]) -> int:
    """How many Approve signals one approval level needs."""
    level = integer(inputs.get("MinRequiredApprovals")) or 0
    enhanced = inputs.get("EnhancedApprovals") if isinstance(inputs.get("EnhancedApprovals"), dict) else {}
    lines = sum(integer(a.get("minRequiredApprovals")) or 0
                for a in enhanced.get("Approvers") or [] if isinstance(a, dict))
    return max(1, level, lines)


def timeout_seconds(step: dict[str, Any]) -> int:
    return integer(step.get("timeoutSeconds")) or DEFAULT_APPROVAL_TIMEOUT
