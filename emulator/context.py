"""Who is calling and where: the facts every capability receives with a request.

Nothing here knows about HTTP; the protocol layer builds a RequestContext from the request
and hands it to the capability handler.
"""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Caller:
    """The identity a request is made as.

    State is isolated per (account_id, region); ARNs are built from them.
    """

    account_id: str
    region: str
    access_key: str | None
    # IAM ARN of the caller, e.g. "arn:aws:iam::123456789012:root" (reported as session Owner etc.)
    arn: str


@dataclass(frozen=True, slots=True)
class RequestContext:
    caller: Caller
    request_id: str
    # The Host header the client called (e.g. "127.0.0.1:4566"), for URLs handed back to it
    # (StartSession's StreamUrl); None when the request did not come over HTTP.
    host: str | None = None
    # "http" or "https", as the client called (gunicorn also honours X-Forwarded-Proto from a local proxy);
    # None when the request did not come over HTTP.
    scheme: str | None = None

    @property
    def account_id(self) -> str:
        return self.caller.account_id

    @property
    def region(self) -> str:
        return self.caller.region

    def arn(self, resource: str, service: str = "ssm") -> str:
        """An ARN in the caller's partition, region and account, e.g. arn(f"parameter{name}")."""
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


def internal_context(account_id: str, region: str, request_id: str) -> RequestContext:
    """A context for work the emulator does on an account's behalf, not over HTTP (an invocation that
    runs later, a calendar another capability consults), acting as the account's root."""
    return RequestContext(Caller(account_id, region, None, f"arn:aws:iam::{account_id}:root"), request_id)
