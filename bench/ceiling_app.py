"""The ceiling: the fastest an SSM-shaped answer can come back on the emulator's serving stack.

It answers every ``POST /`` with the same GetParameter-shaped body and does no work at all, so served by
gunicorn exactly as the emulator is (one worker, gthread, 16 threads) it measures what the stack itself costs.
Gunicorn loads it with the factory call ``bench.ceiling_app:create_app()``.
"""

import json

from flask import Flask, Response

_BODY = json.dumps(
    {
        "Parameter": {
            "Name": "/bench/p",
            "Type": "String",
            "Value": "bench-value",
            "Version": 1,
            "LastModifiedDate": 1700000000.0,
            "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/bench/p",
            "DataType": "text",
        }
    }
).encode()


def create_app() -> Flask:
    """Build the app; one route, one fixed answer."""
    app = Flask(__name__)

    @app.post("/")
    def answer() -> Response:
        return Response(_BODY, content_type="application/x-amz-json-1.1")

    return app
