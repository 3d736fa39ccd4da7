"""Public parameters: AWS's read-only /aws/service/global-infrastructure/ tree.

    /aws/service/global-infrastructure/regions/<region>                    -> <region>
    /aws/service/global-infrastructure/regions/<region>/longName           -> "US East (N. Virginia)"
    /aws/service/global-infrastructure/regions/<region>/partition          -> "aws"
    /aws/service/global-infrastructure/regions/<region>/domain             -> "amazonaws.com"
    /aws/service/global-infrastructure/regions/<region>/services/<service> -> <service>
    /aws/service/global-infrastructure/services/<service>                  -> <service>
    /aws/service/global-infrastructure/services/<service>/longName         -> "Amazon Simple Storage Service"
    /aws/service/global-infrastructure/services/<service>/regions/<region> -> <region>

Built once, on first use, from data/global_infrastructure.json (a snapshot of botocore's region
data, written by tools/snapshot_public_parameters.py) into one sorted list, so a lookup is a
binary search and a path listing a slice, like the store's range scans.
"""
from __future__ import annotations

import json
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from importlib import resources

from emulator.parameter_store.names import parent_of, subtree_range

ROOT = "/aws/service/global-infrastructure"
# Public parameters are AWS's, not the caller's: a fixed version and modification time.
VERSION = 1
LAST_MODIFIED = 1704067200.0  # 2024-01-01T00:00:00Z


class PublicParameters:
    def __init__(self) -> None:
        self._keys: list[str] = []
        self._values: list[str] = []
        self._regions: frozenset[str] = frozenset()
        self._children: dict[str, list[str]] = {}  # parent key -> its children's keys, sorted
        self._loaded = False
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            raw = resources.files("emulator.parameter_store").joinpath("data/global_infrastructure.json").read_text()
            data = json.loads(raw)
            order: list[str] = data["region_order"]
            entries: dict[str, str] = {}
            for code, (long_name, partition, domain) in data["regions"].items():
                base = f"{ROOT}/regions/{code}"
                entries[base] = code
                entries[base + "/longName"] = long_name
                entries[base + "/partition"] = partition
                entries[base + "/domain"] = domain
            for service, (long_name, region_indexes) in data["services"].items():
                base = f"{ROOT}/services/{service}"
                entries[base] = service
                entries[base + "/longName"] = long_name
                for i in region_indexes:
                    region = order[i]
                    entries[f"{base}/regions/{region}"] = region
                    entries[f"{ROOT}/regions/{region}/services/{service}"] = service
            keys = sorted(entries)
            children: dict[str, list[str]] = {}
            for key in keys:
                children.setdefault(parent_of(key), []).append(key)
            self._children = children
            self._values = [entries[k] for k in keys]
            self._regions = frozenset(data["regions"])
            self._keys = keys
            self._loaded = True

    def regions(self) -> frozenset[str]:
        if not self._loaded:
            self._load()
        return self._regions

    def get(self, key: str) -> str | None:
        if not self._loaded:
            self._load()
        i = bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return self._values[i]
        return None

    def below(self, path: str, recursive: bool, after: str | None) -> Iterator[tuple[str, str]]:
        """(key, value) under `path` in key order, starting after the key `after`."""
        if not self._loaded:
            self._load()
        if not recursive:
            children = self._children.get(path, [])
            start = 0 if after is None else bisect_right(children, after)
            for key in children[start:]:
                yield key, self._values[bisect_left(self._keys, key)]
            return
        low, high = subtree_range(path)
        start = bisect_left(self._keys, low) if after is None else bisect_right(self._keys, max(after, low))
        end = bisect_left(self._keys, high)
        for i in range(start, end):
            yield self._keys[i], self._values[i]
