"""Documents: SSM documents (Command, Automation, Session, ... ), their versions, sharing,
change-template reviews, and the AWS-owned documents every account can read.

handlers.py holds the twelve operations; library.py finds documents and versions (and is the
in-process API Run Command, Automation and State Manager use: DocumentLibrary.resolve);
content.py parses, converts and analyzes content; schemas.py holds the rules per document type
and schema version; parameters.py declared parameters and checking values passed for them;
filters.py ListDocuments filters; storage.py and schema.py the tables; aws_owned.py and
aws_owned/ AWS's documents; render.py rows to response models.
"""
from emulator.documents.handlers import Documents
from emulator.documents.library import DocumentLibrary, ResolvedDocument
from emulator.documents.parameters import DeclaredParameter, validate_and_fill

__all__ = ["DeclaredParameter", "DocumentLibrary", "Documents", "ResolvedDocument", "validate_and_fill"]
