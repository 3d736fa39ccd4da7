"""Parameter names, paths, selectors and labels: what AWS accepts and how it refuses the rest.

A parameter is identified by its *key*: the name with a leading slash. AWS treats `MyParam` and
`/MyParam` as the same parameter ("the following examples are not unique: /TestParam1,
TestParam1"), so both map to the key `/MyParam`; the name as first created is what responses
show. Keys make hierarchy queries plain string ranges: everything under `/a/b` is
`'/a/b/' <= key < '/a/b0'` ('0' follows '/' in ASCII).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from api_models.errors import AccessDeniedException, HierarchyLevelLimitExceededException, ValidationException

MAX_DEPTH = 15
# The 1011 characters a name may have include the ARN before it (arn:aws:ssm:<region>:<account>:parameter/).
MAX_NAME_WITH_ARN = 1011
PUBLIC_PREFIX = "/aws/"
# Secrets Manager secrets read through Parameter Store (this emulator keeps none).
SECRETS_MANAGER_PREFIX = "/aws/reference/secretsmanager/"

_NAME_CHARS = re.compile(r"[a-zA-Z0-9_.\-/]+")
_LABEL = re.compile(r"[a-zA-Z0-9_.\-]+")

# AWS gives this text for a name with characters outside a-zA-Z0-9_.-/ as well as for an "ssm"
# prefix (reports: aws/aws-sdk-php#1952, boto/boto3#1499, localstack#7712).
INVALID_NAME = (
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can "
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_"
)
NOT_FULLY_QUALIFIED = "Parameter name must be a fully qualified name."
# Verbatim, backslashes around "aws" and "ssm" included: AWS's own text escapes those quotes twice
# (the JSON body seen in aws-samples/resource-autotagger#1 decodes to \"aws\").
INVALID_PATH = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin with "
    "a forward slash \"/\". It can't be prefixed with \\\"aws\\\" or \\\"ssm\\\" (case-insensitive). It "
    "must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). "
    "Special characters are not allowed. All sub-paths, if specified, must use the forward slash "
    "symbol \"/\". Valid example: /get/parameters2-/by1./path0_."
)
HIERARCHY_TOO_DEEP = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and "
    "constraints for parameter names in the AWS Systems Manager User Guide."
)


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    return "aws"


def arn_prefix(region: str, account: str) -> str:
    """`arn:aws:ssm:<region>:<account>:parameter` — a key appended to it is the parameter's ARN."""
    return f"arn:{partition(region)}:ssm:{region}:{account}:parameter"


def key_of(name: str) -> str:
    return name if name[:1] == "/" else "/" + name


def parent_of(key: str) -> str:
    cut = key.rfind("/")
    return key[:cut] if cut > 0 else "/"


def depth_of(key: str) -> int:
    return key.count("/")


def is_public(key: str) -> bool:
    return key.startswith(PUBLIC_PREFIX)


def _valid_chars(name: str) -> bool:
    return _NAME_CHARS.fullmatch(name) is not None and "//" not in name and not (
        len(name) > 1 and name.endswith("/")
    )


def name_for_put(name: str, region: str, account: str) -> str:
    """The name PutParameter creates, or AWS's error for it (spaces around it are dropped)."""
    name = name.strip(" ")
    if "/" in name and name[0] != "/":
        raise ValidationException(NOT_FULLY_QUALIFIED)
    first = name.lstrip("/").lower()
    if first.startswith("aws"):
        # Reported as "No access to reserved parameter name: awssec/lab01/vpc_id." for
        # /awssec/lab01/vpc_id, and for the plain name awslimitschecker too.
        raise AccessDeniedException(f"No access to reserved parameter name: {name.lstrip('/')}.")
    if first.startswith("ssm") or not _valid_chars(name) or name == "/":
        raise ValidationException(INVALID_NAME)
    key = key_of(name)
    if len(arn_prefix(region, account)) + len(key) > MAX_NAME_WITH_ARN:
        raise ValidationException(
            "Parameter name: the maximum length of a parameter name, including the "
            f"{arn_prefix(region, account)}/ prefix of its ARN, is {MAX_NAME_WITH_ARN} characters."
        )
    if depth_of(key) > MAX_DEPTH:
        raise HierarchyLevelLimitExceededException(HIERARCHY_TOO_DEEP)
    return name


@dataclass(frozen=True, slots=True)
class NameRef:
    """A parameter as a read names it: `name`, `name:version`, `name:label`, or an ARN of those."""

    given: str  # as the caller wrote it, for InvalidParameters and messages
    name: str  # without ARN and selector
    key: str
    version: int | None = None
    label: str | None = None
    foreign: bool = False  # an ARN of another account or region: not the caller's parameter
    # The account of an ARN of another account in the caller's region: a parameter that account may have
    # shared with the caller (resource policies); None otherwise.
    owner: str | None = None

    @property
    def selector(self) -> str | None:
        if self.version is not None:
            return f":{self.version}"
        if self.label is not None:
            return f":{self.label}"
        return None


def parse_ref(given: str, region: str, account: str, *, selectors: bool = True) -> NameRef:
    """Read a parameter reference; ValidationException if the name part is not a valid name."""
    text = given.strip(" ")
    foreign = False
    owner = None
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) < 6 or not parts[5].startswith("parameter/"):
            raise ValidationException(INVALID_NAME)
        arn_region, arn_account = parts[3], parts[4]
        body = parts[5][len("parameter"):]
        foreign = arn_region != region or (arn_account != account and not (arn_account == "" and is_public(body)))
        if foreign and arn_region == region and arn_account:
            owner = arn_account
        text = body
    version = label = None
    if ":" in text:
        if not selectors:
            raise ValidationException(INVALID_NAME)
        text, _, selector = text.partition(":")
        if not selector or ":" in selector:
            raise ValidationException(INVALID_NAME)
        if selector.isdigit():
            version = int(selector)
        else:
            label = selector
    if not text or not _valid_chars(text) or ("/" in text and text[0] != "/"):
        raise ValidationException(INVALID_NAME)
    return NameRef(given, text, key_of(text), version, label, foreign, owner)


def path_key(path: str) -> str:
    """The key prefix a GetParametersByPath path names: `/a/b/` and `/a/b` both give `/a/b`."""
    path = path.strip(" ")
    if not path.startswith("/") or not _NAME_CHARS.fullmatch(path) or "//" in path:
        raise ValidationException(INVALID_PATH)
    return path.rstrip("/") or "/"


def subtree_range(path: str) -> tuple[str, str]:
    """[low, high) of the keys strictly below `path` (a key or "/")."""
    if path == "/":
        return "/", "0"
    return path + "/", path + "0"


def prefix_range(prefix: str) -> tuple[str, str]:
    """[low, high) of the strings starting with the non-empty `prefix`."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return prefix, prefix + "\U0010ffff"
    return prefix, prefix[:-1] + chr(last + 1)


def valid_label(label: str) -> bool:
    """AWS's label rules: letters, digits, `.`, `-`, `_`; not starting with a digit, aws or ssm."""
    lowered = label.lower()
    return (
        _LABEL.fullmatch(label) is not None
        and not label[0].isdigit()
        and not lowered.startswith("aws")
        and not lowered.startswith("ssm")
    )
