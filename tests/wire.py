"""Raw AWS JSON 1.1 calls, for what boto3 would refuse to send (its client-side validation)."""
from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def raw_call(
    url: str,
    operation: str | None,
    body: bytes | str | dict,
    headers: dict[str, str] | None = None,
    target_prefix: str = "AmazonSSM.",
) -> RawResponse:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    hdrs = {"Content-Type": "application/x-amz-json-1.1"}
    if operation is not None:
        hdrs["X-Amz-Target"] = target_prefix + operation
    hdrs.update(headers or {})
    try:
        conn.request("POST", "/", body=body, headers=hdrs)
        resp = conn.getresponse()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()
