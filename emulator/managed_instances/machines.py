"""Managed instances as machines, for Automation: their state (aws:changeInstanceState) and their images
(aws:createImage, aws:deleteImage, aws:createTags on ami- IDs).

Containers play EC2 instances here, so the instance IDs runbooks name are managed instance IDs (mi-...).
EC2's states map onto the container's: running, stopped (exited, or paused), terminated (removed: the managed
instance is deregistered too, as AWS drops a terminated instance from its managed nodes). SSH hosts are only
logged in to: asked to change state, or to be imaged, they answer NotPossible (a BackendError) saying so.

An image is a Docker image whose repository is its AMI-style ID (`ami-` and 17 hex digits, so
`docker run ami-0123456789abcdef0` starts a container from it). Its labels hold the ID, name, description,
source instance, owner account and region: the mapping lives with the image itself, so it is durable, survives
a reset of the emulator's state (images are EC2's, not SSM's), and goes when the image is deleted by any means.
"""
from __future__ import annotations

import dataclasses
import json
import re
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from emulator.backends import BackendError
from emulator.context import RequestContext
from emulator.managed_instances.docker_engine import EngineUnavailable
from emulator.managed_instances.model import ONLINE

if TYPE_CHECKING:
    from emulator.managed_instances.registry import ManagedInstances

RUNNING, STOPPED, TERMINATED = "running", "stopped", "terminated"
UNREACHABLE = "unreachable"  # an SSH host that does not answer: neither running nor known to be stopped
DESIRED_STATES = (RUNNING, STOPPED, TERMINATED)
_FROM_BACKEND = {"running": RUNNING, "stopped": STOPPED, "removed": TERMINATED, "unreachable": UNREACHABLE}

_LABEL = "ssm-emulator.image."
ID_LABEL, NAME_LABEL, DESCRIPTION_LABEL = _LABEL + "id", _LABEL + "name", _LABEL + "description"
ACCOUNT_LABEL, REGION_LABEL, INSTANCE_LABEL = _LABEL + "account", _LABEL + "region", _LABEL + "instance"
CREATED_LABEL, TAGS_LABEL = _LABEL + "created", _LABEL + "tags"  # tags: one JSON object, so a new image starts
IMAGE_TAG = "latest"                                              # with none (labels are inherited)
MAX_IMAGE_TAGS = 50  # EC2's limit of tags per resource

# EC2 CreateImage's Name: 3-128 letters, digits, ( ) [ ] space . / - ' @ _
_IMAGE_NAME = re.compile(r"[A-Za-z0-9()\[\] ./\-'@_]{3,128}\Z")
IMAGE_ID = re.compile(r"ami-[0-9a-f]{8}(?:[0-9a-f]{9})?\Z")


class MachineError(Exception):
    """What was asked of an instance or image cannot be done; `message` says why."""

    def __init__(self, message: str, not_found: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.not_found = not_found


@dataclasses.dataclass(frozen=True)
class Image:
    image_id: str  # ami-...
    docker_id: str  # sha256:...
    name: str
    description: str
    account: str
    region: str
    source_instance: str
    created: str
    state: str = "available"  # committed images are complete at once
    tags: dict[str, str] = dataclasses.field(default_factory=dict)


class InstanceMachines:
    """State changes and images of managed instances (ManagedInstances.machines)."""

    def __init__(self, registry: ManagedInstances) -> None:
        self.registry = registry

    # --- state --------------------------------------------------------------------------------------------
    def state(self, ctx: RequestContext, instance_id: str) -> str:
        """running, stopped, terminated (also: an instance that is not, or no longer, managed) or unreachable."""
        if self.registry.get(ctx, instance_id) is None:
            return TERMINATED
        try:
            return _FROM_BACKEND[self.registry.backend(instance_id).state()]
        except BackendError:
            return UNREACHABLE

    def reached(self, ctx: RequestContext, instance_id: str, desired: str) -> bool:
        """Whether the instance is in `desired` state; running also needs its PingStatus Online (EC2 waits for
        its status checks, the agent here is the container answering)."""
        state = self.state(ctx, instance_id)
        if state != desired:
            return False
        if desired == RUNNING:
            instance = self.registry.get(ctx, instance_id)
            return instance is not None and (
                instance.ping_status == ONLINE or self.registry.check(instance_id) == ONLINE
            )
        return True

    def change_state(self, ctx: RequestContext, instance_id: str, desired: str, force: bool = False) -> None:
        """Start, stop (`force`: kill) or remove the instance's machine, then ping it at once so its PingStatus
        follows (the background check would within --ping-interval). Terminated also deregisters it."""
        if desired not in DESIRED_STATES:
            raise MachineError(f"DesiredState must be one of {', '.join(DESIRED_STATES)}, not {desired!r}")
        if self.registry.get(ctx, instance_id) is None:
            raise MachineError(no_instance(instance_id), not_found=True)
        backend = self.registry.backend(instance_id)
        if desired == RUNNING:
            backend.start()
        elif desired == STOPPED:
            backend.stop(force=force)
        else:
            backend.remove()
            self.registry.deregister(instance_id)
            return
        self.registry.check(instance_id)

    # --- images -------------------------------------------------------------------------------------------
    def create_image(
        self, ctx: RequestContext, instance_id: str, name: str, description: str = "", no_reboot: bool = False
    ) -> Image:
        """Save the instance as an image. Unless `no_reboot`, a running instance is stopped while it is saved
        and started again, as EC2 shuts an instance down for a consistent image; with `no_reboot` it is saved as
        it runs (EC2 likewise does not guarantee the file system's integrity then). Never paused: see
        DockerBackend.commit."""
        if not _IMAGE_NAME.match(name):
            raise MachineError(
                f"Invalid AMI name {name!r}: 3 to 128 characters, letters, digits, spaces and ( ) [ ] . / - ' @ _"
            )
        if self.registry.get(ctx, instance_id) is None:
            raise MachineError(no_instance(instance_id), not_found=True)
        taken = self._api().images(filters={"label": [
            f"{ACCOUNT_LABEL}={ctx.account_id}", f"{REGION_LABEL}={ctx.region}", f"{NAME_LABEL}={name}",
        ]})
        if taken:
            raise MachineError(f"AMI name {name} is already in use by AMI {taken[0]['Labels'].get(ID_LABEL)}")
        backend = self.registry.backend(instance_id)
        image_id = "ami-" + secrets.token_hex(9)[:17]
        created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        labels = {
            ID_LABEL: image_id, NAME_LABEL: name, DESCRIPTION_LABEL: description, ACCOUNT_LABEL: ctx.account_id,
            REGION_LABEL: ctx.region, INSTANCE_LABEL: instance_id, CREATED_LABEL: created, TAGS_LABEL: "{}",
        }
        reboot = not no_reboot and backend.state() == "running"
        if reboot:
            backend.stop()
        try:
            docker_id = backend.commit(image_id, IMAGE_TAG, labels=labels, message=description)
        finally:
            if reboot:
                backend.start()
                self.registry.check(instance_id)
        return Image(image_id, docker_id, name, description, ctx.account_id, ctx.region, instance_id, created)

    def image(self, ctx: RequestContext, image_id: str) -> Image | None:
        """The caller's image `image_id` (its account and region), if it exists."""
        import docker.errors

        if not IMAGE_ID.match(image_id):
            return None
        api = self._api()
        try:
            info = api.inspect_image(f"{image_id}:{IMAGE_TAG}")
        except docker.errors.NotFound:
            return None
        except (docker.errors.DockerException, OSError) as e:
            raise MachineError(f"image {image_id}: {e}") from e
        labels = (info.get("Config") or {}).get("Labels") or {}
        if (labels.get(ID_LABEL), labels.get(ACCOUNT_LABEL), labels.get(REGION_LABEL)) != (
            image_id, ctx.account_id, ctx.region,
        ):
            return None
        return Image(
            image_id, info["Id"], labels.get(NAME_LABEL, ""), labels.get(DESCRIPTION_LABEL, ""), ctx.account_id,
            ctx.region, labels.get(INSTANCE_LABEL, ""), labels.get(CREATED_LABEL, ""),
            tags=json.loads(labels.get(TAGS_LABEL) or "{}"),
        )

    def delete_image(self, ctx: RequestContext, image_id: str) -> None:
        """Deregister the image: its ami- reference goes at once, the Docker image with it unless a container
        still uses it (then when that container goes)."""
        from emulator.backends.docker import delete_image

        self._existing(ctx, image_id)
        try:
            delete_image(self._api(), f"{image_id}:{IMAGE_TAG}")
        except BackendError as e:
            raise MachineError(str(e)) from e

    def tag_image(self, ctx: RequestContext, image_id: str, tags: dict[str, str]) -> Image:
        """Add (or replace) tags of the image. Labels are fixed once an image is made, so the ami- reference
        moves to a copy with the new labels (its Docker image ID changes; the AMI ID does not)."""
        from emulator.backends.docker import label_image

        image = self._existing(ctx, image_id)
        merged = {**image.tags, **tags}
        if len(merged) > MAX_IMAGE_TAGS:
            raise MachineError(f"The image {image_id} can't have more than {MAX_IMAGE_TAGS} tags.")
        ref = f"{image_id}:{IMAGE_TAG}"
        try:
            docker_id = label_image(
                self._api(), ref, {TAGS_LABEL: json.dumps(merged, sort_keys=True)}, image_id, IMAGE_TAG
            )
        except BackendError as e:
            raise MachineError(str(e)) from e
        return dataclasses.replace(image, docker_id=docker_id, tags=merged)

    def _existing(self, ctx: RequestContext, image_id: str) -> Image:
        image = self.image(ctx, image_id)
        if image is None:
            raise MachineError(f"The image id '[{image_id}]' does not exist", not_found=True)
        return image

    def _api(self) -> Any:
        try:
            return self.registry.engine.client().api
        except EngineUnavailable as e:
            raise MachineError(str(e)) from e


def no_instance(instance_id: str) -> str:
    hint = ""
    if instance_id.startswith("i-"):
        hint = " (EC2 instances are not here: the managed instances, mi-..., are the instances runbooks act on)"
    return f"The instance ID '{instance_id}' is not a managed instance of this account{hint}"
