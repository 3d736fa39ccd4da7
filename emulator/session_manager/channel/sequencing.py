"""Per-direction stream state of the data channel (reference section 7). Time is passed in; nothing sleeps.

Each direction numbers its stream-data messages from 0 (handshake, size, keystrokes and flags share the
counter; acks and channel_closed do not use it). The sender keeps what is unacked and resends the oldest
once it is older than the retransmission timeout; the receiver delivers in order, buffers what is ahead,
and acks like the agent does: what it processes, what it buffers, and duplicates again.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from .messages import ChannelMessage, MessageType, Payload, PayloadType, stream_data

# The agent's numbers: scan every 100 ms, RTO from 200 ms, Jacobson/Karels gains 1/8 and 1/4,
# clock granularity 10 ms, at most 1 s.
RESEND_SCAN_INTERVAL = 0.1
INITIAL_RTO = 0.2
MAX_RTO = 1.0
CLOCK_GRANULARITY = 0.01
RTT_GAIN = 1 / 8
RTT_VARIANCE_GAIN = 1 / 4
# The plugin's outgoing list and incoming buffer both hold 10 000 messages.
MAX_BUFFERED = 10_000


class RetransmissionTimeout:
    """Jacobson/Karels smoothed RTT. Samples come only from messages sent once (Karn's rule)."""

    def __init__(self) -> None:
        self.rto = INITIAL_RTO
        self._smoothed: float | None = None
        self._variance = 0.0

    def sample(self, rtt: float) -> None:
        rtt = max(0.0, rtt)
        if self._smoothed is None:
            self._smoothed, self._variance = rtt, rtt / 2
        else:
            self._variance += RTT_VARIANCE_GAIN * (abs(self._smoothed - rtt) - self._variance)
            self._smoothed += RTT_GAIN * (rtt - self._smoothed)
        self.rto = min(MAX_RTO, self._smoothed + max(CLOCK_GRANULARITY, 4 * self._variance))


@dataclass(slots=True)
class _Unacked:
    message: ChannelMessage
    first_sent: float
    last_sent: float
    resent: bool = False


class OutgoingStream:
    """The sender: numbers stream-data messages and keeps them until acked.

    `message_type` is output_stream_data for the agent side (input_stream_data would serve a client)."""

    def __init__(self, message_type: MessageType = MessageType.OUTPUT_STREAM_DATA,
                 on_release: Callable[[int], None] | None = None) -> None:
        self.message_type = message_type
        self.next_sequence_number = 0
        self.timeout = RetransmissionTimeout()
        # Told each sequence number that will never be sent again (acked, or dropped from a full list), so
        # that whoever owns its payload's memory may reuse it.
        self.on_release = on_release
        self._unacked: OrderedDict[int, _Unacked] = OrderedDict()

    def send(self, payload_type: PayloadType | int, payload: Payload, now: float) -> ChannelMessage:
        message = stream_data(self.message_type, self.next_sequence_number, payload_type, payload, now)
        self.next_sequence_number += 1
        self._unacked[message.sequence_number] = _Unacked(message, now, now)
        if len(self._unacked) > MAX_BUFFERED:
            dropped, _ = self._unacked.popitem(last=False)
            self._released(dropped)
        return message

    def _released(self, sequence_number: int) -> None:
        if self.on_release is not None:
            self.on_release(sequence_number)

    def acknowledge(self, sequence_number: int, now: float) -> bool:
        """Match an ack by sequence number only, as the plugin does; an unknown one is ignored."""
        entry = self._unacked.pop(sequence_number, None)
        if entry is None:
            return False
        self._released(sequence_number)
        if not entry.resent:
            self.timeout.sample(now - entry.first_sent)
        return True

    def due(self, now: float) -> list[ChannelMessage]:
        """Call every RESEND_SCAN_INTERVAL: the oldest unacked message once it is older than the RTO."""
        if not self._unacked:
            return []
        entry = next(iter(self._unacked.values()))
        if now - entry.last_sent < self.timeout.rto:
            return []
        entry.last_sent, entry.resent = now, True
        return [entry.message]

    def resume(self, now: float) -> list[ChannelMessage]:
        """Everything unacked, oldest first, for a new websocket after ResumeSession."""
        for entry in self._unacked.values():
            entry.last_sent, entry.resent = now, True
        return [entry.message for entry in self._unacked.values()]

    @property
    def unacked(self) -> list[ChannelMessage]:
        return [entry.message for entry in self._unacked.values()]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What receiving one stream-data message yields: whether to ack it, and what is now deliverable
    (in sequence order: the message itself, then any buffered ones that follow it)."""

    acknowledge: bool
    delivered: tuple[ChannelMessage, ...] = ()
    duplicate: bool = False


@dataclass(slots=True)
class IncomingStream:
    """The receiver: in-order delivery with the agent's ack rules."""

    expected_sequence_number: int = 0
    _ahead: dict[int, ChannelMessage] = field(default_factory=dict)

    def receive(self, message: ChannelMessage, ready: bool = True) -> Receipt:
        """`ready` False means the handler cannot take data yet: the expected message is neither acked nor
        consumed, so the sender retransmits it."""
        seq = message.sequence_number
        if seq < self.expected_sequence_number:
            return Receipt(acknowledge=True, duplicate=True)
        if seq > self.expected_sequence_number:
            if seq in self._ahead:
                return Receipt(acknowledge=True, duplicate=True)
            if len(self._ahead) >= MAX_BUFFERED:
                return Receipt(acknowledge=False)
            self._ahead[seq] = message
            return Receipt(acknowledge=True)
        if not ready:
            return Receipt(acknowledge=False)
        delivered = [message]
        self.expected_sequence_number += 1
        while self.expected_sequence_number in self._ahead:
            delivered.append(self._ahead.pop(self.expected_sequence_number))
            self.expected_sequence_number += 1
        return Receipt(acknowledge=True, delivered=tuple(delivered))

    @property
    def buffered(self) -> int:
        return len(self._ahead)
