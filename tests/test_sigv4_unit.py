"""SigV4 parsing and verification, checked against requests signed by botocore's own signer.

Pure functions only: no server. A request is signed by botocore, then taken apart as a server
would receive it (method, raw path, raw query, headers with Host, body) and handed to
emulator.protocol.sigv4 / identity.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.datastructures import Headers

from emulator.context import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from emulator.protocol import sigv4
from emulator.protocol.errors import (
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from emulator.protocol.identity import IdentityResolver, TemporaryKey

ACCESS_KEY = "AKIAEXAMPLEKEY000001"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENDPOINT = "http://localhost:4566"
TARGET = {"X-Amz-Target": "AmazonSSM.GetParameter", "Content-Type": "application/x-amz-json-1.1"}
BODY = json.dumps({"Name": "/app/db/password", "WithDecryption": True}).encode()


@dataclass
class Received:
    """A request as the server sees it."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes

    def info(self) -> sigv4.SignatureInfo:
        info = sigv4.parse_credential(self.headers, self.query)
        assert info is not None
        return info

    def verify(self, secret: str = SECRET, now: float | None = None) -> None:
        sigv4.verify(self.info(), self.method, self.path, self.query, self.headers, self.body, secret, now)


def receive(request: AWSRequest) -> Received:
    prepared = request.prepare()
    url = urlsplit(prepared.url)
    headers = Headers({k: v for k, v in prepared.headers.items()})
    headers["Host"] = url.netloc
    body = prepared.body or b""
    return Received(prepared.method, url.path or "/", url.query, headers, body if isinstance(body, bytes) else body.encode())


def signed(
    url: str = ENDPOINT + "/",
    body: bytes = BODY,
    region: str = "eu-west-1",
    access_key: str = ACCESS_KEY,
    headers: dict[str, str] | None = None,
) -> Received:
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(TARGET if headers is None else headers))
    SigV4Auth(Credentials(access_key, SECRET), "ssm", region).add_auth(request)
    return receive(request)


def presigned(url: str = ENDPOINT + "/?Action=GetParameter", expires: int = 60, token: str | None = None) -> Received:
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET, token), "ssm", "ap-south-1", expires=expires).add_auth(request)
    return receive(request)


# --- header form -------------------------------------------------------------------------------

def test_header_signature_is_parsed_and_verified():
    request = signed()
    info = request.info()
    assert (info.access_key, info.region, info.service) == (ACCESS_KEY, "eu-west-1", "ssm")
    assert info.date == info.amz_date[:8]
    assert info.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-target")
    assert info.amz_date == request.headers["X-Amz-Date"] and not info.presigned
    request.verify()


@pytest.mark.parametrize("path", ["/a%2Fb/c", "/a/./b//c/../d/", "/caf%C3%A9/x%20y", "/~user/a-b_c.d"])
def test_paths_and_queries_canonicalize_as_botocore_signs_them(path):
    signed(url=f"{ENDPOINT}{path}?b=x%20y&a=%2B&a=1&c&Z=~").verify()


def test_tampered_body_is_refused():
    request = signed()
    request.body = request.body.replace(b"password", b"passw0rd")
    with pytest.raises(InvalidSignatureException) as err:
        request.verify()
    assert err.value.message.startswith(sigv4.SIGNATURE_MISMATCH_MESSAGE)
    assert err.value.http_status == 400


def test_tampered_signed_header_is_refused():
    request = signed()
    request.headers["X-Amz-Target"] = "AmazonSSM.DeleteParameter"
    with pytest.raises(InvalidSignatureException):
        request.verify()


def test_wrong_secret_is_refused():
    with pytest.raises(InvalidSignatureException) as err:
        signed().verify(secret="not-the-secret")
    assert err.value.message == sigv4.SIGNATURE_MISMATCH_MESSAGE


def test_declared_payload_hash_must_be_the_body_hash():
    headers = {**TARGET, "X-Amz-Content-Sha256": "0" * 64}
    request = signed(headers=headers)
    with pytest.raises(InvalidSignatureException):
        request.verify()


def test_expired_and_future_signing_times_are_refused():
    request = signed()
    with pytest.raises(InvalidSignatureException) as err:
        request.verify(now=time.time() + 6 * 60)
    assert err.value.message.startswith(f"Signature expired: {request.headers['X-Amz-Date']} is now earlier than ")
    assert err.value.message.endswith(" - 5 min.)")
    with pytest.raises(InvalidSignatureException) as err:
        request.verify(now=time.time() - 6 * 60)
    assert err.value.message.startswith("Signature not yet current: ")
    request.verify(now=time.time() + 4 * 60)  # within the 5-minute window


def test_missing_signature_parameter_is_incomplete():
    request = signed()
    auth = request.headers["Authorization"]
    request.headers["Authorization"] = auth[: auth.index(", Signature=")]
    with pytest.raises(IncompleteSignatureException) as err:
        request.info()
    assert err.value.message == (
        f"Authorization header requires 'Signature' parameter. Authorization={request.headers['Authorization']}"
    )


def test_bare_algorithm_lists_every_missing_part():
    headers = Headers({"Authorization": "AWS4-HMAC-SHA256"})
    with pytest.raises(IncompleteSignatureException) as err:
        sigv4.parse_credential(headers, "")
    assert err.value.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


def test_malformed_credential_is_incomplete():
    request = signed()
    request.headers["Authorization"] = request.headers["Authorization"].replace(f"{ACCESS_KEY}/", f"{ACCESS_KEY}/x/")
    with pytest.raises(IncompleteSignatureException) as err:
        request.info()
    assert err.value.message.startswith("Credential must have exactly 5 slash-delimited elements")


def test_missing_date_header_is_incomplete_when_verifying():
    request = signed()
    del request.headers["X-Amz-Date"]
    info = request.info()  # reading who signed still works
    assert info.access_key == ACCESS_KEY and info.amz_date is None
    with pytest.raises(IncompleteSignatureException):
        request.verify()


def test_parameters_in_any_order_are_read_by_the_slow_path():
    request = signed()
    auth = request.headers["Authorization"]
    credential, signed_headers, signature = auth[len("AWS4-HMAC-SHA256 "):].split(", ")
    request.headers["Authorization"] = f"AWS4-HMAC-SHA256 {signature},{credential},  {signed_headers}"
    request.verify()


def test_unsigned_request_has_no_credential():
    assert sigv4.parse_credential(Headers(TARGET), "") is None
    assert sigv4.parse_credential(Headers(TARGET), "X-Amz-Foo=1") is None


# --- presigned URLs ------------------------------------------------------------------------------

def test_presigned_url_is_parsed_and_verified():
    request = presigned(token="SESSION-TOKEN")
    info = request.info()
    assert info.presigned and info.expires == 60 and info.security_token == "SESSION-TOKEN"
    assert (info.access_key, info.region) == (ACCESS_KEY, "ap-south-1")
    request.verify()


def test_presigned_url_with_changed_parameter_is_refused():
    request = presigned()
    request.query = request.query.replace("Action=GetParameter", "Action=DeleteParameter")
    with pytest.raises(InvalidSignatureException):
        request.verify()


def test_presigned_url_expires_after_x_amz_expires():
    request = presigned(expires=30)
    request.verify(now=time.time() + 20)
    with pytest.raises(InvalidSignatureException) as err:
        request.verify(now=time.time() + 40)
    assert err.value.message.startswith("Signature expired: ")


def test_presigned_url_missing_parameters_is_incomplete():
    request = presigned()
    query = "&".join(p for p in request.query.split("&") if not p.startswith("X-Amz-Signature="))
    with pytest.raises(IncompleteSignatureException) as err:
        sigv4.parse_credential(request.headers, query)
    assert err.value.message == (
        "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."
    )


# --- identity --------------------------------------------------------------------------------------

def resolve(resolver: IdentityResolver, request: Received):
    return resolver.resolve(request.method, request.path, request.query, request.headers, request.body)


def test_unsigned_request_is_the_default_account_unless_verifying():
    unsigned = Received("POST", "/", "", Headers(TARGET), BODY)
    caller = resolve(IdentityResolver("111122223333", {}, {}, False), unsigned)
    assert (caller.account_id, caller.region, caller.access_key) == ("111122223333", DEFAULT_REGION, None)
    assert caller.arn == "arn:aws:iam::111122223333:root"
    with pytest.raises(MissingAuthenticationTokenException) as err:
        resolve(IdentityResolver(DEFAULT_ACCOUNT_ID, {}, {ACCESS_KEY: SECRET}, True), unsigned)
    assert err.value.message == "Request is missing Authentication Token"


def test_account_comes_from_mapping_then_numeric_key_then_default():
    resolver = IdentityResolver(DEFAULT_ACCOUNT_ID, {ACCESS_KEY: "444455556666"}, {}, False)
    assert resolve(resolver, signed()).account_id == "444455556666"
    caller = resolve(resolver, signed(access_key="777788889999", region="us-west-2"))
    assert (caller.account_id, caller.region, caller.arn) == (
        "777788889999", "us-west-2", "arn:aws:iam::777788889999:root"
    )
    assert resolve(resolver, signed(access_key="AKIAOTHER")).account_id == DEFAULT_ACCOUNT_ID


def test_signature_is_not_checked_unless_verifying():
    resolver = IdentityResolver(DEFAULT_ACCOUNT_ID, {}, {}, False)
    request = signed()
    request.body = b"{}"
    assert resolve(resolver, request).access_key == ACCESS_KEY


def test_verifying_resolver_accepts_good_and_refuses_bad_signatures():
    resolver = IdentityResolver(DEFAULT_ACCOUNT_ID, {ACCESS_KEY: "444455556666"}, {ACCESS_KEY: SECRET}, True)
    caller = resolve(resolver, signed())
    assert (caller.account_id, caller.region) == ("444455556666", "eu-west-1")
    assert resolve(resolver, presigned()).region == "ap-south-1"
    with pytest.raises(UnrecognizedClientException) as err:
        resolve(resolver, signed(access_key="AKIAUNKNOWN"))
    assert err.value.message == "The security token included in the request is invalid."
    tampered = signed()
    tampered.body += b" "
    with pytest.raises(InvalidSignatureException):
        resolve(resolver, tampered)


def test_verifying_resolver_uses_its_clock():
    late = IdentityResolver(DEFAULT_ACCOUNT_ID, {}, {ACCESS_KEY: SECRET}, True, clock=lambda: time.time() + 3600)
    with pytest.raises(InvalidSignatureException, match="^Signature expired"):
        resolve(late, signed())


TEMPORARY_KEY = "ASIAEXAMPLEKEY000001"
JIT_ARN = "arn:aws:iam::444455556666:root"


def with_token(token: str | None, secret: str = SECRET) -> Received:
    request = AWSRequest(method="POST", url=ENDPOINT + "/", data=BODY, headers=dict(TARGET))
    SigV4Auth(Credentials(TEMPORARY_KEY, secret, token), "ssm", "eu-west-1").add_auth(request)
    return receive(request)


@pytest.mark.parametrize("verifying", [False, True])
def test_temporary_keys_act_as_their_requester_until_expired_or_revoked(verifying):
    keys = {TEMPORARY_KEY: TemporaryKey("444455556666", JIT_ARN, SECRET, "tok", time.time() + 60)}
    resolver = IdentityResolver(DEFAULT_ACCOUNT_ID, {}, {}, verifying, temporary_keys=keys.get)
    caller = resolve(resolver, with_token("tok"))
    assert (caller.account_id, caller.region, caller.arn) == ("444455556666", "eu-west-1", JIT_ARN)
    for token in (None, "other"):
        with pytest.raises(UnrecognizedClientException):
            resolve(resolver, with_token(token))
    if verifying:
        with pytest.raises(InvalidSignatureException):
            resolve(resolver, with_token("tok", secret="not-the-secret"))
    keys[TEMPORARY_KEY] = TemporaryKey("444455556666", JIT_ARN, SECRET, "tok", time.time() - 1)
    with pytest.raises(ExpiredTokenException):
        resolve(resolver, with_token("tok"))
    keys[TEMPORARY_KEY] = TemporaryKey("444455556666", JIT_ARN, SECRET, "tok", time.time() + 60, revoked=True)
    with pytest.raises(UnrecognizedClientException):
        resolve(resolver, with_token("tok"))
