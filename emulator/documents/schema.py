"""Documents' tables, as migrations (component "documents").

Every document belongs to an (account, region); AWS-owned documents are not stored here (they
ship as data files, aws_owned.py). Indexes lead with the columns listings scan, so every
listing is a range scan that resumes where the previous page stopped.

- doc_document: one row per document. Besides the document-wide facts (type, latest and
  default version, review state) it inlines what ListDocuments shows of the default version,
  so a listing reads one row per result and never parses content.
- doc_version: every version: the content exactly as given, its SHA-256, and what was derived
  from it at write time (schema version, description, parameters, platform types), so reads
  never parse content either.
- doc_share: who a document is shared with (an account id, or 'all' for public), with the
  name and owner copied in so "documents shared with me" pages by (name, owner) on an index.
- doc_review: the review history of change templates (UpdateDocumentMetadata).
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "documents"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE doc_document (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            document_type TEXT NOT NULL,
            created REAL NOT NULL,
            latest_version INTEGER NOT NULL,
            default_version INTEGER NOT NULL,
            approved_version INTEGER,
            pending_review_version INTEGER,
            shared INTEGER NOT NULL DEFAULT 0,    -- number of doc_share rows
            -- the default version, as ListDocuments shows it:
            d_version_name TEXT,
            d_display_name TEXT,
            d_schema_version TEXT,
            d_format TEXT NOT NULL,
            d_platforms INTEGER NOT NULL,         -- bit set, content.PLATFORM_BITS
            d_target_type TEXT,
            d_requires TEXT,                      -- JSON list of DocumentRequires
            d_review_status TEXT
        );
        CREATE UNIQUE INDEX doc_document_name ON doc_document (account, region, name);

        CREATE TABLE doc_version (
            document_id INTEGER NOT NULL REFERENCES doc_document (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            version_name TEXT,
            content TEXT NOT NULL,
            format TEXT NOT NULL,
            hash TEXT NOT NULL,
            schema_version TEXT,
            description TEXT,
            parameters TEXT NOT NULL,             -- JSON list of DocumentParameter
            platforms INTEGER NOT NULL,
            target_type TEXT,
            display_name TEXT,
            requires TEXT,
            attachments TEXT,                     -- JSON list of AttachmentsSource
            created REAL NOT NULL,
            review_status TEXT,
            PRIMARY KEY (document_id, version)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX doc_version_name ON doc_version (document_id, version_name)
            WHERE version_name IS NOT NULL;
        CREATE INDEX doc_version_hash ON doc_version (document_id, hash);

        CREATE TABLE doc_share (
            document_id INTEGER NOT NULL REFERENCES doc_document (id) ON DELETE CASCADE,
            shared_with TEXT NOT NULL,            -- a 12-digit account id, or 'all'
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            owner TEXT NOT NULL,
            shared_version TEXT NOT NULL,         -- $DEFAULT, $LATEST or $ALL
            PRIMARY KEY (document_id, shared_with)
        ) WITHOUT ROWID;
        CREATE INDEX doc_share_with ON doc_share (shared_with, region, name, owner);

        CREATE TABLE doc_review (
            document_id INTEGER NOT NULL REFERENCES doc_document (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            comment TEXT,
            reviewer TEXT NOT NULL,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            PRIMARY KEY (document_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX doc_review_version ON doc_review (document_id, version, seq);
        """,
    )
]
