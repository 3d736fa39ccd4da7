"""Automation actions, one module per family; importing this package registers them all in base.ACTIONS."""
from emulator.automation.actions import (  # noqa: F401 - registers them
    aws_api,
    commands,
    flow,
    instances,
    scripts,
    unsupported,
)
from emulator.automation.actions.base import ACTIONS, ActionHandler, AutomationServices, StepOutcome, StepRun, action

__all__ = ["ACTIONS", "ActionHandler", "AutomationServices", "StepOutcome", "StepRun", "action"]
