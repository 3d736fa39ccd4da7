"""The output URLs: StandardOutputUrl and StandardErrorUrl point here, where the whole output is served.

    GET /_emulator/commands/<command id>/<instance id>/<plugin name>/stdout
    GET /_emulator/commands/<command id>/<instance id>/<plugin name>/stderr

The body is the output's bytes exactly as the process wrote them (AWS keeps the full output in S3; the
API shows the first 24,000 / 8,000 / 2,500 characters). 404 with {"error", "message"} for an unknown
command, instance or plugin. The plugin name is URL-encoded in the links (aws:runShellScript).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify

if TYPE_CHECKING:
    from emulator.run_command.handlers import RunCommand


def output_blueprint(run_command: RunCommand) -> Blueprint:
    bp = Blueprint("run_command_output", __name__)

    @bp.get("/_emulator/commands/<command_id>/<instance_id>/<plugin>/<any(stdout, stderr):stream>")
    def output(command_id: str, instance_id: str, plugin: str, stream: str) -> Any:
        data = run_command.output(command_id, instance_id, plugin, stream)
        if data is None:
            message = f"no output of plugin {plugin} of command {command_id} on {instance_id}"
            return jsonify(error="NotFound", message=message), 404
        return Response(data, mimetype="text/plain")

    return bp
