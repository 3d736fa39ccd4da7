"""aws:executeAwsApi, aws:assertAwsResourceProperty, aws:waitForAwsResourceProperty: a step calls an AWS API.

Service `ssm` (any case) is this emulator: the operation runs in-process, as the execution's account, region and
caller, through the same path an HTTP request takes (api_models.parse_request, the capability's handler from the
OperationTable, api_models.dump_response), so its input is checked and its errors are the API's own. Api is the
operation's name as AWS spells it (`GetParameter`), or as boto3 does (`get_parameter`); the other inputs are its
parameters. An error of the operation fails the step with botocore's words,
`An error occurred (ParameterNotFound) when calling the GetParameter operation: ...`. Other services are not
emulated: the step fails saying so.

aws:executeAwsApi's output is the operation's response as JSON (timestamps as epoch seconds, as on the wire); the
engine applies the step's output selectors to it. The assert and wait actions read PropertySelector from the
response (emulator.automation.selectors) and compare with DesiredValues as text: a boolean reads `True`/`False`,
which is why AWS says DesiredValues must capitalize booleans. When the selector reaches several values (a list, or
`*` and `..`), every one of them must be desired. aws:waitForAwsResourceProperty calls the API again every
POLL_SECONDS until the values are desired, until the step's timeout (TimedOut), or until the execution is stopped.
"""
from __future__ import annotations

import json
import logging
import uuid
from functools import lru_cache
from typing import Any

import api_models
from api_models._runtime import ServiceError
from emulator.automation import selectors
from emulator.automation.actions.base import (
    ACTION_FAILURE,
    CANCELLED,
    SUCCESS,
    TIMED_OUT,
    StepOutcome,
    StepRun,
    action,
    failed,
    unsupported,
)
from emulator.context import Caller, RequestContext

log = logging.getLogger("ssm_emulator.automation")

EXECUTE = "aws:executeAwsApi"
ASSERT = "aws:assertAwsResourceProperty"
WAIT = "aws:waitForAwsResourceProperty"
POLL_SECONDS = 0.5
_PROPERTY_INPUTS = ("PropertySelector", "DesiredValues")


class _StepFailed(Exception):
    def __init__(self, outcome: StepOutcome) -> None:
        super().__init__(outcome.failure_message)
        self.outcome = outcome


@action(EXECUTE)
def execute_aws_api(step: StepRun) -> StepOutcome:
    try:
        return StepOutcome(SUCCESS, call_api(step, EXECUTE, step.inputs))
    except _StepFailed as exc:
        return exc.outcome


@action(ASSERT)
def assert_aws_resource_property(step: StepRun) -> StepOutcome:
    try:
        selector, desired = _property_inputs(step, ASSERT)
        values = _values(call_api(step, ASSERT, _api_inputs(step)), selector)
    except _StepFailed as exc:
        return exc.outcome
    if values is not None and _all_desired(values, desired):
        return StepOutcome(SUCCESS)
    return failed("Assertion failed: " + _mismatch(selector, values, desired))


@action(WAIT)
def wait_for_aws_resource_property(step: StepRun) -> StepOutcome:
    try:
        selector, desired = _property_inputs(step, WAIT)
        while True:
            values = _values(call_api(step, WAIT, _api_inputs(step)), selector)
            if values is not None and _all_desired(values, desired):
                return StepOutcome(SUCCESS)
            remaining = step.remaining()
            stopped = remaining == 0.0 or step.wait(POLL_SECONDS if remaining is None else min(POLL_SECONDS, remaining))
            if stopped:
                if step.remaining() == 0.0:
                    return StepOutcome(TIMED_OUT, failure_message="Timed out waiting: "
                                       + _mismatch(selector, values, desired))
                return StepOutcome(CANCELLED, failure_message="Stopped while waiting: "
                                   + _mismatch(selector, values, desired))
    except _StepFailed as exc:
        return exc.outcome


def call_api(step: StepRun, action_name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The response (wire JSON as a dict) of the API call `inputs` describe (Service, Api and its parameters).

    Raises _StepFailed with the step's outcome when the call cannot be made or answers an error.
    """
    service, api = inputs.get("Service"), inputs.get("Api")
    if not isinstance(service, str) or not service or not isinstance(api, str) or not api:
        raise _StepFailed(failed(f"{action_name} needs the inputs Service and Api.", ACTION_FAILURE))
    if service.lower() != "ssm":
        raise _StepFailed(unsupported(
            action_name, f"the service {service!r} is not emulated offline; only 'ssm' API operations run here"))
    name = operation_name(api)
    if name is None:
        raise _StepFailed(failed(f"{action_name}: {api} is not an API operation of the service ssm.", ACTION_FAILURE))
    handler = step.services.operations.get(name)
    if handler is None:
        raise _StepFailed(failed(
            f"{action_name}: the operation {name} is not implemented yet by ssm-emulator.", ACTION_FAILURE))
    parameters = {key: value for key, value in inputs.items() if key not in ("Service", "Api")}
    config = step.services.config
    ctx = RequestContext(
        Caller(step.account_id, step.region, None, step.caller_arn), str(uuid.uuid4()),
        getattr(config, "local_address", None), getattr(config, "scheme", None),
    )
    try:
        request = api_models.parse_request(name, json.dumps(parameters, default=str))
        return json.loads(api_models.dump_response(handler(ctx, request)))
    except ServiceError as exc:
        raise _StepFailed(failed(
            f"An error occurred ({exc.code}) when calling the {name} operation: {exc.message}")) from None
    except Exception:  # a bug of ours: answered as the API would answer it (InternalServerError), logged
        log.exception("internal error in %s %s for %s/%s", action_name, name, step.execution_id, step.step_name)
        raise _StepFailed(failed(
            f"An error occurred (InternalServerError) when calling the {name} operation: "
            "Internal Server Error")) from None


def operation_name(api: str) -> str | None:
    """The SSM operation `api` names: `GetParameter`, `getParameter` or `get_parameter` -> "GetParameter"."""
    return _operations_by_key().get(api.replace("_", "").lower())


@lru_cache(maxsize=1)
def _operations_by_key() -> dict[str, str]:
    return {name.lower(): name for name in api_models.OPERATIONS}


def _api_inputs(step: StepRun) -> dict[str, Any]:
    return {key: value for key, value in step.inputs.items() if key not in _PROPERTY_INPUTS}


def _property_inputs(step: StepRun, action_name: str) -> tuple[str, list[Any]]:
    selector, desired = step.inputs.get("PropertySelector"), step.inputs.get("DesiredValues")
    if not isinstance(selector, str) or desired is None or desired == []:
        raise _StepFailed(failed(f"{action_name} needs the inputs PropertySelector and DesiredValues.", ACTION_FAILURE))
    try:
        selectors.compile_selector(selector)
    except selectors.SelectorError as exc:
        raise _StepFailed(failed(f"{action_name}: PropertySelector: {exc}.", ACTION_FAILURE)) from None
    return selector, desired if isinstance(desired, list) else [desired]


def _values(response: dict[str, Any], selector: str) -> list[Any] | None:
    """The values PropertySelector reaches (a list reached by a definite selector counts as its items);
    None when it reaches nothing."""
    found = selectors.select_all(response, selector)
    if selectors.is_definite(selector) and len(found) == 1 and isinstance(found[0], list):
        found = found[0]
    return found or None


def _all_desired(values: list[Any], desired: list[Any]) -> bool:
    wanted = {as_text(value) for value in desired}
    return all(as_text(value) in wanted for value in values)


def as_text(value: Any) -> str:
    """A value as DesiredValues are compared: Python's str() of scalars (True, 5, 1.5), JSON of structures."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _mismatch(selector: str, values: list[Any] | None, desired: list[Any]) -> str:
    wanted = ", ".join(as_text(value) for value in desired)
    if values is None:
        return f"the property {selector} is not in the response; the desired values are [{wanted}]."
    actual = ", ".join(as_text(value) for value in values)
    return f"the property {selector} is [{actual}], not among the desired values [{wanted}]."
