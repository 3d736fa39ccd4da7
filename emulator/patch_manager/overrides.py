"""What AWS-RunPatchBaseline reads from S3 on AWS: the BaselineOverride (a JSON baseline, or a list of them, one
per OperatingSystem) and the InstallOverrideList (YAML: the patches an Install installs instead of the
baseline's approved ones).

There is no S3 offline: s3://bucket/key is read from <data_sync_dir>/bucket/key, the folder standing in for S3
(emulator/s3_folder.py); other https:// URLs can't be fetched and fail the operation saying so.

The InstallOverrideList's format (AWS's):

    patches:
        - id: 'kernel.x86_64'                         # required: name, name.arch, or a title; * wildcards
          title: 'kernel.x86_64:0:5.14.0-1.el9'       # optional: narrows to that version
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from emulator.patch_manager.baseline import Patch
from emulator.s3_folder import NotInS3Folder, read_text


class OverrideError(Exception):
    """The file can't be had or read; the message says why."""


def read_s3(location: str, s3_folder: Path | None, what: str) -> str:
    try:
        return read_text(location, s3_folder, what)
    except NotInS3Folder as e:
        raise OverrideError(str(e)) from e


def baseline_override(location: str, s3_folder: Path | None, operating_system: str) -> dict[str, Any]:
    """The BaselineOverride's baseline for this operating system."""
    try:
        raw = json.loads(read_s3(location, s3_folder, "baseline override"))
    except ValueError as e:
        raise OverrideError(f"The baseline override {location} isn't JSON: {e}") from e
    entries = raw if isinstance(raw, list) else [raw]
    found = next((e for e in entries if isinstance(e, dict) and e.get("OperatingSystem") == operating_system), None)
    if found is None:
        raise OverrideError(f"The baseline override has no baseline for {operating_system}.")
    return found


@dataclass(frozen=True)
class Listed:
    id: str
    title: str | None

    def covers(self, patch: Patch) -> bool:
        forms = patch.names()
        if not any(fnmatchcase(form, self.id) for form in forms):
            return False
        # AWS's apt title form is name.arch:version, yum's (and ours) name.arch:epoch:version-release; a bare name
        # (AWS's examples use some) narrows nothing
        titles = (patch.title, f"{patch.kb_id}:{patch.bare_version}", patch.name)
        return self.title is None or any(fnmatchcase(t, self.title) for t in titles)


def install_override_list(location: str, s3_folder: Path | None) -> list[Listed]:
    text = read_s3(location, s3_folder, "install override list")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise OverrideError(f"The install override list {location} isn't YAML: {e}") from e
    patches = raw.get("patches") if isinstance(raw, dict) else None
    if not isinstance(patches, list) or not all(isinstance(p, dict) and p.get("id") for p in patches):
        raise OverrideError(f"The install override list {location} must hold `patches:`, a list of entries each "
                            "with an `id` (and optionally a `title`).")
    return [Listed(str(p["id"]), str(p["title"]) if p.get("title") else None) for p in patches]
