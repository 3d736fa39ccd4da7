"""The EC2 actions, on managed instances: aws:changeInstanceState, aws:createImage, aws:deleteImage, aws:createTags.

Containers play EC2 instances, so the instance IDs these actions take are managed instance IDs (mi-...), and an
image is a Docker image named by an AMI-style ID (see emulator/managed_instances/machines.py). Inputs and outputs
are AWS's (Automation actions reference): deleteImage and createTags output nothing, createImage outputs ImageId
and ImageState; changeInstanceState, documented as outputting nothing, outputs InstanceStates (each instance's
state, in the order of InstanceIds) as AWS's own get-automation-execution examples show.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import api_models
from api_models.errors import ServiceError
from emulator.automation.actions.base import (
    ACTION_FAILURE,
    CANCELLED,
    TIMED_OUT,
    VERIFICATION,
    StepOutcome,
    StepRun,
    action,
    failed,
    unsupported,
)
from emulator.backends import BackendError, NotPossible
from emulator.context import Caller, RequestContext
from emulator.managed_instances.machines import DESIRED_STATES, MachineError, no_instance

POLL_SECONDS = 0.25
# "The default timeout value for this action is 3600 seconds": when the step sets none.
CHANGE_STATE_TIMEOUT = 3600.0
TAG_RESOURCE_TYPES = ("EC2", "ManagedInstance", "MaintenanceWindow", "Parameter")
ERRORS = (BackendError, MachineError, ServiceError)  # what the instances, images and SSM operations raise


@action("aws:changeInstanceState")
def change_instance_state(run: StepRun) -> StepOutcome:
    """Start, stop or terminate the instances (unless CheckStateOnly), then wait until every one is in
    DesiredState: running also waits for PingStatus Online, as EC2 waits for the status checks."""
    try:
        ids = _string_list(run.inputs, "InstanceIds")
        desired = _required_string(run.inputs, "DesiredState")
        check_only = _boolean(run.inputs, "CheckStateOnly")
        force = _boolean(run.inputs, "Force")
    except ValueError as e:
        return failed(str(e), ACTION_FAILURE)
    if desired not in DESIRED_STATES:
        return failed(f"DesiredState must be one of {' | '.join(DESIRED_STATES)}, not {desired!r}.", ACTION_FAILURE)
    ctx = _context(run)
    machines = run.services.instances.machines
    if not check_only:
        unknown = [i for i in ids if run.services.instances.get(ctx, i) is None]
        if unknown:  # before changing any: a typo must not leave half the fleet stopped
            return _failure(MachineError(no_instance(unknown[0]), not_found=True))

        def change(instance_id: str) -> StepOutcome | None:
            try:
                machines.change_state(ctx, instance_id, desired, force)
            except ERRORS as e:
                return _failure(e)
            return None

        # Every instance at once, as EC2's StopInstances takes them all.
        with ThreadPoolExecutor(max_workers=min(8, len(ids))) as pool:
            problems = [outcome for outcome in pool.map(change, ids) if outcome is not None]
        if problems:
            return problems[0]
    deadline = run.deadline if run.deadline is not None else time.time() + CHANGE_STATE_TIMEOUT
    while True:
        pending = [i for i in ids if not machines.reached(ctx, i, desired)]
        if not pending:  # AWS's step shows each instance's state (its get-automation-execution examples)
            return StepOutcome(outputs={"InstanceStates": [desired for _ in ids]})
        waiting = f"{', '.join(pending)} did not reach the state {desired}"
        if time.time() >= deadline:
            return StepOutcome(TIMED_OUT, failure_message=f"{waiting} in time.", failure_type=ACTION_FAILURE)
        if run.wait(min(POLL_SECONDS, max(0.0, deadline - time.time()))):
            return StepOutcome(CANCELLED, failure_message=f"Cancelled: {waiting}.")


@action("aws:createImage")
def create_image(run: StepRun) -> StepOutcome:
    try:
        instance_id = _required_string(run.inputs, "InstanceId")
        name = _required_string(run.inputs, "ImageName")
        description = str(run.inputs.get("ImageDescription") or "")
        no_reboot = _boolean(run.inputs, "NoReboot")
    except ValueError as e:
        return failed(str(e), ACTION_FAILURE)
    try:
        image = run.services.instances.machines.create_image(_context(run), instance_id, name, description, no_reboot)
    except ERRORS as e:
        return _failure(e)
    return StepOutcome(outputs={"ImageId": image.image_id, "ImageState": image.state})


@action("aws:deleteImage")
def delete_image(run: StepRun) -> StepOutcome:
    try:
        image_id = _required_string(run.inputs, "ImageId")
    except ValueError as e:
        return failed(str(e), ACTION_FAILURE)
    if not image_id.startswith("ami-"):
        return unsupported(
            "aws:deleteImage",
            f"the only images here are those aws:createImage made from managed instances (ami-...), not {image_id}",
        )
    try:
        run.services.instances.machines.delete_image(_context(run), image_id)
    except ERRORS as e:
        return _failure(e)
    return StepOutcome()


@action("aws:createTags")
def create_tags(run: StepRun) -> StepOutcome:
    """Tags on managed instances (mi-, with ResourceType EC2 as with ManagedInstance: the containers are the
    instances) go through AddTagsToResource and read back with ListTagsForResource; tags on ami- images are
    kept in the image's labels; MaintenanceWindow and Parameter IDs go through AddTagsToResource too."""
    try:
        ids = _string_list(run.inputs, "ResourceIds")
        tags = _tags(run.inputs.get("Tags"))
    except ValueError as e:
        return failed(str(e), ACTION_FAILURE)
    resource_type = run.inputs.get("ResourceType") or "EC2"
    if resource_type not in TAG_RESOURCE_TYPES:
        return failed(f"ResourceType must be one of {' | '.join(TAG_RESOURCE_TYPES)}, not {resource_type!r}.",
                      ACTION_FAILURE)
    if resource_type != "EC2" and len(ids) != 1:
        return failed(f"ResourceIds can hold only one ID when ResourceType is {resource_type}.", ACTION_FAILURE)
    ctx = _context(run)
    for resource_id in ids:
        if resource_type == "EC2" and not resource_id.startswith(("mi-", "ami-")):
            return failed(
                f"The ID '{resource_id}' is not a resource here: EC2 resources are managed instances (mi-...) and"
                " the images aws:createImage made (ami-...).", ACTION_FAILURE,
            )
        try:
            if resource_type == "EC2" and resource_id.startswith("ami-"):
                run.services.instances.machines.tag_image(ctx, resource_id, dict(tags))
            else:
                kind = "ManagedInstance" if resource_type == "EC2" else resource_type
                _add_tags_to_resource(run, ctx, kind, resource_id, tags)
        except ERRORS as e:
            return _failure(e)
    return StepOutcome()


# --- helpers ----------------------------------------------------------------------------------------------------
def _add_tags_to_resource(
    run: StepRun, ctx: RequestContext, resource_type: str, resource_id: str, tags: list[tuple[str, str]]
) -> None:
    """AddTagsToResource itself, with its validation and errors, as if the caller had called it."""
    body = {"ResourceType": resource_type, "ResourceId": resource_id, "Tags": [{"Key": k, "Value": v} for k, v in tags]}
    handler = run.services.operations.get("AddTagsToResource")
    handler(ctx, api_models.parse_request("AddTagsToResource", json.dumps(body)))


def _failure(e: Exception) -> StepOutcome:
    """The failed outcome of an error from the instances, the images or an SSM operation."""
    if isinstance(e, NotPossible):
        return failed(str(e), ACTION_FAILURE)
    if isinstance(e, MachineError):
        return failed(e.message, ACTION_FAILURE if e.not_found else VERIFICATION)
    if isinstance(e, ServiceError):
        return failed(f"{e.code}: {e.message}")
    return failed(str(e))


def _context(run: StepRun) -> RequestContext:
    """The execution's caller, as other capabilities see a request."""
    return RequestContext(Caller(run.account_id, run.region, None, run.caller_arn), request_id=run.execution_id)


def _required_string(inputs: dict[str, Any], name: str) -> str:
    value = inputs.get(name)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is required (a String).")
    return value


def _string_list(inputs: dict[str, Any], name: str) -> list[str]:
    value = inputs.get(name)
    values = [value] if isinstance(value, str) else value
    if not values or not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{name} is required (a StringList).")
    return list(dict.fromkeys(values))


def _boolean(inputs: dict[str, Any], name: str) -> bool:
    value = inputs.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", ""):
        return value.lower() == "true"
    raise ValueError(f"{name} must be a Boolean, not {value!r}.")


def _tags(value: Any) -> list[tuple[str, str]]:
    """Tags as a list of {Key, Value} maps (AWS's form), or one map of key to value."""
    if isinstance(value, dict) and "Key" not in value:
        pairs = list(value.items())
    elif isinstance(value, list) and all(isinstance(t, dict) and "Key" in t for t in value):
        pairs = [(t["Key"], t.get("Value", "")) for t in value]
    else:
        raise ValueError("Tags is required: a list of {Key, Value} maps.")
    if not pairs or not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs):
        raise ValueError("Tags is required: a list of {Key, Value} maps of Strings.")
    return pairs
