"""The web console at /_emulator/console/: static pages whose JavaScript is a client of the emulator's own SSM API.

Nothing here reads the store or calls a capability. The page calls `POST /` (JSON 1.1) like any SDK, signing
each request with SigV4 in the browser (static/js/api.js), and opens shells over the StreamUrl websocket
StartSession hands back, speaking the data-channel protocol as the session-manager-plugin does
(static/js/channel.js). So the console sees exactly what a client sees and is bound by the same auth settings:
with verify_signatures on, the user enters an access key and secret from the emulator's configuration, and an
unsigned or wrongly signed call is refused by the protocol layer as it is for boto3. The pages themselves hold
no data, so serving them needs no credentials.

Every asset, xterm.js included (static/vendor/xterm), is in the package: the console works offline.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, send_from_directory

from emulator.config import Config

STATIC = Path(__file__).parent / "static"
PREFIX = "/_emulator/console"

# Module scripts are refused by browsers unless served as JavaScript, and Python's mimetypes does not know
# .mjs everywhere; say it explicitly.
_MIME = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".png": "image/png", ".svg": "image/svg+xml"}
# Only this server: no CDN can slip in, and the page's API calls and websockets go to the origin it came from.
# xterm.js sets inline styles on its elements, hence 'unsafe-inline' for styles (not for scripts).
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def console_blueprint(config: Config) -> Blueprint:
    bp = Blueprint("console", __name__)

    @bp.get(PREFIX)
    def bare() -> Any:
        return redirect(PREFIX + "/", code=308)

    @bp.get(PREFIX + "/")
    def index() -> Response:
        return _static("index.html")

    @bp.get(PREFIX + "/settings.json")
    def settings() -> Response:
        """What the page must know before its first call: whether it has to ask for credentials."""
        return jsonify(verify_signatures=config.verify_signatures, default_account_id=config.default_account_id)

    @bp.get(PREFIX + "/<path:name>")
    def asset(name: str) -> Response:
        return _static(name)

    return bp


def _static(name: str) -> Response:
    response = send_from_directory(STATIC, name, max_age=0)  # 404s for anything outside STATIC
    mimetype = _MIME.get(Path(name).suffix)
    if mimetype is not None:
        response.mimetype = mimetype
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def console_url(config: Config) -> str:
    """Where the console is, for the start-up log."""
    return f"{config.local_url}{PREFIX}/"
