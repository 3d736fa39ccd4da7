"""A Docker container as a managed instance, through the engine's API (docker SDK; honours DOCKER_HOST).

Processes are execs started with the low-level API on a hijacked socket: the frames are demultiplexed here
(8-byte header: stream, 0, 0, 0, big-endian length) so stdout and stderr stay apart and arrive as they are
written; the SDK's helpers would buffer whole outputs or merge the streams.
"""
from __future__ import annotations

import io
import logging
import os
import socket
import tarfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

import docker
import docker.errors

from emulator.backends.base import (
    BackendError,
    ByteStream,
    Command,
    InstanceBackend,
    MachineState,
    Process,
    new_tag,
    wrap_command,
)

log = logging.getLogger("ssm_emulator.backends")

TcpMode = Literal["auto", "direct", "exec"]
_STREAMS = {1: "stdout", 2: "stderr"}
# How the engine refuses to resize an exec whose process is gone: 500 "cannot resize a stopped container"
# (or "... a deleted process") when it has just exited, 404 "no such exec" once the engine forgot it, 409
# when the container itself stopped. A terminal can be resized at any moment, also just after its process
# ended: that is no error.
_RESIZE_GONE = (404, 409, 500)

# open_tcp inside the instance when connecting directly would not be the same thing. bash's /dev/tcp lets the
# relay say "connected" (on stderr) once the connection is up, so a refused port fails open_tcp itself; nc
# (busybox images) is the fallback, where failure shows as an immediately ended stream.
RELAY_SCRIPT = r"""
if command -v bash >/dev/null 2>&1; then
  exec bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 111
    echo connected >&2
    exec 4<&0
    cat <&3 & r=$!
    cat <&4 >&3 & w=$!
    wait $r; kill $w 2>/dev/null' relay "$1" "$2"
fi
echo connected >&2
exec nc "$1" "$2"
"""


class DockerProcess(Process):
    def __init__(
        self, backend: DockerBackend, exec_id: str, sock: socket.socket, tty: bool, tag: str, early: bytes = b""
    ) -> None:
        super().__init__(tty, tag)
        self._backend = backend
        self._exec_id = exec_id
        self._sock = sock
        self._early = early  # bytes read before the socket was handed over; they come first
        self._reader = threading.Thread(target=self._pump, name=f"docker-exec-{exec_id[:12]}", daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        try:
            if self.tty:  # a tty has one raw stream, no frames
                if self._early:
                    self._emit("stdout", self._early)
                while data := self._sock.recv(65536):
                    self._emit("stdout", data)
            else:
                self._demultiplex()
        except OSError:
            pass  # the socket was closed under us (close()); the exit code still tells the end
        self._finish(self._backend._exit_code(self._exec_id))

    def _demultiplex(self) -> None:
        buffer = bytearray(self._early)
        stream, remaining = "stdout", 0
        while True:
            while buffer:
                if remaining == 0:
                    if len(buffer) < 8:
                        break
                    stream, remaining = _STREAMS.get(buffer[0], "stdout"), int.from_bytes(buffer[4:8], "big")
                    del buffer[:8]
                    continue
                # Emit partial frames too: a frame's payload may arrive across several reads.
                piece = bytes(buffer[:remaining])
                del buffer[:remaining]
                remaining -= len(piece)
                self._emit(stream, piece)  # type: ignore[arg-type]
            data = self._sock.recv(65536)
            if not data:
                return
            buffer += data

    def write(self, data: bytes) -> None:
        self._sock.sendall(data)

    def close_stdin(self) -> None:
        # The engine reads a half-closed hijacked connection as end of stdin.
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def resize(self, cols: int, rows: int) -> None:
        if not self.tty:
            return
        try:
            self._backend._api.exec_resize(self._exec_id, height=rows, width=cols)
        except docker.errors.APIError as e:
            if e.status_code not in _RESIZE_GONE:
                raise BackendError(f"docker exec resize in {self._backend.container}: {e}") from e
            log.debug("exec %s has ended, not resized to %dx%d: %s", self._exec_id[:12], cols, rows,
                      e.explanation)
        except docker.errors.DockerException as e:
            raise BackendError(f"docker exec resize in {self._backend.container}: {e}") from e

    def _run_on_instance(self, argv: list[str]) -> None:
        self._backend._exec_quiet(argv)

    def close(self) -> None:
        super().close()
        try:
            self._sock.close()
        except OSError:
            pass


class ProcessStream(ByteStream):
    """A ByteStream over a relay process's stdin and stdout."""

    def __init__(self, process: Process) -> None:
        self._process = process
        self._pending = b""

    def sendall(self, data: bytes) -> None:
        self._process.write(data)

    def recv(self, size: int = 65536) -> bytes:
        while not self._pending:
            chunk = self._process.read()
            if chunk is None:
                return b""
            if chunk.stream == "stdout":
                self._pending = chunk.data
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close_write(self) -> None:
        self._process.close_stdin()

    def close(self) -> None:
        # An exec outlives its connection: end the relay, or it lingers until the server hangs up.
        if self._process.wait(0) is None:
            self._process.kill()
        self._process.close()


class SocketStream(ByteStream):
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(data)

    def recv(self, size: int = 65536) -> bytes:
        return self._sock.recv(size)

    def recv_into(self, buffer: bytearray | memoryview) -> int:
        return self._sock.recv_into(buffer)

    def close_write(self) -> None:
        self._sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        # close() alone does not end a connection another thread is blocked reading: shut it down first
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


class DockerBackend(InstanceBackend):
    """A container, by name or ID. `tcp`: how open_tcp connects (see `open_tcp`)."""

    kind = "a Docker container"

    def __init__(
        self, container: str, *, client: docker.DockerClient | None = None, tcp: TcpMode = "auto"
    ) -> None:
        self.container = container
        self._owns_client = client is None
        self._client = client or docker.from_env()
        self._api = self._client.api
        self._tcp = tcp

    def _inspect(self) -> dict[str, Any]:
        return self._api.inspect_container(self.container)

    def alive(self) -> bool:
        try:
            state = self._inspect()["State"]
        except (docker.errors.DockerException, OSError):
            return False
        return bool(state.get("Running")) and not state.get("Paused") and not state.get("Restarting")

    def _address_hint(self) -> str | None:
        try:
            settings = self._inspect().get("NetworkSettings") or {}
        except docker.errors.DockerException:
            return None
        for network in (settings.get("Networks") or {}).values():
            if network.get("IPAddress"):
                return network["IPAddress"]
        return settings.get("IPAddress") or None  # None with network_mode=host: the script's answer counts

    def start_process(
        self,
        command: Command,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        tty: bool = False,
        stdin: bool = True,
    ) -> DockerProcess:
        tag = new_tag()
        try:
            exec_id = self._api.exec_create(
                self.container, wrap_command(command, env, cwd, tag), stdin=stdin, tty=tty, user=user or ""
            )["Id"]
            sock: Any = self._api.exec_start(exec_id, tty=tty, socket=True)
        except docker.errors.DockerException as e:
            raise BackendError(f"docker exec in {self.container}: {e}") from e
        # Unix sockets come wrapped in a SocketIO; the raw socket is what can half-close. The client's read
        # timeout (60 s) would otherwise cut off any process quiet for a minute.
        raw: socket.socket = getattr(sock, "_sock", sock)
        early = _take_buffered(sock, raw)
        raw.settimeout(None)
        process = DockerProcess(self, exec_id, raw, tty, tag, early)
        if tty:  # an exec's tty starts at 0x0, which full-screen programs refuse; match ssh's 80x24
            try:
                process.resize(80, 24)
            except BackendError as e:  # it runs all the same, at 0x0 until the next resize
                log.warning("%s", e)
        return process

    def _exit_code(self, exec_id: str) -> int | None:
        # The stream can end a moment before the engine records the exit code.
        deadline = time.monotonic() + 5
        while True:
            try:
                info = self._api.exec_inspect(exec_id)
            except docker.errors.DockerException:
                return None
            if not info.get("Running") or time.monotonic() > deadline:
                return info.get("ExitCode")
            time.sleep(0.02)

    def _exec_quiet(self, argv: list[str]) -> bytes:
        """Run a helper as root (user 0 exists even without /etc/passwd) and return its output."""
        try:
            exec_id = self._api.exec_create(self.container, argv, user="0")["Id"]
            return self._api.exec_start(exec_id)
        except docker.errors.DockerException as e:
            raise BackendError(f"docker exec in {self.container}: {e}") from e

    def put_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        # put_archive at "/" with a relative member name: the engine creates the missing parent folders.
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        try:
            self._api.put_archive(self.container, "/", archive.getvalue())
        except docker.errors.DockerException as e:
            raise BackendError(f"put_file {path} in {self.container}: {e}") from e

    def open_tcp(self, host: str, port: int) -> ByteStream:
        """Connect directly when the emulator provably shares the container's network namespace (host
        networking, engine on this machine): same answer, no exec. Otherwise relay through an exec inside the
        container, so "localhost" and names resolve as the instance sees them."""
        if self._tcp == "direct" or (self._tcp == "auto" and self._shares_network_namespace()):
            return SocketStream(_connect(host, port))
        relay = self.start_process(["/bin/sh", "-c", RELAY_SCRIPT, "relay", host, str(port)])
        ready = relay.read(timeout=15)
        if ready is None or ready.stream != "stderr" or not ready.data.startswith(b"connected"):
            relay.kill()
            relay.close()
            detail = ready.data.decode(errors="replace").strip() if ready else "relay ended"
            raise ConnectionRefusedError(f"{host}:{port} from {self.container}: {detail}")
        return ProcessStream(relay)

    def _shares_network_namespace(self) -> bool:
        if not self._api.base_url.startswith("http+docker://localhost"):
            return False  # a remote engine: its PIDs are not ours
        try:
            info = self._inspect()
            pid = info["State"]["Pid"]
            # The PID is the engine's; make sure it names the container here too (not a different PID
            # namespace, as when the emulator itself runs in a container).
            with open(f"/proc/{pid}/cgroup") as f:
                if info["Id"] not in f.read():
                    return False
            return os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net")
        except (OSError, KeyError, docker.errors.DockerException):
            return False

    # --- the container itself ---------------------------------------------------------------------------------
    def state(self) -> MachineState:
        try:
            state = self._inspect()["State"]
        except docker.errors.NotFound:
            return "removed"
        except (docker.errors.DockerException, OSError):
            return "unreachable"
        # Paused or restarting (a crashing container under a restart policy) answers nothing: not running.
        running = state.get("Running") and not state.get("Paused") and not state.get("Restarting")
        return "running" if running else "stopped"

    def stop(self, *, force: bool = False, grace: float = 10.0) -> None:
        with _errors(f"stop {self.container}"):
            if not force:
                self._api.stop(self.container, timeout=max(0, round(grace)))
            elif self._inspect()["State"].get("Running"):
                self._api.kill(self.container)  # SIGKILL; the engine marks it exited a moment later
                self._api.wait(self.container, timeout=30)

    def start(self) -> None:
        with _errors(f"start {self.container}"):
            if self._inspect()["State"].get("Paused"):
                self._api.unpause(self.container)
            self._api.start(self.container)  # a running container: nothing happens

    def restart(self, *, grace: float = 10.0) -> None:
        with _errors(f"restart {self.container}"):
            self._api.restart(self.container, timeout=max(0, round(grace)))

    def remove(self) -> None:
        try:
            self._api.remove_container(self.container, force=True)
        except docker.errors.NotFound:
            pass  # gone already
        except docker.errors.DockerException as e:
            raise BackendError(f"remove {self.container}: {_explain(e)}") from e

    def commit(
        self, repository: str, tag: str = "latest", *, labels: Mapping[str, str] | None = None,
        message: str = "", pause: bool = False,
    ) -> str:
        # The engine merges the config given with the container's own: the labels are added to the container's,
        # the command and everything else are the container's. Not paused by default: on Docker 20.10 with a
        # cgroup v2 kernel (6.18, seen here) a paused container could then be neither unpaused nor removed, and
        # the engine hung every later image removal on it.
        with _errors(f"commit {self.container} as {repository}:{tag}"):
            return self._api.commit(
                self.container, repository, tag, message=message or None, pause=pause,
                conf={"Labels": dict(labels)} if labels else None,
            )["Id"]

    # --- images of its engine ------------------------------------------------------------------------------------
    def delete_image(self, image: str) -> None:
        delete_image(self._api, image)

    def tag_image(self, image: str, repository: str, tag: str = "latest") -> None:
        tag_image(self._api, image, repository, tag)

    def label_image(self, image: str, labels: Mapping[str, str], repository: str, tag: str = "latest") -> str:
        return label_image(self._api, image, labels, repository, tag)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


# --- images, for any holder of an engine client (a backend, or the registry with no container at hand) ----------
def delete_image(api: Any, image: str) -> None:
    """Delete the reference `image` (repository:tag, or an ID with all its tags). The image itself goes with
    its last reference, unless a container still uses it: then it stays, untagged, until that container goes
    (as `docker rmi -f` leaves it)."""
    with _errors(f"delete image {image}"):
        image_id = api.inspect_image(image)["Id"]
        api.remove_image(image, force=True)
    try:
        api.remove_image(image_id)  # not forced: what other tags or containers still use stays
    except docker.errors.DockerException:
        pass


def tag_image(api: Any, image: str, repository: str, tag: str = "latest") -> None:
    with _errors(f"tag image {image} as {repository}:{tag}"):
        api.tag(image, repository, tag, force=True)


def label_image(api: Any, image: str, labels: Mapping[str, str], repository: str, tag: str = "latest") -> str:
    """A copy of `image` with `labels` added, as repository:tag: committed from a container made from it and
    never started. The image repository:tag named before is deleted if nothing else uses it."""
    with _errors(f"label image {image}"):
        old_id = api.inspect_image(image)["Id"]
        created = api.create_container(image, labels=dict(labels))["Id"]
        try:
            new_id = api.commit(created, repository, tag, conf={"Labels": dict(labels)})["Id"]
        finally:
            api.remove_container(created, force=True)
    if new_id != old_id:
        try:
            api.remove_image(old_id)  # not forced: kept while tagged otherwise or used by a container
        except docker.errors.DockerException:
            pass
    return new_id


@contextmanager
def _errors(what: str) -> Iterator[None]:
    try:
        yield
    except (docker.errors.DockerException, OSError) as e:
        raise BackendError(f"{what}: {_explain(e)}") from e


def _explain(e: Exception) -> str:
    return str(getattr(e, "explanation", None) or e)


def _take_buffered(sock: Any, raw: socket.socket) -> bytes:
    """Output that arrived with the upgrade response. http.client read the headers through a buffered file,
    which may have swallowed the first frames too (seen in ~3% of short execs on a busy machine)."""
    try:
        buffered = sock._response.raw._fp.fp
    except AttributeError:
        return b""
    raw.setblocking(False)  # read1 returns what is buffered, or nothing: never waits for the process
    try:
        return buffered.read1(65536) or b""
    except (BlockingIOError, OSError, ValueError):
        return b""
    finally:
        raw.setblocking(True)


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # interactive use: no Nagle delays
    return sock
