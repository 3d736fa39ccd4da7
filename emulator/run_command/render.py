"""Rows to Run Command's response models (model_construct: the values are ours, already in shape).

Members AWS answers with empty values rather than leaving out are answered the same way here: "" for
an unset Comment, ServiceRole or S3 output, an empty NotificationConfig and CloudWatchOutputConfig,
ResponseCode -1 and "" dates for a plugin that has not run.

Output as AWS truncates it: GetCommandInvocation gives the first 24,000 characters of stdout and 8,000
of stderr; a CommandPlugin's Output is at most 2,500 characters of stdout and stderr together (stderr
after an "----------ERROR-------" line, each cut part marked). Output is kept as bytes and decoded as
UTF-8 with replacement characters; the whole of it is at StandardOutputUrl / StandardErrorUrl, which
point at this emulator (GET /_emulator/commands/<command>/<instance>/<plugin>/stdout|stderr).
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from urllib.parse import quote

from api_models.run_command import Command, CommandPlugin, CommandInvocation, GetCommandInvocationResult
from api_models.shared import AlarmConfiguration, CloudWatchOutputConfig, NotificationConfig, Target
from emulator.clock import timestamp

STDOUT_CHARS = 24000
STDERR_CHARS = 8000
PLUGIN_OUTPUT_CHARS = 2500
ERROR_HEADER = "\n----------ERROR-------\n"
OUTPUT_CUT = "\n---Output truncated---"
ERROR_CUT = "\n---Error truncated----"
OUTPUT_PATH = "/_emulator/commands/{command}/{instance}/{plugin}/{stream}"

_UTC = timezone.utc




def iso(epoch: float | None) -> str:
    """2019-02-14T19:26:26.439Z, as GetCommandInvocation writes its dates ("" when not set)."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, _UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


def duration(seconds: float) -> str:
    """An ISO-8601 duration as AWS writes ExecutionElapsedTime: PT0.541S, PT1M5S, PT1H0.271S."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, fraction = divmod(rest, 1000)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if rest or out == "PT":
        out += f"{whole}.{fraction:03d}".rstrip("0").rstrip(".") + "S"
    return out


def text(data: bytes | memoryview | None, chars: int) -> str:
    """The first `chars` characters of output bytes, decoded as UTF-8 with replacement characters."""
    if not data:
        return ""
    return bytes(data).decode("utf-8", "replace")[:chars]


def plugin_output(stdout: str, stderr: str, out_cut: bool, err_cut: bool) -> str:
    """A CommandPlugin's Output: stdout, then stderr after the ERROR line, at most 2,500 characters.
    `out_cut`/`err_cut`: the text given is the start of a longer output. When both do not fit, stderr
    keeps up to half the room and stdout the rest; a cut part ends with its mark."""
    if not stderr and not err_cut:
        return _cut(stdout, PLUGIN_OUTPUT_CHARS, OUTPUT_CUT, out_cut)
    room = PLUGIN_OUTPUT_CHARS - len(ERROR_HEADER)
    err_wanted = room // 2 if err_cut or len(stderr) > room // 2 else len(stderr)
    out_part = _cut(stdout, room - err_wanted, OUTPUT_CUT, out_cut)
    return out_part + ERROR_HEADER + _cut(stderr, room - len(out_part), ERROR_CUT, err_cut)


def _cut(value: str, room: int, mark: str, was_cut: bool) -> str:
    if len(value) <= room and not was_cut:
        return value
    return value[: max(0, room - len(mark))] + mark


def output_url(base_url: str, command_id: str, instance_id: str, plugin: str, stream: str) -> str:
    return base_url + OUTPUT_PATH.format(
        command=command_id, instance=instance_id, plugin=quote(plugin, safe=""), stream=stream
    )


# --- commands ----------------------------------------------------------------------------------------------


def _notification(raw: str | None) -> NotificationConfig:
    given = json.loads(raw) if raw else {}
    return NotificationConfig.model_construct(
        NotificationArn=given.get("NotificationArn", ""),
        NotificationEvents=given.get("NotificationEvents", []),
        NotificationType=given.get("NotificationType", ""),
    )


def _cloudwatch(raw: str | None) -> CloudWatchOutputConfig:
    given = json.loads(raw) if raw else {}
    return CloudWatchOutputConfig.model_construct(
        CloudWatchLogGroupName=given.get("CloudWatchLogGroupName", ""),
        CloudWatchOutputEnabled=given.get("CloudWatchOutputEnabled", False),
    )


def command(row: sqlite3.Row) -> Command:
    alarms = json.loads(row["alarm_configuration"]) if row["alarm_configuration"] else {}
    return Command.model_construct(
        CommandId=row["id"],
        DocumentName=row["document_name"],
        DocumentVersion=row["document_version"],
        Comment=row["comment"],
        ExpiresAfter=timestamp(row["expires_at"]),
        Parameters=json.loads(row["parameters"]),
        InstanceIds=json.loads(row["instance_ids"]),
        Targets=[Target.model_construct(Key=t["Key"], Values=t["Values"]) for t in json.loads(row["targets"])],
        RequestedDateTime=timestamp(row["requested_at"]),
        Status=row["status"],
        StatusDetails=row["status_details"],
        OutputS3Region=row["output_s3_region"],
        OutputS3BucketName=row["output_s3_bucket"],
        OutputS3KeyPrefix=row["output_s3_prefix"],
        MaxConcurrency=row["max_concurrency"],
        MaxErrors=row["max_errors"],
        TargetCount=row["target_count"],
        CompletedCount=row["completed_count"],
        ErrorCount=row["error_count"],
        DeliveryTimedOutCount=row["delivery_timed_out_count"],
        ServiceRole=row["service_role"],
        NotificationConfig=_notification(row["notification_config"]),
        CloudWatchOutputConfig=_cloudwatch(row["cloudwatch_output_config"]),
        TimeoutSeconds=row["timeout_seconds"],
        AlarmConfiguration=AlarmConfiguration.model_construct(
            IgnorePollAlarmFailure=alarms.get("IgnorePollAlarmFailure", False), Alarms=alarms.get("Alarms", [])
        ),
        TriggeredAlarms=[],
    )


# --- invocations -------------------------------------------------------------------------------------------


def plugin(row: sqlite3.Row, inv: sqlite3.Row, base_url: str) -> CommandPlugin:
    stdout = text(row["stdout"], PLUGIN_OUTPUT_CHARS + 1)
    stderr = text(row["stderr"], PLUGIN_OUTPUT_CHARS + 1)
    return CommandPlugin.model_construct(
        Name=row["name"],
        Status=row["status"],
        StatusDetails=row["status_details"],
        ResponseCode=row["response_code"],
        ResponseStartDateTime=timestamp(row["started_at"]) if row["started_at"] is not None else None,
        ResponseFinishDateTime=timestamp(row["ended_at"]) if row["ended_at"] is not None else None,
        Output=plugin_output(stdout, stderr, len(stdout) > PLUGIN_OUTPUT_CHARS, len(stderr) > PLUGIN_OUTPUT_CHARS),
        StandardOutputUrl=output_url(base_url, inv["command_id"], inv["instance_id"], row["name"], "stdout"),
        StandardErrorUrl=output_url(base_url, inv["command_id"], inv["instance_id"], row["name"], "stderr"),
        OutputS3Region=inv["output_s3_region"] or inv["region"],
        OutputS3BucketName=inv["output_s3_bucket"],
        OutputS3KeyPrefix=inv["output_s3_prefix"],
    )


def invocation(row: sqlite3.Row, plugins: list[sqlite3.Row] | None, step_names: list[str],
               base_url: str) -> CommandInvocation:
    """`plugins` when Details was asked (CommandPlugins is [] otherwise); the invocation's own output
    URLs are set when the document has one step, as AWS does."""
    single = step_names[0] if len(step_names) == 1 else None
    url = (lambda stream: output_url(base_url, row["command_id"], row["instance_id"], single, stream)
           if single else "")
    return CommandInvocation.model_construct(
        CommandId=row["command_id"],
        InstanceId=row["instance_id"],
        InstanceName="",
        Comment=row["comment"],
        DocumentName=row["document_name"],
        DocumentVersion=row["document_version"],
        RequestedDateTime=timestamp(row["requested_at"]),
        Status=row["status"],
        StatusDetails=row["status_details"],
        StandardOutputUrl=url("stdout"),
        StandardErrorUrl=url("stderr"),
        CommandPlugins=[plugin(p, row, base_url) for p in plugins] if plugins is not None else [],
        ServiceRole=row["service_role"],
        NotificationConfig=_notification(row["notification_config"]),
        CloudWatchOutputConfig=_cloudwatch(row["cloudwatch_output_config"]),
    )


def get_invocation(command_row: sqlite3.Row, inv: sqlite3.Row, plugins: list[sqlite3.Row],
                   selected: sqlite3.Row | None, now: float, base_url: str) -> GetCommandInvocationResult:
    """The `selected` plugin of an invocation (PluginName, or the document's only step); with none
    selected (several steps, no PluginName) the invocation's status over all of them."""
    if selected is not None:
        p = selected
        # A one-step invocation reports its own status (it has states a plugin has not: Cancelling).
        pair = (inv["status"], inv["status_details"]) if len(plugins) == 1 else (p["status"], p["status_details"])
        started, ended, code, name = p["started_at"], p["ended_at"], p["response_code"], p["name"]
        stdout, stderr = p["stdout"], p["stderr"]
    else:
        pair = (inv["status"], inv["status_details"])
        started = next((p["started_at"] for p in plugins if p["started_at"] is not None), None)
        ended, code, name = inv["ended_at"], inv["response_code"], None
        stdout = b"".join(bytes(p["stdout"]) for p in plugins)
        stderr = b"".join(bytes(p["stderr"]) for p in plugins)
    terminal = pair[0] in ("Success", "Failed", "TimedOut", "Cancelled")
    elapsed = "" if started is None else duration((ended if ended is not None and terminal else now) - started)
    return GetCommandInvocationResult.model_construct(
        CommandId=command_row["id"],
        InstanceId=inv["instance_id"],
        Comment=command_row["comment"],
        DocumentName=command_row["document_name"],
        DocumentVersion=command_row["document_version"],
        PluginName=name,
        ResponseCode=code,
        ExecutionStartDateTime=iso(started),
        ExecutionElapsedTime=elapsed,
        ExecutionEndDateTime=iso(ended) if terminal else "",
        Status=pair[0],
        StatusDetails=pair[1],
        StandardOutputContent=text(stdout, STDOUT_CHARS) if terminal else "",
        StandardOutputUrl=output_url(base_url, command_row["id"], inv["instance_id"], name, "stdout") if name else "",
        StandardErrorContent=text(stderr, STDERR_CHARS) if terminal else "",
        StandardErrorUrl=output_url(base_url, command_row["id"], inv["instance_id"], name, "stderr") if name else "",
        CloudWatchOutputConfig=_cloudwatch(command_row["cloudwatch_output_config"]),
    )
