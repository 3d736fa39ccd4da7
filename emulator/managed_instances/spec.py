"""How a machine is named when it is registered: the admin API's JSON body, a `[[instances]]` table of
the config file and the CLI's options all become one InstanceSpec (same keys everywhere).

    {"backend": "docker", "container": "web-1", "tags": {"env": "dev"}}
    {"backend": "docker", "image": "debian:bookworm", "name": "web-2"}
    {"backend": "ssh", "host": "10.0.0.5", "port": 22, "username": "admin", "private_key": "-----BEGIN..."}

plus, for any of them, "account_id", "region", and "activation_id" with "activation_code".
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_COMMON = {"backend", "tags", "account_id", "region", "activation_id", "activation_code"}
_DOCKER = {"container", "image", "name", "network_mode"}
_SSH = {
    "host", "port", "username", "password", "private_key", "key_file", "passphrase",
    "host_key_policy", "known_hosts",
}
SECRET_KEYS = ("password", "private_key", "passphrase")
HOST_KEY_POLICIES = ("accept", "strict")
MAX_TAGS = 50

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}\Z")
_ACCOUNT = re.compile(r"\d{12}\Z")
_CONTAINER_NAME = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")
_ACTIVATION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


class RegistrationError(Exception):
    """A machine cannot be registered as asked; the admin API answers `status` with {"error": code, ...}."""

    def __init__(self, message: str, code: str = "InvalidRequest", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class SpecError(RegistrationError):
    """The description of a machine is incomplete or contradicts itself."""


@dataclass(frozen=True)
class InstanceSpec:
    backend: str  # "docker" | "ssh"
    tags: Mapping[str, str] = field(default_factory=dict)
    account_id: str | None = None
    region: str | None = None
    activation_id: str | None = None
    activation_code: str | None = None
    # docker: an existing container, or an image to start one from
    container: str | None = None
    image: str | None = None
    name: str | None = None
    network_mode: str = "host"
    # ssh
    host: str | None = None
    port: int = 22
    username: str = "root"
    password: str | None = None
    private_key: str | None = None
    key_file: str | None = None
    passphrase: str | None = None
    host_key_policy: str = "accept"
    known_hosts: str | None = None


def parse(raw: Any) -> InstanceSpec:
    """An InstanceSpec from a JSON object / TOML table; SpecError says what is wrong."""
    if not isinstance(raw, Mapping):
        raise SpecError("an instance must be a JSON object (a TOML table)")
    backend = raw.get("backend")
    if backend not in ("docker", "ssh"):
        raise SpecError('"backend" must be "docker" or "ssh"')
    allowed = _COMMON | (_DOCKER if backend == "docker" else _SSH)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpecError(f"unknown key(s) for a {backend} instance: {', '.join(unknown)}")
    values: dict[str, Any] = {"backend": backend, "tags": parse_tags(raw.get("tags"))}
    for key in sorted(allowed - {"backend", "tags", "port"}):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str) or not raw[key]:
                raise SpecError(f'"{key}" must be a non-empty string')
            values[key] = raw[key]
    if values.get("account_id") is not None and not _ACCOUNT.match(values["account_id"]):
        raise SpecError('"account_id" must be 12 digits')
    if values.get("region") is not None and not _REGION.match(values["region"]):
        raise SpecError(f'"region" is not a region name: {values["region"]!r}')
    if ("activation_id" in values) != ("activation_code" in values):
        raise SpecError('"activation_id" and "activation_code" go together')
    if "activation_id" in values and not _ACTIVATION_ID.match(values["activation_id"]):
        raise SpecError('"activation_id" must be an activation ID (a lowercase UUID)')
    if "activation_id" in values and "account_id" in values:
        raise SpecError('an activated instance belongs to the activation\'s account: omit "account_id"')
    if backend == "docker":
        _check_docker(values)
    else:
        _check_ssh(raw, values)
    return InstanceSpec(**values)


def parse_tags(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SpecError('"tags" must be an object of key to value')
    if len(raw) > MAX_TAGS:
        raise SpecError(f"an instance can have at most {MAX_TAGS} tags")
    tags: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise SpecError(f"tag key {key!r} must be 1 to 128 characters")
        if not isinstance(value, str) or len(value) > 256:
            raise SpecError(f"tag {key!r}: the value must be a string of at most 256 characters")
        if key.lower().startswith("aws:"):
            raise SpecError(f"tag key {key!r}: the aws: prefix is reserved")
        tags[key] = value
    return tags


def _check_docker(values: dict[str, Any]) -> None:
    if ("container" in values) == ("image" in values):
        raise SpecError('a docker instance needs exactly one of "container" or "image"')
    if "container" in values and ("name" in values or "network_mode" in values):
        raise SpecError('"name" and "network_mode" are for a container started from "image"')
    if "name" in values and not _CONTAINER_NAME.match(values["name"]):
        raise SpecError(f'"name" is not a valid container name: {values["name"]!r}')


def _check_ssh(raw: Mapping[str, Any], values: dict[str, Any]) -> None:
    if "host" not in values:
        raise SpecError('an ssh instance needs "host"')
    port = raw.get("port", 22)
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise SpecError('"port" must be a number from 1 to 65535')
    values["port"] = port
    if sum(k in values for k in ("password", "private_key", "key_file")) != 1:
        raise SpecError('an ssh instance needs exactly one of "password", "private_key" or "key_file"')
    if values.get("host_key_policy", "accept") not in HOST_KEY_POLICIES:
        raise SpecError(f'"host_key_policy" must be one of {", ".join(HOST_KEY_POLICIES)}')
