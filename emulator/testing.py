"""A test suite's handle on an emulator: its URL, reset, boto3 clients, and managed instances made from images.

The pytest plugin (emulator.pytest_plugin) hands one out as its `ssm_emulator` fixture; it works the same for
an emulator served in-process and for one running elsewhere (a container, `ssm-emulator` on another port),
because it speaks only HTTP: the SSM API and the admin API under /_emulator/. boto3 is imported only by
`client`, so the package does not need it at run time.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.in_process import EmulatorServer

ONLINE = "Online"
# Dummy credentials: the emulator checks signatures only with --verify-signatures and keys of its config file.
ACCESS_KEY = "testing"
SECRET_KEY = "testing"


class EmulatorError(Exception):
    """The emulator's admin API refused a request (status and its {"error", "message"} answer)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{error} ({status}): {message}")
        self.status = status
        self.error = error
        self.message = message


@dataclass(frozen=True)
class SsmInstance:
    """A managed instance backed by a container the emulator started from `image`."""

    instance_id: str  # mi-...
    container: str  # the container's name
    image: str
    tags: dict[str, str] = field(default_factory=dict)


class SsmEmulator:
    """An emulator at `url`; `server` is set when this process serves it (emulator.in_process)."""

    def __init__(self, url: str, region: str = "us-east-1", server: EmulatorServer | None = None) -> None:
        self.url = url.rstrip("/")
        self.region = region
        self.server = server

    def __repr__(self) -> str:
        return f"SsmEmulator({self.url!r}, region={self.region!r})"

    # --- state ----------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Clear all state (parameters, documents, commands...); containers it started are removed."""
        self.admin("POST", "/_emulator/reset")

    def health(self) -> dict[str, Any]:
        return self.admin("GET", "/_emulator/health")

    # --- clients --------------------------------------------------------------------------------------------
    def client(self, service: str = "ssm", region: str | None = None, **options: Any) -> Any:
        """A boto3 client of this emulator (dummy credentials); `options` go to boto3.client."""
        import boto3

        settings: dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": region or self.region,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            **options,
        }
        return boto3.client(service, **settings)

    # --- managed instances ----------------------------------------------------------------------------------
    def add_instance(
        self, image: str, tags: Mapping[str, str] | None = None, name: str | None = None,
        wait: float | None = 60.0, **spec: Any,
    ) -> SsmInstance:
        """A managed instance in a new container from `image` (a local image: the emulator never pulls),
        Online when returned unless `wait` is None. `spec`: more keys of POST /_emulator/instances
        (network_mode, account_id, region). EmulatorError when the emulator cannot start it."""
        name = name or f"ssm-pytest-{uuid.uuid4().hex[:12]}"
        body = {"backend": "docker", "image": image, "name": name, "tags": dict(tags or {}), **spec}
        instance_id = self.admin("POST", "/_emulator/instances", body)["InstanceId"]
        instance = SsmInstance(instance_id, name, image, dict(tags or {}))
        if wait is not None:
            try:
                self.wait_online(instance_id, wait)
            except BaseException:
                self.remove_instance(instance_id)
                raise
        return instance

    def wait_online(self, instance_id: str, timeout: float = 60.0) -> None:
        """Wait until the instance's PingStatus is Online; TimeoutError with its last error if not in time."""
        deadline = time.monotonic() + timeout
        while True:
            described = self.admin("GET", f"/_emulator/instances/{instance_id}")
            if described.get("ping_status") == ONLINE:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{instance_id} not Online after {timeout:g} s: {described.get('last_error') or 'no answer'}"
                )
            time.sleep(0.1)

    def remove_instance(self, instance_id: str) -> None:
        """Forget the instance and remove its container; nothing if it is gone already (a reset)."""
        try:
            self.admin("DELETE", f"/_emulator/instances/{instance_id}")
        except EmulatorError as e:
            if e.status != 404:
                raise

    def instances(self) -> list[dict[str, Any]]:
        return list(self.admin("GET", "/_emulator/instances")["instances"])

    # --- the admin API --------------------------------------------------------------------------------------
    def admin(self, method: str, path: str, body: object = None, timeout: float = 120.0) -> Any:
        """A call of the admin API: its JSON answer, or EmulatorError."""
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                found = json.loads(raw)
            except ValueError:
                found = {}
            if not isinstance(found, dict):
                found = {}
            raise EmulatorError(
                e.code, str(found.get("error", "HTTPError")), str(found.get("message", raw[:500]))
            ) from None
