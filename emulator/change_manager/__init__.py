"""Change Manager: change requests made from change templates (Automation.ChangeTemplate documents) that wait for
their approvals, their scheduled time and their change calendars, then run their runbooks on the Automation
engine.

handlers.py holds StartChangeRequestExecution (what it checks); flow.py a change request's way to its end (the
statuses, the sweep that moves requests on, durable across restarts); template.py what a change template says;
reports.py what it tells its `changed` listeners of each request (OpsCenter keeps it as an /aws/changerequest
OpsItem).
A change request is an Automation execution (AutomationSubtype ChangeRequest), so Automation's operations read,
signal, stop and tag it.
"""
from emulator.change_manager.handlers import ChangeManager

__all__ = ["ChangeManager"]
