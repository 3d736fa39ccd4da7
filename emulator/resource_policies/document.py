"""A resource policy's JSON: what PutResourcePolicy accepts, and whether a policy lets an account act on a
resource.

The policy language is IAM's (Version, Statement with Effect, Principal, Action, Resource). Evaluation is the
part of IAM's logic a resource policy decides alone: an explicit Deny wins, else any Allow grants, else nothing
is granted. Statements with a Condition are kept but never grant, since their keys (aws:PrincipalOrgID, tags,
source IPs, ...) describe a world the emulator does not have; a Deny with a Condition is taken as applying.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from api_models.errors import MalformedResourcePolicyDocumentException

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
STATEMENT_KEYS = frozenset({
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
})
_ACCOUNT = re.compile(r"\d{12}")
_ACCOUNT_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):\S+")


def malformed(reason: str) -> MalformedResourcePolicyDocumentException:
    return MalformedResourcePolicyDocumentException(f"The policy document is malformed: {reason}")


@dataclass(frozen=True)
class Statement:
    allow: bool
    principals: tuple[str, ...]  # account ids, IAM ARNs or "*"
    not_principal: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None  # None: no Resource element (the resource the policy is attached to)
    not_resource: bool
    conditional: bool

    def applies(self, account: str, caller_arn: str, action: str, resource: str) -> bool:
        principal = any(_principal_matches(p, account, caller_arn) for p in self.principals) != self.not_principal
        acted = any(_glob(a, action, case=False) for a in self.actions) != self.not_action
        targeted = self.resources is None or (any(_glob(r, resource, case=True) for r in self.resources)
                                              != self.not_resource)
        return principal and acted and targeted


def parse(text: str) -> list[Statement]:
    """The statements of a policy, or MalformedResourcePolicyDocumentException saying what is wrong."""
    try:
        document = json.loads(text)
    except ValueError:
        raise malformed("it is not valid JSON.") from None
    if not isinstance(document, dict):
        raise malformed("it must be a JSON object.")
    unknown = sorted(set(document) - TOP_LEVEL)
    if unknown:
        raise malformed(f"unknown element {unknown[0]}.")
    if "Version" in document and document["Version"] not in VERSIONS:
        raise malformed(f"Version must be one of {', '.join(VERSIONS)}.")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise malformed("it needs a Statement with at least one statement.")
    return [_statement(s, n) for n, s in enumerate(statements, 1)]


def _statement(raw: Any, n: int) -> Statement:
    if not isinstance(raw, dict):
        raise malformed(f"statement {n} must be a JSON object.")
    unknown = sorted(set(raw) - STATEMENT_KEYS)
    if unknown:
        raise malformed(f"statement {n} has the unknown element {unknown[0]}.")
    if raw.get("Effect") not in ("Allow", "Deny"):
        raise malformed(f"statement {n} needs an Effect of Allow or Deny.")
    principal_key = _one_of(raw, n, "Principal", "NotPrincipal", required=True)
    action_key = _one_of(raw, n, "Action", "NotAction", required=True)
    resource_key = _one_of(raw, n, "Resource", "NotResource", required=False)
    if "Condition" in raw and not isinstance(raw["Condition"], dict):
        raise malformed(f"statement {n} has a Condition that is not a JSON object.")
    return Statement(
        allow=raw["Effect"] == "Allow",
        principals=_principals(raw[principal_key], n),
        not_principal=principal_key == "NotPrincipal",
        actions=_strings(raw[action_key], n, action_key),
        not_action=action_key == "NotAction",
        resources=_strings(raw[resource_key], n, resource_key) if resource_key else None,
        not_resource=resource_key == "NotResource",
        conditional=bool(raw.get("Condition")),
    )


def _one_of(raw: dict[str, Any], n: int, key: str, negated: str, *, required: bool) -> str | None:
    if key in raw and negated in raw:
        raise malformed(f"statement {n} has both {key} and {negated}.")
    if key in raw:
        return key
    if negated in raw:
        return negated
    if required:
        raise malformed(f"statement {n} needs a {key}.")
    return None


def _strings(value: Any, n: int, key: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise malformed(f"statement {n} has a {key} that is not a string or a list of strings.")
    if key.endswith("Action") and not all(v == "*" or ":" in v for v in values):
        raise malformed(f"statement {n} has an {key} that is not of the form service:Operation.")
    return tuple(values)


def _principals(value: Any, n: int) -> tuple[str, ...]:
    if value == "*":
        return ("*",)
    if not isinstance(value, dict) or not value:
        raise malformed(f"statement {n} has a Principal that is neither \"*\" nor an object such as {{\"AWS\": ...}}.")
    out: list[str] = []
    for kind, names in value.items():
        for name in _strings(names, n, "Principal"):
            if kind == "AWS" and not (name == "*" or _ACCOUNT.fullmatch(name) or _ACCOUNT_ARN.fullmatch(name)):
                raise malformed(f"statement {n} has the invalid principal {name}.")
            # Service and federated principals never call as an account of this emulator: kept, never matched.
            out.append(name if kind == "AWS" else f"{kind}:{name}")
    return tuple(out)


def _principal_matches(principal: str, account: str, caller_arn: str) -> bool:
    if principal == "*" or principal == caller_arn:
        return True
    if principal == account:
        return True
    match = _ACCOUNT_ARN.fullmatch(principal)
    return match is not None and principal.endswith(":root") and match.group(1) == account


@lru_cache(maxsize=1024)
def _pattern(glob: str, case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, 0 if case else re.IGNORECASE)


def _glob(glob: str, value: str, *, case: bool) -> bool:
    return _pattern(glob, case).fullmatch(value) is not None


def allows(statements: list[Statement], account: str, caller_arn: str, action: str, resource: str) -> str | None:
    """"Deny", "Allow", or None (the policy says nothing) for `account` doing `action` on `resource`."""
    verdict = None
    for statement in statements:
        if not statement.applies(account, caller_arn, action, resource):
            continue
        if not statement.allow:
            return "Deny"
        if not statement.conditional:
            verdict = "Allow"
    return verdict
