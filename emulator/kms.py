"""A local stand-in for KMS: AES-256-GCM keys per (account, region, key), kept in the store.

SecureString parameters are encrypted with these keys, so the database never holds their
plaintext. A key is created the first time a KeyId is used (there is no KMS API to create
one here); `alias/aws/ssm` is the AWS-managed default. A key may be named by its key id, its
key ARN, an alias name or an alias ARN; ARNs and short forms name the same key.

Ciphertexts are self-describing, like KMS's: a version byte, the 16-byte key id, a 12-byte
nonce, then the AES-GCM output. The encryption context (bound as associated data) is the
parameter ARN, as Parameter Store binds `PARAMETER_ARN` with real KMS.
"""
from __future__ import annotations

import base64
import os
import re
import threading
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api_models.errors import InvalidKeyId
from emulator.store import Database
from emulator.store.database import Migration

DEFAULT_KEY_ALIAS = "alias/aws/ssm"
_FORMAT = 1

_KEY_ID = re.compile(r"(?:mrk-)?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32}")
_ALIAS = re.compile(r"alias/[a-zA-Z0-9/_-]+")
_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]*:\d{12}:(key/.+|alias/.+)")

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE kms_key (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,          -- the short form it is known by: a key id or alias/...
            key_uuid BLOB NOT NULL,      -- 16 bytes, written into every ciphertext
            material BLOB NOT NULL,      -- 32 bytes of AES-256 key
            PRIMARY KEY (account, region, name)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX kms_key_uuid ON kms_key (account, region, key_uuid);
        """,
    )
]


class KmsError(Exception):
    """A ciphertext this store cannot decrypt (unknown key or tampered data)."""


@dataclass(frozen=True, slots=True)
class Key:
    key_uuid: bytes
    cipher: AESGCM


def canonical_key_name(key_id: str) -> str:
    """The short form a KeyId names: `alias/x` for aliases, the key id for keys.

    Raises InvalidKeyId when `key_id` is none of a key id, key ARN, alias or alias ARN.
    """
    match = _ARN.fullmatch(key_id)
    if match:
        key_id = match.group(1)
        if key_id.startswith("key/"):
            key_id = key_id[4:]
    if _ALIAS.fullmatch(key_id):
        return key_id
    if _KEY_ID.fullmatch(key_id):
        return key_id.lower()
    raise InvalidKeyId(f"Invalid keyId {key_id}")


class KeyStore:
    """Local keys, created on first use and cached in memory (a key never changes)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate("kms", MIGRATIONS)
        self._by_name: dict[tuple[str, str, str], Key] = {}
        self._by_uuid: dict[tuple[str, str, bytes], Key] = {}
        self._lock = threading.Lock()

    def clear_cache(self) -> None:
        """Forget cached keys (after the store was reset)."""
        with self._lock:
            self._by_name.clear()
            self._by_uuid.clear()

    def key(self, account: str, region: str, key_id: str) -> Key:
        """The key `key_id` names in this account and region, created if it does not exist yet."""
        name = canonical_key_name(key_id)
        cached = self._by_name.get((account, region, name))
        if cached is not None:
            return cached
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT key_uuid, material FROM kms_key WHERE account = ? AND region = ? AND name = ?",
                (account, region, name),
            ).fetchone()
            if row is None:
                key_uuid, material = uuid.uuid4().bytes, AESGCM.generate_key(bit_length=256)
                conn.execute(
                    "INSERT INTO kms_key (account, region, name, key_uuid, material) VALUES (?, ?, ?, ?, ?)",
                    (account, region, name, key_uuid, material),
                )
            else:
                key_uuid, material = bytes(row[0]), bytes(row[1])
        return self._remember(account, region, name, key_uuid, material)

    def encrypt(self, account: str, region: str, key_id: str, plaintext: str, context: str) -> str:
        """Base64 ciphertext of `plaintext` under `key_id`, bound to `context`."""
        key = self.key(account, region, key_id)
        nonce = os.urandom(12)
        sealed = key.cipher.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(bytes((_FORMAT,)) + key.key_uuid + nonce + sealed).decode("ascii")

    def decrypt(self, account: str, region: str, ciphertext: str, context: str) -> str:
        """The plaintext of a ciphertext made by `encrypt` with the same `context`."""
        try:
            blob = base64.b64decode(ciphertext, validate=True)
        except ValueError:
            raise KmsError("not a ciphertext") from None
        if len(blob) < 1 + 16 + 12 + 16 or blob[0] != _FORMAT:
            raise KmsError("not a ciphertext")
        key = self._by_uuid.get((account, region, blob[1:17])) or self._load(account, region, blob[1:17])
        try:
            return key.cipher.decrypt(blob[17:29], blob[29:], context.encode()).decode()
        except InvalidTag:
            raise KmsError("ciphertext does not match its key or context") from None

    def _load(self, account: str, region: str, key_uuid: bytes) -> Key:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT name, material FROM kms_key WHERE account = ? AND region = ? AND key_uuid = ?",
                (account, region, key_uuid),
            ).fetchone()
        if row is None:
            raise KmsError("unknown key")
        return self._remember(account, region, row[0], key_uuid, bytes(row[1]))

    def _remember(self, account: str, region: str, name: str, key_uuid: bytes, material: bytes) -> Key:
        key = Key(key_uuid, AESGCM(material))
        with self._lock:
            self._by_name[(account, region, name)] = key
            self._by_uuid[(account, region, key_uuid)] = key
        return key
