"""AWS-owned documents: the documents with Owner "Amazon" every account and region can read.

Each is one file under aws_owned/, named after the document, holding its content exactly as
GetDocument answers it (JSON or YAML by extension). They are read and analyzed once, when the
capability is built, and kept in memory sorted by name: never copied into any account's
tables, and read-only (the write operations look at the caller's own documents only).
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from emulator.documents import content as doc_content

OWNER = "Amazon"
VERSION = 1
CREATED = 1704067200.0  # 2024-01-01T00:00:00Z: AWS's documents predate every account's
_FORMATS = {".json": doc_content.JSON, ".yaml": doc_content.YAML, ".yml": doc_content.YAML}


@dataclass(frozen=True, slots=True)
class AwsDocument:
    name: str
    document_type: str
    format: str
    content: str
    analysis: doc_content.Analysis  # parsed body, hash, schema version, parameters, platforms
    created: float = CREATED
    version: int = VERSION


def _document_type(body: dict[str, Any]) -> str:
    if "sessionType" in body:
        return "Session"
    if str(body.get("schemaVersion")) == "0.3":
        return "Automation"
    return "Command"


class AwsOwnedDocuments:
    def __init__(self) -> None:
        docs: list[AwsDocument] = []
        for entry in resources.files("emulator.documents").joinpath("aws_owned").iterdir():
            suffix = "." + entry.name.rsplit(".", 1)[-1]
            fmt = _FORMATS.get(suffix)
            if fmt is None:
                continue
            text = entry.read_text(encoding="utf-8")
            body = doc_content.parse(text, fmt)
            dtype = _document_type(body)
            name = entry.name[: -len(suffix)]
            docs.append(AwsDocument(name, dtype, fmt, text, doc_content.analyze(text, fmt, dtype)))
        docs.sort(key=lambda d: d.name)
        self._docs = docs
        self._names = [d.name for d in docs]
        self._by_name = {d.name: d for d in docs}

    def get(self, name: str) -> AwsDocument | None:
        return self._by_name.get(name)

    def from_name(self, name: str) -> Iterator[AwsDocument]:
        """Documents in name order, starting at the first whose name is not before `name`."""
        for i in range(bisect_left(self._names, name), len(self._docs)):
            yield self._docs[i]

    def __len__(self) -> int:
        return len(self._docs)


@cache
def load() -> AwsOwnedDocuments:
    """The AWS-owned documents, read once per process (immutable once loaded)."""
    return AwsOwnedDocuments()
