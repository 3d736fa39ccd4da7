"""Run Command: SendCommand runs a Command document's plugin steps on managed instances for real (Docker
containers, SSH hosts), with AWS's statuses, rate control, timeouts and cancellation.

handlers.py holds the five operations; plugins.py turns a document and its parameters into the steps to
run; invoker.py is the engine that delivers and runs invocations (and the restart policy); rate.py
MaxConcurrency and MaxErrors; status.py the statuses and how a command's follows from its invocations;
storage.py and schema.py the tables; render.py rows to responses (truncated output); routes.py the
output URLs (GET /_emulator/commands/...).
"""
from emulator.run_command.handlers import RunCommand

__all__ = ["RunCommand"]
