"""aws:executeAwsApi, aws:assertAwsResourceProperty and aws:waitForAwsResourceProperty, called directly with a
StepRun against the real Parameter Store capability in-process (the engine drives them in
test_automation_scripts.py)."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from automation_steps import services, step_run
from emulator.automation.actions import ACTIONS
from emulator.automation.actions.aws_api import operation_name
from emulator.automation.actions.base import (
    ACTION_FAILURE,
    CANCELLED,
    FAILED,
    SUCCESS,
    TIMED_OUT,
    AutomationServices,
)
from emulator.background import Background
from emulator.clock import Clock
from emulator.config import Config
from emulator.operations import OperationTable
from emulator.parameter_store import ParameterStore
from emulator.services import Services
from emulator.store import Database

execute_api = ACTIONS["aws:executeAwsApi"]
assert_property = ACTIONS["aws:assertAwsResourceProperty"]
wait_for_property = ACTIONS["aws:waitForAwsResourceProperty"]


@pytest.fixture
def automation() -> Iterator[AutomationServices]:
    """The services an action gets, with a real, empty Parameter Store behind `operations`."""
    background = Background()
    config = Config(ephemeral=True)
    operations = OperationTable()
    operations.add(ParameterStore(Services(config=config, db=Database(None), clock=Clock(), background=background)))
    yield services(config, operations)
    background.stop()


def api(automation: AutomationServices, action: str = "aws:executeAwsApi", timeout: float | None = None,
        account_id: str = "123456789012", cancelled: threading.Event | None = None, **inputs):
    return step_run(action, inputs, automation, timeout=timeout, account_id=account_id, cancelled=cancelled)


def put(automation: AutomationServices, name: str, value: str, **kw) -> None:
    outcome = execute_api(api(automation, Service="ssm", Api="PutParameter", Name=name, Value=value, Type="String",
                              Overwrite=True, **kw))
    assert outcome.status == SUCCESS, outcome.failure_message


def test_execute_aws_api_answers_the_operations_response(automation: AutomationServices) -> None:
    outcome = execute_api(api(automation, Service="ssm", Api="PutParameter", Name="/app/host", Value="db.internal",
                              Type="String"))
    assert (outcome.status, outcome.outputs) == (SUCCESS, {"Version": 1, "Tier": "Standard"})
    outcome = execute_api(api(automation, Service="ssm", Api="GetParameter", Name="/app/host"))
    assert outcome.status == SUCCESS
    parameter = outcome.outputs["Parameter"]
    assert (parameter["Value"], parameter["Version"]) == ("db.internal", 1)
    assert parameter["ARN"] == "arn:aws:ssm:us-east-1:123456789012:parameter/app/host"
    assert isinstance(parameter["LastModifiedDate"], float)  # wire JSON: epoch seconds


@pytest.mark.parametrize(("service", "api_name"), [
    ("ssm", "GetParameter"), ("SSM", "getParameter"), ("Ssm", "get_parameter"),
])
def test_service_and_api_are_matched_as_aws_and_boto3_spell_them(
        automation: AutomationServices, service: str, api_name: str) -> None:
    put(automation, "/spelling", "v")
    outcome = execute_api(api(automation, Service=service, Api=api_name, Name="/spelling"))
    assert outcome.outputs["Parameter"]["Value"] == "v"


def test_operation_names() -> None:
    assert operation_name("describeInstanceInformation") == "DescribeInstanceInformation"
    assert operation_name("start_automation_execution") == "StartAutomationExecution"
    assert operation_name("NoSuchThing") is None


def test_the_call_is_made_as_the_executions_account(automation: AutomationServices) -> None:
    put(automation, "/mine", "a", account_id="111111111111")
    outcome = execute_api(api(automation, Service="ssm", Api="GetParameter", Name="/mine", account_id="222222222222"))
    assert outcome.status == FAILED
    outcome = execute_api(api(automation, Service="ssm", Api="GetParameter", Name="/mine", account_id="111111111111"))
    assert outcome.outputs["Parameter"]["ARN"].startswith("arn:aws:ssm:us-east-1:111111111111:")


def test_an_api_error_fails_the_step_in_botocores_words(automation: AutomationServices) -> None:
    outcome = execute_api(api(automation, Service="ssm", Api="GetParameter", Name="/missing"))
    assert outcome.status == FAILED
    assert outcome.failure_message == (
        "An error occurred (ParameterNotFound) when calling the GetParameter operation: ")  # AWS says no more


def test_parameters_are_validated_as_the_api_validates_them(automation: AutomationServices) -> None:
    outcome = execute_api(api(automation, Service="ssm", Api="PutParameter", Name="/x", Value="v", Type="Bogus"))
    assert outcome.status == FAILED
    assert outcome.failure_message.startswith(
        "An error occurred (ValidationException) when calling the PutParameter operation: 1 validation error")
    outcome = execute_api(api(automation, Service="ssm", Api="GetParameter"))  # Name is required
    assert "(ValidationException)" in outcome.failure_message
    outcome = execute_api(api(automation, Service="ssm", Api="GetParameters", Names="/not-a-list"))
    assert "(SerializationException)" in outcome.failure_message


@pytest.mark.parametrize(("inputs", "words", "failure_type"), [
    ({"Service": "ec2", "Api": "DescribeInstances"}, "'ec2' is not emulated offline", ACTION_FAILURE),
    ({"Service": "ssm", "Api": "DescribeEverything"}, "DescribeEverything is not an API operation", ACTION_FAILURE),
    ({"Service": "ssm", "Api": "SendCommand"}, "SendCommand is not implemented yet", ACTION_FAILURE),
    ({"Api": "GetParameter"}, "needs the inputs Service and Api", ACTION_FAILURE),
])
def test_calls_that_cannot_be_made_fail_the_step_saying_why(
        automation: AutomationServices, inputs: dict, words: str, failure_type: str) -> None:
    outcome = execute_api(step_run("aws:executeAwsApi", inputs, automation))
    assert (outcome.status, outcome.failure_type) == (FAILED, failure_type)
    assert words in outcome.failure_message


def test_assert_passes_when_the_property_is_a_desired_value(automation: AutomationServices) -> None:
    put(automation, "/state", "running")
    outcome = assert_property(api(automation, "aws:assertAwsResourceProperty", Service="ssm", Api="GetParameter",
                                  Name="/state", PropertySelector="$.Parameter.Value",
                                  DesiredValues=["pending", "running"]))
    assert outcome.status == SUCCESS, outcome.failure_message


def test_assert_fails_when_it_is_not(automation: AutomationServices) -> None:
    put(automation, "/state", "stopped")
    outcome = assert_property(api(automation, "aws:assertAwsResourceProperty", Service="ssm", Api="GetParameter",
                                  Name="/state", PropertySelector="$.Parameter.Value", DesiredValues=["running"]))
    assert outcome.status == FAILED
    assert "$.Parameter.Value is [stopped]" in outcome.failure_message and "[running]" in outcome.failure_message


def test_assert_compares_as_text_with_capitalized_booleans_and_every_selected_value(
        automation: AutomationServices) -> None:
    put(automation, "/n/a", "1")
    put(automation, "/n/b", "1")
    step = lambda selector, desired: assert_property(api(  # noqa: E731
        automation, "aws:assertAwsResourceProperty", Service="ssm", Api="GetParametersByPath", Path="/n",
        PropertySelector=selector, DesiredValues=desired))
    assert step("$.Parameters[0].Version", ["1"]).status == SUCCESS       # an integer against text
    assert step("$.Parameters[*].Value", ["1"]).status == SUCCESS          # every value reached
    assert step("$..Type", ["String"]).status == SUCCESS
    assert step("$.Parameters[*].Name", ["/n/a"]).status == FAILED         # /n/b is not desired
    outcome = execute_api(api(automation, Service="ssm", Api="LabelParameterVersion", Name="/n/a", Labels=["x"]))
    assert outcome.status == SUCCESS
    labelled = assert_property(api(automation, "aws:assertAwsResourceProperty", Service="ssm",
                                   Api="GetParameterHistory", Name="/n/a", PropertySelector="$.Parameters[0].Labels",
                                   DesiredValues=["x"]))
    assert labelled.status == SUCCESS                                      # a list counts as its items


def test_assert_with_a_selector_that_reaches_nothing_fails(automation: AutomationServices) -> None:
    put(automation, "/x", "1")
    outcome = assert_property(api(automation, "aws:assertAwsResourceProperty", Service="ssm", Api="GetParameter",
                                  Name="/x", PropertySelector="$.Parameter.Nope", DesiredValues=["1"]))
    assert outcome.status == FAILED and "not in the response" in outcome.failure_message


@pytest.mark.parametrize(("extra", "words"), [
    ({"PropertySelector": "Parameter.Value", "DesiredValues": ["1"]}, "must start with '$'"),
    ({"DesiredValues": ["1"]}, "needs the inputs PropertySelector and DesiredValues"),
    ({"PropertySelector": "$.Parameter.Value", "DesiredValues": []}, "needs the inputs"),
])
def test_bad_property_inputs_fail_the_step(automation: AutomationServices, extra: dict, words: str) -> None:
    outcome = assert_property(api(automation, "aws:assertAwsResourceProperty", Service="ssm", Api="GetParameter",
                                  Name="/x", **extra))
    assert (outcome.status, outcome.failure_type) == (FAILED, ACTION_FAILURE)
    assert words in outcome.failure_message


def test_wait_returns_once_the_property_becomes_desired(automation: AutomationServices) -> None:
    put(automation, "/phase", "starting")
    threading.Timer(1.0, put, (automation, "/phase", "ready")).start()
    started = time.monotonic()
    outcome = wait_for_property(api(automation, "aws:waitForAwsResourceProperty", timeout=20, Service="ssm",
                                    Api="GetParameter", Name="/phase", PropertySelector="$.Parameter.Value",
                                    DesiredValues=["ready"]))
    assert outcome.status == SUCCESS, outcome.failure_message
    assert 0.9 < time.monotonic() - started < 5


def test_wait_times_out_at_the_steps_deadline(automation: AutomationServices) -> None:
    put(automation, "/phase", "starting")
    started = time.monotonic()
    outcome = wait_for_property(api(automation, "aws:waitForAwsResourceProperty", timeout=1.2, Service="ssm",
                                    Api="GetParameter", Name="/phase", PropertySelector="$.Parameter.Value",
                                    DesiredValues=["ready"]))
    assert outcome.status == TIMED_OUT
    assert "[starting]" in outcome.failure_message
    assert 1.0 < time.monotonic() - started < 4


def test_wait_ends_when_the_execution_is_stopped(automation: AutomationServices) -> None:
    put(automation, "/phase", "starting")
    cancelled = threading.Event()
    threading.Timer(0.6, cancelled.set).start()
    outcome = wait_for_property(api(automation, "aws:waitForAwsResourceProperty", cancelled=cancelled,
                                    Service="ssm", Api="GetParameter", Name="/phase",
                                    PropertySelector="$.Parameter.Value", DesiredValues=["ready"]))
    assert outcome.status == CANCELLED


def test_wait_fails_on_an_api_error(automation: AutomationServices) -> None:
    outcome = wait_for_property(api(automation, "aws:waitForAwsResourceProperty", timeout=10, Service="ssm",
                                    Api="GetParameter", Name="/never", PropertySelector="$.Parameter.Value",
                                    DesiredValues=["x"]))
    assert outcome.status == FAILED and "(ParameterNotFound)" in outcome.failure_message
