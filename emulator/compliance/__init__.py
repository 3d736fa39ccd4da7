"""Compliance: custom and AWS compliance items per managed instance, their summaries, and association
compliance State Manager reports."""
from emulator.compliance.handlers import Compliance

__all__ = ["Compliance"]
