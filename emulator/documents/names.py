"""Document names and ARNs.

A document is named by its name within the caller's account and region, or by its ARN,
`arn:aws:ssm:<region>:<account>:document/<name>`: the way to reach a document another account
shared (AWS-owned documents have no account: `arn:aws:ssm:<region>::document/AWS-...`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from api_models.errors import ValidationException

# "Do not use the following to begin the names of documents you create. They are reserved
# by AWS for use as document prefixes: aws-, amazon, amzn" (case-insensitive).
RESERVED_PREFIXES = ("aws-", "amazon", "amzn")
RESERVED_MESSAGE = (
    "Invalid document name. Document names can't begin with the reserved prefixes aws-, amazon or amzn "
    "(case-insensitive)."
)
_ARN = re.compile(r"^arn:aws[a-z\-]*:ssm:([a-z0-9\-]*):([0-9]{12})?:document/([a-zA-Z0-9_\-.]{3,128})$")


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """Which document a Name means: `owner` is None for a plain name (the caller's, or
    AWS's), "" for an AWS-owned document's ARN, or the owning account of an ARN."""

    name: str
    owner: str | None = None
    region: str | None = None
    given: str = ""

    @property
    def is_arn(self) -> bool:
        return self.owner is not None


def check_new_name(name: str) -> None:
    if name.lower().startswith(RESERVED_PREFIXES):
        raise ValidationException(RESERVED_MESSAGE)


def parse_ref(given: str) -> DocumentRef | None:
    """The document `given` names; None for an ARN that cannot name a document."""
    if not given.startswith("arn:"):
        return DocumentRef(name=given, given=given)
    m = _ARN.match(given)
    if m is None:
        return None
    return DocumentRef(name=m.group(3), owner=m.group(2) or "", region=m.group(1), given=given)


def arn(region: str, owner: str, name: str) -> str:
    """The ARN of a document; AWS-owned documents (owner "Amazon") have no account in it."""
    account = "" if owner == "Amazon" else owner
    return f"arn:aws:ssm:{region}:{account}:document/{name}"
