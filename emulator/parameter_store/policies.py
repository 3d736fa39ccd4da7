"""Parameter policies: Expiration, ExpirationNotification and NoChangeNotification.

A policy document is a JSON array of `{"Type", "Version": "1.0", "Attributes"}` objects
(https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-policies.html).
It is parsed and checked once, on PutParameter, into `Policies`: what is stored is the compact
text of each policy plus the numbers status and expiry are computed from, so reads never parse
the caller's JSON again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from api_models.errors import (
    IncompatiblePolicyException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    PoliciesLimitExceededException,
    ValidationException,
)
from api_models.parameter_store import ParameterInlinePolicy

MAX_POLICIES = 10
TYPES = ("Expiration", "ExpirationNotification", "NoChangeNotification")
_UNITS = {"days": 86400, "hours": 3600}


@dataclass(frozen=True, slots=True)
class Policies:
    """Checked policies of a parameter.

    `stored` is what the parameter row keeps (JSON: [[type, text, seconds], ...] where seconds
    is the expiry epoch for Expiration, the lead time for ExpirationNotification and the quiet
    period for NoChangeNotification); `expires_at` is the Expiration time, if any.
    """

    stored: str | None
    expires_at: float | None

    @property
    def empty(self) -> bool:
        return self.stored is None


NONE = Policies(None, None)


def parse(document: str) -> Policies:
    """Check a PutParameter `Policies` document; raise AWS's error for the first problem."""
    try:
        items = json.loads(document)
    except ValueError:
        items = None
    if not isinstance(items, list):
        raise ValidationException(f"Invalid policies input: {document}.")
    if len(items) > MAX_POLICIES:
        raise PoliciesLimitExceededException(
            f"Number of policies attached to a parameter cannot exceed {MAX_POLICIES}"
        )
    entries: list[list[object]] = []
    seen: set[str] = set()
    expires_at: float | None = None
    for item in items:
        if not isinstance(item, dict):
            raise ValidationException(f"Invalid policies input: {document}.")
        kind = item.get("Type")
        if kind not in TYPES:
            raise InvalidPolicyTypeException(f"Policy type {kind} is not supported.")
        if kind in seen:
            raise IncompatiblePolicyException(f"There can be only one {_label(kind)} policy")
        seen.add(kind)
        if item.get("Version") != "1.0":
            raise InvalidPolicyAttributeException("Unsupported policy version.")
        attributes = item.get("Attributes")
        if not isinstance(attributes, dict):
            raise InvalidPolicyAttributeException("Mandatory policy attribute Attributes is missing.")
        if kind == "Expiration":
            expires_at = _timestamp(attributes)
            seconds: float = expires_at
        elif kind == "ExpirationNotification":
            seconds = _duration(attributes, "Before")
        else:
            seconds = _duration(attributes, "After")
        text = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        entries.append([kind, text, seconds])
    if "ExpirationNotification" in seen and "Expiration" not in seen:
        raise IncompatiblePolicyException("Expiration notification policies are missing expiration policy")
    if not entries:
        return NONE
    return Policies(json.dumps(entries, separators=(",", ":"), ensure_ascii=False), expires_at)


def _label(kind: str) -> str:
    return {"Expiration": "expiration", "ExpirationNotification": "expiration notification"}.get(
        kind, "no change notification"
    )


def _timestamp(attributes: dict[str, object]) -> float:
    value = attributes.get("Timestamp")
    if value is None:
        raise InvalidPolicyAttributeException("A valid Expiration policy must have an attribute of Timestamp.")
    if not isinstance(value, str):
        raise InvalidPolicyAttributeException("Invalid timestamp format")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidPolicyAttributeException("Invalid timestamp format") from None
    if moment.tzinfo is None or "T" not in value:
        # ISO_INSTANT / ISO_OFFSET_DATE_TIME only: a date and time with a zone.
        raise InvalidPolicyAttributeException("Invalid timestamp format")
    return moment.timestamp()


def _duration(attributes: dict[str, object], name: str) -> int:
    if name not in attributes:
        raise InvalidPolicyAttributeException(f"Mandatory policy attribute {name} is missing.")
    if "Unit" not in attributes:
        raise InvalidPolicyAttributeException("Mandatory policy attribute Unit is missing.")
    amount = attributes[name]
    if isinstance(amount, bool) or not (
        (isinstance(amount, int) and amount > 0) or (isinstance(amount, str) and amount.isdigit() and int(amount) > 0)
    ):
        raise InvalidPolicyAttributeException(f"Attribute {name} must be a positive integer.")
    unit = attributes["Unit"]
    scale = _UNITS.get(unit.lower()) if isinstance(unit, str) else None
    if scale is None:
        raise InvalidPolicyAttributeException("Supported time units: DAYS HOURS")
    return int(amount) * scale


def described(stored: str, last_modified: float, now: float) -> list[ParameterInlinePolicy]:
    """The Policies list DescribeParameters/GetParameterHistory report, status as of `now`.

    An Expiration is Pending until it deletes the parameter; a notification is Finished once
    its moment has passed (the event it stands for has been emitted) and Pending before.
    """
    entries = json.loads(stored)
    expires_at = next((seconds for kind, _, seconds in entries if kind == "Expiration"), None)
    out = []
    for kind, text, seconds in entries:
        if kind == "Expiration":
            status = "Finished" if now >= seconds else "Pending"
        elif kind == "ExpirationNotification":
            status = "Finished" if expires_at is not None and now >= expires_at - seconds else "Pending"
        else:
            status = "Finished" if now >= last_modified + seconds else "Pending"
        out.append(ParameterInlinePolicy.model_construct(PolicyText=text, PolicyType=kind, PolicyStatus=status))
    return out
