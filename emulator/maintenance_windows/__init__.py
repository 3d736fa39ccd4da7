"""Maintenance Windows: windows that open on a schedule, for a Duration, and run their registered tasks (Run
Command documents, Automation runbooks) on their registered targets, for real.

handlers.py holds the windows', targets' and tasks' operations; history.py the executions' operations,
CancelMaintenanceWindowExecution and DescribeMaintenanceWindowSchedule; runner.py opens windows and runs their
tasks by priority, tasks.py one task over its targets; schedule.py says when a window opens; listing.py filters
and pages; storage.py and schema.py the tables; render.py the response models.
"""
from emulator.maintenance_windows.handlers import MaintenanceWindows
from emulator.maintenance_windows.history import MaintenanceWindowHistory
from emulator.maintenance_windows.runner import WindowRunner

__all__ = ["MaintenanceWindowHistory", "MaintenanceWindows", "WindowRunner"]
