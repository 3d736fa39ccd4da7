"""The admin API of managed instances, under /_emulator/instances (JSON):

    POST   /_emulator/instances        register a machine (body: see spec.py) -> {"InstanceId": "mi-..."}
    GET    /_emulator/instances        every instance: backend, target (secrets redacted), status, facts, tags
    GET    /_emulator/instances/<id>   one of them
    DELETE /_emulator/instances/<id>   forget it (and remove its container if the emulator started it)

Errors are {"error": <code>, "message": <text>} with 400 (bad input, bad activation), 404, 409 (the machine
is registered differently already) or 503 (the Docker engine does not answer).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from emulator.managed_instances import spec
from emulator.managed_instances.spec import RegistrationError

if TYPE_CHECKING:
    from emulator.managed_instances.registry import ManagedInstances


def _error(code: str, message: str, status: int) -> Any:
    return jsonify(error=code, message=message), status


def instances_blueprint(registry: ManagedInstances) -> Blueprint:
    bp = Blueprint("managed_instances_admin", __name__)

    @bp.post("/_emulator/instances")
    def add():  # type: ignore[no-untyped-def]
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError as e:
            return _error("InvalidRequest", f"the body is not JSON: {e}", 400)
        try:
            registered = registry.register(spec.parse(body), source="api")
        except RegistrationError as e:
            return _error(e.code, e.message, e.status)
        if registered.created:
            registry.check(registered.instance_id)  # first contact now, so the answer's facts are real
        return jsonify(InstanceId=registered.instance_id), 201 if registered.created else 200

    @bp.get("/_emulator/instances")
    def list_instances():  # type: ignore[no-untyped-def]
        return jsonify(instances=registry.describe())

    @bp.get("/_emulator/instances/<instance_id>")
    def get_instance(instance_id: str):  # type: ignore[no-untyped-def]
        for described in registry.describe():
            if described["InstanceId"] == instance_id:
                return jsonify(described)
        return _error("NotFound", f"{instance_id} is not a managed instance", 404)

    @bp.delete("/_emulator/instances/<instance_id>")
    def remove(instance_id: str):  # type: ignore[no-untyped-def]
        if registry.deregister(instance_id) is None:
            return _error("NotFound", f"{instance_id} is not a managed instance", 404)
        return jsonify(InstanceId=instance_id, removed=True)

    return bp
