"""aws:downloadContent: put a file (or an S3 folder) on the instance, where later steps find it.

Inputs as SSM Agent reads them: sourceType, sourceInfo (JSON text or a map) and destinationPath. A relative (or
empty) destinationPath is below the command's downloads folder, <orchestration>/downloads/, where a relative
workingDirectory and aws:runDocument's LocalPath look; an absolute one is taken as given. Like the agent, a
destination that is a directory (or ends with /) receives the file under its own name — an SSM document as
<name>.json — and any other destination is the file's path.

- SSMDocument ({"name": "<name or ARN>[:version]"}): the document's content from the emulator's document store.
- S3 ({"path": "s3://bucket/key" or https://s3.amazonaws.com/bucket/key}): read from the folder standing in for
  S3 (emulator/s3_folder.py). A key ending in / is a folder: every file below it lands below the destination,
  its sub-folders kept.
- GitHub and HTTP: ssm-emulator works offline and can't fetch them; the step fails saying so.
"""
from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api_models._runtime import ServiceError
from emulator.backends import BackendError, InstanceBackend
from emulator.context import RequestContext
from emulator.documents import ResolvedDocument
from emulator.run_command.plugins import in_downloads, orchestration_folder
from emulator.s3_folder import NotInS3Folder, locate

if TYPE_CHECKING:
    from emulator.managed_instances import ManagedInstance

PLUGIN = "aws:downloadContent"
SSM_DOCUMENT, S3, GITHUB, HTTP = "SSMDocument", "S3", "GitHub", "HTTP"
OFFLINE = ("ssm-emulator works offline: it can't download content from {source} sources. Put the file in the folder "
           "standing in for S3 (data_sync_dir) and use sourceType S3, or store it as an SSM document and use "
           "sourceType SSMDocument.")
IS_DIRECTORY = '[ -d "$1" ]'
# Downloaded files can be run as they are: AWS-RunRemoteScript runs a script by name ("#! support on Linux").
FILE_MODE = 0o700

# (context, name or ARN, version or None) -> the document; raises SSM's error when there is none.
DocumentLookup = Callable[[RequestContext, str, str | None], ResolvedDocument]


class DownloadError(Exception):
    """The content can't be downloaded; the message says why (the step's stderr)."""


def split_version(name: str) -> tuple[str, str | None]:
    """"<name or ARN>[:version]" as SSM Agent reads it (the version follows the last ':' after the last '/')."""
    head, slash, tail = name.rpartition("/")
    base, colon, version = tail.partition(":")
    return (f"{head}{slash}{base}", version) if colon and version else (name, None)


def source_info(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(str(raw or ""))
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise DownloadError("invalid input: sourceInfo must be a JSON object, e.g. {\"path\": \"s3://bucket/key\"}")
    return parsed


class DownloadContent:
    def __init__(self, documents: DocumentLookup, s3_folder: Path | None) -> None:
        self.documents = documents
        self.s3_folder = s3_folder

    def run(self, ctx: RequestContext, instance: ManagedInstance, backend: InstanceBackend,
            inputs: Mapping[str, Any]) -> tuple[int, bytes, bytes]:
        try:
            destination = self.download(ctx, instance.instance_id, backend, inputs)
        except (DownloadError, BackendError) as e:
            return 1, b"", str(e).encode()
        return 0, f"Content downloaded to {destination}\n".encode(), b""

    def download(self, ctx: RequestContext, instance_id: str, backend: InstanceBackend,
                 inputs: Mapping[str, Any]) -> str:
        source_type = str(inputs.get("sourceType") or "")
        if not source_type:
            raise DownloadError("invalid input: sourceType must be specified")
        if source_type in (GITHUB, HTTP):
            raise DownloadError(OFFLINE.format(source=source_type))
        if source_type not in (SSM_DOCUMENT, S3):
            raise DownloadError(f"invalid input: unsupported sourceType {source_type}")
        if not inputs.get("sourceInfo"):
            raise DownloadError("invalid input: sourceInfo must be specified")
        info = source_info(inputs.get("sourceInfo"))
        # a trailing / is kept: the destination is then a folder
        destination = in_downloads(str(inputs.get("destinationPath") or ""),
                                   orchestration_folder(instance_id, ctx.request_id))
        if source_type == SSM_DOCUMENT:
            self._document(ctx, backend, info, destination)
        else:
            self._s3(backend, info, destination)
        return destination

    def _document(self, ctx: RequestContext, backend: InstanceBackend, info: dict[str, Any], destination: str) -> None:
        given = str(info.get("name") or "")
        if not given:
            raise DownloadError("SSM Document name in sourceInfo must be specified")
        name, version = split_version(given)
        try:
            document = self.documents(ctx, name, version)
        except ServiceError as e:
            raise DownloadError(f"Unable to get ssm document {given}: {e.message}") from e
        target = destination
        if _is_directory(backend, destination):
            target = posixpath.join(destination, f"{document.name}.json")
        backend.put_file(target, document.raw_content.encode(), FILE_MODE)

    def _s3(self, backend: InstanceBackend, info: dict[str, Any], destination: str) -> None:
        location = str(info.get("path") or "")
        if not location:
            raise DownloadError("S3 source path in sourceInfo must be specified")
        try:
            found = locate(location, self.s3_folder)
        except NotInS3Folder as e:
            raise DownloadError(str(e)) from e
        if location.endswith("/"):
            if not found.is_dir():
                raise DownloadError(f"The S3 folder {location} doesn't exist ({found}).")
            for file in sorted(p for p in found.rglob("*") if p.is_file()):
                backend.put_file(posixpath.join(destination, file.relative_to(found).as_posix()), file.read_bytes(),
                                 FILE_MODE)
            return
        try:
            data = found.read_bytes()
        except OSError as e:
            raise DownloadError(f"Can't read {location} ({found}): {e}") from e
        target = destination
        if _is_directory(backend, destination):
            target = posixpath.join(destination, found.name)
        backend.put_file(target, data, FILE_MODE)


def _is_directory(backend: InstanceBackend, path: str) -> bool:
    if path.endswith("/"):
        return True
    return backend.run(["/bin/sh", "-c", IS_DIRECTORY, "is-directory", path], timeout=30, stdin=False).exit_code == 0
