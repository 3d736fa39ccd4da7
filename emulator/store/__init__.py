"""Durable state: one SQLite database shared by every capability."""
from emulator.store.database import Database, Migration

__all__ = ["Database", "Migration"]
