"""Runbooks with aws:executeScript, aws:executeAwsApi, aws:assertAwsResourceProperty and
aws:waitForAwsResourceProperty, run through StartAutomationExecution on a real server, over boto3.

These tests skip only while StartAutomationExecution answers NotImplementedException (the runbook engine is not
merged yet); any other answer runs them.
"""
from __future__ import annotations

import time
import uuid

import pytest
import yaml
from botocore.exceptions import ClientError

TERMINAL = {"Success", "Failed", "TimedOut", "Cancelled", "CompletedWithSuccess", "CompletedWithFailure",
            "Rejected", "Exited"}


def runbook(ssm, content: dict) -> str:
    name = f"scripts-{uuid.uuid4().hex[:10]}"
    ssm.create_document(Name=name, Content=yaml.safe_dump(content, sort_keys=False), DocumentType="Automation",
                        DocumentFormat="YAML")
    return name


def run(ssm, content: dict, parameters: dict[str, list[str]] | None = None, timeout: float = 90) -> dict:
    """Start the runbook and wait for its execution to end; the GetAutomationExecution answer."""
    name = runbook(ssm, content)
    try:
        given = {"Parameters": parameters} if parameters else {}  # an empty map breaks the model's min length 1
        execution_id = ssm.start_automation_execution(DocumentName=name, **given)["AutomationExecutionId"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotImplementedException":
            pytest.skip("StartAutomationExecution is not implemented yet (the runbook engine is not merged)")
        raise
    deadline = time.monotonic() + timeout
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        if execution["AutomationExecutionStatus"] in TERMINAL:
            return execution
        assert time.monotonic() < deadline, f"execution still {execution['AutomationExecutionStatus']}"
        time.sleep(0.2)


def step(execution: dict, name: str) -> dict:
    return next(s for s in execution["StepExecutions"] if s["StepName"] == name)


def test_a_script_step_outputs_its_handlers_return_value(ssm) -> None:
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "parameters": {"Name": {"type": "String"}},
        "mainSteps": [{
            "name": "greet",
            "action": "aws:executeScript",
            "inputs": {
                "Runtime": "python3.11",
                "Handler": "handler",
                "InputPayload": {"name": "{{ Name }}"},
                "Script": "def handler(events, context):\n"
                          "    return {'message': 'Hello ' + events['name'],\n"
                          "            'execution': context['automation:EXECUTION_ID']}\n",
            },
            "outputs": [
                {"Name": "message", "Selector": "$.Payload.message", "Type": "String"},
                {"Name": "execution", "Selector": "$.Payload.execution", "Type": "String"},
            ],
        }],
        "outputs": ["greet.message"],
    }, {"Name": ["runbook"]})
    assert execution["AutomationExecutionStatus"] == "Success", execution
    greet = step(execution, "greet")
    assert greet["StepStatus"] == "Success"
    assert greet["Outputs"]["message"] == ["Hello runbook"]
    assert greet["Outputs"]["execution"] == [execution["AutomationExecutionId"]]
    assert execution["Outputs"]["greet.message"] == ["Hello runbook"]


def test_a_script_that_raises_fails_its_step_with_the_exception(ssm) -> None:
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "mainSteps": [{
            "name": "explode",
            "action": "aws:executeScript",
            "inputs": {"Runtime": "python3.11", "Handler": "handler",
                       "Script": "def handler(events, context):\n    raise ValueError('boom')\n"},
        }],
    })
    assert execution["AutomationExecutionStatus"] == "Failed"
    explode = step(execution, "explode")
    assert explode["StepStatus"] == "Failed"
    assert "ValueError: boom" in explode["FailureMessage"]
    assert "Traceback (most recent call last)" in explode["FailureMessage"]


def test_a_script_past_the_steps_timeout_times_out(ssm) -> None:
    started = time.monotonic()
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "mainSteps": [{
            "name": "slow",
            "action": "aws:executeScript",
            "timeoutSeconds": 2,
            "inputs": {"Runtime": "python3.11", "Handler": "handler",
                       "Script": "import time\ndef handler(events, context):\n    time.sleep(120)\n"},
        }],
    })
    assert step(execution, "slow")["StepStatus"] == "TimedOut"
    assert execution["AutomationExecutionStatus"] in ("TimedOut", "Failed")
    assert time.monotonic() - started < 60


def test_aws_api_steps_put_get_assert_and_wait_on_a_parameter(ssm) -> None:
    name = f"/runbooks/{uuid.uuid4().hex[:8]}"
    get_inputs = {"Service": "ssm", "Api": "GetParameter", "Name": "{{ ParameterName }}"}
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "parameters": {"ParameterName": {"type": "String"}},
        "mainSteps": [
            {"name": "put", "action": "aws:executeAwsApi",
             "inputs": {"Service": "ssm", "Api": "PutParameter", "Name": "{{ ParameterName }}", "Value": "ready",
                        "Type": "String"},
             "outputs": [{"Name": "Version", "Selector": "$.Version", "Type": "Integer"}]},
            {"name": "get", "action": "aws:executeAwsApi", "inputs": get_inputs,
             "outputs": [{"Name": "Value", "Selector": "$.Parameter.Value", "Type": "String"}]},
            {"name": "check", "action": "aws:assertAwsResourceProperty",
             "inputs": {**get_inputs, "PropertySelector": "$.Parameter.Value", "DesiredValues": ["ready"]}},
            {"name": "waitReady", "action": "aws:waitForAwsResourceProperty", "timeoutSeconds": 30,
             "inputs": {**get_inputs, "PropertySelector": "$.Parameter.Value", "DesiredValues": ["ready"]}},
        ],
        "outputs": ["get.Value", "put.Version"],
    }, {"ParameterName": [name]})
    assert execution["AutomationExecutionStatus"] == "Success", execution
    assert [s["StepStatus"] for s in execution["StepExecutions"]] == ["Success"] * 4
    assert step(execution, "get")["Outputs"]["Value"] == ["ready"]
    assert execution["Outputs"]["get.Value"] == ["ready"]
    assert execution["Outputs"]["put.Version"] == ["1"]
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "ready"


def test_a_script_using_boto3_and_an_api_step_see_the_same_parameters(ssm) -> None:
    name = f"/runbooks/{uuid.uuid4().hex[:8]}"
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "parameters": {"ParameterName": {"type": "String"}},
        "mainSteps": [
            {"name": "write", "action": "aws:executeScript",
             "inputs": {"Runtime": "python3.11", "Handler": "handler", "InputPayload": {"name": "{{ ParameterName }}"},
                        "Script": "import boto3\n"
                                  "def handler(events, context):\n"
                                  "    boto3.client('ssm').put_parameter(Name=events['name'], Value='from-boto3',\n"
                                  "                                      Type='String')\n"
                                  "    return 'written'\n"}},
            {"name": "read", "action": "aws:executeAwsApi",
             "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": "{{ ParameterName }}"},
             "outputs": [{"Name": "Value", "Selector": "$.Parameter.Value", "Type": "String"}]},
        ],
    }, {"ParameterName": [name]})
    assert execution["AutomationExecutionStatus"] == "Success", execution
    assert step(execution, "read")["Outputs"]["Value"] == ["from-boto3"]
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "from-boto3"


def test_an_assertion_that_does_not_hold_fails_the_execution(ssm) -> None:
    name = f"/runbooks/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="stopped", Type="String")
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "mainSteps": [{"name": "check", "action": "aws:assertAwsResourceProperty",
                       "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": name,
                                  "PropertySelector": "$.Parameter.Value", "DesiredValues": ["running"]}}],
    })
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert step(execution, "check")["StepStatus"] == "Failed"
    assert "[stopped]" in step(execution, "check")["FailureMessage"]


def test_waiting_for_a_value_that_never_comes_times_out(ssm) -> None:
    name = f"/runbooks/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="pending", Type="String")
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "mainSteps": [{"name": "waitReady", "action": "aws:waitForAwsResourceProperty", "timeoutSeconds": 2,
                       "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": name,
                                  "PropertySelector": "$.Parameter.Value", "DesiredValues": ["ready"]}}],
    })
    assert step(execution, "waitReady")["StepStatus"] == "TimedOut"


def test_an_api_error_and_an_other_service_fail_their_steps(ssm) -> None:
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "mainSteps": [{"name": "missing", "action": "aws:executeAwsApi",
                       "inputs": {"Service": "ssm", "Api": "GetParameter", "Name": "/does/not/exist"}}],
    })
    assert "An error occurred (ParameterNotFound) when calling the GetParameter operation" in step(
        execution, "missing")["FailureMessage"]
    execution = run(ssm, {
        "schemaVersion": "0.3",
        "mainSteps": [{"name": "ec2", "action": "aws:executeAwsApi",
                       "inputs": {"Service": "ec2", "Api": "DescribeInstances"}}],
    })
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "aws:executeAwsApi is not supported by ssm-emulator" in step(execution, "ec2")["FailureMessage"]
