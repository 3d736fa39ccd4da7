"""Port sessions (AWS-StartPortForwardingSession, ...ToRemoteHost, AWS-StartSSHSession): the agent side
(reference 6.3-6.7). As the agent does, a session multiplexes with smux when its `type` is LocalPortForwarding
and the client's HandshakeResponse announces ClientVersion 1.1.70 or later; otherwise it relays one raw
connection, in basic or stdio mode (port_basic.py). The rest of this module is smux mode.

The handshake announces AgentVersion 3.3.0.0 (> 3.0.196.0, > 3.1.1511.0) with the document's session
properties, `type` LocalPortForwarding, so the plugin multiplexes with smux and keeps its keepalive off. The
client's Output payloads are one continuous smux byte stream (frames split across and packed into messages);
each SYN dials the destination inside the instance (`open_tcp`), PSH bytes go to it, FIN half-closes it; what
the destination sends comes back as PSH frames (one Output message per read, see READ_SIZE), its end as a FIN. A failed dial
sends the Flag ConnectToPortError (3) and a FIN. Flag TerminateSession (2, Ctrl-C) ends the session.

`PortForwardingSession` reuses LiveSession (websocket, acks, resends, resume, ending); its "process" is a
`PortRelay`, which the base class writes client input to and kills/closes at the end.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from emulator.backends import BackendError, ByteStream
from emulator.session_manager.channel.agent import AgentChannel
from emulator.session_manager.channel.handshake import SessionType, client_supports_smux
from emulator.session_manager.channel.messages import Payload, PayloadType
from emulator.session_manager.channel.smux import SmuxError, StreamClosed, StreamData, StreamMultiplexer, \
    StreamOpened
from emulator.session_manager.channel.terminal import PayloadFlag, flag_payload
from emulator.session_manager.data_channel import LiveSession, SessionPlan
from emulator.session_manager.port_basic import INPUT_LIMIT, BasicPortRelay

log = logging.getLogger("ssm_emulator.session_manager")

LOCAL_PORT_FORWARDING = "LocalPortForwarding"
DEFAULT_HOST = "localhost"  # the instance itself, as the agent dials it
# One read from a destination becomes one output message (the plugin takes payloads of any size; per-message
# costs, digest aside, dominate below a few tens of KiB). Reads land in a session's fixed set of buffers,
# each reused once the client has acked the message that carries it: no fresh memory per read (page faults
# cost as much as the SHA-256), and at most READ_BUFFERS x READ_SIZE unacked per session, so a destination
# faster than the client waits instead of filling the emulator's memory.
READ_SIZE = 1 << 18
READ_BUFFERS = 32


def supported(properties: dict[str, Any]) -> str | None:
    """Why the emulator cannot serve these properties (None: it can)."""
    try:
        port = int(str(properties.get("portNumber", "")))
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        return f"portNumber {properties.get('portNumber')!r} is not a port."
    return None


class ReadBuffers:
    """A fixed set of read buffers, each lent to one output message until the client acks it."""

    def __init__(self, count: int = READ_BUFFERS, size: int = READ_SIZE) -> None:
        self._free = [bytearray(size) for _ in range(count)]
        self._lent: dict[int, bytearray] = {}  # by the sequence number of the message carrying it
        self._closed = False
        self._cond = threading.Condition()

    def take(self) -> bytearray | None:
        """A free buffer, waiting for one if all are lent; None once closed."""
        with self._cond:
            while not self._free and not self._closed:
                self._cond.wait()
            return None if self._closed else self._free.pop()

    def lend(self, buffer: bytearray, sequence_number: int) -> None:
        with self._cond:
            self._lent[sequence_number] = buffer

    def give_back(self, buffer: bytearray) -> None:
        with self._cond:
            self._free.append(buffer)
            self._cond.notify()

    def released(self, sequence_number: int) -> None:
        """OutgoingStream's release hook: the message will not be sent again."""
        with self._cond:
            buffer = self._lent.pop(sequence_number, None)
            if buffer is not None:
                self._free.append(buffer)
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class PortForwardingSession(LiveSession):
    def __init__(self, plan: SessionPlan, *args: Any, **kwargs: Any) -> None:
        super().__init__(plan, *args, **kwargs)
        self.channel = AgentChannel(plan.session_id, SessionType.PORT, dict(plan.properties or {}))
        self.buffers = ReadBuffers()
        self.channel.outgoing.on_release = self.buffers.released
        properties = plan.properties or {}
        self.destination = (str(properties.get("host") or DEFAULT_HOST), int(str(properties.get("portNumber"))))

    def _start_process(self) -> str | None:  # under the lock, right after the handshake
        local_port_forwarding = (self.plan.properties or {}).get("type") == LOCAL_PORT_FORWARDING
        if local_port_forwarding and client_supports_smux(self.channel.client_version):
            self._process = PortRelay(self)  # type: ignore[assignment]
        else:
            self._process = BasicPortRelay(self, redials=local_port_forwarding)  # type: ignore[assignment]
        return None

    def _flag_received(self, flag: PayloadFlag | int) -> None:
        if flag == PayloadFlag.DISCONNECT_TO_PORT and isinstance(self._process, BasicPortRelay):
            self._process.disconnect()

    # called by the relay's threads
    def send_stream(self, payload: Payload, payload_type: PayloadType = PayloadType.OUTPUT) -> int | None:
        """Send `payload` as one message (pieces) or several (bytes); the last sequence number used, or None."""
        if not payload:
            return None
        with self._lock:
            if self._finished:
                return None
            now = self._clock()
            self.last_activity = now
            self._acked.clear()
            self._send(self.channel.send(payload, now, payload_type))
            return self.channel.outgoing.next_sequence_number - 1

    def _input_ready(self) -> bool:
        return self._process is not None and self._process.accepts_input()  # type: ignore[attr-defined]

    def forward_reads(self, tcp: ByteStream, frame: Callable[[memoryview], Payload]) -> None:
        """What the destination sends, to the client until it ends: each read, framed by `frame`, one message
        carrying a lent buffer. Backend errors propagate."""
        buffers = self.buffers
        while (buffer := buffers.take()) is not None:
            size = tcp.recv_into(buffer)
            if not size:
                buffers.give_back(buffer)
                return
            with self._lock:  # the ack that gives the buffer back cannot come before it is lent
                sent = self.send_stream(frame(memoryview(buffer)[:size]))
                if sent is None:
                    buffers.give_back(buffer)
                else:
                    buffers.lend(buffer, sent)

    def relay_ended(self, status: str = "Terminated", output: str | None = None) -> None:
        output = (self._end_output or "") if output is None else output
        threading.Thread(target=self._finish, args=(status, output),
                         name=f"session-{self.plan.session_id}-end", daemon=True).start()


class _Connection:
    """One smux stream joined to one TCP connection: a thread dials then writes, another reads."""

    def __init__(self, relay: PortRelay, stream_id: int) -> None:
        self.relay = relay
        self.stream_id = stream_id
        self.outbox: queue.Queue[bytes | None] = queue.Queue()
        self.pending = 0  # bytes in the outbox (under the relay's lock)
        self.tcp: ByteStream | None = None
        self.closed = False
        threading.Thread(target=self._dial_and_write, name=f"port-{stream_id}-w", daemon=True).start()

    def _dial_and_write(self) -> None:
        relay = self.relay
        host, port = relay.session.destination
        try:
            tcp = relay.session._backend().open_tcp(host, port)
        except (OSError, BackendError, ValueError) as error:
            log.info("session %s: stream %d: connecting to %s:%d failed: %s", relay.session.plan.session_id,
                     self.stream_id, host, port, error)
            relay.session.send_stream(flag_payload(PayloadFlag.CONNECT_TO_PORT_ERROR), PayloadType.FLAG)
            relay.end_stream(self)
            return
        with relay.lock:
            if self.closed:
                tcp.close()
                return
            self.tcp = tcp
        threading.Thread(target=self._read, args=(tcp,), name=f"port-{self.stream_id}-r", daemon=True).start()
        while (data := self.outbox.get()) is not None:
            try:
                tcp.sendall(data)
            except (OSError, BackendError):
                break
            finally:
                with relay.lock:
                    self.pending -= len(data)
        self.close()

    def _read(self, tcp: ByteStream) -> None:
        relay = self.relay
        try:  # one read, one message: its smux frames as unjoined pieces of the read buffer
            relay.session.forward_reads(tcp, lambda data: relay.mux.write_pieces(self.stream_id, data))
        except Exception as error:  # noqa: BLE001 - closed under us, or the backend broke: the stream ends
            log.debug("session %s: stream %d: %s", relay.session.plan.session_id, self.stream_id, error)
        relay.end_stream(self)

    def close(self) -> None:
        with self.relay.lock:
            if self.closed and self.tcp is None:
                return
            self.closed, tcp, self.tcp = True, self.tcp, None
        self.outbox.put(None)
        if tcp is not None:
            # close_write first: SocketStream.close alone does not end a connection another thread is reading
            # (the blocked recv keeps the socket alive), so the destination would never hear of it.
            for end in (tcp.close_write, tcp.close):
                try:
                    end()
                except (OSError, BackendError):
                    pass


class PortRelay:
    """The Process-like object LiveSession drives: `write` takes the client's smux bytes."""

    def __init__(self, session: PortForwardingSession) -> None:
        self.session = session
        self.mux = StreamMultiplexer()
        self.lock = session._lock  # one lock for the channel, the mux and the connections: no ordering to get wrong
        self.connections: dict[int, _Connection] = {}
        self._ended = False

    def write(self, data: bytes) -> None:
        try:
            events = self.mux.feed(data)
        except SmuxError as error:
            log.warning("session %s: not smux: %s", self.session.plan.session_id, error)
            return
        for event in events:
            if isinstance(event, StreamOpened):
                self.connections[event.stream_id] = _Connection(self, event.stream_id)
            elif isinstance(event, StreamData):
                connection = self.connections.get(event.stream_id)
                if connection is not None:
                    connection.pending += len(event.data)
                    connection.outbox.put(event.data)
            elif isinstance(event, StreamClosed):
                # The plugin closed its stream (the local connection ended). smux drops writes after a FIN,
                # so like the agent: deliver what is queued, then close the destination connection.
                connection = self.connections.pop(event.stream_id, None)
                if connection is not None:
                    connection.outbox.put(None)

    def accepts_input(self) -> bool:
        return sum(connection.pending for connection in self.connections.values()) < INPUT_LIMIT

    def end_stream(self, connection: _Connection) -> None:
        """The destination ended (or never connected): FIN to the client, drop the connection."""
        with self.lock:
            fin = self.mux.close(connection.stream_id)
            self.connections.pop(connection.stream_id, None)
            self.session.send_stream(fin)
        connection.close()

    def resize(self, cols: int, rows: int) -> None:
        pass

    def kill(self) -> None:
        with self.lock:
            if self._ended:
                return
            self._ended = True
            connections = list(self.connections.values())
            self.connections.clear()
        self.session.buffers.close()  # a reader waiting for a buffer stops
        for connection in connections:
            connection.close()
        self.session.relay_ended()

    def close(self) -> None:
        with self.lock:
            connections = list(self.connections.values())
            self.connections.clear()
            self._ended = True
        self.session.buffers.close()
        for connection in connections:
            connection.close()

    def wait(self, timeout: float | None = None) -> None:
        pass
