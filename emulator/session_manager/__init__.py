"""Session Manager: interactive shells and port forwarding over the data channel (in progress).

`channel/` is the pure data-channel protocol (framing, handshake, sequencing, smux); the
operations and the WebSocket endpoint come next.
"""
