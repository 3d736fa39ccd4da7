"""AWS JSON 1.1: `POST /` with `X-Amz-Target: AmazonSSM.<Operation>`, JSON in, JSON out.

Generic and model-driven: it knows the operations botocore's model declares and the handlers
the capabilities registered, and nothing of what any operation means.
"""
from __future__ import annotations

import json
import logging
import uuid

from flask import Flask, Response, request

import api_models
from api_models._runtime import ServiceError
from emulator.context import RequestContext
from emulator.operations import OperationTable
from emulator.protocol.errors import (
    InternalFailure,
    NotImplementedYet,
    UnknownOperationException,
)
from emulator.protocol.identity import IdentityResolver

log = logging.getLogger("ssm_emulator.protocol")

TARGET_PREFIX = "AmazonSSM."
CONTENT_TYPE = "application/x-amz-json-1.1"


class JsonProtocol:
    """Turns an HTTP request into a handler call and its result (or error) into a response."""

    def __init__(self, operations: OperationTable, identity: IdentityResolver) -> None:
        self.operations = operations
        self.identity = identity

    def install(self, app: Flask) -> None:
        app.add_url_rule("/", "aws_json_1_1", self.view, methods=["POST"])

    def view(self) -> Response:
        request_id = str(uuid.uuid4())
        try:
            body = self.handle(request_id)
            status = 200
        except ServiceError as exc:
            body, status = json.dumps(exc.to_body()), exc.http_status
        except Exception:  # a bug of ours: log it, never leak it
            log.exception("internal error in %s", request.headers.get("X-Amz-Target"))
            failure = InternalFailure("Internal Server Error")
            body, status = json.dumps(failure.to_body()), failure.http_status
        return Response(
            body, status=status, content_type=CONTENT_TYPE, headers={"x-amzn-RequestId": request_id}
        )

    def handle(self, request_id: str) -> str:
        target = request.headers.get("X-Amz-Target", "")
        name = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
        spec = api_models.OPERATIONS.get(name)
        if spec is None:
            raise UnknownOperationException(f"Operation {target or '(none)'} is not supported.")
        raw = request.get_data(cache=False)
        caller = self.identity.resolve(
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            request.headers,
            raw,
        )
        handler = self.operations.get(name)
        if handler is None:
            raise NotImplementedYet(f"The operation {name} is not implemented yet by ssm-emulator.")
        result = handler(RequestContext(caller, request_id), api_models.parse_request(name, raw))
        return "{}" if result is None else result.model_dump_json(exclude_none=True)
