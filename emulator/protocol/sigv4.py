"""AWS Signature Version 4: who signed a request, and whether the signature holds.

Pure functions over plain values; nothing here knows about Flask or WSGI. Written from AWS's
published algorithm ("Create a signed AWS API request", IAM User Guide): canonical request,
string to sign, signing key, signature. Both ways a client can sign are read:

- the `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header;
- a presigned URL (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-SignedHeaders`,
  `X-Amz-Signature`, `X-Amz-Expires`, optionally `X-Amz-Security-Token`).

`parse_credential` runs on every request, so its common case is one compiled regex match;
the careful parser that words AWS's complaints runs only when that match fails.
Errors carry the messages AWS's front door answers with (all HTTP 400, as AWS's JSON services answer them).
"""
from __future__ import annotations

import calendar
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_tz
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, unquote

from emulator.protocol.errors import IncompleteSignatureException, InvalidSignatureException

log = logging.getLogger("ssm_emulator.protocol")

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
# AWS rejects a request whose signing time is more than 5 minutes from its own clock.
MAX_CLOCK_SKEW_SECONDS = 300
# The longest validity a presigned SigV4 URL may ask for: 7 days.
MAX_PRESIGNED_EXPIRES_SECONDS = 604_800

SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)

# Exactly what the SDKs send (`Credential=..., SignedHeaders=..., Signature=<64 hex>`); any
# other spelling takes the careful parser. Kept this literal because it is twice as fast.
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})\Z"
)
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z\Z")
_WHITESPACE_RUN = re.compile(r"\s+")
_QUERY_REQUIRED = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date",
)


class SignatureInfo(NamedTuple):
    """What a signed request says about its signer; nothing in it is verified yet.

    A NamedTuple rather than a frozen dataclass: one is built per request, and this is 6x cheaper.
    """

    access_key: str
    date: str  # credential scope date, YYYYMMDD
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    # The signing time as the signer used it in the string to sign (ISO 8601 basic, e.g.
    # 20240101T000000Z); None when the request carries neither X-Amz-Date nor Date.
    amz_date: str | None
    presigned: bool = False
    expires: int | None = None  # X-Amz-Expires of a presigned URL, seconds
    security_token: str | None = None
    # The Authorization header as sent (empty for a presigned URL), quoted in error messages.
    authorization: str = ""

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


def parse_credential(headers: Mapping[str, str], query: str) -> SignatureInfo | None:
    """The signer's credential and signature, or None when the request is not signed.

    `headers` must look names up case-insensitively (as Werkzeug's and http.client's do);
    `query` is the raw query string, still percent-encoded. Raises IncompleteSignatureException (or,
    for a credential scope AWS would refuse, InvalidSignatureException) when a signature is
    there but garbled.
    """
    authorization = headers.get("Authorization")
    if authorization:
        match = _AUTHORIZATION.match(authorization)
        if match is None:
            return _parse_authorization_carefully(authorization, headers)
        access_key, date, region, service, signed, signature = match.groups()
        return SignatureInfo(
            access_key, date, region, service, tuple(signed.split(";")), signature,
            _signing_time(headers), authorization=authorization,
        )
    if query and "X-Amz-" in query:
        return _parse_presigned(query)
    return None


def verify(
    info: SignatureInfo,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_key: str,
    now: float | None = None,
) -> None:
    """Raise unless `info.signature` is the SigV4 signature of this request under `secret_key`.

    `path` is the request path as sent on the wire (still percent-encoded); `now` is epoch
    seconds (default: the system clock). The signing time is checked before the signature,
    as AWS does: a stale request is "expired" whatever its signature.
    """
    if info.amz_date is None:
        raise IncompleteSignatureException(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            f"Authorization={info.authorization}"
        )
    signed_at = _parse_amz_date(info.amz_date)
    if info.amz_date[:8] != info.date:
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{info.date}' != '{info.amz_date[:8]}', from '{info.amz_date}'."
        )
    _check_signing_time(info, signed_at, time.time() if now is None else now)

    canonical = canonical_request(info, method, path, query, headers, body)
    to_sign = string_to_sign(info, canonical)
    expected = hmac.new(
        signing_key(secret_key, info.date, info.region, info.service), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, info.signature):
        # AWS's JSON services answer the bare sentence (REST services append the canonical request); what we
        # signed goes to the server log instead, as it is what a client author needs.
        log.info("signature mismatch: canonical request\n%s\nstring to sign\n%s", canonical, to_sign)
        raise InvalidSignatureException(SIGNATURE_MISMATCH_MESSAGE)


def canonical_request(
    info: SignatureInfo, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
) -> str:
    """The canonical request of AWS's algorithm, as the signer should have built it."""
    return "\n".join((
        method.upper(),
        canonical_uri(path),
        canonical_query(query, drop_signature=info.presigned),
        canonical_headers(info.signed_headers, headers),
        ";".join(info.signed_headers),
        payload_hash(headers, body),
    ))


def string_to_sign(info: SignatureInfo, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{info.amz_date}\n{info.scope}\n{digest}"


@lru_cache(maxsize=256)
def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """HMAC chain "AWS4"+secret → date → region → service → "aws4_request" (cached: it is per day)."""
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def canonical_uri(path: str) -> str:
    """Normalized path, each segment URI-encoded once more (non-S3 services double-encode).

    Empty and "." segments are dropped and ".." climbs, per RFC 3986 dot-segment removal
    (AWS's test suite also collapses repeated slashes).
    """
    if not path or path == "/":
        return "/"
    segments: list[str] = []
    raw = path.split("/")
    for segment in raw:
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(_uri_encode(segment))
    uri = "/" + "/".join(segments)
    if segments and raw[-1] in ("", ".", ".."):
        uri += "/"
    return uri


def canonical_query(query: str, drop_signature: bool = False) -> str:
    """Query parameters decoded, re-encoded the AWS way, sorted by name then value."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = _uri_encode(unquote(name))
        if drop_signature and name == "X-Amz-Signature":
            continue
        pairs.append((name, _uri_encode(unquote(value))))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_headers(signed_headers: tuple[str, ...], headers: Mapping[str, str]) -> str:
    """`name:value\\n` per signed header: value trimmed, inner runs of whitespace made one space."""
    lines = []
    for name in signed_headers:
        value = headers.get(name) or ""
        lines.append(f"{name}:{_WHITESPACE_RUN.sub(' ', value.strip())}\n")
    return "".join(lines)


def payload_hash(headers: Mapping[str, str], body: bytes) -> str:
    """X-Amz-Content-Sha256 when the signer sent one, else the SHA-256 of the body.

    A hex digest in that header must be the body's, or a tampered body would pass under a
    signature over the original digest.
    """
    actual = hashlib.sha256(body).hexdigest()
    declared = headers.get("X-Amz-Content-Sha256")
    if not declared:
        return actual
    if len(declared) == 64 and declared.lower() != actual:
        raise InvalidSignatureException(SIGNATURE_MISMATCH_MESSAGE)
    return declared


def _uri_encode(text: str) -> str:
    # quote() leaves exactly AWS's unreserved set (A-Z a-z 0-9 - _ . ~) unencoded when safe="".
    return quote(text, safe="")


def _signing_time(headers: Mapping[str, str]) -> str | None:
    """X-Amz-Date as sent, else the Date header in ISO 8601 basic format (None if neither)."""
    amz_date = headers.get("X-Amz-Date")
    if amz_date:
        return amz_date
    http_date = headers.get("Date")
    if not http_date:
        return None
    parsed = parsedate_tz(http_date)
    if parsed is None:
        return http_date  # not a date: the format check in verify words the complaint
    epoch = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def _parse_authorization_carefully(authorization: str, headers: Mapping[str, str]) -> SignatureInfo:
    """The slow path: any parameter order and spacing, with AWS's wording for what is wrong."""
    algorithm, _, rest = authorization.strip().partition(" ")
    params: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise IncompleteSignatureException(
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: "
                f"'{authorization}'."
            )
        params[name.strip()] = value.strip()
    amz_date = _signing_time(headers)
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if amz_date is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        raise IncompleteSignatureException(" ".join(problems) + f" Authorization={authorization}")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    access_key, date, region, service = _split_credential(params["Credential"])
    return SignatureInfo(
        access_key, date, region, service,
        tuple(params["SignedHeaders"].split(";")), params["Signature"], amz_date,
        authorization=authorization,
    )


def _parse_presigned(query: str) -> SignatureInfo | None:
    params: dict[str, str] = {}
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name.startswith("X-Amz-"):
            params[name] = unquote(value)
    if not any(name in params for name in _QUERY_REQUIRED):
        return None  # X-Amz-* parameters of some other kind: not a presigned request
    missing = [name for name in _QUERY_REQUIRED if not params.get(name)]
    if missing:
        raise IncompleteSignatureException(
            " ".join(f"AWS query-string parameters must include '{name}'." for name in missing)
            + " Re-examine the query-string parameters."
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'.")
    expires = None
    if "X-Amz-Expires" in params:
        raw = params["X-Amz-Expires"]
        if not raw.isdigit() or not 0 < int(raw) <= MAX_PRESIGNED_EXPIRES_SECONDS:
            raise IncompleteSignatureException(
                f"X-Amz-Expires must be a whole number of seconds from 1 to "
                f"{MAX_PRESIGNED_EXPIRES_SECONDS}, not '{raw}'."
            )
        expires = int(raw)
    access_key, date, region, service = _split_credential(params["X-Amz-Credential"])
    return SignatureInfo(
        access_key, date, region, service,
        tuple(params["X-Amz-SignedHeaders"].split(";")), params["X-Amz-Signature"],
        params["X-Amz-Date"], presigned=True, expires=expires,
        security_token=params.get("X-Amz-Security-Token"),
    )


def _split_credential(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    if parts[4] != TERMINATOR:
        raise InvalidSignatureException(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{parts[4]}'. "
        )
    return parts[0], parts[1], parts[2], parts[3]


def _parse_amz_date(amz_date: str) -> int:
    """Epoch seconds of an ISO 8601 basic-format time such as 20240101T000000Z."""
    if not _AMZ_DATE.match(amz_date):
        raise IncompleteSignatureException(
            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        )
    return calendar.timegm((
        int(amz_date[0:4]), int(amz_date[4:6]), int(amz_date[6:8]),
        int(amz_date[9:11]), int(amz_date[11:13]), int(amz_date[13:15]), 0, 0, 0,
    ))


def _check_signing_time(info: SignatureInfo, signed_at: int, now: float) -> None:
    amz_date = info.amz_date
    if signed_at > now + MAX_CLOCK_SKEW_SECONDS:
        raise InvalidSignatureException(
            f"Signature not yet current: {amz_date} is still later than "
            f"{_iso(now + MAX_CLOCK_SKEW_SECONDS)} ({_iso(now)} + 5 min.)"
        )
    if info.presigned and info.expires is not None:
        if signed_at < now - info.expires:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier than "
                f"{_iso(now - info.expires)} ({_iso(now)} - {info.expires} sec.)"
            )
    elif signed_at < now - MAX_CLOCK_SKEW_SECONDS:
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than "
            f"{_iso(now - MAX_CLOCK_SKEW_SECONDS)} ({_iso(now)} - 5 min.)"
        )


def _iso(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))
