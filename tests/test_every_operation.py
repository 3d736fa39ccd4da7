"""Every operation of botocore's SSM model, called with what a careless client sends — nothing, then each required
member with a value of the right type but no meaning ("x", 1, ...), then each member with a value of the wrong
type — is answered with an AWS error or a result, never a 500, and the server keeps serving."""
from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from conftest import EmulatorProcess, free_port
from wire import raw_call

MODEL = botocore.session.get_session().get_service_model("ssm")


def plausible(shape: Any, depth: int = 0) -> Any:
    """A value of `shape`'s type, its required members filled in likewise."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return {}
        return {name: plausible(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [plausible(shape.member, depth + 1)] if depth < 4 else []
    if kind == "map":
        return {"x": plausible(shape.value, depth + 1)} if depth < 4 else {}
    if kind == "string":
        return (shape.enum or ["x"])[0]
    if kind in ("integer", "long"):
        return 1
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 0
    if kind == "blob":
        return "eA=="
    return None


def wrong(shape: Any) -> Any:
    """A value of another type than `shape`'s."""
    return 7 if shape.type_name in ("string", "list", "map", "structure", "blob") else "seven"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: what these calls create stays out of other tests' way."""
    started = EmulatorProcess(free_port(), ["--ephemeral"], {}).start(tmp_path_factory.mktemp("logs"))
    yield started
    started.stop()


@pytest.mark.parametrize("operation", sorted(MODEL.operation_names))
def test_careless_input_never_gets_a_500(server, operation):
    shape = MODEL.operation_model(operation).input_shape
    bodies: list[dict] = [{}]
    if shape is not None:
        bodies.append(plausible(shape))
        bodies.extend({**plausible(shape), name: wrong(member)} for name, member in shape.members.items())
    for body in bodies:
        resp = raw_call(server.url, operation, body)
        assert resp.status < 500, (operation, body, resp.status, resp.body[:500])
        if resp.status >= 400:
            assert "__type" in resp.json and "Traceback" not in resp.body.decode(), resp.body[:500]
    assert raw_call(server.url, "DescribeParameters", {}).status == 200
