"""Command sessions: InteractiveCommands (AWS-StartInteractiveCommand) and NonInteractiveCommands
(AWS-StartNonInteractiveCommand), and the caller's own Session documents of those types (reference 6.3, 9).

The command is the shell properties' `linux.commands` (one string) with the parameters filled in, run as the
agent runs it (agent/session/shell/shell_unix.go, shell.go):
* InteractiveCommands: `sh -c <commands>` in a pty. The client's keystrokes and terminal size reach it.
* NonInteractiveCommands: <commands> split into words as a shell would split them, but run without a shell
  (`a; b` is the command `a;` with the argument `b`), without a pty and with no stdin; Ctrl-C and Ctrl-\
  become SIGINT and SIGQUIT for the command, other keystrokes and sizes are dropped. stdout and stderr go out as Output in the order they were written (the agent has both write
  one file). With `separateOutputStream`, stderr goes out as StdErr (11) instead; a chunk that starts a line
  carries `stdOutSeparatorPrefix` / `stdErrSeparatorPrefix` in front; and once the command has exited, its
  status follows as ExitCode (12) `EXIT_CODE: <n>`.
Empty commands run a bare `sh`, as in the agent; `runAsElevated` runs the command as the instance's default
user rather than the Run As user. The command's exit ends the session (channel_closed, History Terminated),
and the History's Details give its status (emulator wording: AWS keeps Details "reserved for future use").

Where the emulator differs: the agent sends a NonInteractiveCommands command's merged output only after the
command has exited; the emulator streams it as it comes. Words are split with Python's shlex, where the
agent's google/shlex also takes a `#` starting a word as a comment.
"""
from __future__ import annotations

import logging
import re
import shlex
import threading
from dataclasses import dataclass, replace
from typing import Any

from emulator.backends import BackendError, Chunk
from emulator.backends.base import Command
from emulator.session_manager.channel.handshake import SessionType
from emulator.session_manager.channel.messages import PayloadType
from emulator.session_manager.channel.terminal import exit_code_payload
from emulator.session_manager.data_channel import LiveSession, SessionPlan

COMMAND_TYPES = (SessionType.INTERACTIVE_COMMANDS, SessionType.NON_INTERACTIVE_COMMANDS)
_SIGNAL_KEYS = {b"\x03": "INT", b"\x1c": "QUIT"}  # Ctrl-C, Ctrl-\ (the agent's list)
EXIT_DETAILS = "Exit code: {code}"
# What the agent accepts as a separator prefix (agent/session/shell/shell.go); it fails the session otherwise.
_SEPARATOR_PREFIX = re.compile(r"[0-9a-zA-Z\r\n_:-]{0,30}")
# One pipe for both streams, as the agent's one output file: they interleave as the command wrote them.
_MERGED_OUTPUT = 'exec "$@" 2>&1'
# How the agent reads separateOutputStream given as a string (parameters.ConvertToBool: strconv.ParseBool, "" false).
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False", "")

log = logging.getLogger("ssm_emulator.session_manager")

COMMANDS_NOT_TEXT = "properties.linux.commands of {name} must be a string (the agent runs one command line)."
BAD_SEPARATE = "properties.linux.separateOutputStream of {name} must be a boolean, not {value!r}."
BAD_PREFIX = ("properties.linux.{key} of {name} must be at most 30 letters, digits, '\\r', '\\n', '_', ':' or '-', "
              "not {value!r}.")
CANNOT_SPLIT = "The command of {name} cannot be split into words: {problem}."


class ShellPropertiesError(ValueError):
    """Shell properties the agent would refuse to run."""


@dataclass(frozen=True)
class ShellConfig:
    """`properties.linux` as the agent reads it (ShellConfig, agent/session/contracts/model.go)."""

    commands: str = ""
    run_as_elevated: bool = False
    separate_output: bool = False  # NonInteractiveCommands only
    stdout_prefix: str = ""
    stderr_prefix: str = ""


def shell_config(properties: dict[str, Any], session_type: SessionType, document: str) -> ShellConfig:
    """The filled-in properties' `linux` part; ShellPropertiesError for what the agent would refuse."""
    linux = properties.get("linux")
    linux = linux if isinstance(linux, dict) else {}
    commands = linux.get("commands")
    if commands is not None and not isinstance(commands, str):
        raise ShellPropertiesError(COMMANDS_NOT_TEXT.format(name=document))
    separate = linux.get("separateOutputStream") if session_type == SessionType.NON_INTERACTIVE_COMMANDS else None
    if isinstance(separate, str) and separate in _TRUE + _FALSE:
        separate = separate in _TRUE
    elif separate is None:
        separate = False
    elif not isinstance(separate, bool):
        raise ShellPropertiesError(BAD_SEPARATE.format(name=document, value=separate))
    prefixes = {}
    for key in ("stdOutSeparatorPrefix", "stdErrSeparatorPrefix"):
        prefixes[key] = value = linux.get(key) or ""
        if separate and not (isinstance(value, str) and _SEPARATOR_PREFIX.fullmatch(value)):
            raise ShellPropertiesError(BAD_PREFIX.format(key=key, name=document, value=value))
    return ShellConfig(commands=commands or "", run_as_elevated=linux.get("runAsElevated") in (True, "true"),
                       separate_output=separate, stdout_prefix=str(prefixes["stdOutSeparatorPrefix"]),
                       stderr_prefix=str(prefixes["stdErrSeparatorPrefix"]))


def command_plan(plan: SessionPlan, session_type: SessionType, config: ShellConfig, document: str) -> SessionPlan:
    """A shell session's plan turned into the command's: what runs, as whom, without the shell profile."""
    return replace(plan, session_type=session_type, command=_command(session_type, config, document),
                   shell_profile="", user=None if config.run_as_elevated else plan.user)


def _command(session_type: SessionType, config: ShellConfig, document: str) -> Command:
    if not config.commands.strip():
        return ["sh"]
    if session_type == SessionType.INTERACTIVE_COMMANDS:
        return config.commands
    try:
        words = shlex.split(config.commands)
    except ValueError as error:
        raise ShellPropertiesError(CANNOT_SPLIT.format(name=document, problem=error)) from None
    if config.separate_output:
        return words
    return ["/bin/sh", "-c", _MERGED_OUTPUT, "sh", *words]


class CommandSession(LiveSession):
    def __init__(self, plan: SessionPlan, *args: Any, config: ShellConfig, **kwargs: Any) -> None:
        super().__init__(plan, *args, **kwargs)
        self.pty = plan.session_type == SessionType.INTERACTIVE_COMMANDS
        self.config = config
        self._line_start = {"stdout": True, "stderr": True}  # where a separator prefix goes next

    def _input(self, data: bytes) -> None:
        if self.pty:
            super()._input(data)
            return
        # NonInteractiveCommands: the command has no stdin; as the agent does, Ctrl-C and Ctrl-\ become SIGINT
        # and SIGQUIT for it, other keystrokes are dropped. Sent from a thread: it takes an exec on the instance.
        process = self._process
        for key, name in _SIGNAL_KEYS.items():
            if key in data and process is not None:
                threading.Thread(target=self._signal, args=(process, name), daemon=True,
                                 name=f"session-{self.plan.session_id}-sig").start()

    def _signal(self, process: Any, name: str) -> None:
        try:
            process.signal(name)
        except BackendError as error:  # the instance went away: the session ends on its own
            log.info("session %s: SIG%s not delivered: %s", self.plan.session_id, name, error)

    def _output(self, chunk: Chunk) -> None:
        if not self.config.separate_output:
            self._emit(chunk.data)
            return
        stderr = chunk.stream == "stderr"
        prefix = self.config.stderr_prefix if stderr else self.config.stdout_prefix
        data = prefix.encode() + chunk.data if self._line_start[chunk.stream] else chunk.data
        self._line_start[chunk.stream] = chunk.data.endswith(b"\n")
        self._emit(data, PayloadType.STDERR if stderr else PayloadType.OUTPUT)

    def _exited(self, code: int | None) -> None:
        if code is None:
            return
        self.details = EXIT_DETAILS.format(code=code)
        if self.config.separate_output:
            self._emit(exit_code_payload(code), PayloadType.EXIT_CODE)
