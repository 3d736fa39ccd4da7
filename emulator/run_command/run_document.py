"""aws:runDocument: the Command document a step runs nested inside itself, made into a plan when the step runs.

Inputs as SSM Agent reads them: documentType SSMDocument (documentPath a name or ARN, with :version if wanted,
read from the document store) or LocalPath (documentPath a JSON or YAML file on the instance; a relative one is
below the command's downloads folder, where aws:downloadContent puts files), and documentParameters (a map, or
JSON or YAML text). The parameters are validated and defaults filled as SendCommand does, {{ssm:...}} references
resolved; the invoker then runs the nested steps as the step's own (their output is the step's, their worst status
its status). Like the agent, nesting stops at depth 3.
"""
from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import yaml

from api_models._runtime import ServiceError
from emulator.backends import InstanceBackend
from emulator.context import RequestContext
from emulator.documents import validate_and_fill
from emulator.documents.content import JSON, YAML, analyze
from emulator.run_command.download_content import DocumentLookup, split_version
from emulator.run_command.plugins import Plan, Step, build_content, in_downloads, orchestration_folder

SSM_DOCUMENT, LOCAL_PATH = "SSMDocument", "LocalPath"
MAX_DEPTH = 3  # SSM Agent's executeCommandMaxDepth
COMMAND = "Command"

# (context, parameter name) -> its value, for {{ssm:name}} references; raises SSM's error when it can't.
SsmLookup = Callable[[RequestContext, str], str]


class RunDocumentError(Exception):
    """The nested document can't be run; the message says why (the step's stderr)."""


class NestedDocuments:
    def __init__(self, documents: DocumentLookup, resolve_ssm: SsmLookup) -> None:
        self.documents = documents
        self.resolve_ssm = resolve_ssm

    def plan(self, ctx: RequestContext, instance_id: str, backend: InstanceBackend, step: Step,
             inputs: Mapping[str, Any], depth: int) -> Plan:
        """The nested plan of an aws:runDocument step at nesting `depth` (1 for a step of the command's document),
        its steps' folders below the step's own."""
        if depth > MAX_DEPTH:
            raise RunDocumentError(f"Maximum depth for document execution exceeded. Maximum depth permitted - "
                                   f"{MAX_DEPTH} and current depth - {depth}")
        document_type = str(inputs.get("documentType") or "")
        path = str(inputs.get("documentPath") or "")
        if document_type not in (SSM_DOCUMENT, LOCAL_PATH):
            raise RunDocumentError("invalid input: documentType must be SSMDocument or LocalPath.")
        if not path:
            raise RunDocumentError("invalid input: documentPath must be provided.")
        try:
            if document_type == SSM_DOCUMENT:
                content, schema_version, declared = self._stored(ctx, path)
            else:
                content, schema_version, declared = _local(backend, in_downloads(path, orchestration_folder(instance_id, ctx.request_id)))
            values = validate_and_fill(declared, _parameters(inputs.get("documentParameters")))
            plan = build_content(content, schema_version, values, lambda name: self.resolve_ssm(ctx, name))
        except ServiceError as e:
            raise RunDocumentError(f"There was an error while preparing documents - {e.message}") from e
        outer = step.runs[0].folder
        steps = tuple(replace(s, runs=tuple(replace(r, folder=f"{outer}/{r.folder}") for r in s.runs))
                      for s in plan.steps)
        return replace(plan, steps=steps)

    def _stored(self, ctx: RequestContext, path: str) -> tuple[Any, str | None, tuple]:
        name, version = split_version(path)
        document = self.documents(ctx, name, version)
        if document.document_type != COMMAND:
            raise RunDocumentError(f"Document {document.name} is a {document.document_type} document: "
                                   "aws:runDocument runs Command documents only.")
        return document.content, document.schema_version, document.parameters


def _local(backend: InstanceBackend, where: str) -> tuple[Any, str | None, tuple]:
    read = backend.run(["/bin/sh", "-c", f"cat {shlex.quote(where)}"], timeout=30, stdin=False)
    if read.exit_code != 0:
        raise RunDocumentError(f"There was an error while preparing documents - can't read {where}: "
                               f"{read.stderr.decode(errors='replace').strip()}")
    text = read.stdout.decode(errors="replace")
    if not text.strip():
        raise RunDocumentError(f"There was an error while preparing documents - {where} is empty.")
    document_format = YAML if where.endswith((".yaml", ".yml")) else JSON
    try:
        analysis = analyze(text, document_format, COMMAND)
    except ServiceError:
        if document_format == YAML:
            raise
        analysis = analyze(text, YAML, COMMAND)  # the agent reads a file of any other name as JSON, else YAML
    return analysis.body, analysis.schema_version, analysis.parameters


def _parameters(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return raw
    text = str(raw)
    try:
        parsed = json.loads(text)
    except ValueError:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            parsed = None
    if not isinstance(parsed, dict):
        raise RunDocumentError("There was an error while preparing documents - documentParameters must be a map "
                               "of parameter names to values (JSON or YAML).")
    return parsed
