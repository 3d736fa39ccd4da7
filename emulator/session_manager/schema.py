"""Session Manager's table, as migrations (component "session_manager").

- sm_session: one row per StartSession, with everything DescribeSessions answers. `status` is AWS's
  Session status: Connecting (no data channel yet), Connected, Disconnected (the websocket dropped; the
  shell still runs and ResumeSession may reattach), and the history states Terminated and Failed.
  `transcript` is the whole output the client was sent, written when the session ends (the live one is in
  memory, see data_channel.py); the S3OutputUrl of DescribeSessions serves it.

`seq` orders sessions (newest first in listings). Tokens are not stored: a shell does not survive the
emulator, so neither does a way to attach to one (sessions still active at start-up are ended, see
storage.end_orphans).
"""
from __future__ import annotations

from emulator.store.database import Migration

COMPONENT = "session_manager"

MIGRATIONS = [
    Migration(
        1,
        """
        CREATE TABLE sm_session (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            target TEXT NOT NULL,
            document_name TEXT NOT NULL,
            owner TEXT NOT NULL,
            reason TEXT,
            parameters TEXT NOT NULL,          -- JSON, as the caller sent them
            status TEXT NOT NULL,
            details TEXT,
            started_at REAL NOT NULL,
            ended_at REAL,
            max_session_duration TEXT,         -- minutes, from the document's inputs, as AWS shows it
            active INTEGER NOT NULL DEFAULT 1,
            transcript BLOB NOT NULL DEFAULT x''
        );
        CREATE INDEX sm_session_listing ON sm_session (account, region, active, seq);
        """,
    )
]
