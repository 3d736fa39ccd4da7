"""The Docker engine as the registry needs it: find a container, start one from an image, find the
containers labelled for discovery, remove the ones it started. One client is shared by every
DockerBackend; it is made on first use (the engine may come up after the emulator) and its reachability
is what health reports for the `docker` component.
"""
from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("ssm_emulator.managed_instances")

MANAGED_LABEL = "ssm-emulator.managed"  # =true: discovery makes the container a managed instance
TAG_LABEL_PREFIX = "ssm-emulator.tag."  # ssm-emulator.tag.<Key>=<Value>: its tags
CREATED_LABEL = "ssm-emulator.created"  # on containers the emulator started from an image

# PID 1 when the image's own command would exit at once (a bare shell): idles, and exits on SIGTERM at
# once (a bare `sleep` as PID 1 ignores it, so `docker stop` would wait out its grace period).
IDLE_COMMAND = ["/bin/sh", "-c", 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done']
_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/dash", "/bin/zsh"}


class EngineUnavailable(Exception):
    """The Docker engine does not answer."""


class ContainerError(Exception):
    """The engine answered, but the container cannot be used as asked (missing, name taken...)."""


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    labels: dict[str, str]


class DockerEngine:
    def __init__(self) -> None:
        self._client: Any = None
        self._lock = threading.Lock()
        self.status = "unknown"

    def client(self) -> Any:
        """The shared docker SDK client; EngineUnavailable if the engine does not answer."""
        import docker
        import docker.errors

        with self._lock:
            if self._client is None:
                try:
                    self._client = docker.from_env()
                except docker.errors.DockerException as e:
                    self.status = "unreachable"
                    raise EngineUnavailable(f"the Docker engine does not answer: {e}") from e
            return self._client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import docker.errors
        import requests.exceptions

        client = self.client()
        try:
            result = fn(client, *args, **kwargs)
        except docker.errors.NotFound as e:
            self.status = "running"
            raise ContainerError(f"{what}: {e.explanation or e}") from e
        except docker.errors.APIError as e:
            self.status = "running"
            raise ContainerError(f"{what}: {e.explanation or e}") from e
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as e:
            self.status = "unreachable"
            raise EngineUnavailable(f"the Docker engine does not answer: {e}") from e
        self.status = "running"
        return result

    def ping(self) -> bool:
        try:
            self._call("ping", lambda c: c.ping())
            return True
        except (EngineUnavailable, ContainerError):
            return False

    def inspect(self, container: str) -> ContainerInfo:
        info = self._call(f"container {container}", lambda c: c.api.inspect_container(container))
        return _info(info["Id"], info.get("Name", ""), (info.get("Config") or {}).get("Labels"))

    def exists(self, name: str) -> bool:
        try:
            self.inspect(name)
            return True
        except ContainerError:
            return False

    def run(self, image: str, name: str | None, network_mode: str) -> ContainerInfo:
        """Start a container from a local image (never pulled: the emulator is offline), kept running."""
        config = self._call(f"image {image}", lambda c: c.api.inspect_image(image))["Config"] or {}
        command = IDLE_COMMAND if _exits_at_once(config.get("Entrypoint"), config.get("Cmd")) else None
        name = name or f"ssm-emulator-{uuid.uuid4().hex[:12]}"
        container = self._call(
            f"start {image} as {name}",
            lambda c: c.containers.run(
                image,
                command=command,
                name=name,
                detach=True,
                network_mode=network_mode,
                labels={CREATED_LABEL: "true"},
            ),
        )
        return _info(container.id, container.name, container.labels)

    def remove(self, container: str) -> None:
        try:
            self._call(f"remove {container}", lambda c: c.api.remove_container(container, force=True))
        except ContainerError as e:
            log.info("container %s already gone: %s", container, e)

    def labelled(self) -> list[ContainerInfo]:
        """Running containers labelled ssm-emulator.managed=true."""
        found = self._call(
            "list containers",
            lambda c: c.api.containers(filters={"label": f"{MANAGED_LABEL}=true", "status": "running"}),
        )
        return [_info(c["Id"], (c.get("Names") or [""])[0], c.get("Labels")) for c in found]

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _info(container_id: str, name: str, labels: dict[str, str] | None) -> ContainerInfo:
    return ContainerInfo(container_id, name.lstrip("/") or container_id, dict(labels or {}))


def _exits_at_once(entrypoint: list[str] | None, cmd: list[str] | None) -> bool:
    """A detached container without a terminal whose command is nothing or a bare shell ends at once."""
    if entrypoint:
        return False
    return not cmd or (len(cmd) == 1 and cmd[0] in _SHELLS)


def label_tags(labels: dict[str, str]) -> dict[str, str]:
    """Tags from labels ssm-emulator.tag.<Key>=<Value>."""
    cut = len(TAG_LABEL_PREFIX)
    return {k[cut:]: v for k, v in labels.items() if k.startswith(TAG_LABEL_PREFIX) and len(k) > cut}
