"""Tags: the three tag operations, generic across resource types (see registry.py)."""
from emulator.tags.handlers import Tags

__all__ = ["Tags"]
