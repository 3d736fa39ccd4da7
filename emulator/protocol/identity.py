"""Who a request is made as: account and region from its SigV4 credential.

By default signatures are only read, not checked: the access key picks the account (from the
configured mapping, or the key itself when it is a 12-digit account id, a convention that
makes multi-account tests need no configuration) and the credential scope picks the region.
With verification on, the signature is checked against the key's configured secret and a
request without one is refused, as AWS refuses it.

Temporary keys (AWS's ASIA... keys, which the emulator issues itself: GetAccessToken's credentials) are looked up
through `temporary_keys`, given by the app factory: such a key acts as the identity it was issued to (account and
ARN), must come with its session token, and is refused once expired, in either mode, since the emulator issued it
and knows it. A revoked one is refused as an invalid token.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from api_models._runtime import ServiceError

from emulator.context import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Caller
from emulator.protocol.errors import (
    ExpiredTokenException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from emulator.protocol.sigv4 import parse_credential, verify

UNRECOGNIZED_CLIENT_MESSAGE = "The security token included in the request is invalid."
# The JSON services' wording (DynamoDB's "Request is missing Authentication Token ... Status Code: 400; Error Code:
# MissingAuthenticationTokenException"); the shorter "Missing Authentication Token" is API Gateway's.
MISSING_TOKEN_MESSAGE = "Request is missing Authentication Token"
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
# AWS's temporary (STS) access keys begin so; only such keys are looked up among the emulator's temporary keys,
# which keeps the store out of every other request's path.
TEMPORARY_KEY_PREFIX = "ASIA"
# The service a signature must be scoped to: SSM's signing name in botocore's model (its endpoint prefix).
SIGNING_NAME = "ssm"


@dataclass(frozen=True)
class TemporaryKey:
    """A temporary access key the emulator issued: whom it acts as, its secret and session token, and until when."""

    account_id: str
    arn: str
    secret_access_key: str
    session_token: str
    expires_at: float
    revoked: bool = False  # its access request was revoked

# Callers are immutable and few (access keys × regions); remembering them keeps the hot path to
# a regex match and a dict lookup. The bound only guards against clients inventing keys.
_CALLER_CACHE_LIMIT = 4096
_LOOSE_SCOPE = re.compile(r"Credential=([^/,\s&]+)/\d{8}/([a-z0-9-]+)/")


class IdentityResolver:
    """Turns a request's credentials into the Caller a capability sees."""

    def __init__(
        self,
        default_account_id: str = DEFAULT_ACCOUNT_ID,
        access_key_accounts: Mapping[str, str] | None = None,
        secret_keys: Mapping[str, str] | None = None,
        verify_signatures: bool = False,
        *,
        clock: Callable[[], float] = time.time,
        temporary_keys: Callable[[str], TemporaryKey | None] | None = None,
    ) -> None:
        self.default_account_id = default_account_id
        self.access_key_accounts = dict(access_key_accounts or {})
        self.secret_keys = dict(secret_keys or {})
        self.verify_signatures = verify_signatures
        self._clock = clock
        self._temporary_keys = temporary_keys
        self._unsigned = Caller(default_account_id, DEFAULT_REGION, None, _root_arn(default_account_id))
        self._callers: dict[tuple[str, str], Caller] = {}

    def resolve(
        self, method: str, path: str, query_string: str, headers: Mapping[str, str], body: bytes
    ) -> Caller:
        """The caller of this request; raises the errors AWS answers for bad credentials.

        `headers` must look names up case-insensitively; `query_string` is raw (percent-encoded);
        `path` should be the path as sent on the wire (it only matters when verifying).
        """
        if not self.verify_signatures:
            return self._lenient(headers, query_string)
        info = parse_credential(headers, query_string)
        if info is None:
            if self.verify_signatures:
                raise MissingAuthenticationTokenException(MISSING_TOKEN_MESSAGE)
            return self._unsigned
        session_token = info.security_token or headers.get("X-Amz-Security-Token")
        temporary = self._temporary(info.access_key, session_token)
        if self.verify_signatures:
            secret = temporary.secret_access_key if temporary else self.secret_keys.get(info.access_key)
            # a session token only belongs with the temporary key it was issued with: beside a long-term key it is
            # one AWS cannot recognise either (a stale AWS_SESSION_TOKEN left with new keys, aws/aws-cli#1341)
            if secret is None or (temporary is None and session_token):
                raise UnrecognizedClientException(UNRECOGNIZED_CLIENT_MESSAGE)
            if info.service != SIGNING_NAME:
                raise InvalidSignatureException(f"Credential should be scoped to correct service: '{SIGNING_NAME}'. ")
            verify(info, method, path, query_string, headers, body, secret, self._clock())
        if temporary is not None:
            return Caller(temporary.account_id, info.region, info.access_key, temporary.arn)
        caller = self._callers.get((info.access_key, info.region))
        if caller is None:
            caller = self._new_caller(info.access_key, info.region)
        return caller

    def _lenient(self, headers: Mapping[str, str], query_string: str) -> Caller:
        """Without verification a garbled signature is no reason to refuse a test's request:
        take whatever access key and region the credential scope shows, else the defaults."""
        session_token = headers.get("X-Amz-Security-Token")
        try:
            info = parse_credential(headers, query_string)
        except ServiceError:
            scope = _LOOSE_SCOPE.search(headers.get("Authorization", "") or unquote(query_string))
            if scope is None:
                return self._unsigned
            access_key, region = scope.groups()
        else:
            if info is None:
                return self._unsigned
            access_key, region = info.access_key, info.region
            session_token = session_token or info.security_token
        temporary = self._temporary(access_key, session_token)
        if temporary is not None:
            return Caller(temporary.account_id, region, access_key, temporary.arn)
        caller = self._callers.get((access_key, region))
        return caller if caller is not None else self._new_caller(access_key, region)

    def _temporary(self, access_key: str, session_token: str | None) -> TemporaryKey | None:
        """The emulator's temporary key `access_key`, checked: with its session token, not expired. Not cached,
        as a key ends when it expires or its access request is revoked."""
        if self._temporary_keys is None or not access_key.startswith(TEMPORARY_KEY_PREFIX):
            return None
        key = self._temporary_keys(access_key)
        if key is None:
            return None
        if key.revoked or session_token != key.session_token:
            raise UnrecognizedClientException(UNRECOGNIZED_CLIENT_MESSAGE)
        if self._clock() >= key.expires_at:
            raise ExpiredTokenException(EXPIRED_TOKEN_MESSAGE)
        return key

    def account_for(self, access_key: str) -> str:
        """The account an access key belongs to: mapped, else the key if it is an account id."""
        account = self.access_key_accounts.get(access_key)
        if account is not None:
            return account
        if len(access_key) == 12 and access_key.isascii() and access_key.isdigit():
            return access_key
        return self.default_account_id

    def _new_caller(self, access_key: str, region: str) -> Caller:
        account = self.account_for(access_key)
        caller = Caller(account, region, access_key, _root_arn(account))
        if len(self._callers) >= _CALLER_CACHE_LIMIT:
            self._callers.clear()
        self._callers[(access_key, region)] = caller
        return caller


def _root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"
