"""ssm-emulator: a local, offline, AWS-compatible emulator of AWS Systems Manager.

`emulator.serve()` serves it inside the calling process (see emulator.in_process):

    with emulator.serve() as url:
        ...
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from emulator.in_process import EmulatorServer, serve

__all__ = ["EmulatorServer", "serve", "__version__"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import emulator` (the pytest plugin, the CLI) stays free of the server's imports.
    if name in ("EmulatorServer", "serve"):
        from emulator import in_process

        return getattr(in_process, name)
    raise AttributeError(f"module 'emulator' has no attribute {name!r}")
