"""What the emulator needs from a machine it manages, whatever runs that machine (a container, an SSH host).

Nothing here knows of SSM: an engine asks a backend for facts, liveness, processes, files and TCP streams.
The shell snippets below are shared by every backend, so a process is wrapped, killed and described the same
way everywhere; they are POSIX sh and work with dash, bash and busybox ash.
"""
from __future__ import annotations

import re
import shlex
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

StreamName = Literal["stdout", "stderr"]
Command = Sequence[str] | str  # an argv, or a script for /bin/sh -c
# What a machine is doing, as far as its backend can tell: "removed" (the container is gone) and "stopped" only
# come from backends that run the machine themselves; an SSH host is "running" or "unreachable".
MachineState = Literal["running", "stopped", "removed", "unreachable"]

# Every process started through a backend carries TAG_VAR=<unique id> in its environment; children inherit
# it, so kill() finds the whole tree even when a child left the process group (setsid, daemonizing).
TAG_VAR = "SSM_EMULATOR_PROCESS"

# argv: sh -c WRAPPER ssm-emulator CWD NAME=VALUE... -- COMMAND...
# Environment and working directory go through the wrapper rather than backend options: SSH servers drop
# unknown variables (AcceptEnv), and one code path keeps docker and ssh identical.
WRAPPER = (
    'd=$1; shift; while [ "$1" != -- ]; do export "$1"; shift; done; shift; '
    'if [ -n "$d" ]; then cd "$d" || exit 1; fi; exec "$@"'
)

# Kills every live process whose environment holds the tag, and the process groups those processes lead (a
# docker exec and an sshd session each start a new session, so the command leads its group). The scan, one
# fork per process, is slow: it only collects, then one `kill` stops everything found and another kills it.
# Killed one by one as the scan reached them, a parent could run on for milliseconds after its child died
# (`sleep 60; echo done` printed "done"); stopped all at once first, none of them runs again. No `--` before
# the IDs: dash and busybox take it for a process ID and kill nothing. A few passes catch children forked
# while a pass ran.
KILL_SCRIPT = r"""
tag=$1
for pass in 1 2 3 4 5; do
  found=
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    tr '\0' '\n' < "$d/environ" 2>/dev/null | grep -qxF "$tag" || continue
    found="$found $p"
    read -r stat < "$d/stat" 2>/dev/null || continue
    set -- ${stat##*) }
    [ "$3" = "$p" ] && found="$found -$p"
  done
  [ -z "$found" ] && exit 0
  kill -STOP $found 2>/dev/null
  kill -KILL $found 2>/dev/null
  sleep 0.05
done
"""

# The process a tag marks is the tagged one whose parent is not tagged (its children inherit the tag).
SIGNAL_SCRIPT = r"""
sig=$1 tag=$2
for d in /proc/[0-9]*; do
  tr '\0' '\n' < "$d/environ" 2>/dev/null | grep -qxF "$tag" || continue
  read -r stat < "$d/stat" 2>/dev/null || continue
  set -- ${stat##*) }
  tr '\0' '\n' < "/proc/$2/environ" 2>/dev/null | grep -qxF "$tag" && continue
  kill -"$sig" "${d#/proc/}" 2>/dev/null
done
exit 0
"""
_SIGNAL_NAMES = frozenset({"INT", "QUIT", "TERM", "HUP", "TSTP", "CONT", "USR1", "USR2"})

# One round trip for everything facts() reports. `hostname -I` is Debian's; busybox has only `-i`.
# The host name is the fully qualified one, as SSM Agent reports ComputerName: `hostname --fqdn`, else (it fails,
# as on busybox or without name resolution, or says nothing) the kernel's host name.
FACTS_SCRIPT = (
    'n=$(hostname --fqdn 2>/dev/null) && [ -n "$n" ] || n=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname); '
    'echo "hostname=$n"; '
    'echo "kernel=$(uname -r)"; echo "architecture=$(uname -m)"; '
    'echo "addresses=$(hostname -I 2>/dev/null || hostname -i 2>/dev/null)"; '
    # Without os-release SSM Agent names the platform after lsb_release, when that answers both questions.
    "[ -e /etc/os-release ] || [ -e /usr/lib/os-release ] || { i=$(lsb_release -is 2>/dev/null) && "
    'r=$(lsb_release -rs 2>/dev/null) && echo "lsb_id=$i" && echo "lsb_release=$r"; }; '
    "echo ---; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release"
)

# Output waiting to be read; past this the reader stops reading, so a process nobody reads from blocks on
# its pipe as it would locally, instead of filling the emulator's memory.
OUTPUT_BUFFER_BYTES = 4 * 1024 * 1024
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class BackendError(Exception):
    """The instance cannot be reached, or refused what was asked."""


class NotPossible(BackendError):
    """This kind of backend cannot do what was asked at all (an SSH host cannot be stopped or imaged)."""


@dataclass(frozen=True)
class HostFacts:
    hostname: str
    ip_address: str
    platform_type: str  # always "Linux": both backends run POSIX shells
    platform_name: str  # os-release NAME (else lsb_release's ID; "": nothing names the platform)
    platform_version: str  # os-release VERSION_ID (else lsb_release's release)
    os_id: str  # os-release ID
    pretty_name: str  # os-release PRETTY_NAME
    kernel: str
    architecture: str
    os_release: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    stream: StreamName
    data: bytes


@dataclass(frozen=True)
class Completed:
    exit_code: int | None  # None: still running at the deadline (and then killed)
    stdout: bytes
    stderr: bytes


class ByteStream:
    """A bidirectional byte stream to a TCP port as the instance sees it; recv returns b"" at end."""

    def sendall(self, data: bytes) -> None:
        raise NotImplementedError

    def recv(self, size: int = 65536) -> bytes:
        raise NotImplementedError

    def recv_into(self, buffer: bytearray | memoryview) -> int:
        """Like socket.recv_into; 0 at end. Streams over a socket override it to read without a copy."""
        data = self.recv(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close_write(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _OutputBuffer:
    """Chunks from reader threads to one consumer, bounded in bytes, with an end."""

    def __init__(self, limit: int = OUTPUT_BUFFER_BYTES) -> None:
        self._items: deque[Chunk] = deque()
        self._size = 0
        self._limit = limit
        self._ended = False
        self._discarding = False
        self._cond = threading.Condition()

    def put(self, chunk: Chunk) -> None:
        with self._cond:
            while self._size >= self._limit and not self._discarding:
                self._cond.wait()
            if not self._discarding:
                self._items.append(chunk)
                self._size += len(chunk.data)
                self._cond.notify_all()

    def end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def discard(self) -> None:
        with self._cond:
            self._discarding = True
            self._items.clear()
            self._size = 0
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Chunk | None:
        """The next chunk; None at the end, TimeoutError if none came within `timeout`."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._items or self._ended, timeout):
                raise TimeoutError
            if not self._items:
                return None
            chunk = self._items.popleft()
            self._size -= len(chunk.data)
            self._cond.notify_all()
            return chunk


class Process(ABC):
    """A command running on an instance.

    Reader threads pump its output into a bounded buffer as it comes: iterate `output()` (or call `read`)
    while it runs, or it will block once the buffer is full, as a process writing to an unread pipe does.
    Output ends when the process and every child holding its stdout/stderr are gone; `wait` returns then.
    """

    def __init__(self, tty: bool, tag: str) -> None:
        self.tty = tty
        self.tag = tag  # the TAG_VAR=... entry its environment carries
        self.killed = False
        self._output = _OutputBuffer()
        self._done = threading.Event()
        self._exit_code: int | None = None

    # --- reading ---------------------------------------------------------------------------------------------
    def read(self, timeout: float | None = None) -> Chunk | None:
        """The next chunk of output (stdout only when tty); None once output ended; TimeoutError."""
        return self._output.get(timeout)

    def output(self) -> Iterator[Chunk]:
        while (chunk := self._output.get()) is not None:
            yield chunk

    def collect(self, timeout: float | None = None) -> Completed:
        """All output and the exit code; at the deadline the process is killed and exit_code is None."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                chunk = self.read(left)
            except TimeoutError:
                self.kill()
                self.close()
                return Completed(None, bytes(out), bytes(err))
            if chunk is None:
                break
            (out if chunk.stream == "stdout" else err).extend(chunk.data)
        left = None if deadline is None else max(0.1, deadline - time.monotonic())
        return Completed(self.wait(left), bytes(out), bytes(err))

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code (128+signal when killed by one), or None if still running after `timeout`."""
        if not self._done.wait(timeout):
            return None
        return self._exit_code

    # --- for reader threads ----------------------------------------------------------------------------------
    def _emit(self, stream: StreamName, data: bytes) -> None:
        self._output.put(Chunk(stream, data))

    def _finish(self, exit_code: int | None) -> None:
        self._exit_code = exit_code
        self._output.end()
        self._done.set()

    # --- control ---------------------------------------------------------------------------------------------
    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def close_stdin(self) -> None: ...

    @abstractmethod
    def resize(self, cols: int, rows: int) -> None:
        """Size the pty. Nothing happens without a pty or once the process has ended (a terminal may be
        resized at any moment); BackendError if the instance refuses it otherwise."""

    def kill(self) -> None:
        """SIGKILL the process, the group it leads and every descendant still carrying its tag."""
        self.killed = True
        self._run_on_instance(kill_command(self.tag))

    def signal(self, name: str) -> None:
        """Send SIGINT, SIGQUIT, ... (`name` without SIG) to the process itself, not its children, as a
        terminal's Ctrl-C would reach a program with no terminal."""
        if name not in _SIGNAL_NAMES:
            raise ValueError(f"not a signal to send: {name!r}")
        self._run_on_instance(signal_command(self.tag, name))

    @abstractmethod
    def _run_on_instance(self, argv: list[str]) -> None:
        """Run a short helper command beside the process, on its instance, with the rights to signal it."""

    def close(self) -> None:
        """Release the connection; unread output is dropped. Does not kill a process still running."""
        self._output.discard()


class InstanceBackend(ABC):
    """One managed machine.

    Besides processes, files and streams, a backend that runs the machine itself (a container) can change its
    state (stop, start, restart, remove) and save it as an image; the others raise NotPossible, saying so.
    """

    kind = "this machine"  # in messages: "... is not possible on an SSH host"

    @abstractmethod
    def alive(self) -> bool:
        """Whether the machine answers now (container running / SSH transport usable)."""

    @abstractmethod
    def start_process(
        self,
        command: Command,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        tty: bool = False,
        stdin: bool = True,
    ) -> Process:
        """Start `command` (an argv, or a script for /bin/sh -c) and return at once."""

    @abstractmethod
    def put_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file (creating missing parent folders), replacing any file there."""

    @abstractmethod
    def open_tcp(self, host: str, port: int) -> ByteStream:
        """Connect to host:port as the instance would (so "localhost" is the instance itself)."""

    def close(self) -> None:
        """Release connections held to the instance."""

    def _address_hint(self) -> str | None:
        """The address the emulator knows the instance by, if any (container IP, SSH peer)."""
        return None

    # --- the machine itself: only backends that run it override these ---------------------------------------
    def state(self) -> MachineState:
        return "running" if self.alive() else "unreachable"

    def stop(self, *, force: bool = False, grace: float = 10.0) -> None:
        """Stop the machine: SIGTERM, then SIGKILL after `grace` seconds; `force`: SIGKILL at once."""
        raise self._not_possible("stopping the machine")

    def start(self) -> None:
        """Start the machine again (nothing if it runs)."""
        raise self._not_possible("starting the machine")

    def restart(self, *, grace: float = 10.0) -> None:
        raise self._not_possible("restarting the machine")

    def remove(self) -> None:
        """Remove the machine for good (killed if it runs)."""
        raise self._not_possible("removing the machine")

    def commit(
        self, repository: str, tag: str = "latest", *, labels: Mapping[str, str] | None = None,
        message: str = "", pause: bool = True,
    ) -> str:
        """Save the machine's filesystem and configuration as the image repository:tag, with `labels` added;
        the image's ID. `pause`: freeze the machine while it is saved, so the files are consistent."""
        raise self._not_possible("saving the machine as an image")

    def delete_image(self, image: str) -> None:
        raise self._not_possible("deleting an image")

    def tag_image(self, image: str, repository: str, tag: str = "latest") -> None:
        raise self._not_possible("tagging an image")

    def label_image(self, image: str, labels: Mapping[str, str], repository: str, tag: str = "latest") -> str:
        """Give repository:tag a copy of `image` with `labels` added (an image's labels are fixed once it is
        made); the copy's image ID."""
        raise self._not_possible("labelling an image")

    def _not_possible(self, what: str) -> NotPossible:
        return NotPossible(
            f"{what} is not possible on {self.kind}: ssm-emulator stops, starts, removes and images only the"
            " Docker containers it manages"
        )

    def run(self, command: Command, *, timeout: float = 60.0, **options: object) -> Completed:
        """Start, close stdin, collect everything: for short commands."""
        process = self.start_process(command, **options)  # type: ignore[arg-type]
        try:
            process.close_stdin()
            return process.collect(timeout)
        finally:
            process.close()

    def facts(self) -> HostFacts:
        result = self.run(FACTS_SCRIPT, timeout=20, stdin=False)
        if result.exit_code is None:
            raise BackendError("facts: the instance did not answer within 20 s")
        head, _, release = result.stdout.decode("utf-8", "replace").partition("---\n")
        info = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
        os_release = parse_os_release(release)
        return HostFacts(
            hostname=info.get("hostname", "").strip(),
            ip_address=pick_address(self._address_hint(), info.get("addresses", "").split()),
            platform_type="Linux",
            platform_name=os_release.get("NAME", "Linux") if os_release else info.get("lsb_id", "").strip(),
            platform_version=os_release.get("VERSION_ID", "") if os_release else info.get("lsb_release", "").strip(),
            os_id=os_release.get("ID", "linux"),
            pretty_name=os_release.get("PRETTY_NAME", os_release.get("NAME", "Linux")),
            kernel=info.get("kernel", "").strip(),
            architecture=info.get("architecture", "").strip(),
            os_release=os_release,
        )


def new_tag() -> str:
    return f"{TAG_VAR}={uuid.uuid4().hex}"


def wrap_command(command: Command, env: Mapping[str, str] | None, cwd: str | None, tag: str) -> list[str]:
    """The argv that runs `command` with `env` (plus the tag) in `cwd`, under /bin/sh."""
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    if not argv:
        raise ValueError("empty command")
    pairs = []
    for name, value in (env or {}).items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"invalid environment variable name: {name!r}")
        pairs.append(f"{name}={value}")
    return ["/bin/sh", "-c", WRAPPER, "ssm-emulator", cwd or "", *pairs, tag, "--", *argv]


def kill_command(tag: str) -> list[str]:
    return ["/bin/sh", "-c", KILL_SCRIPT, "ssm-emulator-kill", tag]


def signal_command(tag: str, name: str) -> list[str]:
    return ["/bin/sh", "-c", SIGNAL_SCRIPT, "ssm-emulator-signal", name, tag]


def shell_join(argv: Sequence[str]) -> str:
    return shlex.join(argv)


def parse_os_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, raw = line.split("=", 1)
        try:
            values[key] = " ".join(shlex.split(raw))
        except ValueError:  # an unbalanced quote: keep the text as written
            values[key] = raw.strip("\"'")
    return values


def pick_address(hint: str | None, reported: Sequence[str]) -> str:
    """The instance's own address: a non-loopback one, IPv4 first; "" when it has none, since SSM Agent never
    reports a loopback address (it skips loopback interfaces: amazon-ssm-agent agent/platform/platform.go)."""

    def usable(a: str | None) -> bool:
        return bool(a) and not a.startswith("127.") and a != "::1"

    if usable(hint):
        return hint  # type: ignore[return-value]
    for address in sorted(reported, key=lambda a: ":" in a):
        if usable(address):
            return address
    return ""
