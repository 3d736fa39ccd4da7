"""Automation actions, one module per family; importing this package registers them all in base.ACTIONS."""
from emulator.automation.actions import commands, flow  # noqa: F401  (registration)
from emulator.automation.actions.base import ACTIONS, ActionHandler, AutomationServices, StepOutcome, StepRun, action

__all__ = ["ACTIONS", "ActionHandler", "AutomationServices", "StepOutcome", "StepRun", "action"]
