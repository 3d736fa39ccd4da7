"""Session Manager: interactive shells on managed instances over the data channel, with the emulator
playing the SSM API, the message gateway and the agent at once.

handlers.py holds the operations (StartSession, ResumeSession, TerminateSession, DescribeSessions,
GetConnectionStatus) and the live sessions with their tokens; data_channel.py one live session (the
agent side of the channel joined to a shell on the instance); routes.py the websocket endpoint (the
StreamUrl) and the transcript URL; port_forwarding.py the Port sessions (smux) and port_basic.py their raw
basic and stdio modes; storage.py and schema.py the table. `channel/` is the pure
data-channel protocol (framing, handshake, sequencing, smux).
"""
from emulator.session_manager.handlers import SessionManager

__all__ = ["SessionManager"]
