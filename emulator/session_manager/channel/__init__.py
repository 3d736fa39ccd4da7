"""The Session Manager data channel as pure protocol: bytes in, bytes out, time passed in.

Knows nothing of HTTP, websockets or backends. `messages` is the binary frame codec, `handshake` the
session-type negotiation, `sequencing` the per-direction stream state (acks, retransmission, resume),
`smux` the port-forwarding multiplexer, `terminal` the size/flag/exit-code/channel_closed payloads and
`agent` the agent side of one session tying them together.
"""
