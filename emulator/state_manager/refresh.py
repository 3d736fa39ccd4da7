"""aws:refreshAssociation, the plugin State Manager hands Run Command (AWS-RefreshAssociation's step): the instance
applies its State Manager associations now — every Command association that targets it, or those of
`associationIds` — each through the runner as its schedule would, on this instance only and its schedule left as it
is. Like SSM Agent, the step asks for the runs and ends; the runs report as association executions.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from emulator.context import RequestContext

if TYPE_CHECKING:
    import sqlite3

    from emulator.backends import InstanceBackend
    from emulator.managed_instances import ManagedInstance

PLUGIN = "aws:refreshAssociation"
SAID = {
    "applied": "is applied now.",
    "queued": "is being applied: it is applied again when that run ends.",
    "held": "isn't applied now: a change calendar of it is closed.",
}

# (context, instance ID) -> the Command associations that apply to the instance
Effective = Callable[[RequestContext, str], Iterator["sqlite3.Row"]]
# (association row, instance IDs) -> "applied", "queued" or "held"
ApplyNow = Callable[[Any, list[str]], str]


class RefreshAssociation:
    def __init__(self, effective: Effective, apply_now: ApplyNow) -> None:
        self.effective = effective
        self.apply_now = apply_now

    def run(self, ctx: RequestContext, instance: ManagedInstance, backend: InstanceBackend,
            inputs: Mapping[str, Any]) -> tuple[int, bytes, bytes]:
        wanted = _ids(inputs.get("associationIds"))
        rows = [r for r in self.effective(ctx, instance.instance_id) if not wanted or r["id"] in wanted]
        lines = []
        for row in rows:
            outcome = self.apply_now(row, [instance.instance_id])
            lines.append(f"Association {row['id']} ({row['name']}) {SAID[outcome]}")
        for missing in sorted(set(wanted) - {r["id"] for r in rows}):
            lines.append(f"Association {missing} doesn't apply to {instance.instance_id}.")
        if not lines:
            lines.append(f"No association applies to {instance.instance_id}.")
        return 0, ("\n".join(lines) + "\n").encode(), b""


def _ids(raw: Any) -> list[str]:
    """associationIds as a list, or the comma-joined text a StringList parameter becomes inside a string."""
    items = raw if isinstance(raw, list) else str(raw or "").split(",")
    return [str(i).strip() for i in items if str(i).strip()]
