"""State Manager: associations that keep managed instances in a defined state by applying a Command document or
an Automation runbook on a schedule.

handlers.py holds the association operations (what they check, what they answer); executions.py applies
associations (the scheduler, runs through Run Command or Automation, statuses, the compliance hook);
schedule.py reads rate(), cron() and at() expressions; storage.py and schema.py the tables; render.py the
response models.
"""
from emulator.state_manager.handlers import StateManager

__all__ = ["StateManager"]
