"""Finding documents and their versions: for the Documents operations, and the in-process API
Run Command, Automation and State Manager use to run documents (no HTTP).

    library = DocumentLibrary(services)            # cheap; AWS-owned documents load once per process
    doc = library.resolve(ctx, "AWS-RunShellScript", "$DEFAULT")
    values = parameters.validate_and_fill(doc.parameters, {"commands": ["uname -a"]})

A Name is looked up as SSM does: a plain name is the caller's document, else an AWS-owned
one; an ARN names the caller's document, an AWS-owned one (no account in the ARN), or another
account's document the caller may read because it is shared with the caller or public.
Another account's document shows only the version(s) it is shared at: $DEFAULT, $LATEST, $ALL.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api_models.errors import InvalidDocument, InvalidDocumentVersion
from emulator.context import RequestContext
from emulator.documents import aws_owned, names, render, storage
from emulator.documents.content import ParsedCache
from emulator.documents.parameters import DeclaredParameter

if TYPE_CHECKING:
    from emulator.services import Services

# AWS's words since 2025 for a document that does not exist (or the caller can't see).
NOT_FOUND = "No matching value was found for Name."
VERSION_NOT_FOUND = "The document version isn't valid or doesn't exist."
LATEST, DEFAULT, ALL = "$LATEST", "$DEFAULT", "$ALL"


def not_found() -> InvalidDocument:
    return InvalidDocument(NOT_FOUND)


def version_not_found() -> InvalidDocumentVersion:
    return InvalidDocumentVersion(VERSION_NOT_FOUND)


@dataclass(frozen=True, slots=True)
class ResolvedDocument:
    """One version of a document, ready to run."""

    name: str
    owner: str                 # the owning account id, or "Amazon"
    arn: str
    version: str               # "1", "2", ...
    version_name: str | None
    document_type: str         # Command, Automation, Session, ...
    schema_version: str | None
    document_format: str       # JSON, YAML or TEXT
    hash: str                  # SHA-256 hex of the content
    hash_type: str             # "Sha256"
    content: Any               # the parsed content (a dict; the text itself for TEXT)
    raw_content: str
    parameters: tuple[DeclaredParameter, ...]
    platform_types: tuple[str, ...]
    description: str | None
    target_type: str | None
    review_status: str | None = None  # a change template's version: NOT_REVIEWED, PENDING, APPROVED, REJECTED


@dataclass(frozen=True, slots=True)
class Located:
    """A document found by name: stored (`row`) or AWS-owned (`aws`). `shared_version` is set
    when the document is another account's, shared with the caller at that version."""

    row: sqlite3.Row | None = None
    aws: aws_owned.AwsDocument | None = None
    shared_version: str | None = None
    region: str = ""

    @property
    def owner(self) -> str:
        return aws_owned.OWNER if self.aws is not None else self.row["account"]  # type: ignore[index]

    @property
    def name(self) -> str:
        return self.aws.name if self.aws is not None else self.row["name"]  # type: ignore[index]


class DocumentLibrary:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.aws = aws_owned.load()
        self.parsed = ParsedCache()

    # --- finding -------------------------------------------------------------------------------

    def locate(self, conn: sqlite3.Connection, ctx: RequestContext, given: str) -> Located:
        """The document `given` (a name or an ARN) names for the caller; InvalidDocument if none."""
        ref = names.parse_ref(given)
        if ref is None:
            raise not_found()
        account, region = ctx.account_id, ctx.region
        if ref.owner is None:
            row = storage.get(conn, account, region, ref.name)
            if row is not None:
                return Located(row=row, region=region)
            aws = self.aws.get(ref.name)
            if aws is not None:
                return Located(aws=aws, region=region)
            raise not_found()
        if ref.region and ref.region != region:
            raise not_found()
        if ref.owner == "":
            aws = self.aws.get(ref.name)
            if aws is None:
                raise not_found()
            return Located(aws=aws, region=region)
        if ref.owner == account:
            row = storage.get(conn, account, region, ref.name)
            if row is None:
                raise not_found()
            return Located(row=row, region=region)
        shared = storage.get_shared(conn, ref.owner, region, ref.name, account)
        if shared is None:
            raise not_found()
        return Located(row=shared[0], shared_version=shared[1], region=region)

    def own(self, conn: sqlite3.Connection, ctx: RequestContext, name: str) -> sqlite3.Row:
        """The caller's own document `name`, for the operations that change documents (AWS-owned
        documents and other accounts' are not the caller's to change)."""
        row = storage.get(conn, ctx.account_id, ctx.region, name)
        if row is None:
            raise not_found()
        return row

    @staticmethod
    def visible_versions(located: Located) -> list[int] | None:
        """The versions of another account's document the caller may see (None: all)."""
        row = located.row
        if located.shared_version is None or located.shared_version == ALL or row is None:
            return None
        return [row["latest_version"] if located.shared_version == LATEST else row["default_version"]]

    @staticmethod
    def version_number(conn: sqlite3.Connection, row: sqlite3.Row, version: str | None,
                       version_name: str | None) -> int | None:
        """The version number a DocumentVersion and/or VersionName select (None: not given)."""
        number: int | None = None
        if version_name is not None:
            number = storage.version_named(conn, row["id"], version_name)
            if number is None:
                raise version_not_found()
        if version is not None:
            by_version = (row["latest_version"] if version == LATEST
                          else row["default_version"] if version == DEFAULT else int(version))
            if number is not None and number != by_version:
                raise version_not_found()
            number = by_version
        return number

    def pick(self, conn: sqlite3.Connection, located: Located, version: str | None = None,
             version_name: str | None = None) -> render.VersionView:
        """The version of a located document a DocumentVersion/VersionName select; without
        either, the default (for a document shared at $LATEST, the latest)."""
        if located.aws is not None:
            if version_name is not None or version not in (None, LATEST, DEFAULT, str(located.aws.version)):
                raise version_not_found()
            return render.aws_view(located.aws)
        row = located.row
        assert row is not None
        number = self.version_number(conn, row, version, version_name)
        visible = self.visible_versions(located)
        if number is None:
            number = visible[0] if visible else row["default_version"]
        if visible is not None and number not in visible:
            raise version_not_found()
        v = storage.get_version(conn, row["id"], number)
        if v is None:
            raise version_not_found()
        return render.stored_view(row, v)

    # --- the in-process API ----------------------------------------------------------------------

    def resolve(self, ctx: RequestContext, name_or_arn: str, version: str | None = None, *,
                version_name: str | None = None) -> ResolvedDocument:
        """The document version a caller names, parsed, as Run Command/Automation run it.

        `version` is "$DEFAULT" (also None), "$LATEST" or a version number. Raises
        InvalidDocument (no such document for this caller) or InvalidDocumentVersion.
        """
        if version is not None and version not in (LATEST, DEFAULT) and not version.isdigit():
            raise version_not_found()
        with self.db.read() as conn:
            located = self.locate(conn, ctx, name_or_arn)
            view = self.pick(conn, located, version, version_name)
        if located.aws is not None:
            body, declared = located.aws.analysis.body, located.aws.analysis.parameters
        else:
            body, declared = self.parsed.get(view.content, view.hash, view.format, view.document_type)
        return ResolvedDocument(
            name=view.name,
            owner=view.owner,
            arn=names.arn(located.region, view.owner, view.name),
            version=str(view.version),
            version_name=view.version_name,
            document_type=view.document_type,
            schema_version=view.schema_version,
            document_format=view.format,
            hash=view.hash,
            hash_type=render.SHA256,
            content=body,
            raw_content=view.content,
            parameters=declared,
            platform_types=tuple(view.platform_types),
            description=view.description,
            target_type=view.target_type,
            review_status=view.review_status,
        )
