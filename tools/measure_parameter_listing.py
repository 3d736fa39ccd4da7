"""Check that Parameter Store listings cost what they return, not what is stored.

Seeds a file-backed store with N parameters (through storage.create, in large transactions),
then times fetching 100 results with each listing shape and prints the ratio between sizes:

    python tools/measure_parameter_listing.py            # 1,000 vs 100,000
    python tools/measure_parameter_listing.py 1000 20000

Calls the operation handlers directly (no HTTP), so the numbers are our own work per request.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import api_models
from emulator.background import Background
from emulator.clock import Clock
from emulator.config import Config
from emulator.context import Caller, RequestContext
from emulator.parameter_store import ParameterStore, names, storage
from emulator.services import Services
from emulator.store import Database
from emulator.tags import store as tag_store

ACCOUNT, REGION = "123456789012", "us-east-1"
CTX = RequestContext(Caller(ACCOUNT, REGION, None, f"arn:aws:iam::{ACCOUNT}:root"), "measure")
GROUP = 100  # parameters per /bench/gNNNNN group


def seed(store: ParameterStore, n: int) -> None:
    now = time.time()
    store.kms.key(ACCOUNT, REGION, "alias/aws/ssm")  # created outside the seeding transaction
    with store.db.write() as conn:
        for i in range(n):
            key = f"/bench/g{i // GROUP:05d}/p{i % GROUP:03d}"
            secure = i % 10 == 0
            content = storage.Content(
                name=key, type="SecureString" if secure else "String",
                value=store.kms.encrypt(ACCOUNT, REGION, "alias/aws/ssm", f"v{i}", names.arn_prefix(REGION, ACCOUNT) + key)
                if secure else f"v{i}",
                last_modified=now, last_modified_user=CTX.caller.arn, tier="Standard", data_type="text",
                key_id="alias/aws/ssm" if secure else None, description=None, allowed_pattern=None,
                policies=None, expires_at=None,
            )
            storage.create(conn, ACCOUNT, REGION, key, names.parent_of(key), content)
            if i % 10 == 1:  # 10% carry a tag
                tag_store.put_tags(conn, ACCOUNT, REGION, "Parameter", key, [("team", "blue")])


def walk(store: ParameterStore, operation: str, body: dict, want: int = 100) -> int:
    """Page through `operation` until `want` results; returns how many came back."""
    method = {
        "GetParametersByPath": store.get_parameters_by_path,
        "DescribeParameters": store.describe_parameters,
        "GetParameterHistory": store.get_parameter_history,
    }[operation]
    got, token = 0, None
    while got < want:
        req = api_models.parse_request(operation, json.dumps({**body, **({"NextToken": token} if token else {})}))
        out = method(CTX, req)
        got += len(out.Parameters)
        token = out.NextToken
        if not token:
            break
    return got


def timed(fn: Callable[[], object], repeat: int = 50) -> float:
    """Best of `repeat` runs: the cost without the machine's noise."""
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return min(samples)


SHAPES: list[tuple[str, str, dict]] = [
    ("by-path one level (10 pages of 10)", "GetParametersByPath", {"Path": "/bench/g00007"}),
    ("by-path recursive (10 pages of 10)", "GetParametersByPath", {"Path": "/bench", "Recursive": True}),
    ("by-path recursive, decrypted", "GetParametersByPath", {"Path": "/bench", "Recursive": True, "WithDecryption": True}),
    ("by-path recursive, Type=SecureString", "GetParametersByPath",
     {"Path": "/bench", "Recursive": True, "ParameterFilters": [{"Key": "Type", "Values": ["SecureString"]}]}),
    ("describe (2 pages of 50)", "DescribeParameters", {"MaxResults": 50}),
    ("describe Name BeginsWith", "DescribeParameters",
     {"ParameterFilters": [{"Key": "Name", "Option": "BeginsWith", "Values": ["/bench/g0000"]}]}),
    ("describe Path OneLevel", "DescribeParameters", {"ParameterFilters": [{"Key": "Path", "Values": ["/bench/g00003"]}]}),
    ("describe tag:team=blue", "DescribeParameters", {"ParameterFilters": [{"Key": "tag:team", "Values": ["blue"]}]}),
]


def seeded(n: int, tmp: str) -> ParameterStore:
    services = Services(Config(data_dir=Path(tmp)), Database(Path(tmp)), Clock(), Background())
    store = ParameterStore(services)
    seed(store, n)
    return store


def main() -> None:
    small, large = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (1_000, 100_000)
    get = api_models.parse_request("GetParameter", json.dumps({"Name": "/bench/g00001/p042"}))
    with tempfile.TemporaryDirectory() as tmp_a, tempfile.TemporaryDirectory() as tmp_b:
        stores = seeded(small, tmp_a), seeded(large, tmp_b)
        print(f"{'listing (100 results)':40} {small:>9,} {large:>9,}  ratio")
        for label, operation, body in SHAPES:
            costs = []
            for store in stores:  # measured back to back, so both see the same machine
                assert walk(store, operation, body) == 100, label
                costs.append(timed(lambda: walk(store, operation, body)))
            print(f"{label:40} {costs[0] * 1e3:7.2f}ms {costs[1] * 1e3:7.2f}ms  {costs[1] / costs[0]:4.2f}")
        costs = [timed(lambda: store.get_parameter(CTX, get), repeat=3000) for store in stores]
        print(f"{'GetParameter handler (one call)':40} {costs[0] * 1e6:6.1f}us {costs[1] * 1e6:6.1f}us  {costs[1] / costs[0]:4.2f}")


if __name__ == "__main__":
    main()
