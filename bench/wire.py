"""Raw SSM requests over keep-alive HTTP: the headers a signed AWS JSON 1.1 call carries, and a connection.

The same headers feed the wrk Lua script (as arguments), the readiness probe and the bulk seeder, so every
raw request in the bench looks like one boto3 would send. None of the servers verify signatures by default,
so the signature is well-formed but not valid.
"""

import http.client
import json
from typing import Any

AMZ_DATE = "20250101T000000Z"
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/ssm/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=" + "0f" * 32
)
CONTENT_TYPE = "application/x-amz-json-1.1"

# The parameter the throughput runs read and overwrite.
BENCH_PARAMETER = "/bench/p"
REQUEST_BODIES: dict[str, dict[str, Any]] = {
    "GetParameter": {"Name": BENCH_PARAMETER},
    "PutParameter": {"Name": BENCH_PARAMETER, "Value": "bench-value", "Type": "String", "Overwrite": True},
}


def ssm_headers(operation: str) -> dict[str, str]:
    """Headers of a SigV4-signed AWS JSON 1.1 request for one SSM operation."""
    return {
        "Content-Type": CONTENT_TYPE,
        "X-Amz-Target": f"AmazonSSM.{operation}",
        "X-Amz-Date": AMZ_DATE,
        "Authorization": AUTHORIZATION,
    }


class SsmConnection:
    """One keep-alive HTTP connection that sends SSM calls; reconnects when a server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def call(self, operation: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        """Send one call; return the HTTP status and the raw response body."""
        body = json.dumps(payload).encode()
        try:
            self._connection.request("POST", "/", body=body, headers=ssm_headers(operation))
            response = self._connection.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, ConnectionError):
            # A server that closed an idle keep-alive connection: retry once on a fresh one.
            self._connection.close()
            self._connection.request("POST", "/", body=body, headers=ssm_headers(operation))
            response = self._connection.getresponse()
            return response.status, response.read()

    def close(self) -> None:
        self._connection.close()
