"""Builds the StepRun an Automation action receives, for tests that call actions directly (no engine)."""
from __future__ import annotations

import threading
import time
from typing import Any

from emulator.automation.actions.base import AutomationServices, StepRun
from emulator.config import Config

ACCOUNT = "123456789012"
REGION = "us-east-1"


def services(config: Config | None = None, operations: Any = None) -> AutomationServices:
    return AutomationServices(config=config or Config(ephemeral=True), clock=None, documents=None,
                              instances=None, run_command=None, operations=operations)


def step_run(action: str, inputs: dict[str, Any], services: AutomationServices, *, timeout: float | None = None,
             account_id: str = ACCOUNT, region: str = REGION, execution_id: str = "a1b2c3d4-0000-4000-8000-00000000abcd",
             cancelled: threading.Event | None = None) -> StepRun:
    return StepRun(
        execution_id=execution_id, step_name="step1", action=action, inputs=inputs, account_id=account_id,
        region=region, caller_arn=f"arn:aws:iam::{account_id}:root", attempt=1,
        deadline=None if timeout is None else time.time() + timeout, cancelled=cancelled or threading.Event(),
        services=services,
    )
