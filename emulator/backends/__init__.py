"""Machines the emulator manages, behind one interface: Docker containers and SSH hosts."""
from emulator.backends.base import (
    BackendError,
    ByteStream,
    Chunk,
    Completed,
    HostFacts,
    InstanceBackend,
    MachineState,
    NotPossible,
    Process,
)

__all__ = [
    "BackendError", "ByteStream", "Chunk", "Completed", "HostFacts", "InstanceBackend", "MachineState", "NotPossible",
    "Process",
]
