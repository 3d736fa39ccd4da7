"""Port sessions without smux: the agent's BasicPortSession (agent/session/plugins/port/port_basic.go), which
serves the plugin's two raw modes (reference 6.4, 6.6):

* stdio: AWS-StartSSHSession, whose properties have no `type` (`ssh -o ProxyCommand=...`). The plugin sends
  stdin as Output payloads and writes every payload it gets to stdout.
* basic: `type` LocalPortForwarding with a client older than 1.1.70 (handshake.client_supports_smux). The
  plugin relays one local TCP connection at a time; when it ends, the plugin sends the Flag DisconnectToPort
  and accepts the next one.

The agent side is the same for both: right after the handshake it dials the destination inside the instance
(`open_tcp`), writes the client's Output payloads to it as they are and sends back what it reads. The modes
part where that connection ends. DisconnectToPort closes it, and so does the destination hanging up in basic
mode: the next Output redials. In stdio mode the destination's end is the session's end. A failed dial ends
the session as Failed with the agent's "Unable to connect to specified port" as channel_closed's Output: the
plugin writes any payload into the connection or stdout, so a ConnectToPortError flag would only corrupt the
user's bytes (reference 5).

`BasicPortRelay` is the Process-like object PortForwardingSession drives, as `PortRelay` is in smux mode.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING

from emulator.backends import BackendError, ByteStream

if TYPE_CHECKING:
    from emulator.session_manager.port_forwarding import PortForwardingSession

# Client bytes acked but not yet written to the destination(s), in either port relay. Beyond it the session
# stops taking input: the client's message goes unacked and is resent later, as with the agent, which acks
# only once it has written.
INPUT_LIMIT = 4 << 20

log = logging.getLogger("ssm_emulator.session_manager")

UNABLE_TO_CONNECT = "Unable to connect to specified port: {error}"  # the agent's wording


class _Disconnect:
    """In the outbox: DisconnectToPort, in its place among the client's bytes."""


DISCONNECT = _Disconnect()


class BasicPortRelay:
    """The client's raw bytes to one destination connection and back. A writer thread dials and writes in
    the order the client sent; a reader thread per connection reads."""

    def __init__(self, session: PortForwardingSession, redials: bool) -> None:
        self.session = session
        self.redials = redials  # basic mode: a connection's end waits for the next Output; stdio: it ends all
        self.lock = session._lock
        self.outbox: queue.Queue[bytes | _Disconnect | None] = queue.Queue()
        self.pending = 0  # bytes in the outbox (under the lock)
        self.tcp: ByteStream | None = None
        self._ended = False
        threading.Thread(target=self._write, name=f"port-{session.plan.session_id}-w", daemon=True).start()

    # --- what LiveSession calls (under its lock) ---------------------------------------------------------
    def write(self, data: bytes) -> None:
        self.pending += len(data)
        self.outbox.put(data)

    def accepts_input(self) -> bool:
        return self.pending < INPUT_LIMIT

    def disconnect(self) -> None:
        self.outbox.put(DISCONNECT)

    def resize(self, cols: int, rows: int) -> None:
        pass

    def wait(self, timeout: float | None = None) -> None:
        pass

    def kill(self) -> None:
        self._end("Terminated", None)

    def close(self) -> None:
        self._stop()

    # --- threads -----------------------------------------------------------------------------------------
    def _write(self) -> None:
        if self._dial() is None:
            return
        while (item := self.outbox.get()) is not None:
            if item is DISCONNECT:
                self._hang_up()
                continue
            with self.lock:
                tcp = self.tcp
            if tcp is None and (tcp := self._dial()) is None:
                return
            try:
                tcp.sendall(item)  # type: ignore[arg-type]
            except (OSError, BackendError) as error:
                self._connection_ended(tcp, error)
            finally:
                with self.lock:
                    self.pending -= len(item)  # type: ignore[arg-type]

    def _dial(self) -> ByteStream | None:
        host, port = self.session.destination
        try:
            tcp = self.session._backend().open_tcp(host, port)
        except (OSError, BackendError, ValueError) as error:
            log.info("session %s: connecting to %s:%d failed: %s", self.session.plan.session_id, host, port, error)
            self._end("Failed", UNABLE_TO_CONNECT.format(error=error))
            return None
        with self.lock:
            if self._ended:
                ended = True
            else:
                ended, self.tcp = False, tcp
        if ended:
            _close(tcp)
            return None
        threading.Thread(target=self._read, args=(tcp,), name=f"port-{self.session.plan.session_id}-r",
                         daemon=True).start()
        return tcp

    def _read(self, tcp: ByteStream) -> None:
        error: Exception | None = None
        try:
            self.session.forward_reads(tcp, lambda data: (data,))  # raw: the read is the payload
        except Exception as failure:  # noqa: BLE001 - closed under us, or the backend broke: the connection ends
            error = failure
        self._connection_ended(tcp, error)

    # --- ending ------------------------------------------------------------------------------------------
    def _connection_ended(self, tcp: ByteStream, error: Exception | None) -> None:
        with self.lock:
            current = self.tcp is tcp
            if current:
                self.tcp = None
        _close(tcp)
        if not current or self.redials:  # hung up on purpose, or basic mode: the next Output redials
            return
        if error is None:
            self._end("Terminated", "")
        else:
            self._end("Failed", f"Failed to read from port: {error}")

    def _hang_up(self) -> None:
        with self.lock:
            tcp, self.tcp = self.tcp, None
        if tcp is not None:
            _close(tcp)

    def _stop(self) -> bool:
        """Close everything; False if it was closed already."""
        with self.lock:
            if self._ended:
                return False
            self._ended = True
            tcp, self.tcp = self.tcp, None
        self.outbox.put(None)
        if tcp is not None:
            _close(tcp)
        return True

    def _end(self, status: str, output: str | None) -> None:
        if self._stop():
            self.session.relay_ended(status, output)


def _close(tcp: ByteStream) -> None:
    # close_write first: closing alone does not end a connection another thread is reading (see PortRelay).
    for end in (tcp.close_write, tcp.close):
        try:
            end()
        except (OSError, BackendError):
            pass
