"""One live session: the agent side of its data channel (`channel.AgentChannel`) joined to a process on the
managed instance, over whichever websocket the client has open at the moment.

Threads. The request thread of the current websocket receives client frames (`attach`), and every 100 ms
retransmits unacked output, as the agent's resend scheduler does. A reader thread per session pumps the
process's output into the channel. The manager's sweep (every second) enforces idleSessionTimeout and
maxSessionDuration, websocket or not. All channel state is behind one lock; frames are sent under it so
they leave in the order the channel numbered them.

Ending. `terminate(output)` (TerminateSession, the client's TerminateSession flag, a timeout) kills the
process; the reader thread sees its output end and finishes the session: it lets the client ack the last
output (2 s at most, like the agent's PrepareToCloseChannel), sends `channel_closed` carrying `output`,
closes the websocket and reports the end. A session with no process yet finishes at once.

A websocket that drops without `channel_closed` leaves the session Disconnected, its shell running and its
output kept unacked; ResumeSession's token attaches a new websocket, which gets every unacked message again
(`AgentChannel.resume`), while the channel's sequence numbers carry on.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.backends import BackendError, Chunk, InstanceBackend, Process
from emulator.backends.base import Command
from emulator.session_manager import run_as
from emulator.session_manager.channel.agent import AgentChannel, FlagReceived, HandshakeDone, InputReceived, \
    SizeChanged
from emulator.session_manager.channel.handshake import SessionType
from emulator.session_manager.channel.messages import PayloadType
from emulator.session_manager.channel.terminal import PayloadFlag
from emulator.websocket import GOING_AWAY, ConnectionClosed, WebSocket

log = logging.getLogger("ssm_emulator.session_manager")

RESEND_SCAN_SECONDS = 0.1  # the agent's resend scheduler period
CLOSE_DRAIN_SECONDS = 2.0  # the agent waits this long for its last output to be acked before closing
# Emulator wording: the plugin prints it as "SessionId: <id> : <Output>".
IDLE_TIMEOUT_OUTPUT = "Your session timed out due to inactivity and has been terminated."
MAX_DURATION_OUTPUT = "Your session has reached the maximum session duration and has been terminated."
TERMINATED_OUTPUT = ""  # TerminateSession and the shell's own exit end quietly ("Exiting session with ...")
REFUSED_OUTPUT = "The client refused the session type {type}."


@dataclass(frozen=True)
class SessionPlan:
    """What a session runs, decided by StartSession from the document and the parameters."""

    session_id: str
    target: str
    session_type: SessionType
    command: Command        # a script for /bin/sh -c on the instance, or an argv
    user: str | None        # runAsDefaultUser when runAsEnabled; None: the instance's default user
    shell_profile: str      # shellProfile.linux, typed into the shell first, as the agent does
    idle_timeout: float | None   # seconds
    max_duration: float | None   # seconds
    properties: dict[str, Any] | None = None  # Port sessions: the document's session properties, filled in


# (session, status, output): Connected / Disconnected while alive; Terminated / Failed at the end.
StatusListener = Callable[["LiveSession", str, str], None]


class LiveSession:
    pty = True  # the process runs in a pty and reads the client's keystrokes (shells, InteractiveCommands)

    def __init__(self, plan: SessionPlan, backend: Callable[[], InstanceBackend], on_status: StatusListener,
                 clock: Callable[[], float] = time.time) -> None:
        self.plan = plan
        self.channel = AgentChannel(plan.session_id, plan.session_type, plan.properties)
        self.transcript = bytearray()
        self._backend = backend
        self._on_status = on_status
        self._clock = clock
        self._lock = threading.RLock()
        self._ws: WebSocket | None = None
        self._process: Process | None = None
        self._started = False  # HandshakeRequest sent (first websocket)
        self._finished = False
        self._end_output: str | None = None  # set by terminate(): what channel_closed will say
        self._acked = threading.Event()
        self.details = ""  # what the session's History shows when channel_closed says nothing
        now = clock()
        self.created_at = now
        self.last_activity = now

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def attached(self) -> bool:
        return self._ws is not None

    # --- the websocket (request thread) -------------------------------------------------------------------
    def attach(self, ws: WebSocket) -> None:
        """Serve the data channel over `ws` until it closes or the session ends."""
        with self._lock:
            if self._finished:
                self._send_to(ws, [self.channel.close(self._clock(), self._end_output or "")])
                ws.close()
                return
            previous, self._ws = self._ws, ws
            now = self._clock()
            frames = self.channel.resume(now) if self._started else self.channel.start(now)
            self._started = True
            self._send_to(ws, frames)
        if previous is not None:  # a resumed client whose old websocket was still half-open
            previous.close(GOING_AWAY, "replaced by a resumed connection")
        self._on_status(self, "Connected", "")
        next_scan = time.monotonic() + RESEND_SCAN_SECONDS
        try:
            while not ws.closed:
                message = ws.receive(timeout=max(0.0, next_scan - time.monotonic()))
                if message is not None and not message.is_text:
                    self._on_frame(message.data)  # type: ignore[arg-type]
                if time.monotonic() >= next_scan:
                    self._resend()
                    next_scan = time.monotonic() + RESEND_SCAN_SECONDS
        except ConnectionClosed:
            pass
        with self._lock:
            still_ours = self._ws is ws
            if still_ours:
                self._ws = None
        if still_ours and not self._finished:
            self._on_status(self, "Disconnected", "")

    def _on_frame(self, frame: bytes) -> None:
        to_terminate: str | None = None
        with self._lock:
            now = self._clock()
            step = self.channel.receive(frame, now, ready=self._input_ready())
            if step.rejected:
                log.debug("session %s: frame dropped: %s", self.plan.session_id, step.rejected)
            self._send(step.frames)
            if not self.channel.outgoing.unacked:
                self._acked.set()
            for event in step.events:
                if isinstance(event, HandshakeDone):
                    if not event.accepted:
                        to_terminate = REFUSED_OUTPUT.format(type=self.plan.session_type)
                    elif self._process is None:
                        to_terminate = self._start_process()
                elif isinstance(event, InputReceived):
                    self.last_activity = now
                    if self._process is not None:
                        self._input(event.data)
                elif isinstance(event, SizeChanged):
                    if self._process is not None and event.size.cols and event.size.rows:
                        self._resize(event.size.cols, event.size.rows)
                elif isinstance(event, FlagReceived):
                    if event.flag == PayloadFlag.TERMINATE_SESSION:
                        to_terminate = TERMINATED_OUTPUT
                    else:
                        self._flag_received(event.flag)
        if to_terminate is not None:
            self.terminate(to_terminate, status="Failed" if self._process is None else "Terminated")

    def _flag_received(self, flag: PayloadFlag | int) -> None:
        """A flag other than TerminateSession (under the lock): only port sessions take one (DisconnectToPort)."""

    def _input_ready(self) -> bool:
        """Whether the process can take the client's next input now; if not, it goes unacked (resent later)."""
        return self._process is not None

    def _resend(self) -> None:
        with self._lock:
            self._send(self.channel.poll(self._clock()))

    # --- the process ----------------------------------------------------------------------------------------
    def _start_process(self) -> str | None:
        """Start the shell (under the lock, right after the handshake); an error message if it cannot."""
        plan = self.plan
        try:
            backend = self._backend()
            if (problem := run_as.problem(backend, plan.user)) is not None:
                raise BackendError(problem)
            process = backend.start_process(plan.command, env={"TERM": "xterm-256color"}, user=plan.user,
                                            tty=self.pty, stdin=self.pty)
        except (BackendError, ValueError) as error:
            log.warning("session %s: cannot start the shell on %s: %s", plan.session_id, plan.target, error)
            return f"Unable to start command: {error}"  # the agent's words
        self._process = process
        size = self.channel.terminal_size
        if size is not None and size.cols and size.rows:
            self._resize(size.cols, size.rows)
        if plan.shell_profile:
            process.write(plan.shell_profile.encode() + b"\n")
        threading.Thread(target=self._pump, args=(process,), name=f"session-{plan.session_id}", daemon=True).start()
        return None

    def _input(self, data: bytes) -> None:
        """The client's keystrokes (under the lock)."""
        assert self._process is not None
        self._process.write(data)

    def _resize(self, cols: int, rows: int) -> None:
        assert self._process is not None
        try:
            self._process.resize(cols, rows)
        except BackendError as error:
            log.warning("session %s: resizing the terminal failed: %s", self.plan.session_id, error)

    def _pump(self, process: Process) -> None:
        """The reader thread: process output to the client, then the session's end."""
        try:
            while (chunk := process.read()) is not None:
                self._output(chunk)
        except Exception:  # the backend connection broke: the session ends like an exited shell
            log.exception("session %s: reading the shell failed", self.plan.session_id)
        code = process.wait(5)
        if self._end_output is None:  # it ended by itself, not by terminate()
            self._exited(code)
        self._finish("Terminated", self._end_output if self._end_output is not None else "")

    def _output(self, chunk: Chunk) -> None:
        """A chunk of the process's output, to the client."""
        self._emit(chunk.data)

    def _exited(self, code: int | None) -> None:
        """The process ended by itself with `code` (reader thread, before the session finishes)."""

    def _emit(self, data: bytes, payload_type: PayloadType = PayloadType.OUTPUT) -> None:
        with self._lock:
            now = self._clock()
            self.last_activity = now
            self.transcript += data
            self._acked.clear()
            self._send(self.channel.send(data, now, payload_type))

    # --- ending ---------------------------------------------------------------------------------------------
    def terminate(self, output: str = TERMINATED_OUTPUT, status: str = "Terminated") -> None:
        """End the session: kill the process (the reader thread then finishes), or finish now if none runs."""
        with self._lock:
            if self._finished or self._end_output is not None:
                return
            self._end_output = output
            process = self._process
        if process is None:
            self._finish(status, output)
        else:
            try:
                process.kill()
            except BackendError as error:  # the instance is gone: its output will end anyway
                log.warning("session %s: kill failed: %s", self.plan.session_id, error)

    def check_timeouts(self, now: float) -> None:
        """The sweep: idleSessionTimeout (no input and no output for that long) and maxSessionDuration."""
        plan = self.plan
        if self._finished:
            return
        if plan.max_duration is not None and now - self.created_at >= plan.max_duration:
            self.terminate(MAX_DURATION_OUTPUT)
        elif plan.idle_timeout is not None and now - self.last_activity >= plan.idle_timeout:
            self.terminate(IDLE_TIMEOUT_OUTPUT)

    def _finish(self, status: str, output: str) -> None:
        with self._lock:
            if self._finished:
                return
            ws = self._ws
        if ws is not None:  # let the client ack the last output first, as the agent does
            deadline = time.monotonic() + CLOSE_DRAIN_SECONDS
            while not self._acked.is_set() and self.channel.outgoing.unacked and time.monotonic() < deadline:
                self._acked.wait(RESEND_SCAN_SECONDS)
            if unacked := len(self.channel.outgoing.unacked):
                log.info("session %s: closing with %d output messages the client has not acknowledged",
                         self.plan.session_id, unacked)
        with self._lock:
            self._finished = True
            ws = self._ws
            frames = [self.channel.close(self._clock(), output)]
            if ws is not None:
                self._send_to(ws, frames)
            process = self._process
        if ws is not None:
            ws.close()
        if process is not None:
            process.close()
        self._on_status(self, status, output)

    # --- sending (under the lock) ---------------------------------------------------------------------------
    def _send(self, frames: list[bytes] | tuple[bytes, ...]) -> None:
        if self._ws is not None:
            self._send_to(self._ws, frames)

    @staticmethod
    def _send_to(ws: WebSocket, frames: Any) -> None:
        try:
            for frame in frames:
                ws.send(frame)
        except ConnectionClosed:
            pass  # the receive loop sees it; output stays unacked for a resumed connection
