"""What a parameter value must satisfy: its tier's size, its AllowedPattern and its data type."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from api_models._runtime import java_regex
from api_models.errors import (
    InvalidAllowedPatternException,
    ParameterLimitExceeded,
    ParameterPatternMismatchException,
    ValidationException,
)

STANDARD, ADVANCED, INTELLIGENT = "Standard", "Advanced", "Intelligent-Tiering"
STANDARD_MAX_VALUE = 4096
ADVANCED_MAX_VALUE = 8192
STANDARD_LIMIT = 10_000  # per account and region
ADVANCED_LIMIT = 100_000

INTEGRATION_PREFIX = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/"
# The data types a parameter can't change to or from; it may change between any others ("such as from text to
# integer or from integer to float. The exceptions are aws:ec2:image and aws:ssm:integration": User Guide).
FIXED_DATA_TYPES = frozenset({"aws:ec2:image", "aws:ssm:integration"})
# Data types whose parameters must be advanced (PutParameter's Tier documentation).
ADVANCED_DATA_TYPES = frozenset({"url", "json", "jsonc"})

STANDARD_TOO_LARGE = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a "
    "larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more "
    "information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "parameter-store-advanced-parameters.html"
)
ADVANCED_TOO_LARGE = (
    "The specified parameter value is too large. Advanced-tier parameters support a maximum "
    "parameter value of 8192 characters."
)
NO_DOWNGRADE = (
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
    "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the "
    "advanced parameter and recreate it as a standard parameter."
)
STANDARD_NO_POLICIES = "You can't assign parameter policies to a standard-parameter tier."
STANDARD_LIMIT_REACHED = (
    "You have reached the maximum number of standard parameters for this AWS account and Region "
    "(10000). To add more parameters, either delete existing parameters or upgrade to the "
    "advanced-parameter tier (charges apply)."
)
ADVANCED_LIMIT_REACHED = (
    "You have reached the maximum number of advanced parameters for this AWS account and Region "
    "(100000). To add more parameters, delete existing parameters."
)


def resolve_tier(
    requested: str | None,
    existing: str | None,
    value: str,
    has_policies: bool,
    data_type: str,
    count: Callable[[str], int],
    default: str = STANDARD,
) -> str:
    """The tier a PutParameter lands in, or AWS's error. `count(tier)` counts this account's
    parameters of a tier; it is only called when a parameter would join that tier. `default` is the tier a
    new parameter given none takes (the account's /ssm/parameter-store/default-parameter-tier setting)."""
    size = len(value)
    needs_advanced = size > STANDARD_MAX_VALUE or has_policies or data_type in ADVANCED_DATA_TYPES
    if requested is None:
        requested = existing or default
    if requested == INTELLIGENT:
        if existing == ADVANCED or needs_advanced:
            tier = ADVANCED
        elif existing != STANDARD and count(STANDARD) >= STANDARD_LIMIT:
            tier = ADVANCED
        else:
            tier = STANDARD
    else:
        tier = requested
    if tier == STANDARD:
        if existing == ADVANCED:
            raise ValidationException(NO_DOWNGRADE)
        if size > STANDARD_MAX_VALUE:
            raise ValidationException(STANDARD_TOO_LARGE)
        if has_policies:
            raise ValidationException(STANDARD_NO_POLICIES)
        if data_type in ADVANCED_DATA_TYPES:
            raise ValidationException(
                f"Parameters of data type {data_type} require the advanced-parameter tier."
            )
        if existing is None and count(STANDARD) >= STANDARD_LIMIT:
            raise ParameterLimitExceeded(STANDARD_LIMIT_REACHED)
        return STANDARD
    if size > ADVANCED_MAX_VALUE:
        raise ValidationException(ADVANCED_TOO_LARGE)
    if existing != ADVANCED and count(ADVANCED) >= ADVANCED_LIMIT:
        raise ParameterLimitExceeded(ADVANCED_LIMIT_REACHED)
    return ADVANCED


def check_allowed_pattern(pattern: str | None, value: str) -> None:
    if not pattern:
        return
    try:
        compiled = java_regex(pattern)
    except (re.error, ValueError, OverflowError):
        raise InvalidAllowedPatternException(
            f"The allowed pattern {pattern} isn't a valid regular expression."
        ) from None
    if compiled.fullmatch(value) is None:
        raise ParameterPatternMismatchException(
            f"Parameter value, cannot be validated against allowedPattern: {pattern}"
        )


# --- data types --------------------------------------------------------------------------------

_AMI = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_ACCOUNT = re.compile(r"\d{12}")
_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_JSONC_COMMENTS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)


def _json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def _jsonc(value: str) -> bool:
    stripped = _JSONC_COMMENTS.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else "", value)
    return _json(re.sub(r",(\s*[}\]])", r"\1", stripped))


def _binary(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _ip(version: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            return ipaddress.ip_address(value).version == version
        except ValueError:
            return False
    return check


def _hostname(value: str) -> bool:
    host = value[:-1] if value.endswith(".") else value
    return 0 < len(host) <= 253 and all(_HOST_LABEL.fullmatch(part) for part in host.split("."))


def _url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


VALUE_CHECKS: dict[str, Callable[[str], bool]] = {
    "aws:ec2:image": lambda v: _AMI.fullmatch(v) is not None,
    "aws:account:id": lambda v: _ACCOUNT.fullmatch(v) is not None,
    "boolean": lambda v: v.lower() in ("true", "false"),
    "integer": lambda v: _INTEGER.fullmatch(v) is not None,
    "float": lambda v: _FLOAT.fullmatch(v) is not None,
    "binary": _binary,
    "hostname": _hostname,
    "email": lambda v: _EMAIL.fullmatch(v) is not None,
    "ipv4-address": _ip(4),
    "ipv6-address": _ip(6),
    "url": _url,
    "json": _json,
    "jsonc": _jsonc,
}
DATA_TYPES = frozenset({"text", "aws:ssm:integration", "aws:region", *VALUE_CHECKS})


def check_data_type(
    data_type: str, parameter_type: str, key: str, value: str, regions: Callable[[], frozenset[str]]
) -> None:
    """AWS's rules for a data type; `regions()` gives the known region codes (for aws:region)."""
    if data_type == "text":
        return
    if data_type not in DATA_TYPES:
        raise ValidationException(
            f"The following data type is not supported: {data_type} (Data type names are all lowercase.)"
        )
    if data_type == "aws:ssm:integration":
        if parameter_type != "SecureString":
            raise ValidationException("Parameters of data type aws:ssm:integration must be of type SecureString.")
        if not key.startswith(INTEGRATION_PREFIX):
            raise ValidationException(
                f"The name of a parameter of data type aws:ssm:integration must begin with {INTEGRATION_PREFIX}."
            )
        return
    if data_type == "aws:ec2:image" and parameter_type != "String":
        raise ValidationException("The aws:ec2:image data type is supported only for String parameters.")
    check = VALUE_CHECKS.get(data_type)
    # "For a StringList parameter, Parameter Store validates each item in the list." (User Guide, data types)
    items = value.split(",") if parameter_type == "StringList" else [value]
    if data_type == "aws:region":
        known = regions()
        valid = all(item in known for item in items)
    else:
        valid = check is not None and all(check(item) for item in items)
    if not valid:
        if data_type == "aws:ec2:image":
            raise ValidationException(
                f"Invalid AMI ID format for parameter value {value}. The value must be an AMI ID "
                "such as ami-12345abcdeEXAMPLE (ami- followed by 8 or 17 hexadecimal characters)."
            )
        raise ValidationException(f"The parameter value isn't valid for the {data_type} data type.")
