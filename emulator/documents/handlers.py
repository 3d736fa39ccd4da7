"""Documents' twelve operations, one method each: create and read (CreateDocument, GetDocument,
DescribeDocument), list (ListDocuments, ListDocumentVersions), change (UpdateDocument,
UpdateDocumentDefaultVersion, DeleteDocument), share (DescribeDocumentPermission,
ModifyDocumentPermission) and review change templates (UpdateDocumentMetadata,
ListDocumentMetadataHistory).

Finding documents and versions is library.py's (shared with Run Command and Automation);
content rules are content.py's and schemas.py's; SQL is storage.py's.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api_models.documents import (
    AccountSharingInfo,
    CreateDocumentRequest,
    CreateDocumentResult,
    DeleteDocumentRequest,
    DescribeDocumentPermissionRequest,
    DescribeDocumentPermissionResponse,
    DescribeDocumentRequest,
    DescribeDocumentResult,
    DocumentDefaultVersionDescription,
    DocumentMetadataResponseInfo,
    DocumentReviewCommentSource,
    DocumentReviewerResponseSource,
    GetDocumentRequest,
    GetDocumentResult,
    ListDocumentMetadataHistoryRequest,
    ListDocumentMetadataHistoryResponse,
    ListDocumentsRequest,
    ListDocumentsResult,
    ListDocumentVersionsRequest,
    ListDocumentVersionsResult,
    ModifyDocumentPermissionRequest,
    UpdateDocumentDefaultVersionRequest,
    UpdateDocumentDefaultVersionResult,
    UpdateDocumentMetadataRequest,
    UpdateDocumentRequest,
    UpdateDocumentResult,
)
from api_models.errors import (
    DocumentAlreadyExists,
    DocumentLimitExceeded,
    DocumentPermissionLimit,
    DocumentVersionLimitExceeded,
    DuplicateDocumentContent,
    DuplicateDocumentVersionName,
    InvalidDocumentOperation,
    InvalidDocumentSchemaVersion,
    InvalidDocumentVersion,
    InvalidNextToken,
    InvalidPermissionType,
    TooManyTagsError,
)
from emulator import paging
from emulator.context import RequestContext
from emulator.documents import aws_owned, content, filters, names, render, storage
from emulator.documents.library import (
    DEFAULT,
    LATEST,
    DocumentLibrary,
    Located,
    ResolvedDocument,
    not_found,
    version_not_found,
)
from emulator.documents.schema import COMPONENT, MIGRATIONS
from emulator.operations import operation
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from emulator.services import Services

RESOURCE_TYPE = "Document"
MAX_DOCUMENTS = 500            # DocumentLimitExceeded: "You can have at most 500 active SSM documents."
MAX_VERSIONS = 1000            # document versions per document
MAX_SHARED_ACCOUNTS = 1000     # "you can share a private document with a maximum of 1,000 accounts"
MAX_PUBLIC_DOCUMENTS = 5       # "and publicly share up to five documents"
MAX_TAGS = 50
PUBLIC = "all"
CHANGE_TEMPLATE = "Automation.ChangeTemplate"
# Just-in-time node access approval policies can't be shared.
UNSHAREABLE = frozenset({"ManualApprovalPolicy", "AutoApprovalPolicy"})
NOT_REVIEWED, PENDING, APPROVED, REJECTED = "NOT_REVIEWED", "PENDING", "APPROVED", "REJECTED"

DOCUMENT_LIMIT = "You can have at most 500 active SSM documents."
VERSION_LIMIT = "The document has too many versions. Delete one or more document versions and try again."
DUPLICATE_CONTENT = (
    "The content of the association document matches another document. Change the content of the "
    "document and try again."
)
DUPLICATE_VERSION_NAME = (
    "The version name has already been used in this document. Specify a different version name, and "
    "then try again."
)
SCHEMA_1_2_UPDATE = "Documents with schema version 1.2 can't be updated. Use schema version 2.2 or later."
DEFAULT_VERSION_DELETE = "Default version of the document can't be deleted."
SHARED_DELETE = "You must stop sharing the document before you can delete it."
FORCE_REQUIRED = "You must specify the Force flag to delete a document of type ApplicationConfigurationSchema."
ACCOUNTS_ALL_OR_LIST = "Accounts can either be all or a group of AWS accounts"
PERMISSION_LIMIT = (
    "The document can't be shared with more Amazon Web Services accounts. You can share a private "
    "document with a maximum of 1,000 accounts."
)
PUBLIC_LIMIT = "You can publicly share up to 5 documents."
UNSHAREABLE_TYPE = "Documents of type {type} can't be shared."
METADATA_TYPE = "Document reviews are supported for documents of type Automation.ChangeTemplate only."
NOT_IN_REVIEW = "Version {version} of document {name} isn't in review."


def _not_latest(name: str) -> InvalidDocumentVersion:
    return InvalidDocumentVersion(
        f"Version provided for document {name} is not latest. Please provide the latest version to update "
        f"document {name}"
    )


# Told, inside DeleteDocument's transaction, of a document deleted: (conn, account, region, name).
DocumentDeleted = Callable[[sqlite3.Connection, str, str, str], None]


def _json_list(items: list[Any] | None) -> str | None:
    if not items:
        return None
    return json.dumps([i.model_dump(mode="json", exclude_none=True) for i in items], separators=(",", ":"))


class Documents:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.clock = services.clock
        self.db.migrate(COMPONENT, MIGRATIONS)
        tag_store.migrate(self.db)
        self.library = DocumentLibrary(services)
        self.aws = self.library.aws
        self.content_checks: dict[str, content.ContentCheck] = {}
        self.deletion_hooks: list[DocumentDeleted] = []
        services.taggable.register(RESOURCE_TYPE, self._taggable_id)

    def check_content(self, document_type: str, check: content.ContentCheck) -> None:
        """The hook a capability uses to check its document type's content on CreateDocument and
        UpdateDocument (Change Calendar: ChangeCalendar's iCalendar)."""
        self.content_checks[document_type] = check

    def on_delete(self, hook: DocumentDeleted) -> None:
        """The hook a capability uses to drop what depends on a document DeleteDocument deletes (State Manager:
        its associations, as "Deletes the SSM document and all managed node associations to the document")."""
        self.deletion_hooks.append(hook)

    def resolve(self, ctx: RequestContext, name_or_arn: str, version: str | None = None, *,
                version_name: str | None = None) -> ResolvedDocument:
        """The in-process API: see library.DocumentLibrary.resolve."""
        return self.library.resolve(ctx, name_or_arn, version, version_name=version_name)

    # --- helpers ---------------------------------------------------------------------------

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            row = storage.get(conn, ctx.account_id, ctx.region, resource_id)
        return None if row is None else row["name"]

    def _tags(self, conn: sqlite3.Connection, ctx: RequestContext, located: Located) -> list[tuple[str, str]]:
        """A document's tags, for its owner only: shared and AWS-owned documents show none."""
        if located.aws is not None or located.shared_version is not None:
            return []
        return tag_store.list_tags(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, located.name)

    def _version_content(self, analysis: content.Analysis, content_text: str, fmt: str, now: float, *,
                         version_name: str | None, display_name: str | None, target_type: str | None,
                         requires: str | None, attachments: str | None,
                         document_type: str) -> storage.VersionContent:
        return storage.VersionContent(
            version_name=version_name,
            content=content_text,
            format=fmt,
            hash=analysis.hash,
            schema_version=analysis.schema_version,
            description=analysis.description,
            parameters=json.dumps([p.to_dict() for p in analysis.parameters], separators=(",", ":")),
            platforms=content.platform_bits(analysis.platform_types),
            target_type=target_type,
            display_name=display_name,
            requires=requires,
            attachments=attachments,
            created=now,
            review_status=NOT_REVIEWED if document_type == CHANGE_TEMPLATE else None,
        )

    def _described(self, conn: sqlite3.Connection, ctx: RequestContext, located: Located,
                   view: render.VersionView, status: str = render.ACTIVE):
        review = None
        if view.document_id is not None and view.review_status not in (None, NOT_REVIEWED):
            review = storage.last_review(conn, view.document_id, view.version)
        return render.description(view, self._tags(conn, ctx, located), status, review)

    # --- create and read -------------------------------------------------------------------

    @operation("CreateDocument")
    def create_document(self, ctx: RequestContext, req: CreateDocumentRequest) -> CreateDocumentResult:
        name = req.Name
        names.check_new_name(name)
        account, region = ctx.account_id, ctx.region
        with self.db.read() as conn:
            if storage.get(conn, account, region, name) is not None:
                raise DocumentAlreadyExists(f"Document with same name {name} already exists")
        document_type = req.DocumentType or "Command"
        fmt = req.DocumentFormat or content.JSON
        analysis = content.analyze(req.Content, fmt, document_type, self.content_checks)
        tags = {t.Key: t.Value for t in req.Tags or ()}
        if len(tags) > MAX_TAGS:
            raise TooManyTagsError(f"The resource can't have more than {MAX_TAGS} tags.")
        version = self._version_content(
            analysis, req.Content, fmt, self.clock.time(),
            version_name=req.VersionName, display_name=req.DisplayName, target_type=req.TargetType,
            requires=_json_list(req.Requires), attachments=_json_list(req.Attachments),
            document_type=document_type,
        )
        with self.db.write() as conn:
            if storage.get(conn, account, region, name) is not None:
                raise DocumentAlreadyExists(f"Document with same name {name} already exists")
            if storage.count(conn, account, region) >= MAX_DOCUMENTS:
                raise DocumentLimitExceeded(DOCUMENT_LIMIT)
            document_id = storage.create(conn, account, region, name, document_type, version)
            if tags:
                tag_store.put_tags(conn, account, region, RESOURCE_TYPE, name, tags.items())
            row = storage.get(conn, account, region, name)
            v = storage.get_version(conn, document_id, 1)
            located = Located(row=row, region=region)
            # AWS answers CreateDocument while the document is still being created.
            described = self._described(conn, ctx, located, render.stored_view(row, v), status="Creating")
        return CreateDocumentResult.model_construct(DocumentDescription=described)

    @operation("GetDocument")
    def get_document(self, ctx: RequestContext, req: GetDocumentRequest) -> GetDocumentResult:
        with self.db.read() as conn:
            located = self.library.locate(conn, ctx, req.Name)
            view = self.library.pick(conn, located, req.DocumentVersion, req.VersionName)
        text, fmt = content.convert(view.content, view.format, req.DocumentFormat)
        return render.get_result(view, text, fmt)

    @operation("DescribeDocument")
    def describe_document(self, ctx: RequestContext, req: DescribeDocumentRequest) -> DescribeDocumentResult:
        with self.db.read() as conn:
            located = self.library.locate(conn, ctx, req.Name)
            view = self.library.pick(conn, located, req.DocumentVersion, req.VersionName)
            described = self._described(conn, ctx, located, view)
        return DescribeDocumentResult.model_construct(Document=described)

    # --- list ------------------------------------------------------------------------------

    @operation("ListDocuments")
    def list_documents(self, ctx: RequestContext, req: ListDocumentsRequest) -> ListDocumentsResult:
        plan = filters.plan_for(req.Filters, req.DocumentFilterList)
        limit = req.MaxResults or 50
        after = paging.decode("ListDocuments", req.NextToken, list)
        if after is not None:
            if len(after) != 2 or not all(isinstance(k, str) for k in after):
                raise InvalidNextToken(paging.INVALID_TOKEN_MESSAGE)
            after = (after[0], after[1])
        account, region = ctx.account_id, ctx.region
        # Each source is read in (name, owner) order, up to one more than a page; the page is
        # the smallest keys of their merge.
        entries: dict[tuple[str, str], Any] = {}
        with self.db.read() as conn:
            if filters.SELF in plan.sources:
                for row in storage.list_own(conn, account, region, plan, after, limit + 1):
                    entries[(row["name"], row["account"])] = row
            for source, shared_with in ((filters.PRIVATE, account), (filters.PUBLIC, PUBLIC)):
                if source in plan.sources:
                    for row in storage.list_shared(conn, shared_with, region, account, plan, after, limit + 1):
                        entries.setdefault((row["name"], row["account"]), row)
            if filters.AMAZON in plan.sources:
                found = 0
                for doc in self.aws.from_name(after[0] if after else ""):
                    key = (doc.name, aws_owned.OWNER)
                    if (after is not None and key <= after) or not plan.matches(doc):
                        continue
                    entries[key] = doc
                    found += 1
                    if found > limit:
                        break
            keys = sorted(entries)
            page = keys[:limit]
            own_names = [name for name, owner in page if owner == account]
            tags = storage.tags_of(conn, account, region, own_names)
        out = []
        for key in page:
            item = entries[key]
            if isinstance(item, aws_owned.AwsDocument):
                out.append(render.aws_identifier(item))
            else:
                out.append(render.identifier(item, tags.get(key[0], []) if key[1] == account else []))
        token = paging.encode("ListDocuments", list(page[-1])) if len(keys) > limit else None
        return ListDocumentsResult.model_construct(DocumentIdentifiers=out, NextToken=token)

    @operation("ListDocumentVersions")
    def list_document_versions(
        self, ctx: RequestContext, req: ListDocumentVersionsRequest
    ) -> ListDocumentVersionsResult:
        limit = req.MaxResults or 50
        after = paging.decode("ListDocumentVersions", req.NextToken, int)
        with self.db.read() as conn:
            located = self.library.locate(conn, ctx, req.Name)
            if located.aws is not None:
                infos = [] if after else [render.aws_version_info(located.aws)]
                return ListDocumentVersionsResult.model_construct(DocumentVersions=infos)
            row = located.row
            rows = storage.versions(conn, row["id"], after or 0, limit + 1, self.library.visible_versions(located))
        more = len(rows) > limit
        rows = rows[:limit]
        return ListDocumentVersionsResult.model_construct(
            DocumentVersions=[render.version_info(row["name"], v, row["default_version"]) for v in rows],
            NextToken=paging.encode("ListDocumentVersions", rows[-1]["version"]) if more else None,
        )

    # --- change ----------------------------------------------------------------------------

    @operation("UpdateDocument")
    def update_document(self, ctx: RequestContext, req: UpdateDocumentRequest) -> UpdateDocumentResult:
        account, region = ctx.account_id, ctx.region
        with self.db.read() as conn:
            row = self.library.own(conn, ctx, req.Name)
            self._check_latest(conn, row, req.DocumentVersion)
            latest = storage.get_version(conn, row["id"], row["latest_version"])
        if latest["schema_version"] == "1.2":
            raise InvalidDocumentSchemaVersion(SCHEMA_1_2_UPDATE)
        fmt = req.DocumentFormat or content.JSON
        analysis = content.analyze(req.Content, fmt, row["document_type"], self.content_checks)
        if analysis.schema_version == "1.2":
            raise InvalidDocumentSchemaVersion(SCHEMA_1_2_UPDATE)
        version = self._version_content(
            analysis, req.Content, fmt, self.clock.time(),
            version_name=req.VersionName,
            display_name=req.DisplayName if req.DisplayName is not None else latest["display_name"],
            target_type=req.TargetType if req.TargetType is not None else latest["target_type"],
            requires=latest["requires"],
            attachments=_json_list(req.Attachments),
            document_type=row["document_type"],
        )
        with self.db.write() as conn:
            row = self.library.own(conn, ctx, req.Name)
            self._check_latest(conn, row, req.DocumentVersion)
            if storage.has_hash(conn, row["id"], analysis.hash):
                raise DuplicateDocumentContent(DUPLICATE_CONTENT)
            if req.VersionName is not None and storage.version_named(conn, row["id"], req.VersionName) is not None:
                raise DuplicateDocumentVersionName(DUPLICATE_VERSION_NAME)
            if storage.version_count(conn, row["id"]) >= MAX_VERSIONS:
                raise DocumentVersionLimitExceeded(VERSION_LIMIT)
            number = storage.add_version(conn, row, version)
            row = storage.get(conn, account, region, row["name"])
            view = render.stored_view(row, storage.get_version(conn, row["id"], number))
            described = self._described(conn, ctx, Located(row=row, region=region), view, status="Updating")
        return UpdateDocumentResult.model_construct(DocumentDescription=described)

    @staticmethod
    def _check_latest(conn: sqlite3.Connection, row: sqlite3.Row, version: str | None) -> None:
        """UpdateDocument updates only the latest version ($LATEST or its number)."""
        if version is None or version == LATEST:
            return
        number = row["default_version"] if version == DEFAULT else int(version)
        if number != row["latest_version"]:
            raise _not_latest(row["name"])

    @operation("UpdateDocumentDefaultVersion")
    def update_document_default_version(
        self, ctx: RequestContext, req: UpdateDocumentDefaultVersionRequest
    ) -> UpdateDocumentDefaultVersionResult:
        with self.db.write() as conn:
            row = self.library.own(conn, ctx, req.Name)
            number = int(req.DocumentVersion)
            if storage.get_version(conn, row["id"], number) is None:
                raise version_not_found()
            v = storage.set_default(conn, row["id"], number)
        return UpdateDocumentDefaultVersionResult.model_construct(
            Description=DocumentDefaultVersionDescription.model_construct(
                Name=row["name"], DefaultVersion=str(number), DefaultVersionName=v["version_name"]
            )
        )

    @operation("DeleteDocument")
    def delete_document(self, ctx: RequestContext, req: DeleteDocumentRequest) -> None:
        with self.db.write() as conn:
            row = self.library.own(conn, ctx, req.Name)
            if req.DocumentVersion is not None or req.VersionName is not None:
                try:
                    number = self.library.version_number(conn, row, req.DocumentVersion, req.VersionName)
                except InvalidDocumentVersion:
                    raise not_found() from None
                if number is None or storage.get_version(conn, row["id"], number) is None:
                    raise not_found()
                if number == row["default_version"]:
                    raise InvalidDocumentOperation(DEFAULT_VERSION_DELETE)
                storage.delete_version(conn, row, number)
                return None
            if row["shared"]:
                raise InvalidDocumentOperation(SHARED_DELETE)
            if row["document_type"] == "ApplicationConfigurationSchema" and not req.Force:
                raise InvalidDocumentOperation(FORCE_REQUIRED)
            storage.delete(conn, row["id"])
            tag_store.delete_resource(conn, ctx.account_id, ctx.region, RESOURCE_TYPE, row["name"])
            for hook in self.deletion_hooks:
                hook(conn, ctx.account_id, ctx.region, row["name"])
        return None

    # --- share -----------------------------------------------------------------------------

    @operation("DescribeDocumentPermission")
    def describe_document_permission(
        self, ctx: RequestContext, req: DescribeDocumentPermissionRequest
    ) -> DescribeDocumentPermissionResponse:
        limit = req.MaxResults or MAX_SHARED_ACCOUNTS + 1
        after = paging.decode("DescribeDocumentPermission", req.NextToken, str)
        with self.db.read() as conn:
            row = self.library.own(conn, ctx, req.Name)
            if row["document_type"] in UNSHAREABLE:
                raise InvalidDocumentOperation(UNSHAREABLE_TYPE.format(type=row["document_type"]))
            rows = storage.shares(conn, row["id"], after or "", limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return DescribeDocumentPermissionResponse.model_construct(
            AccountIds=[r["shared_with"] for r in rows],
            AccountSharingInfoList=[
                AccountSharingInfo.model_construct(AccountId=r["shared_with"], SharedDocumentVersion=r["shared_version"])
                for r in rows
            ],
            NextToken=paging.encode("DescribeDocumentPermission", rows[-1]["shared_with"]) if more else None,
        )

    @operation("ModifyDocumentPermission")
    def modify_document_permission(self, ctx: RequestContext, req: ModifyDocumentPermissionRequest) -> None:
        add = list(dict.fromkeys(PUBLIC if a.lower() == PUBLIC else a for a in req.AccountIdsToAdd or ()))
        remove = list(dict.fromkeys(PUBLIC if a.lower() == PUBLIC else a for a in req.AccountIdsToRemove or ()))
        for accounts in (add, remove):
            if PUBLIC in accounts and len(accounts) > 1:
                raise InvalidPermissionType(ACCOUNTS_ALL_OR_LIST)
        # "If you specify an ID to add and the same ID to remove, the system removes access to the document."
        add = [a for a in add if a not in remove]
        with self.db.write() as conn:
            row = self.library.own(conn, ctx, req.Name)
            if row["document_type"] in UNSHAREABLE:
                raise InvalidDocumentOperation(UNSHAREABLE_TYPE.format(type=row["document_type"]))
            if remove:
                storage.remove_shares(conn, row["id"], remove)
            if add:
                public = storage.is_public(conn, row["id"])
                if PUBLIC in add and not public:
                    if storage.public_count(conn, ctx.account_id, ctx.region) >= MAX_PUBLIC_DOCUMENTS:
                        raise DocumentLimitExceeded(PUBLIC_LIMIT)
                storage.put_shares(conn, row, add, req.SharedDocumentVersion or DEFAULT)
                private = storage.share_count(conn, row["id"]) - storage.is_public(conn, row["id"])
                if private > MAX_SHARED_ACCOUNTS:
                    raise DocumentPermissionLimit(PERMISSION_LIMIT)
        return None

    # --- review change templates -------------------------------------------------------------

    def _review_version(self, conn: sqlite3.Connection, row: sqlite3.Row, version: str | None) -> int:
        number = self.library.version_number(conn, row, version or LATEST, None)
        assert number is not None
        if storage.get_version(conn, row["id"], number) is None:
            raise version_not_found()
        return number

    @operation("UpdateDocumentMetadata")
    def update_document_metadata(self, ctx: RequestContext, req: UpdateDocumentMetadataRequest) -> None:
        review = req.DocumentReviews
        comment = review.Comment[0].Content if review.Comment else None
        with self.db.write() as conn:
            row = self.library.own(conn, ctx, req.Name)
            if row["document_type"] != CHANGE_TEMPLATE:
                raise InvalidDocumentOperation(METADATA_TYPE)
            number = self._review_version(conn, row, req.DocumentVersion)
            status = storage.get_version(conn, row["id"], number)["review_status"]
            approved, pending = row["approved_version"], row["pending_review_version"]
            action = review.Action
            if action != "SendForReview" and status != PENDING:
                raise InvalidDocumentOperation(NOT_IN_REVIEW.format(version=number, name=row["name"]))
            if action == "SendForReview":
                if pending is not None and pending != number:
                    storage.set_review_status(conn, row["id"], pending, NOT_REVIEWED)
                status, pending = PENDING, number
            elif action == "Approve":
                # "Only one version of an SSM document can be in the APPROVED state at a time. When
                # a new version is approved, the status of the previous version changes to REJECTED."
                if approved is not None and approved != number:
                    storage.set_review_status(conn, row["id"], approved, REJECTED)
                status, approved, pending = APPROVED, number, None
            elif action == "Reject":
                status, pending = REJECTED, None
            storage.set_review_status(conn, row["id"], number, status)
            storage.set_review_pointers(conn, row["id"], approved, pending)
            storage.add_review(conn, row["id"], number, status, comment, ctx.account_id, self.clock.time())
        return None

    @operation("ListDocumentMetadataHistory")
    def list_document_metadata_history(
        self, ctx: RequestContext, req: ListDocumentMetadataHistoryRequest
    ) -> ListDocumentMetadataHistoryResponse:
        limit = req.MaxResults or 50
        after = paging.decode("ListDocumentMetadataHistory", req.NextToken, int)
        with self.db.read() as conn:
            row = self.library.own(conn, ctx, req.Name)
            number = self._review_version(conn, row, req.DocumentVersion)
            rows = storage.reviews(conn, row["id"], number, after or 0, limit + 1)
            first = storage.reviews(conn, row["id"], number, 0, 1)
        more = len(rows) > limit
        rows = rows[:limit]
        responses = [
            DocumentReviewerResponseSource.model_construct(
                CreateTime=render.timestamp(r["created"]),
                UpdatedTime=render.timestamp(r["updated"]),
                ReviewStatus=r["status"],
                Comment=(
                    [DocumentReviewCommentSource.model_construct(Type="Comment", Content=r["comment"])]
                    if r["comment"] else []
                ),
                Reviewer=r["reviewer"],
            )
            for r in rows
        ]
        return ListDocumentMetadataHistoryResponse.model_construct(
            Name=row["name"],
            DocumentVersion=str(number),
            Author=first[0]["reviewer"] if first else None,
            Metadata=DocumentMetadataResponseInfo.model_construct(ReviewerResponse=responses),
            NextToken=paging.encode("ListDocumentMetadataHistory", rows[-1]["seq"]) if more else None,
        )

