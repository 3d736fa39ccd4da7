"""Hand-written runtime support for the generated API models.

The generated modules (see tools/generate_api_models.py) build on what is defined here:
the exception base every SSM error shape derives from.
"""
from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """An error answered to the caller as an AWS JSON 1.1 error body.

    `code` is the error shape name (botocore maps it to `client.exceptions.<code>`);
    `fields` are the shape's modeled members besides the message (e.g. SyncName).
    """

    code: ClassVar[str] = "InternalServerError"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"__type": self.code}
        body.update({k: v for k, v in self.fields.items() if v is not None})
        body["message"] = self.message
        return body
