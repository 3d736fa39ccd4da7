"""Automation: runbooks (Automation documents, schemaVersion 0.3) that really execute, step by step, against the
managed instances; Change Manager's change requests run on this engine too."""

from emulator.automation.handlers import Automation

__all__ = ["Automation"]
