"""Document parameters: what a document declares (`parameters:`), and checking the values a
caller passes against those declarations.

Two users: CreateDocument/UpdateDocument read declarations from content (`declare`, which
refuses inconsistent declarations with InvalidDocumentContent), and Run Command, Automation
and State Manager check what a caller passes (`validate_and_fill`, SendCommand's rules:
unknown names, required values, types, allowedValues, allowedPattern, item and character
counts, defaults).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from api_models._runtime import ServiceError, java_regex
from api_models.errors import InvalidDocumentContent, InvalidParameters

SIMPLE_TYPES = ("String", "StringList", "Integer", "Boolean", "StringMap", "MapList")
# Automation runbooks may also declare AWS resource types, e.g. AWS::EC2::Instance::Id or
# List<AWS::EC2::Image::Id>; they carry strings (lists of strings).
_AWS_TYPE = re.compile(r"^AWS(::[A-Za-z0-9]+){2,3}$")
_AWS_LIST_TYPE = re.compile(r"^List<AWS(::[A-Za-z0-9]+){2,3}>$")
_NAME = re.compile(r"^[a-zA-Z0-9_]+$")


class _NoDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True, slots=True)
class DeclaredParameter:
    """One entry of a document's `parameters:`, as declared."""

    name: str
    type: str
    description: str | None = None
    default: Any = NO_DEFAULT
    allowed_values: tuple[Any, ...] | None = None
    allowed_pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    min_chars: int | None = None
    max_chars: int | None = None

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    @property
    def kind(self) -> str:
        """The simple type the value has: AWS resource types are Strings or StringLists."""
        if _AWS_LIST_TYPE.match(self.type):
            return "StringList"
        if _AWS_TYPE.match(self.type):
            return "String"
        return self.type

    def default_text(self) -> str | None:
        """DefaultValue as DescribeDocument shows it: strings as they are, others as JSON."""
        if self.default is NO_DEFAULT:
            return None
        if isinstance(self.default, str):
            return self.default
        return json.dumps(self.default, separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        """The declaration as a DocumentParameter dict (Name, Type, Description, DefaultValue)."""
        out: dict[str, Any] = {"Name": self.name, "Type": self.type}
        if self.description is not None:
            out["Description"] = self.description
        default = self.default_text()
        if default is not None:
            out["DefaultValue"] = default
        return out


# --- declarations ------------------------------------------------------------------------------


def _bad(message: str) -> InvalidDocumentContent:
    return InvalidDocumentContent(message)


def _count(name: str, decl: Mapping[str, Any], key: str) -> int | None:
    value = decl.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f'Parameter "{name}" has an invalid {key} value. It must be a non-negative integer.')
    return value


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    return java_regex(pattern)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "String":
        return isinstance(value, str)
    if kind == "StringList":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "StringMap":
        return isinstance(value, dict)
    if kind == "MapList":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    return False


def declare(raw: Any, *, automation: bool = False) -> tuple[DeclaredParameter, ...]:
    """The parameters a document's `parameters:` section declares, in declaration order.

    Refuses (InvalidDocumentContent) what SSM refuses: unknown types, defaults that do not
    have the declared type or are not among allowedValues or do not match allowedPattern.
    `automation` admits the AWS resource types runbooks may declare.
    """
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _bad("The parameters field must be a map of parameter names to their definitions.")
    out: list[DeclaredParameter] = []
    for name, decl in raw.items():
        name = str(name)
        if not _NAME.match(name):
            raise _bad(f'Parameter name "{name}" is invalid. Use letters, numbers and underscores only.')
        if not isinstance(decl, dict):
            raise _bad(f'Parameter "{name}" must be defined as a map with at least a type.')
        ptype = decl.get("type")
        if not isinstance(ptype, str) or not (
            ptype in SIMPLE_TYPES or (automation and (_AWS_TYPE.match(ptype) or _AWS_LIST_TYPE.match(ptype)))
        ):
            raise _bad(f'Parameter "{name}" has an unsupported type: {ptype}.')
        description = decl.get("description")
        if description is not None and not isinstance(description, str):
            description = str(description)
        allowed = decl.get("allowedValues")
        if allowed is not None:
            if not isinstance(allowed, list) or not allowed:
                raise _bad(f'Parameter "{name}" has invalid allowedValues. It must be a non-empty list.')
            allowed = tuple(allowed)
        pattern = decl.get("allowedPattern")
        if pattern is not None:
            if not isinstance(pattern, str):
                raise _bad(f'Parameter "{name}" has an invalid allowedPattern.')
            try:
                _pattern(pattern)
            except (re.error, ValueError, OverflowError):
                raise _bad(f'Parameter "{name}" has an invalid allowedPattern: {pattern}') from None
        param = DeclaredParameter(
            name=name,
            type=ptype,
            description=description,
            default=decl["default"] if "default" in decl else NO_DEFAULT,
            allowed_values=allowed,
            allowed_pattern=pattern,
            min_items=_count(name, decl, "minItems"),
            max_items=_count(name, decl, "maxItems"),
            min_chars=_count(name, decl, "minChars"),
            max_chars=_count(name, decl, "maxChars"),
        )
        if param.default is not NO_DEFAULT:
            _check_default(param)
        out.append(param)
    return tuple(out)


def _check_default(p: DeclaredParameter) -> None:
    default = p.default
    # An Automation runbook may default a parameter to an expression resolved at run time
    # ({{ssm:/some/parameter}}, {{ global:... }}); such defaults are checked when resolved.
    if isinstance(default, str) and "{{" in default:
        return
    if not _type_ok(p.kind, default):
        raise _bad(f'Parameter "{p.name}" has a default value that is not of type {p.type}.')
    try:
        _check_value(p, default)
    except _Invalid as exc:
        raise _bad(exc.message.replace(" has value ", " has default value ", 1)) from None


# --- values ------------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _show(values: tuple[Any, ...]) -> str:
    return "[" + ", ".join(_text(v) for v in values) + "]"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _check_value(p: DeclaredParameter, value: Any) -> None:
    """allowedValues, allowedPattern and the item and character counts, for a typed value."""
    items = value if p.kind == "StringList" else [value]
    if p.kind == "StringList":
        if p.min_items is not None and len(items) < p.min_items:
            raise _Invalid(f'Parameter "{p.name}" must have at least {p.min_items} item(s).')
        if p.max_items is not None and len(items) > p.max_items:
            raise _Invalid(f'Parameter "{p.name}" can have at most {p.max_items} item(s).')
    for item in items:
        if p.allowed_values is not None and _text(item) not in {_text(a) for a in p.allowed_values}:
            raise _Invalid(f'Parameter "{p.name}" has value "{_text(item)}" not found in {_show(p.allowed_values)}.')
        if p.allowed_pattern is not None and isinstance(item, str):
            if _pattern(p.allowed_pattern).fullmatch(item) is None:
                raise _Invalid(
                    f'Parameter "{p.name}" has value "{item}" not matching "{p.allowed_pattern}".'
                )
        text = item if isinstance(item, str) else _text(item)
        if p.min_chars is not None and len(text) < p.min_chars:
            raise _Invalid(f'Parameter "{p.name}" has value "{text}" shorter than {p.min_chars} character(s).')
        if p.max_chars is not None and len(text) > p.max_chars:
            raise _Invalid(f'Parameter "{p.name}" has a value longer than {p.max_chars} character(s).')


def _one(p: DeclaredParameter, values: list[Any]) -> Any:
    if len(values) != 1:
        raise _Invalid(f'Parameter "{p.name}" is of type {p.type} and takes exactly one value.')
    return values[0]


def _json_object(p: DeclaredParameter, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    raise _Invalid(f'Parameter "{p.name}" has value "{_text(value)}" which is not a valid {p.type}.')


def _coerce(p: DeclaredParameter, values: list[Any]) -> Any:
    """The typed value of a parameter from the list of values a caller passed."""
    kind = p.kind
    if kind == "String":
        value = _one(p, values)
        if not isinstance(value, str):
            raise _Invalid(f'Parameter "{p.name}" has value "{_text(value)}" which is not a valid String.')
        return value
    if kind == "StringList":
        if not all(isinstance(v, str) for v in values):
            raise _Invalid(f'Parameter "{p.name}" only takes string values.')
        return list(values)
    if kind == "Integer":
        value = _one(p, values)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
            return int(value.strip())
        raise _Invalid(f'Parameter "{p.name}" has value "{_text(value)}" which is not a valid Integer.')
    if kind == "Boolean":
        value = _one(p, values)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _Invalid(f'Parameter "{p.name}" has value "{_text(value)}" which is not a valid Boolean.')
    if kind == "StringMap":
        return _json_object(p, _one(p, values))
    if kind == "MapList":
        if len(values) == 1 and isinstance(values[0], str) and values[0].lstrip().startswith("["):
            try:
                parsed = json.loads(values[0])
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                values = parsed
        return [_json_object(p, v) for v in values]
    raise _Invalid(f'Parameter "{p.name}" has an unsupported type: {p.type}.')


def validate_and_fill(
    declared: tuple[DeclaredParameter, ...] | list[DeclaredParameter],
    given: Mapping[str, Any] | None,
    *,
    error: type[ServiceError] = InvalidParameters,
    opaque_message: str | None = None,
) -> dict[str, Any]:
    """Check the parameters a caller passed against a document's declarations; fill defaults.

    `given` is SendCommand's shape (name -> list of strings); a scalar stands for a list of
    one. Returns every declared parameter, in declaration order, with its typed value
    (String/AWS::* -> str, StringList -> list[str], Integer -> int, Boolean -> bool,
    StringMap -> dict, MapList -> list[dict]). Raises `error` (InvalidParameters for Run
    Command; Automation passes InvalidAutomationExecutionParametersException) with a message
    naming the parameter and the rule it breaks, or `opaque_message` when given (SendCommand
    answers "document <name> does not support parameters." for any invalid parameter).
    """
    given = given or {}
    by_name = {p.name: p for p in declared}
    try:
        for name in given:
            if name not in by_name:
                raise _Invalid(f'Parameter "{name}" is not declared in the document.')
        out: dict[str, Any] = {}
        for p in declared:
            raw = given.get(p.name)
            values = raw if isinstance(raw, (list, tuple)) else ([] if raw is None else [raw])
            if not values and p.kind == "StringList" and raw is not None and p.required:
                values = []  # an explicit empty list is a value; minItems decides
            elif not values:
                if p.required:
                    raise _Invalid(f'Parameter "{p.name}" is required but no value was provided.')
                out[p.name] = p.default
                continue
            value = _coerce(p, list(values))
            _check_value(p, value)
            out[p.name] = value
        return out
    except _Invalid as exc:
        raise error(opaque_message if opaque_message is not None else exc.message) from None
