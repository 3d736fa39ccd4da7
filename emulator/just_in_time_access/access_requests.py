"""An access request as OpsCenter keeps it: an OpsItem of type /aws/accessrequest whose OperationalData
/aws/accessrequest is a JSON document, and the statuses it moves through.

    Pending ─▶ Approved ─▶ Revoked          (Expired: Approved past its access duration; computed, not stored,
       └─────▶ Rejected                      as OpsItem statuses have no Expired)

The document's fields are the ones DescribeOpsItems' AccessRequestBy* filter keys read (requesterArn,
requesterId, approverArn, approverId, sourceAccountId, sourceRegion, isReplica, targetResourceId), AWS's names
for them; AWS does not document the rest of the document, so reason, approvedTime, accessExpirationTime,
autoApproved, rejecterArn and revokerArn are the emulator's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from api_models.errors import OpsItemInvalidParameterException
from emulator.clock import instant
from emulator.ops_center.items import OpsItem

KEY = "/aws/accessrequest"
PENDING, APPROVED, REJECTED, REVOKED, EXPIRED = "Pending", "Approved", "Rejected", "Revoked", "Expired"
# What an approver may do to a request in each status (the console's Approve, Reject and Revoke).
TRANSITIONS = {PENDING: (APPROVED, REJECTED), APPROVED: (REVOKED,)}


@dataclass(frozen=True)
class AccessRequest:
    id: str
    status: str  # the OpsItem's, or Expired
    requester_arn: str
    target: str
    expires_at: float | None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(item: OpsItem) -> dict[str, Any]:
    try:
        parsed = json.loads(item.data_value(KEY) or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def data(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The OperationalData entry of a document; searchable, so DescribeOpsItems shows it."""
    return {KEY: {"Value": json.dumps(doc), "Type": "SearchableString"}}


def new_document(requester_arn: str, requester_id: str | None, target: str, reason: str, account: str,
                 region: str) -> dict[str, Any]:
    doc = {"requesterArn": requester_arn, "targetResourceId": target, "reason": reason, "sourceAccountId": account,
           "sourceRegion": region, "isReplica": "false"}
    if requester_id:
        doc["requesterId"] = requester_id
    return doc


def approve(doc: dict[str, Any], approver_arn: str | None, approver_id: str | None, now: float,
            hours: float) -> dict[str, Any]:
    """The document of a request approved now (by `approver_arn`, or by the auto-approval policy when None)."""
    decided = {**doc, "approvedTime": _iso(now), "accessExpirationTime": _iso(now + hours * 3600)}
    if approver_arn is None:
        decided["autoApproved"] = "true"
    else:
        decided["approverArn"] = approver_arn
        if approver_id:
            decided["approverId"] = approver_id
    return decided


def read(item: OpsItem, now: float) -> AccessRequest | None:
    """The access request an OpsItem is, or None when it is not one StartAccessRequest started."""
    doc = document(item)
    if item.ops_item_type != KEY or not doc.get("requesterArn"):
        return None
    expires_at = instant(str(doc["accessExpirationTime"])) if doc.get("accessExpirationTime") else None
    status = item.status
    if status == APPROVED and expires_at is not None and now >= expires_at:
        status = EXPIRED
    return AccessRequest(item.id, status, str(doc["requesterArn"]), str(doc.get("targetResourceId", "")),
                         expires_at)


def check_transition(item: OpsItem, status: str) -> None:
    """OpsItemInvalidParameterException unless an approver may move the request to `status` now."""
    allowed = TRANSITIONS.get(item.status, ())
    if status not in allowed:
        can = f"it can become {' or '.join(allowed)}" if allowed else "its status can't change any more"
        raise OpsItemInvalidParameterException(
            f"Access request {item.id} is {item.status}: {can}.", ParameterNames=["Status"])
