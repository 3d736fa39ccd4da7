"""aws:runCommand: SendCommand through the Run Command capability in-process (no HTTP), then wait for the
command to end, as AWS's action does.

Inputs are SendCommand's (DocumentName, InstanceIds or Targets, Parameters, TimeoutSeconds, Comment, ...), with
Parameters values given as single values or lists. Outputs: CommandId and Status; with one target instance also
ResponseCode and Output (the command plugins' Output, as ListCommandInvocations shows it; several plugins'
outputs joined by newlines). A command that does not end Success fails the step; a step that is cancelled or
times out cancels its command.
"""
from __future__ import annotations

import time
from typing import Any

from api_models._runtime import ServiceError
from api_models.run_command import (
    CancelCommandRequest,
    ListCommandInvocationsRequest,
    ListCommandsRequest,
    SendCommandRequest,
)
from emulator.automation.actions.base import (
    ACTION_FAILURE,
    CANCELLED,
    FAILED,
    StepOutcome,
    StepRun,
    action,
    failed,
)
from emulator.automation.variables import text

POLL_SECONDS = 0.2
CANCEL_GRACE_SECONDS = 10.0
TERMINAL = ("Success", "Cancelled", "TimedOut", "Failed")
SEND_INPUTS = (
    "DocumentName", "DocumentVersion", "DocumentHash", "DocumentHashType", "InstanceIds", "Targets", "Comment",
    "TimeoutSeconds", "MaxConcurrency", "MaxErrors", "OutputS3BucketName", "OutputS3KeyPrefix", "OutputS3Region",
    "ServiceRoleArn", "NotificationConfig", "CloudWatchOutputConfig", "AlarmConfiguration",
)
UNEXPECTED = (
    "Step fails when it is Poll action status for completion. Command {command} returns unexpected invocation "
    "result: {{Status=[{status}], ResponseCode=[{code}], Output=[{output}]}}."
)


def _request(inputs: dict[str, Any]) -> SendCommandRequest:
    body = {key: inputs[key] for key in SEND_INPUTS if inputs.get(key) is not None}
    for key in ("MaxConcurrency", "MaxErrors"):
        if key in body:
            body[key] = text(body[key])
    if isinstance(body.get("TimeoutSeconds"), str):
        body["TimeoutSeconds"] = int(body["TimeoutSeconds"])
    parameters = inputs.get("Parameters") or {}
    if parameters:
        body["Parameters"] = {name: [text(v) for v in value] if isinstance(value, list) else [text(value)]
                              for name, value in parameters.items()}
    return SendCommandRequest.model_validate(body)


@action("aws:runCommand")
def run_command(run: StepRun) -> StepOutcome:
    commands = run.services.run_command
    ctx = run.context()
    try:
        sent = commands.send_command(ctx, _request(run.inputs))
    except ServiceError as e:
        return failed(f"Step {run.step_name} couldn't send the command: {e.code}: {e.message}", ACTION_FAILURE)
    except (ValueError, TypeError) as e:
        return failed(f"Step {run.step_name}: invalid SendCommand inputs ({e}).", ACTION_FAILURE)
    command_id = sent.Command.CommandId
    cancelled = False
    grace_until = 0.0
    while True:
        command = commands.list_commands(ctx, ListCommandsRequest(CommandId=command_id)).Commands[0]
        if command.Status in TERMINAL:
            break
        if run.cancelled.is_set() and not cancelled:
            cancelled = True
            commands.cancel_command(ctx, CancelCommandRequest(CommandId=command_id))
            grace_until = time.monotonic() + CANCEL_GRACE_SECONDS
        if cancelled and time.monotonic() > grace_until:
            break
        if cancelled:
            time.sleep(POLL_SECONDS)
        else:
            run.cancelled.wait(POLL_SECONDS)
    outputs: dict[str, Any] = {"CommandId": command_id, "Status": command.Status}
    response: dict[str, Any] = {"CommandId": command_id, "Status": command.Status}
    invocations = commands.list_command_invocations(
        ctx, ListCommandInvocationsRequest(CommandId=command_id, Details=True)).CommandInvocations
    code = output = None
    if len(invocations) == 1:
        plugins = invocations[0].CommandPlugins or []
        output = "\n".join(p.Output or "" for p in plugins)
        code = plugins[0].ResponseCode if len(plugins) == 1 else None
        outputs["Output"] = output
        if code is not None:
            outputs["ResponseCode"] = code
            response["ResponseCode"] = code
    if cancelled:
        return StepOutcome(CANCELLED, outputs, response=response)
    if command.Status != "Success":
        message = UNEXPECTED.format(command=command_id, status=command.Status, code=code, output=output or "")
        return StepOutcome(FAILED, outputs, message, "Verification", response=response)
    return StepOutcome(outputs=outputs, response=response)
