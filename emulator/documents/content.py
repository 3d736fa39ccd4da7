"""Document content: parsing JSON/YAML/TEXT, hashing, format conversion, and analysis.

`analyze` runs on CreateDocument/UpdateDocument only: it parses and validates content once and
returns what is stored beside it (schema version, description, parameters, platform types),
so reads never parse content. GetDocument parses only to convert between JSON and YAML, and
`parsed` caches parsed content by hash for the in-process users (Run Command, Automation).
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from api_models.errors import InvalidDocumentContent, MaxDocumentSizeExceeded
from emulator.documents import schemas
from emulator.documents.parameters import DeclaredParameter, declare

JSON, YAML, TEXT = "JSON", "YAML", "TEXT"
MAX_CONTENT_BYTES = 64 * 1024  # "The content of the document must not exceed 64KB."
CALENDAR = "ChangeCalendar"
# Change calendars are iCalendar text; AWS reports them with this schema version.
CALENDAR_SCHEMA_VERSION = "2.0"

PLATFORM_BITS = {schemas.WINDOWS: 1, schemas.LINUX: 2, schemas.MACOS: 4}


def platform_bits(platforms: tuple[str, ...] | list[str]) -> int:
    bits = 0
    for p in platforms:
        bits |= PLATFORM_BITS[p]
    return bits


def platforms_of(bits: int) -> list[str]:
    return [p for p, bit in PLATFORM_BITS.items() if bits & bit]


def sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


# --- parsing -----------------------------------------------------------------------------------


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """YAML 1.1 safe loading without timestamps: a date stays the string it was written as,
    so every document converts to JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse(content: str, document_format: str) -> Any:
    """The parsed content (TEXT is returned as is); InvalidDocumentContent when malformed."""
    if document_format == TEXT:
        return content
    if document_format == YAML:
        try:
            return yaml.load(content, Loader=_Loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at Line: {mark.line + 1}, Column: {mark.column + 1}" if mark is not None else ""
            raise InvalidDocumentContent(f"YAML not well-formed.{where}") from None
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        column = exc.colno + (_word_length(content, exc.pos) if exc.msg == "Expecting value" else 0)
        raise InvalidDocumentContent(f"JSON not well-formed. at Line: {exc.lineno}, Column: {column}") from None


def _word_length(content: str, pos: int) -> int:
    """The length of the unknown word (a URL's "https", `yes`) where a value was expected: AWS's
    parser reads it whole before it gives up, so it points past it ("https://..." fails at
    Column: 6, awslabs/amazon-eks-ami#716)."""
    end = pos
    while end < len(content) and (content[end].isalnum() or content[end] in "_$"):
        end += 1
    return end - pos if end > pos and not content[pos].isdigit() else 0


def render(body: Any, document_format: str) -> str:
    """Parsed content written out in `document_format` (GetDocument's conversion)."""
    if document_format == YAML:
        return yaml.safe_dump(
            body, explicit_start=True, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096
        )
    return json.dumps(body, indent=2, ensure_ascii=False)


def convert(content: str, stored_format: str, wanted_format: str | None) -> tuple[str, str]:
    """(content, format) as GetDocument answers for a version stored in `stored_format`.

    JSON and YAML convert into each other; TEXT is not convertible, so a TEXT document, or a
    request for TEXT, answers the content as stored.
    """
    if wanted_format is None or wanted_format == stored_format or TEXT in (wanted_format, stored_format):
        return content, stored_format
    return render(parse(content, stored_format), wanted_format), wanted_format


# --- analysis ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Analysis:
    """What CreateDocument/UpdateDocument derive from content and store beside it."""

    body: Any
    hash: str
    schema_version: str | None
    description: str | None
    parameters: tuple[DeclaredParameter, ...]
    platform_types: tuple[str, ...]


# A capability that gives a document type its meaning checks that type's content more deeply
# (Change Calendar reads a ChangeCalendar's iCalendar); it raises SSM's error, InvalidDocumentContent.
ContentCheck = Callable[[str], None]


def analyze(content: str, document_format: str, document_type: str,
            checks: Mapping[str, ContentCheck] | None = None) -> Analysis:
    """Parse and validate content for its type; raise SSM's errors for what SSM refuses.
    `checks` are the deeper checks other capabilities registered, by document type."""
    if len(content.encode("utf-8")) > MAX_CONTENT_BYTES:
        raise MaxDocumentSizeExceeded("The content of the document must not exceed 64KB.")
    if document_type == CALENDAR:
        if document_format != TEXT:
            raise InvalidDocumentContent("A ChangeCalendar document must use the TEXT document format.")
        schemas.check_calendar(content)
        _check_deeper(checks, document_type, content)
        return Analysis(content, sha256(content), CALENDAR_SCHEMA_VERSION, None, (), ())
    if document_format == TEXT:
        raise InvalidDocumentContent(
            f"The TEXT document format is supported for ChangeCalendar documents only, not {document_type}."
        )
    body = parse(content, document_format)
    if not isinstance(body, dict):
        raise InvalidDocumentContent("The document content must be a JSON or YAML object.")
    schema_version, platforms, declared = schemas.check(body, document_type)
    _check_deeper(checks, document_type, content)
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        description = str(description)
    return Analysis(body, sha256(content), schema_version, description, declared, platforms)


def _check_deeper(checks: Mapping[str, ContentCheck] | None, document_type: str, content: str) -> None:
    check = checks.get(document_type) if checks else None
    if check is not None:
        check(content)


class ParsedCache:
    """Parsed content and declarations by content hash, for callers that run documents."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple[str, str], tuple[Any, tuple[DeclaredParameter, ...]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, content: str, content_hash: str, document_format: str,
            document_type: str) -> tuple[Any, tuple[DeclaredParameter, ...]]:
        key = (content_hash, document_format)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        body = parse(content, document_format)
        declared: tuple[DeclaredParameter, ...] = ()
        if isinstance(body, dict) and document_type in schemas.SCHEMA_VERSIONS:
            automation = document_type in ("Automation", "Automation.ChangeTemplate")
            declared = declare(body.get("parameters"), automation=automation)
        with self._lock:
            self._items[key] = (body, declared)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return body, declared
