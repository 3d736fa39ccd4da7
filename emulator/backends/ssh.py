"""A host reached over SSH as a managed instance (paramiko).

Channels are multiplexed over few connections: opening a channel costs one round trip, a new connection
several plus authentication. OpenSSH allows 10 sessions per connection (MaxSessions), so when a server
refuses one more, another connection is opened beside the first.
"""
from __future__ import annotations

import io
import logging
import posixpath
import shlex
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import paramiko

from emulator.backends.base import (
    BackendError,
    ByteStream,
    Command,
    InstanceBackend,
    Process,
    new_tag,
    shell_join,
    wrap_command,
)

log = logging.getLogger("ssm_emulator.backends")

HostKeyPolicy = Literal["accept", "strict"]


@dataclass(frozen=True)
class SshTarget:
    host: str
    port: int = 22
    username: str = "root"
    password: str | None = None
    private_key: str | None = None  # the key's text (OpenSSH or PEM)
    key_filename: str | None = None
    passphrase: str | None = None
    # "accept": trust and remember whatever key the host shows (test machines, throwaway hosts);
    # "strict": the host must be in known_hosts (the given file, else ~/.ssh/known_hosts).
    host_key_policy: HostKeyPolicy = "accept"
    known_hosts: str | None = None
    connect_timeout: float = 10.0


class SshProcess(Process):
    def __init__(self, backend: SshBackend, channel: paramiko.Channel, tty: bool, tag: str, sudo: bool) -> None:
        super().__init__(tty, tag)
        self._backend = backend
        self._channel = channel
        self._sudo = sudo
        self._pending_readers = 2
        self._lock = threading.Lock()
        # paramiko blocks per stream, so one thread each; the output ends when both have.
        for stream in ("stdout", "stderr"):
            threading.Thread(target=self._pump, args=(stream,), name=f"ssh-{stream}", daemon=True).start()

    def _pump(self, stream: Literal["stdout", "stderr"]) -> None:
        receive = self._channel.recv if stream == "stdout" else self._channel.recv_stderr
        try:
            while data := receive(65536):
                self._emit(stream, data)
        except (OSError, EOFError, paramiko.SSHException):
            pass
        with self._lock:
            self._pending_readers -= 1
            if self._pending_readers:
                return
        status = self._channel.recv_exit_status()
        # paramiko ignores "exit-signal" and leaves -1: report a kill of ours as a shell would (128+9).
        self._finish(137 if status == -1 and self.killed else status)

    def write(self, data: bytes) -> None:
        self._channel.sendall(data)

    def close_stdin(self) -> None:
        self._channel.shutdown_write()

    def resize(self, cols: int, rows: int) -> None:
        if not self.tty:
            return
        try:
            self._channel.resize_pty(width=cols, height=rows)
        except paramiko.SSHException as e:  # "Channel is not open": the process ended (or its stdin closed)
            log.debug("ssh channel of %s has ended, not resized to %dx%d: %s", self.tag, cols, rows, e)
        except (OSError, EOFError) as e:
            raise BackendError(f"ssh resize on {self._backend.target.host}: {e}") from e

    def _run_on_instance(self, argv: list[str]) -> None:
        # kill() cannot just close the channel: without a pty, sshd leaves the command running.
        self._backend._run_quiet(["sudo", "-n", *argv] if self._sudo else argv)

    def close(self) -> None:
        super().close()
        self._channel.close()


class ChannelStream(ByteStream):
    """A ByteStream over a direct-tcpip channel."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self._channel = channel

    def sendall(self, data: bytes) -> None:
        self._channel.sendall(data)

    def recv(self, size: int = 65536) -> bytes:
        return self._channel.recv(size)

    def close_write(self) -> None:
        self._channel.shutdown_write()

    def close(self) -> None:
        self._channel.close()


class SshBackend(InstanceBackend):
    kind = "an SSH host"  # a machine the emulator only logs in to: no stop, start or images

    def __init__(self, target: SshTarget) -> None:
        self.target = target
        self._clients: list[paramiko.SSHClient] = []
        self._lock = threading.Lock()

    # --- connections -----------------------------------------------------------------------------------------
    def _connect(self) -> paramiko.SSHClient:
        t = self.target
        client = paramiko.SSHClient()
        if t.host_key_policy == "strict":
            if t.known_hosts:
                client.load_host_keys(t.known_hosts)
            else:
                client.load_system_host_keys()
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(
                t.host,
                port=t.port,
                username=t.username,
                password=t.password,
                pkey=_load_key(t.private_key, t.passphrase) if t.private_key else None,
                key_filename=t.key_filename,
                passphrase=t.passphrase,
                timeout=t.connect_timeout,
                banner_timeout=t.connect_timeout,
                auth_timeout=t.connect_timeout,
                allow_agent=False,  # only what the target says: no agent or ~/.ssh keys of the emulator's user
                look_for_keys=False,
            )
        except (paramiko.SSHException, OSError) as e:
            client.close()
            raise BackendError(f"ssh {t.username}@{t.host}:{t.port}: {e}") from e
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(30)  # NAT and firewalls drop idle connections
        try:
            # Without it each channel open waits out a delayed ACK (~40 ms): opens are small request/replies.
            transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[union-attr]
        except (AttributeError, OSError):
            pass
        return client

    def _transports(self) -> list[paramiko.Transport]:
        with self._lock:
            self._clients = [c for c in self._clients if _active(c)]
            if not self._clients:
                self._clients.append(self._connect())
            return [c.get_transport() for c in self._clients]  # type: ignore[misc]

    def _open_channel(self, kind: str = "session", **kw: Any) -> paramiko.Channel:
        timeout = self.target.connect_timeout
        for transport in self._transports():
            try:
                return transport.open_channel(kind, timeout=timeout, **kw)
            except paramiko.ChannelException as e:
                if kind != "session":  # direct-tcpip: the host could not connect to the destination
                    raise ConnectionRefusedError(f"{kw.get('dest_addr')} from {self.target.host}: {e}") from e
                # a session refused: this connection is at MaxSessions, try the next
            except (paramiko.SSHException, EOFError, OSError):
                continue  # a dead connection
        with self._lock:
            client = self._connect()
            self._clients.append(client)
        transport = client.get_transport()
        assert transport is not None
        try:
            return transport.open_channel(kind, timeout=timeout, **kw)
        except (paramiko.SSHException, EOFError, OSError) as e:
            raise BackendError(f"ssh {self.target.host}: cannot open a {kind} channel: {e}") from e

    def alive(self) -> bool:
        try:
            self._open_channel().close()
            return True
        except (BackendError, paramiko.SSHException, OSError):
            return False

    def _address_hint(self) -> str | None:
        try:
            return self._transports()[0].getpeername()[0]
        except (BackendError, OSError, IndexError):
            return None

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients = []

    # --- processes and files ---------------------------------------------------------------------------------
    def start_process(
        self,
        command: Command,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        tty: bool = False,
        stdin: bool = True,
    ) -> SshProcess:
        tag = new_tag()
        argv = wrap_command(command, env, cwd, tag)
        # Another user than the login one: through sudo, before the wrapper so the tag survives sudo's
        # environment reset. Needs passwordless sudo on the host, as the SSM Agent's runAs does.
        sudo = bool(user) and user != self.target.username
        if sudo:
            argv = ["sudo", "-n", "-H", "-u", user, "--", *argv]  # type: ignore[list-item]
        channel = self._open_channel()
        try:
            if tty:
                channel.get_pty(term="xterm", width=80, height=24)
            channel.exec_command(shell_join(argv))
        except paramiko.SSHException as e:
            channel.close()
            raise BackendError(f"ssh {self.target.host}: {e}") from e
        process = SshProcess(self, channel, tty, tag, sudo)
        if not stdin:
            process.close_stdin()
        return process

    def _run_quiet(self, argv: list[str]) -> None:
        channel = self._open_channel()
        try:
            channel.exec_command(shell_join(argv))
            channel.recv_exit_status()
        finally:
            channel.close()

    def put_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        try:
            sftp = paramiko.SFTPClient.from_transport(self._transports()[0])
        except (paramiko.SSHException, EOFError, OSError):
            sftp = None  # no sftp subsystem (some embedded servers): fall back to the shell
        if sftp is None:
            folder, quoted = shlex.quote(posixpath.dirname(path) or "/"), shlex.quote(path)
            script = f"mkdir -p {folder} && cat > {quoted} && chmod {mode:o} {quoted}"
            process = self.start_process(script)
            process.write(data)
            process.close_stdin()
            result = process.collect(60)
            if result.exit_code != 0:
                raise BackendError(f"put_file {path}: {result.stderr.decode(errors='replace').strip()}")
            return
        try:
            _makedirs(sftp, posixpath.dirname(path))
            sftp.putfo(io.BytesIO(data), path, confirm=False)
            sftp.chmod(path, mode)
        except OSError as e:
            raise BackendError(f"put_file {path} on {self.target.host}: {e}") from e
        finally:
            sftp.close()

    def open_tcp(self, host: str, port: int) -> ChannelStream:
        # A direct-tcpip channel: sshd connects from the host itself, as the SSM Agent would.
        return ChannelStream(self._open_channel("direct-tcpip", dest_addr=(host, port), src_addr=("127.0.0.1", 0)))


def _active(client: paramiko.SSHClient) -> bool:
    transport = client.get_transport()
    return transport is not None and transport.is_active()


def _makedirs(sftp: paramiko.SFTPClient, folder: str) -> None:
    if folder in ("", "/"):
        return
    try:
        sftp.stat(folder)
    except FileNotFoundError:
        _makedirs(sftp, posixpath.dirname(folder))
        sftp.mkdir(folder)


def _load_key(text: str, passphrase: str | None) -> paramiko.PKey:
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError):
            continue
    raise BackendError("private_key: not an Ed25519, ECDSA or RSA private key")

