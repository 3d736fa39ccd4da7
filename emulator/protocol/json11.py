"""AWS JSON 1.1: `POST /` with `X-Amz-Target: AmazonSSM.<Operation>`, JSON in, JSON out.

Generic and model-driven: it knows the operations botocore's model declares and the handlers
the capabilities registered, and nothing of what any operation means.

It sits in front of the Flask app as WSGI middleware rather than as a Flask view: an SSM call
needs no routing, request context or Response object, and skipping them halves the cost of
the protocol on the hot path (GetParameter). Every other path falls through to Flask.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import EnvironHeaders

import api_models
from api_models._runtime import ServiceError
from emulator.context import RequestContext
from emulator.operations import OperationTable
from emulator.protocol.errors import (
    InternalFailure,
    NotImplementedYet,
    SerializationException,
    UnknownOperationException,
)
from emulator.protocol.identity import IdentityResolver

log = logging.getLogger("ssm_emulator.protocol")

TARGET_PREFIX = "AmazonSSM."
CONTENT_TYPE = "application/x-amz-json-1.1"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_STATUS = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden", 500: "500 Internal Server Error"}


class JsonProtocol:
    """Turns an SSM request into a handler call and its result (or error) into a response."""

    def __init__(self, operations: OperationTable, identity: IdentityResolver) -> None:
        self.operations = operations
        self.identity = identity

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """WSGI middleware: answers `POST /` itself, passes everything else to `app`."""

        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ["REQUEST_METHOD"] != "POST" or environ.get("PATH_INFO", "/") not in ("/", ""):
                return app(environ, start_response)
            return self.serve(environ, start_response)

        return middleware

    def serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request_id = str(uuid.uuid4())
        try:
            body = self.handle(environ, request_id)
            status = 200
        except ServiceError as exc:
            body, status = json.dumps(exc.to_body()).encode(), exc.http_status
        except Exception:  # a bug of ours: log it, never leak it
            log.exception("internal error in %s", environ.get("HTTP_X_AMZ_TARGET"))
            failure = InternalFailure("Internal Server Error")
            body, status = json.dumps(failure.to_body()).encode(), failure.http_status
        start_response(
            _STATUS.get(status) or f"{status} Error",
            [
                ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                ("x-amzn-RequestId", request_id),
            ],
        )
        return [body]

    def handle(self, environ: dict[str, Any], request_id: str) -> bytes:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        name = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
        spec = api_models.OPERATIONS.get(name)
        if spec is None:
            raise UnknownOperationException(f"Operation {target or '(none)'} is not supported.")
        raw = _read_body(environ)
        caller = self.identity.resolve(
            "POST",
            environ.get("RAW_URI", "/").split("?", 1)[0] or "/",
            environ.get("QUERY_STRING", ""),
            EnvironHeaders(environ),
            raw,
        )
        handler = self.operations.get(name)
        if handler is None:
            raise NotImplementedYet(f"The operation {name} is not implemented yet by ssm-emulator.")
        ctx = RequestContext(caller, request_id, environ.get("HTTP_HOST") or None, environ.get("wsgi.url_scheme"))
        result = handler(ctx, api_models.parse_request(name, raw))
        return api_models.dump_response(result)


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            return stream.read(int(length))
        except ValueError:
            raise SerializationException("Invalid Content-Length") from None
    # chunked or unknown length: gunicorn and werkzeug both end the stream at the body's end
    return stream.read()
