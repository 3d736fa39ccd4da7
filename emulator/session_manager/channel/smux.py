"""smux v1 (xtaci/smux as the plugin vendors it) for multiplexed port forwarding (reference 6.5).

A frame is an 8-byte header `ver(1)=1 | cmd(1) | length(2, LE) | streamId(4, LE)` then `length` bytes.
The plugin cuts its smux byte stream into data-channel payloads of at most 1024 bytes, so frames are
split across and packed into messages: `FrameReader` reassembles them from arbitrary chunks, and
`StreamMultiplexer` turns frames into per-stream events and per-stream writes back into frames.
"""
from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

VERSION = 1
HEADER_SIZE = 8
MAX_FRAME_SIZE = 32768  # the plugin's smux client setting; the length field itself allows 65535
_HEADER = struct.Struct("<BBHI")


class SmuxCommand(enum.IntEnum):
    SYN = 0  # open a stream
    FIN = 1  # close a stream
    PSH = 2  # data
    NOP = 3  # keepalive
    UPD = 4  # v2 window update; never sent in v1 and ignored here


class SmuxError(ValueError):
    """A byte stream that is not smux v1."""


@dataclass(frozen=True, slots=True)
class SmuxFrame:
    command: SmuxCommand
    stream_id: int
    data: bytes = b""

    def encode(self) -> bytes:
        if len(self.data) > 0xFFFF:
            raise SmuxError(f"frame data of {len(self.data)} bytes does not fit the 16-bit length")
        return _HEADER.pack(VERSION, self.command, len(self.data), self.stream_id) + self.data


class FrameReader:
    """Reassembles frames from a byte stream delivered in arbitrary chunks."""

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, chunk: bytes) -> list[SmuxFrame]:
        self._pending += chunk
        frames = []
        offset = 0
        while len(self._pending) - offset >= HEADER_SIZE:
            version, command, length, stream_id = _HEADER.unpack_from(self._pending, offset)
            if version != VERSION:
                raise SmuxError(f"smux version {version}, expected {VERSION}")
            if len(self._pending) - offset - HEADER_SIZE < length:
                break
            try:
                command = SmuxCommand(command)
            except ValueError as error:
                raise SmuxError(f"unknown smux command {command}") from error
            start = offset + HEADER_SIZE
            frames.append(SmuxFrame(command, stream_id, bytes(self._pending[start:start + length])))
            offset = start + length
        del self._pending[:offset]
        return frames

    @property
    def pending(self) -> int:
        return len(self._pending)


@dataclass(frozen=True, slots=True)
class StreamOpened:
    stream_id: int


@dataclass(frozen=True, slots=True)
class StreamData:
    stream_id: int
    data: bytes


@dataclass(frozen=True, slots=True)
class StreamClosed:
    stream_id: int


StreamEvent = StreamOpened | StreamData | StreamClosed


class StreamMultiplexer:
    """One side of a smux session over one continuous byte stream per direction.

    The plugin's side is the smux client and opens odd ids from 3; the agent side (the emulator) accepts.
    Data for a stream never opened, or after its FIN, is dropped, as smux does."""

    def __init__(self, max_frame_size: int = MAX_FRAME_SIZE, first_stream_id: int = 3) -> None:
        self.max_frame_size = max_frame_size
        self._reader = FrameReader()
        self._open: set[int] = set()
        self._closed: set[int] = set()
        self._next_stream_id = first_stream_id

    @property
    def open_streams(self) -> frozenset[int]:
        return frozenset(self._open)

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """Received bytes (any split) to stream events in arrival order."""
        events: list[StreamEvent] = []
        for frame in self._reader.feed(chunk):
            if frame.command is SmuxCommand.SYN:
                if frame.stream_id not in self._open:
                    self._open.add(frame.stream_id)
                    events.append(StreamOpened(frame.stream_id))
            elif frame.command is SmuxCommand.PSH:
                if frame.stream_id in self._open and frame.data:
                    events.append(StreamData(frame.stream_id, frame.data))
            elif frame.command is SmuxCommand.FIN:
                if frame.stream_id in self._open:
                    self._open.discard(frame.stream_id)
                    self._closed.add(frame.stream_id)
                    events.append(StreamClosed(frame.stream_id))
        return events

    def open(self) -> tuple[int, bytes]:
        """A new outgoing stream (client role): its id and the SYN frame to send."""
        stream_id = self._next_stream_id
        self._next_stream_id += 2
        self._open.add(stream_id)
        return stream_id, SmuxFrame(SmuxCommand.SYN, stream_id).encode()

    def write(self, stream_id: int, data: bytes) -> bytes:
        """PSH frames for `data`, each at most max_frame_size; b"" once the stream is closed (a target may
        still answer after the peer's FIN)."""
        return b"".join(self.write_pieces(stream_id, data))

    def write_pieces(self, stream_id: int, data: bytes) -> tuple[bytes | memoryview, ...]:
        """The same frames as headers and slices of `data`, unjoined: forwarded bytes are never copied."""
        if stream_id in self._closed:
            return ()
        if stream_id not in self._open:
            raise SmuxError(f"stream {stream_id} is not open")
        view, size = memoryview(data), self.max_frame_size
        pieces: list[bytes | memoryview] = []
        for i in range(0, len(view), size):
            piece = view[i:i + size]
            pieces += (_HEADER.pack(VERSION, SmuxCommand.PSH, len(piece), stream_id), piece)
        return tuple(pieces)

    def close(self, stream_id: int) -> bytes:
        """The FIN for a stream this side ends (b"" if it is not open)."""
        if stream_id not in self._open:
            return b""
        self._open.discard(stream_id)
        self._closed.add(stream_id)
        return SmuxFrame(SmuxCommand.FIN, stream_id).encode()


def chunks(data: bytes, size: int = 1024) -> list[bytes]:
    """Cut a byte stream into data-channel payloads (the plugin sends at most 1024 bytes each)."""
    return [data[i:i + size] for i in range(0, len(data), size)]
