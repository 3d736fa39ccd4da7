"""The local folder standing in for Amazon S3 (`data_sync_dir`): there is no S3 offline, so what SSM would read
from s3://bucket/key is read from <data_sync_dir>/bucket/key. Patch Manager reads its overrides here and
aws:downloadContent its S3 sources (Resource data sync writes into the same folder).

An S3 location is s3://bucket/key or one of S3's HTTPS forms: path-style https://s3[.region].amazonaws.com/bucket/key
or virtual-hosted https://bucket.s3[.region].amazonaws.com/key. Any other URL can't be fetched offline.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

_PATH_STYLE = re.compile(r"s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?")
_VIRTUAL_HOSTED = re.compile(r"(?P<bucket>.+)\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?")


class NotInS3Folder(Exception):
    """The location can't be had from the folder; the message says why."""


def bucket_and_key(location: str) -> tuple[str, str] | None:
    """(bucket, key) of an S3 location, None for a URL that is not S3's."""
    if location.startswith("s3://"):
        bucket, _, key = location.removeprefix("s3://").partition("/")
        return bucket, key
    url = urlsplit(location)
    if url.scheme not in ("http", "https"):
        return None
    host, path = url.hostname or "", unquote(url.path).lstrip("/")
    if _PATH_STYLE.fullmatch(host):
        bucket, _, key = path.partition("/")
        return bucket, key
    hosted = _VIRTUAL_HOSTED.fullmatch(host)
    return (hosted.group("bucket"), path) if hosted else None


def locate(location: str, folder: Path | None) -> Path:
    """Where an S3 location's object (or, for a key ending in /, folder) is in the S3 stand-in folder."""
    found = bucket_and_key(location)
    if found is None:
        raise NotInS3Folder(f"ssm-emulator can't download {location}: it works offline. Put the file in the folder "
                            "standing in for S3 (data_sync_dir) and give its s3:// path.")
    if folder is None:
        raise NotInS3Folder(f"ssm-emulator has no Amazon S3: set data_sync_dir in the config file to read {location} "
                            "from <data_sync_dir>/<bucket>/<key>.")
    bucket, key = found
    # The bucket and key become folders here: nothing may climb out of the stand-in folder.
    if not bucket or bucket in (".", "..") or ".." in PurePosixPath(key).parts:
        raise NotInS3Folder(f"{location} isn't a valid S3 location.")
    return folder / bucket / key


def read_text(location: str, folder: Path | None, what: str) -> str:
    path = locate(location, folder)
    try:
        return path.read_text()
    except OSError as e:
        raise NotInS3Folder(f"Can't read the {what} {location} ({path}): {e}") from e
