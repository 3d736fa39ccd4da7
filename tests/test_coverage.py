"""Coverage: every operation of botocore's SSM model is implemented by a capability or declared unavailable
offline with its reason; an unavailable one answers its clear error through the normal protocol path; and the
README's coverage table is what tools/coverage_table.py renders from the code."""
from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import botocore
import pytest

import api_models
from api_models.errors import ERRORS

from wire import raw_call

ROOT = Path(__file__).resolve().parent.parent


def _coverage_table():
    spec = importlib.util.spec_from_file_location("coverage_table", ROOT / "tools" / "coverage_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


coverage_table = _coverage_table()


@pytest.fixture(scope="module")
def operations():
    return coverage_table.built_operations()


def botocore_operations() -> set[str]:
    """The operations of the SSM model botocore itself ships, not our generated index of it."""
    folder = Path(botocore.__file__).parent / "data" / "ssm" / "2014-11-06"
    path = folder / "service-2.json"
    model = json.loads(path.read_text()) if path.exists() else json.load(gzip.open(folder / "service-2.json.gz"))
    return set(model["operations"])


def test_every_operation_is_implemented_or_unavailable(operations):
    model = botocore_operations()
    assert model == set(api_models.OPERATIONS)
    missing = sorted(model - operations.names())
    assert not missing, (
        f"{len(missing)} operation(s) of botocore's SSM model are neither implemented by a capability nor declared "
        f"unavailable offline in emulator/unavailable.py:\n  " + "\n  ".join(missing)
    )


def test_unavailable_operations_say_why(operations):
    unavailable = operations.unavailable()
    assert not set(unavailable) & operations.implemented()
    for name, offline in unavailable.items():
        assert name in api_models.OPERATIONS
        assert ERRORS.get(offline.error.code) is offline.error, f"{name}: its error must be an SSM error shape"
        assert len(offline.reason) > 40, f"{name}: the reason must say why it can't be done offline"


def test_just_in_time_operations_are_checked_against_the_model_first(emulator):
    # StartAccessRequest and GetAccessToken were unavailable offline; now implemented, their requests are still
    # checked against the model before their handler runs, as every operation's is.
    bad = raw_call(emulator.url, "GetAccessToken", {"AccessRequestId": "not-an-id"})
    assert (bad.status, bad.json["__type"]) == (400, "ValidationException")
    assert "accessRequestId" in bad.json["message"]


def test_health_reports_coverage(emulator):
    facts = emulator.admin("GET", "/_emulator/health")["operations"]
    assert "PutResourcePolicy" in facts["implemented"]
    assert {"StartAccessRequest", "GetAccessToken"} <= set(facts["implemented"])
    assert facts["unavailable"] == {} and facts["not_implemented"] == []


def test_readme_coverage_table_is_current(operations):
    readme = (ROOT / "README.md").read_text()
    wanted = coverage_table.with_table(readme, coverage_table.render(operations))
    assert readme == wanted, "README.md's coverage table is out of date: run python tools/coverage_table.py"
