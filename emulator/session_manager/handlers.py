"""Session Manager's operations: StartSession, ResumeSession, TerminateSession, DescribeSessions and
GetConnectionStatus; and the live sessions they start (data_channel.LiveSession) with their tokens.

StartSession checks the target (a managed instance of the caller, Online) and the document (a Session
document), stores the session as Connecting and hands back a single-use token and the StreamUrl of this
emulator's own data-channel endpoint (routes.py), built from the Host header the client called, so the URL
works from wherever the client stands (wss:// when it called over HTTPS). The shell starts when the client's
websocket completes the handshake.

Session preferences (idleSessionTimeout, maxSessionDuration, runAsEnabled/runAsDefaultUser, shellProfile)
come from the `inputs` of the Standard_Stream document the session runs (SSM-SessionManagerRunShell by
default: the caller's own document of that name if they created one, else AWS's); Port and command sessions
(port_forwarding.py, commands.py) take them from SSM-SessionManagerRunShell. Durations are minutes as
in AWS (1-60 idle, 1-1440 maximum); fractions of a minute are accepted too, which AWS does not, so tests
need not wait a minute.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from api_models.errors import (
    DoesNotExistException,
    InvalidDocument,
    InvalidFilterKey,
    InvalidFilterValue,
    InvalidParameters,
    TargetNotConnected,
)
from api_models.session_manager import (
    DescribeSessionsRequest,
    DescribeSessionsResponse,
    GetConnectionStatusRequest,
    GetConnectionStatusResponse,
    ResumeSessionRequest,
    ResumeSessionResponse,
    Session,
    SessionManagerOutputUrl,
    StartSessionRequest,
    StartSessionResponse,
    TerminateSessionRequest,
    TerminateSessionResponse,
)
from emulator import paging
from emulator.clock import timestamp
from emulator.context import RequestContext
from emulator.documents import validate_and_fill
from emulator.operations import operation
from emulator.session_manager import commands, port_forwarding, storage
from emulator.session_manager.channel.handshake import SessionType
from emulator.session_manager.data_channel import LiveSession, SessionPlan
from emulator.session_manager.schema import COMPONENT, MIGRATIONS
from emulator.session_manager.session_documents import session_properties, session_type

if TYPE_CHECKING:
    from flask import Blueprint

    from emulator.documents import Documents, ResolvedDocument
    from emulator.managed_instances import ManagedInstances
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.session_manager")

DEFAULT_DOCUMENT = "SSM-SessionManagerRunShell"
TOKEN_TTL_SECONDS = 60.0  # a token must be used (OpenDataChannelInput) this soon, and only once
DEFAULT_IDLE_MINUTES = 20.0  # AWS's default idleSessionTimeout
DEFAULT_MAX_RESULTS = 20
# Each open websocket holds one of gunicorn's 16 threads; keep some for the API (websocket.py).
MAX_ATTACHED_SESSIONS = 10
SHUTDOWN_OUTPUT = "ssm-emulator is shutting down."
# bash when the image has it (sessions are for people); the agent itself starts sh.
SHELL = "if [ -x /bin/bash ]; then exec /bin/bash; fi; exec /bin/sh"
NOT_CONNECTED = "{target} is not connected."
NOT_A_SESSION_DOCUMENT = "Document {name} is a {type} document: StartSession runs Session documents only."
NOT_PREFERENCES = ("Document {name} is a {type} Session document: session preferences come from a Standard_Stream "
                   "document.")
NO_PARAMETERS = "Document {name} does not support parameters."
SESSION_NOT_FOUND = "Session {id} doesn't exist."
ORPHANED = "The emulator restarted: the session's shell is gone."
FILTER_KEYS = ("InvokedAfter", "InvokedBefore", "Target", "Owner", "Status", "SessionId", "AccessType")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.@+=,-]")


@dataclass
class _Token:
    session_id: str
    expires_at: float


class SessionManager:
    def __init__(self, services: Services, *, documents: Documents, instances: ManagedInstances) -> None:
        self.db = services.db
        self.clock = services.clock
        self.background = services.background
        self.db.migrate(COMPONENT, MIGRATIONS)
        self.documents = documents
        self.instances = instances
        self.live: dict[str, LiveSession] = {}
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()
        self.local_address = services.config.local_address
        self.local_scheme = services.config.scheme

    # --- lifecycle (called by the app factory) ------------------------------------------------------------
    def start(self) -> None:
        with self.db.write() as conn:
            storage.end_orphans(conn, self.clock.time(), ORPHANED)
        self.background.every(1.0, self._sweep, "session-timeouts")

    def on_reset(self) -> None:
        with self._lock:
            sessions, self.live, self._tokens = list(self.live.values()), {}, {}
        for session in sessions:
            session.terminate()

    def stop(self, timeout: float) -> None:
        """The server is stopping: end every live session with channel_closed (else the plugin would resume
        against a server that is gone, and wait), for at most `timeout` seconds."""
        with self._lock:
            sessions = list(self.live.values())
        for session in sessions:
            session.terminate(SHUTDOWN_OUTPUT)
        deadline = time.monotonic() + timeout
        while any(not session.finished for session in sessions) and time.monotonic() < deadline:
            time.sleep(0.05)

    def blueprint(self) -> Blueprint:
        from emulator.session_manager.routes import session_blueprint

        return session_blueprint(self)

    # --- StartSession -------------------------------------------------------------------------------------
    @operation("StartSession")
    def start_session(self, ctx: RequestContext, req: StartSessionRequest) -> StartSessionResponse:
        target = req.Target or ""
        instance = self.instances.get(ctx, target)
        if instance is None or not instance.online:
            raise TargetNotConnected(NOT_CONNECTED.format(target=target))
        document = self.documents.resolve(ctx, req.DocumentName or DEFAULT_DOCUMENT)
        if document.document_type != "Session":
            raise InvalidDocument(NOT_A_SESSION_DOCUMENT.format(name=document.name, type=document.document_type))
        kind = session_type(document.content)
        if kind in (SessionType.PORT, *commands.COMMAND_TYPES):
            values = validate_and_fill(document.parameters, req.Parameters or {})
            properties = session_properties(document.content, values)
            # These sessions take the account's preferences (timeouts, Run As) from SSM-SessionManagerRunShell.
            plan_inputs = self._preferences(self.documents.resolve(ctx, DEFAULT_DOCUMENT))
        else:
            plan_inputs = self._preferences(document)
        if req.Parameters and not document.parameters:
            raise InvalidParameters(NO_PARAMETERS.format(name=document.name))
        session_id = f"{_caller_name(ctx.caller.arn)}-{secrets.token_hex(9)[:17]}"
        plan = _plan(session_id, target, plan_inputs)
        backend = partial(self.instances.backend, target)
        session: LiveSession
        if kind == SessionType.PORT:
            if (problem := port_forwarding.supported(properties)) is not None:
                raise InvalidDocument(problem)
            plan = replace(plan, session_type=SessionType.PORT, command="", user=None, shell_profile="",
                           properties=properties)
            session = port_forwarding.PortForwardingSession(plan, backend, self._on_status, self.clock.time)
        elif kind in commands.COMMAND_TYPES:
            try:
                config = commands.shell_config(properties, kind, document.name)
                plan = commands.command_plan(plan, kind, config, document.name)
            except commands.ShellPropertiesError as error:
                raise InvalidDocument(str(error)) from None
            session = commands.CommandSession(plan, backend, self._on_status, self.clock.time, config=config)
        else:
            session = LiveSession(plan, backend, self._on_status, self.clock.time)
        now = self.clock.time()
        with self.db.write() as conn:
            storage.insert(conn, storage.NewSession(
                id=session_id, account=ctx.account_id, region=ctx.region, target=target,
                document_name=document.name, owner=ctx.caller.arn, reason=req.Reason,
                parameters=json.dumps(req.Parameters or {}), started_at=now,
                max_session_duration=_minutes_text(plan_inputs.get("maxSessionDuration")),
            ))
        with self._lock:
            self.live[session_id] = session
        return StartSessionResponse(SessionId=session_id, TokenValue=self._issue(session_id, now),
                                    StreamUrl=self._stream_url(ctx, session_id))

    @staticmethod
    def _preferences(document: ResolvedDocument) -> dict[str, Any]:
        """The `inputs` (session preferences) of a Standard_Stream document."""
        if document.document_type != "Session" or session_type(document.content) != SessionType.STANDARD_STREAM:
            kind = document.content.get("sessionType") if isinstance(document.content, dict) else None
            raise InvalidDocument(NOT_PREFERENCES.format(name=document.name, type=kind or document.document_type))
        inputs = document.content.get("inputs")
        return inputs if isinstance(inputs, dict) else {}

    # --- ResumeSession / TerminateSession -----------------------------------------------------------------
    @operation("ResumeSession")
    def resume_session(self, ctx: RequestContext, req: ResumeSessionRequest) -> ResumeSessionResponse:
        session_id = req.SessionId or ""
        if self._find(ctx, session_id) is None:
            raise DoesNotExistException(SESSION_NOT_FOUND.format(id=session_id))
        with self._lock:
            live = self.live.get(session_id)
        if live is None or live.finished:
            # An empty token: the plugin prints "Session: <id> timed out." and exits 0.
            return ResumeSessionResponse(SessionId=session_id)
        return ResumeSessionResponse(SessionId=session_id, TokenValue=self._issue(session_id, self.clock.time()),
                                     StreamUrl=self._stream_url(ctx, session_id))

    @operation("TerminateSession")
    def terminate_session(self, ctx: RequestContext, req: TerminateSessionRequest) -> TerminateSessionResponse:
        # AWS models no error but InternalServerError here: an ID naming no session of the caller is answered
        # as terminated (ResumeSession, by contrast, answers DoesNotExistException).
        session_id = req.SessionId or ""
        with self._lock:
            live = self.live.get(session_id)
        if live is not None and self._find(ctx, session_id) is not None:
            live.terminate()  # idempotent; the history shows it once the shell is gone
        return TerminateSessionResponse(SessionId=session_id)

    def _find(self, ctx: RequestContext, session_id: str) -> Any:
        """The caller's session of this ID (of their account and Region), or None."""
        with self.db.read() as conn:
            row = storage.get(conn, session_id)
        if row is None or row["account"] != ctx.account_id or row["region"] != ctx.region:
            return None
        return row

    # --- DescribeSessions / GetConnectionStatus -----------------------------------------------------------
    @operation("DescribeSessions")
    def describe_sessions(self, ctx: RequestContext, req: DescribeSessionsRequest) -> DescribeSessionsResponse:
        where: list[str] = []
        args: list[object] = []
        for f in req.Filters or []:
            clause, value = _filter(f.key or "", f.value or "")
            where.append(clause)
            args.append(value)
        after = paging.decode("DescribeSessions", req.NextToken, int)
        limit = req.MaxResults or DEFAULT_MAX_RESULTS
        with self.db.read() as conn:
            rows = storage.listing(conn, ctx.account_id, ctx.region, req.State == "Active", where, args,
                                   after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        origin = self._origin(ctx, "http", "https")
        return DescribeSessionsResponse(
            Sessions=[_session(row, origin) for row in rows],
            NextToken=paging.encode("DescribeSessions", rows[-1]["seq"]) if more else None,
        )

    @operation("GetConnectionStatus")
    def get_connection_status(self, ctx: RequestContext, req: GetConnectionStatusRequest
                              ) -> GetConnectionStatusResponse:
        instance = self.instances.get(ctx, req.Target or "")
        connected = instance is not None and instance.online
        return GetConnectionStatusResponse(Target=req.Target, Status="connected" if connected else "notconnected")

    # --- the data channel (routes.py) ---------------------------------------------------------------------
    def redeem(self, session_id: str, token: str) -> LiveSession | None:
        """The live session a token opens, once: None for an unknown, used, expired or mismatched token."""
        now = self.clock.time()
        with self._lock:
            found = self._tokens.pop(token, None)
            session = self.live.get(session_id)
            if found is None or found.session_id != session_id or found.expires_at < now or session is None:
                return None
            if session.finished:
                return None
            return session

    def can_attach(self) -> bool:
        with self._lock:
            return sum(1 for s in self.live.values() if s.attached) < MAX_ATTACHED_SESSIONS

    def transcript(self, session_id: str) -> bytes | None:
        """Everything the session's client was sent: live while it runs, stored once it ended."""
        with self._lock:
            live = self.live.get(session_id)
        if live is not None and not live.finished:
            return bytes(live.transcript)
        with self.db.read() as conn:
            return storage.transcript(conn, session_id)

    # --- internals ----------------------------------------------------------------------------------------
    def _issue(self, session_id: str, now: float) -> str:
        token = secrets.token_urlsafe(96)
        with self._lock:
            for key in [k for k, t in self._tokens.items() if t.expires_at < now]:
                del self._tokens[key]
            self._tokens[token] = _Token(session_id, now + TOKEN_TTL_SECONDS)
        return token

    def _stream_url(self, ctx: RequestContext, session_id: str) -> str:
        return f"{self._origin(ctx, 'ws', 'wss')}/v1/data-channel/{session_id}?role=publish_subscribe"

    def _origin(self, ctx: RequestContext, plain: str, secure: str) -> str:
        """scheme://host:port of this server as the client called it (over TLS or not), for URLs handed back."""
        tls = (ctx.scheme or self.local_scheme) == "https"
        return f"{secure if tls else plain}://{ctx.host or self.local_address}"

    def _on_status(self, session: LiveSession, status: str, output: str) -> None:
        session_id = session.plan.session_id
        with self.db.write() as conn:
            if status in ("Terminated", "Failed"):
                storage.end(conn, session_id, status, output or session.details, self.clock.time(),
                            bytes(session.transcript))
            else:
                storage.set_status(conn, session_id, status)
        if status in ("Terminated", "Failed"):
            with self._lock:
                if self.live.get(session_id) is session:
                    del self.live[session_id]
                for key in [k for k, t in self._tokens.items() if t.session_id == session_id]:
                    del self._tokens[key]

    def _sweep(self) -> None:
        now = self.clock.time()
        with self._lock:
            sessions = list(self.live.values())
        for session in sessions:
            session.check_timeouts(now)


def _plan(session_id: str, target: str, inputs: dict[str, Any]) -> SessionPlan:
    run_as = inputs.get("runAsEnabled") in (True, "true", "True")
    user = str(inputs.get("runAsDefaultUser") or "") if run_as else None  # "": the agent refuses (run_as.py)
    profile = inputs.get("shellProfile")
    shell_profile = str(profile.get("linux") or "") if isinstance(profile, dict) else ""
    idle = _minutes(inputs.get("idleSessionTimeout"))
    return SessionPlan(
        session_id=session_id, target=target, session_type=SessionType.STANDARD_STREAM, command=SHELL,
        user=user, shell_profile=shell_profile,
        idle_timeout=(idle if idle is not None else DEFAULT_IDLE_MINUTES) * 60,
        max_duration=None if (m := _minutes(inputs.get("maxSessionDuration"))) is None else m * 60,
    )


def _minutes(value: Any) -> float | None:
    try:
        minutes = float(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None
    return minutes if minutes is not None and minutes > 0 else None


def _minutes_text(value: Any) -> str | None:
    minutes = _minutes(value)
    return None if minutes is None or minutes != int(minutes) else str(int(minutes))


def _caller_name(arn: str) -> str:
    """AWS's SessionId starts with the caller's name: the IAM user, the role session, or "root"."""
    name = arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]
    return _NAME_CHARS.sub("", name)[:60] or "session"


def _filter(key: str, value: str) -> tuple[str, object]:
    if key not in FILTER_KEYS:
        raise InvalidFilterKey(f"Filter key {key} isn't valid.")
    if key in ("InvokedAfter", "InvokedBefore"):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise InvalidFilterValue(f"Filter value {value} for {key} isn't a valid date.") from None
        return ("started_at >= ?" if key == "InvokedAfter" else "started_at <= ?"), moment
    column = {"Target": "target", "Owner": "owner", "Status": "status", "SessionId": "id"}.get(key)
    if column is None:  # AccessType: every session here is Standard (no just-in-time access)
        return "? = 'Standard'", value
    return f"{column} = ?", value


def _session(row: Any, origin: str) -> Session:
    return Session(
        SessionId=row["id"], Target=row["target"], Status=row["status"],
        StartDate=timestamp(row["started_at"]),
        EndDate=timestamp(row["ended_at"]) if row["ended_at"] is not None else None,
        DocumentName=row["document_name"], Owner=row["owner"], Reason=row["reason"], Details=row["details"],
        # AWS puts the S3 object of the session log here when logging to S3 is on; the emulator always
        # keeps the transcript and serves it itself.
        OutputUrl=SessionManagerOutputUrl(S3OutputUrl=f"{origin}/_emulator/sessions/{row['id']}/transcript"),
        MaxSessionDuration=row["max_session_duration"], AccessType="Standard",
    )

