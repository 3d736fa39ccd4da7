"""Actions of AWS's Automation actions reference that need AWS services this emulator does not run: a step using
one fails, naming the action and what it would need (base.unsupported), instead of the runbook being refused."""
from __future__ import annotations

from emulator.automation.actions.base import StepOutcome, StepRun, action, unsupported

# action -> what it would need
NEEDS_AWS = {
    "aws:copyImage": "it copies an AMI across EC2 regions or accounts; here images are local Docker images",
    "aws:createStack": "it creates an AWS CloudFormation stack",
    "aws:deleteStack": "it deletes an AWS CloudFormation stack",
    "aws:executeStateMachine": "it runs an AWS Step Functions state machine",
    "aws:invokeLambdaFunction": "it invokes an AWS Lambda function",
    "aws:invokeWebhook": "it calls an Automation webhook integration, a service outside this offline emulator",
    "aws:runInstances": "it launches EC2 instances; register a container or an SSH host as a managed instance instead",
}


def _register(name: str, why: str) -> None:
    @action(name)
    def handler(run: StepRun) -> StepOutcome:
        return unsupported(name, why)


for _name, _why in NEEDS_AWS.items():
    _register(_name, _why)
