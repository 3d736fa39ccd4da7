"""The emulator's own API under /_emulator/ (JSON): health and reset.

`POST /moto-api/reset` answers too, so suites written for moto's server mode switch unchanged.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, jsonify

from emulator import __version__


def admin_blueprint(
    health_facts: Callable[[], dict[str, object]], reset: Callable[[], None]
) -> Blueprint:
    bp = Blueprint("emulator_admin", __name__)
    started = time.monotonic()

    @bp.get("/_emulator/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(
            status="running",
            version=__version__,
            uptime_seconds=round(time.monotonic() - started, 3),
            **health_facts(),
        )

    @bp.post("/_emulator/reset")
    @bp.post("/moto-api/reset")
    def reset_all():  # type: ignore[no-untyped-def]
        reset()
        return jsonify(status="reset")

    return bp
