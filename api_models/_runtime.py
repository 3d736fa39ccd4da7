"""Hand-written runtime support for the generated API models.

The generated modules (see tools/generate_api_models.py) build on what is defined here:
the exception base every SSM error shape derives from, the pydantic base class and wire types
(`ApiModel`, `TaggedUnion`, `Timestamp`, `Blob`), the constraint metadata the generator attaches
to fields (`Member`), and the one walker that turns those constraints into AWS-style
("Coral") validation messages.

Validation message conventions (AWS's where known, ours where AWS is not documented):
- a path names members in lowerCamelCase: the wire name with its first letter lowered
  (`Name` -> `name`, `SAMLOptions` -> `sAMLOptions`), nested members joined with `.`;
- a structure inside a list is reached as `<list>.<n>.member` (1-based), a structure, list or
  map inside a map value as `<map>.<key>.member`;
- constraints on scalar list items, map keys and map values are reported once for the whole
  container, listing every constraint of the item shape, as AWS does:
  `Member must satisfy constraint: [...]`, `Map keys must satisfy constraint: [...]`,
  `Map value must satisfy constraint: [...]`;
- values are rendered like Java would: strings raw, lists `[a, b]`, maps and structures
  `{k=v, k2=v2}`; a sensitive member, or anything inside one, is reported without its value;
- the constraints of one member are checked in the order max length, min length, max value,
  min value, pattern, enum; members in model order.
"""
from __future__ import annotations

import base64
import importlib
import re
import sys
import types
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Any, Callable, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, model_validator
from pydantic_core import PydanticCustomError


class ServiceError(Exception):
    """An error answered to the caller as an AWS JSON 1.1 error body.

    `code` is the error shape name (botocore maps it to `client.exceptions.<code>`);
    `fields` are the shape's modeled members besides the message (e.g. SyncName).
    """

    code: ClassVar[str] = "InternalServerError"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"__type": self.code}
        body.update({k: v for k, v in self.fields.items() if v is not None})
        body["message"] = self.message
        return body


class SerializationException(ServiceError):
    """The request body is not JSON, or a member has the wrong JSON type.

    Not an SSM error shape: AWS's JSON 1.1 front door answers it before the service runs.
    """

    code = "SerializationException"


# --- constraint metadata -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """Constraints botocore's model states for a member, attached to the field by the generator.

    `min`/`max` bound the length of strings, blobs, lists and maps (UTF-16 code units for
    strings) and the value of numbers. `pattern` is the Java regex exactly as in the model.
    """

    required: bool = False
    min: int | float | None = None
    max: int | float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    sensitive: bool = False


# --- wire types ----------------------------------------------------------------------------


def _timestamp_in(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    raise PydanticCustomError("ssm_timestamp", "expected epoch seconds or an ISO-8601 string")


def _timestamp_out(value: datetime) -> float:
    if value.tzinfo is None:  # handlers should pass aware datetimes; naive ones are taken as UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def _blob_in(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            pass
    raise PydanticCustomError("ssm_blob", "expected a base64-encoded string")


def _blob_out(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


# Epoch seconds or ISO-8601 in; an aware datetime in Python; epoch seconds (JSON number) out.
Timestamp = Annotated[
    datetime,
    PlainValidator(_timestamp_in),
    PlainSerializer(_timestamp_out, return_type=float, when_used="json"),
]
# Base64 string on the wire both ways; bytes in Python.
Blob = Annotated[
    bytes,
    PlainValidator(_blob_in),
    PlainSerializer(_blob_out, return_type=str, when_used="json"),
]


class ApiModel(BaseModel):
    """Base of every generated request, response and nested structure model.

    Field names are the wire member names. Every field is optional in pydantic; "required"
    is a `Member` constraint checked by `constraint_violations`, so that a missing member is
    reported in AWS's words. Schemas are built on first use to keep `import` cheap.
    """

    model_config = ConfigDict(
        extra="ignore",
        defer_build=True,
        protected_namespaces=(),
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class TaggedUnion(ApiModel):
    """A structure botocore marks `union: true`: at most one member may be set."""

    @model_validator(mode="after")
    def _one_member_at_most(self) -> TaggedUnion:
        set_members = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_members) > 1:
            raise PydanticCustomError(
                "ssm_union",
                "{shape} is a union: only one of {members} may be set",
                {"shape": type(self).__name__, "members": ", ".join(set_members)},
            )
        return self


class OperationSpec:
    """One SSM operation as botocore's model describes it (the index is api_models.operations).

    `input`/`output` are the request/response model classes; the capability module holding
    them is imported on first access, so that loading the index does not build ~630 models.
    """

    __slots__ = ("name", "capability", "input_model", "output_model", "errors", "paginated",
                 "_input", "_output")

    def __init__(self, name: str, capability: str, input_model: str, output_model: str | None,
                 errors: tuple[str, ...], paginated: bool) -> None:
        self.name = name
        self.capability = capability  # module of api_models holding its models, e.g. "parameter_store"
        self.input_model = input_model  # class names, e.g. "GetParameterRequest"
        self.output_model = output_model
        self.errors = errors  # declared error shape names, model order
        self.paginated = paginated  # botocore has a paginator (NextToken/MaxResults) for it
        self._input: type[ApiModel] | None = None
        self._output: type[ApiModel] | None = None

    @property
    def input(self) -> type[ApiModel]:
        if self._input is None:
            self._input = getattr(self._module(), self.input_model)
        return self._input

    @property
    def output(self) -> type[ApiModel] | None:
        if self._output is None and self.output_model is not None:
            self._output = getattr(self._module(), self.output_model)
        return self._output

    def _module(self) -> types.ModuleType:
        return importlib.import_module(f"{__package__}.{self.capability}")

    def __repr__(self) -> str:
        return (f"OperationSpec(name={self.name!r}, capability={self.capability!r}, "
                f"input_model={self.input_model!r}, output_model={self.output_model!r}, "
                f"errors={self.errors!r}, paginated={self.paginated!r})")


# --- Java regular expressions --------------------------------------------------------------

# Java's `.` stops at every line terminator, Python's only at \n.
_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"


@lru_cache(maxsize=None)
def _category_ranges(category: str) -> str:
    """Character-class body (`\\uXXXX-\\uYYYY...`) for a Unicode general category like L or Lu."""
    ranges: list[tuple[int, int]] = []
    # Planes 4-13 hold no assigned characters and 15-16 are private use (category Co),
    # so scanning planes 0-3 and 14 finds every character of the letter/number/mark/... classes.
    scan = (range(0, 0x40000), range(0xE0000, 0xF0000)) if category[0] != "C" else (range(sys.maxunicode + 1),)
    for block in scan:
        for cp in block:
            if unicodedata.category(chr(cp)).startswith(category):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
    return "".join(
        _class_char(lo) if lo == hi else f"{_class_char(lo)}-{_class_char(hi)}" for lo, hi in ranges
    )


def _class_char(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def translate_java_regex(pattern: str) -> str:
    """Rewrite the Java regex constructs of botocore's SSM model that Python's `re` lacks.

    Handles `\\p{X}` Unicode categories, a `-` right after `\\w`/`\\d`/`\\s` inside a class
    (a literal in Java, an error in Python) and Java's `.`. Compile the result with re.ASCII
    (Java's `\\w`, `\\d`, `\\s`, `\\b` and `(?i)` are ASCII-only by default).
    """
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise ValueError(f"trailing backslash in {pattern!r}")
            nxt = pattern[i + 1]
            if nxt in "pP":
                if i + 2 < n and pattern[i + 2] == "{":
                    end = pattern.index("}", i + 3)
                    name, i = pattern[i + 3 : end], end + 1
                else:
                    name, i = pattern[i + 2], i + 3
                if name.startswith("Is"):
                    name = name[2:]
                if not re.fullmatch(r"[A-Z][a-z]?", name):
                    raise ValueError(f"unsupported Java class \\{nxt}{{{name}}} in {pattern!r}")
                body = _category_ranges(name)
                if in_class:
                    if nxt == "P":
                        raise ValueError(f"unsupported negated class inside [] in {pattern!r}")
                    out.append(body)
                else:
                    out.append(f"[{'^' if nxt == 'P' else ''}{body}]")
                continue
            out.append(pattern[i : i + 2])
            i += 2
            if in_class and nxt in "wdsWDS" and i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
                out.append("\\-")
                i += 1
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[" or pattern.startswith("&&", i):
                raise ValueError(f"unsupported Java class union/intersection in {pattern!r}")
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ] is a literal
                out.append("\\]")
                i += 1
            continue
        out.append(_JAVA_DOT if c == "." else c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=None)
def java_regex(pattern: str) -> re.Pattern[str]:
    """The compiled Python equivalent of a model pattern; use `.fullmatch` (Java `matches()`)."""
    return re.compile(translate_java_regex(pattern), re.ASCII)


# --- the constraint walker -----------------------------------------------------------------

_Out = list[str]
_Check = Callable[[Any, str, bool, _Out], None]


def utf16_length(value: str) -> int:
    """Length as Java's String.length() counts it: UTF-16 code units."""
    if value.isascii():
        return len(value)
    return len(value) + sum(1 for ch in value if ord(ch) > 0xFFFF)


def render_value(value: Any) -> str:
    """A value as it appears inside `Value '...'` (Java toString style)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render_value(k)}={render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, BaseModel):
        return "{" + ", ".join(f"{k}={render_value(v)}" for k, v in value if v is not None) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return _blob_out(value)
    return str(value)


def _entry(value: Any, path: str, sensitive: bool, text: str) -> str:
    if sensitive:
        return f"Value at '{path}' failed to satisfy constraint: {text}"
    return f"Value '{render_value(value)}' at '{path}' failed to satisfy constraint: {text}"


def _null_entry(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def _num(x: int | float) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _scalar_rules(kind: type, m: Member | None) -> tuple[list[str], Callable[[Any], list[str]] | None]:
    """(texts of all constraints, function value -> texts of violated ones) for a scalar."""
    if m is None or kind is bool or kind is datetime:
        return [], None
    texts: list[str] = []
    checks: list[tuple[Callable[[Any], bool], str]] = []
    if kind in (str, bytes):
        size = utf16_length if kind is str else len
        if m.max is not None:
            mx = m.max
            texts.append(t := f"Member must have length less than or equal to {_num(mx)}")
            checks.append((lambda v, mx=mx: size(v) > mx, t))
        if m.min is not None:
            mn = m.min
            texts.append(t := f"Member must have length greater than or equal to {_num(mn)}")
            checks.append((lambda v, mn=mn: size(v) < mn, t))
    elif kind in (int, float):
        if m.max is not None:
            mx = m.max
            texts.append(t := f"Member must have value less than or equal to {_num(mx)}")
            checks.append((lambda v, mx=mx: v > mx, t))
        if m.min is not None:
            mn = m.min
            texts.append(t := f"Member must have value greater than or equal to {_num(mn)}")
            checks.append((lambda v, mn=mn: v < mn, t))
    if m.pattern is not None and kind is str:
        rx = java_regex(m.pattern)
        texts.append(t := f"Member must satisfy regular expression pattern: {m.pattern}")
        checks.append((lambda v, rx=rx: rx.fullmatch(v) is None, t))
    if m.enum is not None and kind is str:
        allowed = frozenset(m.enum)
        texts.append(t := f"Member must satisfy enum value set: [{', '.join(m.enum)}]")
        checks.append((lambda v, allowed=allowed: v not in allowed, t))
    if not checks:
        return texts, None
    if kind is str and m.pattern is None and m.enum is None and len(checks) <= 2:
        # The common case (a bounded string) without per-check calls.
        lo = m.min if m.min is not None else 0
        hi = m.max if m.max is not None else float("inf")
        def violated_fast(v: str) -> list[str]:
            n = len(v) if v.isascii() else utf16_length(v)
            if lo <= n <= hi:
                return []
            return [t for pred, t in checks if pred(v)]
        return texts, violated_fast
    def violated(v: Any) -> list[str]:
        return [t for pred, t in checks if pred(v)]
    return texts, violated


def _unwrap(annotation: Any) -> tuple[Any, Member | None]:
    """Strip `| None` and `Annotated[...]`, returning the bare type and its Member, if any."""
    member = None
    while True:
        origin = get_origin(annotation)
        if origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                raise TypeError(f"unsupported union {annotation!r}")
            annotation = args[0]
        elif origin is Annotated:
            base, *meta = get_args(annotation)
            member = next((x for x in meta if isinstance(x, Member)), member)
            annotation = base
        else:
            return annotation, member


def _node(annotation: Any, m: Member | None) -> tuple[list[str], Callable[[Any], list[str]] | None, _Check | None]:
    """For a type: (scalar texts, scalar violations fn, full check fn) — scalar parts only for scalars."""
    tp, inner_m = _unwrap(annotation)
    m = inner_m or m
    origin = get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        def check_model(v: Any, path: str, sensitive: bool, out: _Out) -> None:
            _check_model(v, path + ".", sensitive, out)
        return [], None, check_model
    if origin is list:
        return [], None, _list_check(get_args(tp)[0], m)
    if origin is dict:
        key_t, val_t = get_args(tp)
        return [], None, _map_check(key_t, val_t, m)
    kind = tp if tp in (str, int, float, bool, bytes, datetime) else None
    if kind is None:
        raise TypeError(f"unsupported field type {tp!r}")
    texts, viol = _scalar_rules(kind, m)
    if viol is None:
        return texts, None, None

    def check_scalar(v: Any, path: str, sensitive: bool, out: _Out) -> None:
        for text in viol(v):
            out.append(_entry(v, path, sensitive, text))
    return texts, viol, check_scalar


def _item_rules(item_t: Any, label: str) -> tuple[tuple[str, Callable[[Any], list[str]], bool] | None, tuple[_Check, bool] | None]:
    """How to check the items of a container: aggregated (scalars) or one by one (the rest)."""
    _, item_m = _unwrap(item_t)
    texts, viol, sub = _node(item_t, None)
    sensitive = item_m is not None and item_m.sensitive
    if viol is not None:
        return (f"{label} must satisfy constraint: [{', '.join(texts)}]", viol, sensitive), None
    if sub is not None:
        return None, (sub, sensitive)
    return None, None


def _list_check(item_t: Any, m: Member | None) -> _Check | None:
    _, own = _scalar_rules(bytes, m)  # a list's min/max bound its length, like a blob's
    own_sensitive = m is not None and m.sensitive
    aggregated, nested = _item_rules(item_t, "Member")
    if own is None and aggregated is None and nested is None:
        return None

    def check_list(v: list[Any], path: str, sensitive: bool, out: _Out) -> None:
        sensitive = sensitive or own_sensitive
        if own is not None:
            for text in own(v):
                out.append(_entry(v, path, sensitive, text))
        if aggregated is not None:
            text, viol, item_sensitive = aggregated
            if any(viol(x) for x in v):
                out.append(_entry(v, path, sensitive or item_sensitive, text))
        if nested is not None:
            sub, item_sensitive = nested
            for i, x in enumerate(v, 1):
                sub(x, f"{path}.{i}.member", sensitive or item_sensitive, out)
    return check_list


def _map_check(key_t: Any, val_t: Any, m: Member | None) -> _Check | None:
    _, own = _scalar_rules(bytes, m)
    own_sensitive = m is not None and m.sensitive
    keys, _ = _item_rules(key_t, "Map keys")
    values, nested = _item_rules(val_t, "Map value")
    if own is None and keys is None and values is None and nested is None:
        return None

    def check_map(v: dict[str, Any], path: str, sensitive: bool, out: _Out) -> None:
        sensitive = sensitive or own_sensitive
        if own is not None:
            for text in own(v):
                out.append(_entry(v, path, sensitive, text))
        if keys is not None:
            text, viol, key_sensitive = keys
            if any(viol(k) for k in v):
                out.append(_entry(v, path, sensitive or key_sensitive, text))
        if values is not None:
            text, viol, value_sensitive = values
            if any(viol(x) for x in v.values()):
                out.append(_entry(v, path, sensitive or value_sensitive, text))
        if nested is not None:
            sub, value_sensitive = nested
            for k, x in v.items():
                sub(x, f"{path}.{k}.member", sensitive or value_sensitive, out)
    return check_map


# (attribute, path label, required, sensitive, check) per constrained field, built once per
# model class on first use (a memo: concurrent builders compute the same plan).
_Plan = tuple[tuple[str, str, bool, bool, "_Check | None"], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type[BaseModel]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        entries = []
        for attr, field in cls.model_fields.items():
            m = next((x for x in field.metadata if isinstance(x, Member)), None)
            wire = field.alias or attr
            _, _, check = _node(field.annotation, m)
            required = m is not None and m.required
            if check is None and not required:
                continue
            entries.append((attr, wire[:1].lower() + wire[1:], required, m is not None and m.sensitive, check))
        plan = _PLANS[cls] = tuple(entries)
    return plan


def _check_model(obj: BaseModel, prefix: str, sensitive: bool, out: _Out) -> None:
    plan = _PLANS.get(type(obj))
    if plan is None:
        plan = _plan(type(obj))
    values = obj.__dict__
    for attr, label, required, field_sensitive, check in plan:
        v = values[attr]
        if v is None:
            if required:
                out.append(_null_entry(prefix + label))
        elif check is not None:
            check(v, prefix + label, sensitive or field_sensitive, out)


def constraint_violations(model: BaseModel) -> list[str]:
    """Every violated model constraint of `model` and what it contains, as AWS message entries."""
    out: _Out = []
    _check_model(model, "", False, out)
    return out


def validation_message(entries: list[str]) -> str:
    """`N validation error(s) detected: <entry>; <entry>` — AWS's ValidationException text."""
    n = len(entries)
    return f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(entries)


# --- pydantic type errors -> SerializationException text -------------------------------------

_EXPECTED = {
    "string_type": "a String",
    "int_type": "an Integer",
    "int_from_float": "an Integer",
    "bool_type": "a Boolean",
    "float_type": "a Double",
    "ssm_timestamp": "a Timestamp",
    "ssm_blob": "a Blob",
    "list_type": "a List",
    "dict_type": "a Map",
    "model_type": "a Structure",
    "model_attributes_type": "a Structure",
}


def _json_kind(value: Any) -> str:
    if value is None:
        return "NULL_VALUE"
    if isinstance(value, bool):
        return "BOOLEAN_VALUE"
    if isinstance(value, (int, float)):
        return "NUMBER_VALUE"
    return "STRING_VALUE"


def serialization_message(error: dict[str, Any]) -> str:
    """A short Coral-style message for the first pydantic error of a request body.

    Modelled on the texts AWS JSON services answer ("NUMBER_VALUE can not be converted to a
    String", "Start of list found where not expected"); SSM's exact wording is not recorded.
    """
    kind, value = error.get("type"), error.get("input")
    if kind == "json_invalid":
        return "Request body is not valid JSON"
    if kind == "ssm_union":
        return str(error.get("msg", "Only one member of a union may be set"))
    if kind in _EXPECTED:
        if isinstance(value, list):
            return "Start of list found where not expected"
        if isinstance(value, dict):
            return "Start of structure or map found where not expected."
        return f"{_json_kind(value)} can not be converted to {_EXPECTED[kind]}"
    return "Request body could not be deserialized"
