"""Documents and versions to response models.

A `VersionView` is one version of one document, stored (a doc_document row and a doc_version
row) or AWS-owned, in the terms responses use; every response model is built from it (or, for
listings, straight from a doc_document row) with model_construct: the values come from our own
store, already in the shapes the models declare.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from api_models.documents import (
    AttachmentContent,
    AttachmentInformation,
    DocumentDescription,
    DocumentIdentifier,
    DocumentParameter,
    DocumentRequires,
    DocumentVersionInfo,
    GetDocumentResult,
    ReviewInformation,
)
from api_models.shared import Tag
from emulator.documents import aws_owned
from emulator.documents.content import platforms_of
from emulator.clock import timestamp

ACTIVE = "Active"
SHA256 = "Sha256"




@dataclass(frozen=True, slots=True)
class VersionView:
    name: str
    owner: str  # an account id, or "Amazon"
    document_type: str
    version: int
    version_name: str | None
    display_name: str | None
    content: str
    format: str
    hash: str
    schema_version: str | None
    description: str | None
    parameters: list[dict[str, Any]]
    platform_types: list[str]
    target_type: str | None
    requires: list[dict[str, Any]] | None
    attachments: list[dict[str, Any]] | None
    created: float
    review_status: str | None
    latest_version: int
    default_version: int
    approved_version: int | None = None
    pending_review_version: int | None = None
    document_id: int | None = None


def stored_view(doc: sqlite3.Row, v: sqlite3.Row) -> VersionView:
    return VersionView(
        name=doc["name"],
        owner=doc["account"],
        document_type=doc["document_type"],
        version=v["version"],
        version_name=v["version_name"],
        display_name=v["display_name"],
        content=v["content"],
        format=v["format"],
        hash=v["hash"],
        schema_version=v["schema_version"],
        description=v["description"],
        parameters=json.loads(v["parameters"]),
        platform_types=platforms_of(v["platforms"]),
        target_type=v["target_type"],
        requires=json.loads(v["requires"]) if v["requires"] else None,
        attachments=json.loads(v["attachments"]) if v["attachments"] else None,
        created=v["created"],
        review_status=v["review_status"],
        latest_version=doc["latest_version"],
        default_version=doc["default_version"],
        approved_version=doc["approved_version"],
        pending_review_version=doc["pending_review_version"],
        document_id=doc["id"],
    )


def aws_view(doc: aws_owned.AwsDocument) -> VersionView:
    a = doc.analysis
    return VersionView(
        doc.name, aws_owned.OWNER, doc.document_type, doc.version, None, None, doc.content, doc.format, a.hash,
        a.schema_version, a.description, [p.to_dict() for p in a.parameters], list(a.platform_types),
        None, None, None, doc.created, None, doc.version, doc.version,
    )


def _requires(requires: list[dict[str, Any]] | None) -> list[DocumentRequires] | None:
    if not requires:
        return None
    return [DocumentRequires.model_construct(**r) for r in requires]


def _attachment_name(a: dict[str, Any]) -> str:
    if a.get("Name"):
        return a["Name"]
    values = a.get("Values") or [""]
    return values[0].rstrip("/").rsplit("/", 1)[-1]


def tags(pairs: list[tuple[str, str]]) -> list[Tag]:
    return [Tag.model_construct(Key=k, Value=v) for k, v in pairs]


def description(
    view: VersionView, tag_pairs: list[tuple[str, str]], status: str = ACTIVE,
    review: sqlite3.Row | None = None,
) -> DocumentDescription:
    return DocumentDescription.model_construct(
        Hash=view.hash,
        HashType=SHA256,
        Name=view.name,
        DisplayName=view.display_name,
        VersionName=view.version_name,
        Owner=view.owner,
        CreatedDate=timestamp(view.created),
        Status=status,
        DocumentVersion=str(view.version),
        Description=view.description,
        Parameters=[DocumentParameter.model_construct(**p) for p in view.parameters] or None,
        PlatformTypes=view.platform_types,
        DocumentType=view.document_type,
        SchemaVersion=view.schema_version,
        LatestVersion=str(view.latest_version),
        DefaultVersion=str(view.default_version),
        DocumentFormat=view.format,
        TargetType=view.target_type,
        Tags=tags(tag_pairs),
        AttachmentsInformation=(
            [AttachmentInformation.model_construct(Name=_attachment_name(a)) for a in view.attachments]
            if view.attachments else None
        ),
        Requires=_requires(view.requires),
        ReviewInformation=(
            [ReviewInformation.model_construct(
                ReviewedTime=timestamp(review["updated"]), Status=review["status"], Reviewer=review["reviewer"]
            )] if review is not None else None
        ),
        ApprovedVersion=str(view.approved_version) if view.approved_version else None,
        PendingReviewVersion=str(view.pending_review_version) if view.pending_review_version else None,
        ReviewStatus=view.review_status,
    )


def get_result(view: VersionView, content: str, document_format: str) -> GetDocumentResult:
    return GetDocumentResult.model_construct(
        Name=view.name,
        CreatedDate=timestamp(view.created),
        DisplayName=view.display_name,
        VersionName=view.version_name,
        DocumentVersion=str(view.version),
        Status=ACTIVE,
        Content=content,
        DocumentType=view.document_type,
        DocumentFormat=document_format,
        Requires=_requires(view.requires),
        AttachmentsContent=(
            [AttachmentContent.model_construct(Name=_attachment_name(a), Url=(a.get("Values") or [None])[0])
             for a in view.attachments]
            if view.attachments else None
        ),
        ReviewStatus=view.review_status,
    )


def identifier(doc: sqlite3.Row, tag_pairs: list[tuple[str, str]]) -> DocumentIdentifier:
    """A ListDocuments entry of a stored document: its default version, inlined in the row."""
    return DocumentIdentifier.model_construct(
        Name=doc["name"],
        CreatedDate=timestamp(doc["created"]),
        DisplayName=doc["d_display_name"],
        Owner=doc["account"],
        VersionName=doc["d_version_name"],
        PlatformTypes=platforms_of(doc["d_platforms"]),
        DocumentVersion=str(doc["default_version"]),
        DocumentType=doc["document_type"],
        SchemaVersion=doc["d_schema_version"],
        DocumentFormat=doc["d_format"],
        TargetType=doc["d_target_type"],
        Tags=tags(tag_pairs),
        Requires=_requires(json.loads(doc["d_requires"]) if doc["d_requires"] else None),
        ReviewStatus=doc["d_review_status"],
    )


def aws_identifier(doc: aws_owned.AwsDocument) -> DocumentIdentifier:
    return DocumentIdentifier.model_construct(
        Name=doc.name,
        CreatedDate=timestamp(doc.created),
        Owner=aws_owned.OWNER,
        PlatformTypes=list(doc.analysis.platform_types),
        DocumentVersion=str(doc.version),
        DocumentType=doc.document_type,
        SchemaVersion=doc.analysis.schema_version,
        DocumentFormat=doc.format,
        Tags=[],
    )


def version_info(name: str, v: sqlite3.Row, default_version: int) -> DocumentVersionInfo:
    return DocumentVersionInfo.model_construct(
        Name=name,
        DisplayName=v["display_name"],
        DocumentVersion=str(v["version"]),
        VersionName=v["version_name"],
        CreatedDate=timestamp(v["created"]),
        IsDefaultVersion=v["version"] == default_version,
        DocumentFormat=v["format"],
        Status=ACTIVE,
        ReviewStatus=v["review_status"],
    )


def aws_version_info(doc: aws_owned.AwsDocument) -> DocumentVersionInfo:
    return DocumentVersionInfo.model_construct(
        Name=doc.name,
        DocumentVersion=str(doc.version),
        CreatedDate=timestamp(doc.created),
        IsDefaultVersion=True,
        DocumentFormat=doc.format,
        Status=ACTIVE,
    )
