"""Session Manager's HTTP endpoints on the emulator's own port:

    GET /v1/data-channel/<session id>?role=publish_subscribe   (websocket) the StreamUrl StartSession returns
    GET /_emulator/sessions/<session id>/transcript            the S3OutputUrl of DescribeSessions

The data channel takes the real gateway's path (the plugin does not look at it). Its first frame must be the
text OpenDataChannelInput carrying a token StartSession or ResumeSession issued for this session, unused and
unexpired; any other first frame closes the websocket with 1008 (policy violation) and nothing else sent.
Beyond MAX_ATTACHED_SESSIONS attached channels, the session ends as Failed with channel_closed saying why.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from emulator.session_manager.channel.handshake import HandshakeError, OpenDataChannelInput
from emulator.session_manager.handlers import MAX_ATTACHED_SESSIONS
from emulator.websocket import ConnectionClosed, accept

if TYPE_CHECKING:
    from emulator.session_manager.handlers import SessionManager

OPEN_TIMEOUT_SECONDS = 10.0  # the client sends OpenDataChannelInput right after connecting
POLICY_VIOLATION = 1008
TOO_MANY_OUTPUT = ("ssm-emulator keeps at most {limit} data channels attached at once (each holds a server "
                   "thread); end a session and start again.")
MAX_FRAME_BYTES = 1024 * 1024  # the plugin sends at most 1024 payload bytes a message


def session_blueprint(manager: SessionManager) -> Blueprint:
    bp = Blueprint("session_manager", __name__)

    def data_channel(session_id: str) -> Any:
        ws = accept(request.environ, max_message_size=MAX_FRAME_BYTES)
        try:
            first = ws.receive(timeout=OPEN_TIMEOUT_SECONDS)
            try:
                opened = OpenDataChannelInput.from_json(first.data) if first is not None and first.is_text else None
            except HandshakeError:
                opened = None
            session = manager.redeem(session_id, opened.token_value) if opened is not None else None
            if session is None:
                ws.close(POLICY_VIOLATION, "invalid or expired token")
            elif not manager.can_attach():
                # A bare close would make the plugin resume and retry forever; channel_closed ends it with a
                # message, and the session ends as Failed.
                session.terminate(TOO_MANY_OUTPUT.format(limit=MAX_ATTACHED_SESSIONS), status="Failed")
                session.attach(ws)
            else:
                session.attach(ws)
        except ConnectionClosed:
            pass
        return ws.response()

    bp.add_url_rule("/v1/data-channel/<session_id>", "data_channel", data_channel, websocket=True)

    @bp.get("/_emulator/sessions/<session_id>/transcript")
    def transcript(session_id: str) -> Any:
        data = manager.transcript(session_id)
        if data is None:
            return jsonify(error="NotFound", message=f"no session {session_id}"), 404
        return Response(data, mimetype="application/octet-stream")

    return bp
