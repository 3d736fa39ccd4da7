"""Run Command's SQL. Functions take an open connection: callers own the transaction.

Every change of an invocation's state is followed, in the same transaction, by `refresh`, which
recomputes the command's counters and status from its invocations (status.of_command), so
ListCommands never sees a command out of step with its invocations.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from emulator.run_command import status
from emulator.run_command.status import Pair
from emulator.store.database import newest_first

COMMAND = (
    "c.seq, c.id, c.account, c.region, c.document_name, c.document_version, c.comment, c.parameters,"
    " c.instance_ids, c.targets, c.requested_at, c.expires_at, c.deliver_by, c.timeout_seconds, c.status,"
    " c.status_details, c.output_s3_region, c.output_s3_bucket, c.output_s3_prefix, c.max_concurrency,"
    " c.max_errors, c.concurrency_limit, c.error_limit, c.target_count, c.completed_count, c.error_count,"
    " c.delivery_timed_out_count, c.service_role, c.notification_config, c.cloudwatch_output_config,"
    " c.alarm_configuration, c.cancel_requested, c.stopped, c.done"
)
INVOCATION = (
    "i.command_seq, i.instance_id, i.position, i.status, i.status_details, i.dispatched, i.started_at,"
    " i.ended_at, i.response_code"
)
# Enough bytes for the characters the API shows (UTF-8 takes at most 4 bytes a character).
_BYTES_PER_CHAR = 4


@dataclass(frozen=True, slots=True)
class NewCommand:
    id: str
    account: str
    region: str
    document_name: str
    document_version: str
    comment: str
    parameters: str
    instance_ids: str
    targets: str
    requested_at: float
    expires_at: float
    deliver_by: float
    timeout_seconds: int
    output_s3_region: str
    output_s3_bucket: str
    output_s3_prefix: str
    max_concurrency: str
    max_errors: str
    concurrency_limit: int
    error_limit: int
    service_role: str
    notification_config: str | None
    cloudwatch_output_config: str | None
    alarm_configuration: str | None
    plan: str


# --- writes at SendCommand ---------------------------------------------------------------------------------


def insert(conn: sqlite3.Connection, c: NewCommand, instance_ids: Sequence[str], plugin_names: Sequence[str]) -> int:
    """The command with one Pending invocation per instance and one Pending plugin per step; its seq."""
    state = status.PENDING if instance_ids else status.NO_INSTANCES_IN_TAG
    cursor = conn.execute(
        "INSERT INTO rc_command (id, account, region, document_name, document_version, comment, parameters,"
        " instance_ids, targets, requested_at, expires_at, deliver_by, timeout_seconds, status, status_details,"
        " output_s3_region, output_s3_bucket, output_s3_prefix, max_concurrency, max_errors, concurrency_limit,"
        " error_limit, target_count, service_role, notification_config, cloudwatch_output_config,"
        " alarm_configuration, done, plan) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (c.id, c.account, c.region, c.document_name, c.document_version, c.comment, c.parameters, c.instance_ids,
         c.targets, c.requested_at, c.expires_at, c.deliver_by, c.timeout_seconds, state[0], state[1],
         c.output_s3_region, c.output_s3_bucket, c.output_s3_prefix, c.max_concurrency, c.max_errors,
         c.concurrency_limit, c.error_limit, len(instance_ids), c.service_role, c.notification_config,
         c.cloudwatch_output_config, c.alarm_configuration, int(not instance_ids), c.plan),
    )
    seq = cursor.lastrowid
    assert seq is not None
    conn.executemany(
        "INSERT INTO rc_invocation (command_seq, instance_id, position, status, status_details)"
        " VALUES (?, ?, ?, 'Pending', 'Pending')",
        [(seq, instance_id, position) for position, instance_id in enumerate(instance_ids)],
    )
    conn.executemany(
        "INSERT INTO rc_plugin (command_seq, position, step, name, status, status_details)"
        " VALUES (?, ?, ?, ?, 'Pending', 'Pending')",
        [(seq, position, step, name)
         for position in range(len(instance_ids)) for step, name in enumerate(plugin_names)],
    )
    return seq


# --- reads -------------------------------------------------------------------------------------------------


def by_id(conn: sqlite3.Connection, account: str, region: str, command_id: str) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {COMMAND} FROM rc_command c WHERE c.id = ? AND c.account = ? AND c.region = ?",
        (command_id, account, region),
    ).fetchone()


def by_seq(conn: sqlite3.Connection, seq: int) -> sqlite3.Row | None:
    return conn.execute(f"SELECT {COMMAND}, c.plan FROM rc_command c WHERE c.seq = ?", (seq,)).fetchone()


def invocations(conn: sqlite3.Connection, seq: int) -> list[sqlite3.Row]:
    return conn.execute(
        f"SELECT {INVOCATION} FROM rc_invocation i WHERE i.command_seq = ? ORDER BY i.position", (seq,)
    ).fetchall()


def invocation(conn: sqlite3.Connection, seq: int, position: int) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {INVOCATION} FROM rc_invocation i WHERE i.command_seq = ? AND i.position = ?", (seq, position)
    ).fetchone()


def invocation_of(conn: sqlite3.Connection, seq: int, instance_id: str) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {INVOCATION} FROM rc_invocation i WHERE i.command_seq = ? AND i.instance_id = ?", (seq, instance_id)
    ).fetchone()


def plugins(
    conn: sqlite3.Connection, keys: Sequence[tuple[int, int]], chars: int, with_length: bool = False
) -> dict[tuple[int, int], list[sqlite3.Row]]:
    """Plugins of the invocations `keys` ((seq, position)), in step order, with the first `chars`
    characters' worth of bytes of stdout and stderr (and their full lengths)."""
    if not keys:
        return {}
    size = chars * _BYTES_PER_CHAR
    rows = conn.execute(
        "SELECT p.command_seq, p.position, p.step, p.name, p.status, p.status_details, p.response_code,"
        " p.started_at, p.ended_at, coalesce(substr(p.stdout, 1, ?), x'') AS stdout,"
        " coalesce(substr(p.stderr, 1, ?), x'') AS stderr,"
        " length(p.stdout) AS stdout_length, length(p.stderr) AS stderr_length"
        " FROM rc_plugin p WHERE (p.command_seq, p.position) IN"
        f" (VALUES {', '.join('(?, ?)' for _ in keys)}) ORDER BY p.command_seq, p.position, p.step",
        [size, size, *(x for key in keys for x in key)],
    )
    out: dict[tuple[int, int], list[sqlite3.Row]] = {}
    for row in rows:
        out.setdefault((row["command_seq"], row["position"]), []).append(row)
    return out


def output(conn: sqlite3.Connection, command_id: str, instance_id: str, plugin: str, stream: str) -> bytes | None:
    """The whole stdout or stderr of one plugin step, found by command ID (the output URLs)."""
    column = "stdout" if stream == "stdout" else "stderr"
    row = conn.execute(
        f"SELECT p.{column} FROM rc_command c JOIN rc_invocation i ON i.command_seq = c.seq"
        " JOIN rc_plugin p ON p.command_seq = i.command_seq AND p.position = i.position"
        " WHERE c.id = ? AND i.instance_id = ? AND p.name = ?",
        (command_id, instance_id, plugin),
    ).fetchone()
    return None if row is None else bytes(row[0])


def list_commands(
    conn: sqlite3.Connection, account: str, region: str, where: Sequence[str], params: Sequence[object],
    before_seq: int | None, limit: int,
) -> list[sqlite3.Row]:
    """Commands newest first, with seq below `before_seq`, matching the `where` conditions."""
    return newest_first(conn, f"SELECT {COMMAND} FROM rc_command c WHERE c.account = ? AND c.region = ?",
                        [account, region], where, params, before_seq, limit, "c.seq")


def list_invocations(
    conn: sqlite3.Connection, account: str, region: str, where: Sequence[str], params: Sequence[object],
    after: tuple[int, int] | None, limit: int,
) -> list[sqlite3.Row]:
    """Invocations newest command first, then in target order, after the (seq, position) `after`."""
    sql = (
        f"SELECT {INVOCATION}, c.id AS command_id, c.region, c.comment, c.document_name, c.document_version,"
        " c.requested_at, c.service_role, c.notification_config, c.cloudwatch_output_config,"
        " c.output_s3_region, c.output_s3_bucket, c.output_s3_prefix"
        " FROM rc_invocation i JOIN rc_command c ON c.seq = i.command_seq WHERE c.account = ? AND c.region = ?"
    )
    args: list[object] = [account, region]
    if after is not None:
        sql += " AND (i.command_seq < ? OR (i.command_seq = ? AND i.position > ?))"
        args += [after[0], after[0], after[1]]
    for condition in where:
        sql += f" AND {condition}"
    args += params
    return conn.execute(f"{sql} ORDER BY i.command_seq DESC, i.position LIMIT ?", [*args, limit]).fetchall()


def active_commands(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT seq FROM rc_command WHERE done = 0 ORDER BY seq")]


def overdue_commands(conn: sqlite3.Connection, now: float) -> list[int]:
    """Unfinished commands past their TimeoutSeconds (what is not sent by then never will be)."""
    return [row[0] for row in conn.execute(
        "SELECT seq FROM rc_command WHERE done = 0 AND deliver_by <= ? ORDER BY seq", (now,)
    )]


def unfinished(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Invocations of unfinished commands that were sent and are not terminal, with their deadlines."""
    return conn.execute(
        f"SELECT {INVOCATION}, c.deliver_by, c.expires_at FROM rc_command c"
        " JOIN rc_invocation i ON i.command_seq = c.seq"
        " WHERE c.done = 0 AND i.dispatched = 1 AND i.status IN ('Pending', 'InProgress', 'Cancelling')"
        " ORDER BY c.seq, i.position"
    ).fetchall()


# --- state changes -----------------------------------------------------------------------------------------


def dispatch(conn: sqlite3.Connection, seq: int, positions: Iterable[int]) -> None:
    conn.executemany(
        "UPDATE rc_invocation SET dispatched = 1 WHERE command_seq = ? AND position = ?",
        [(seq, p) for p in positions],
    )


def undispatch_waiting(conn: sqlite3.Connection) -> None:
    """Sent invocations that never started go back to rate control (after a restart)."""
    conn.execute("UPDATE rc_invocation SET dispatched = 0 WHERE dispatched = 1 AND status = 'Pending'")


def start(conn: sqlite3.Connection, seq: int, position: int, at: float) -> bool:
    """The invocation started running; False if it was cancelled (or the state reset) meanwhile."""
    changed = conn.execute(
        "UPDATE rc_invocation SET status = 'InProgress', status_details = 'InProgress', started_at = ?"
        " WHERE command_seq = ? AND position = ? AND status = 'Pending'",
        (at, seq, position),
    ).rowcount
    return changed == 1


def undeliver(conn: sqlite3.Connection, seq: int, position: int) -> bool:
    """Back to Pending, as if never started (the instance refused the first process); False if it was
    not InProgress any more (cancelled meanwhile)."""
    changed = conn.execute(
        "UPDATE rc_invocation SET status = 'Pending', status_details = 'Pending', started_at = NULL"
        " WHERE command_seq = ? AND position = ? AND status = 'InProgress'",
        (seq, position),
    ).rowcount
    if changed:
        conn.execute(
            "UPDATE rc_plugin SET status = 'Pending', status_details = 'Pending', started_at = NULL, ended_at = NULL,"
            " response_code = -1, stdout = x'', stderr = x'' WHERE command_seq = ? AND position = ?",
            (seq, position),
        )
    return changed == 1


def set_invocation(
    conn: sqlite3.Connection, seq: int, position: int, pair: Pair, *, ended_at: float | None = None,
    response_code: int | None = None, only_from: Sequence[str] | None = None,
) -> bool:
    """Move an invocation to `pair`; False if it was not in one of the statuses `only_from`."""
    sql = (
        "UPDATE rc_invocation SET status = ?, status_details = ?, ended_at = coalesce(?, ended_at),"
        " response_code = coalesce(?, response_code) WHERE command_seq = ? AND position = ?"
    )
    args: list[object] = [*pair, ended_at, response_code, seq, position]
    if only_from is not None:
        sql += f" AND status IN ({', '.join('?' * len(only_from))})"
        args += list(only_from)
    return conn.execute(sql, args).rowcount == 1


def set_plugin(
    conn: sqlite3.Connection, seq: int, position: int, step: int, pair: Pair, *, started_at: float | None = None,
    ended_at: float | None = None, response_code: int | None = None, stdout: bytes | None = None,
    stderr: bytes | None = None,
) -> None:
    conn.execute(
        "UPDATE rc_plugin SET status = ?, status_details = ?, started_at = coalesce(?, started_at),"
        " ended_at = coalesce(?, ended_at), response_code = coalesce(?, response_code),"
        " stdout = coalesce(?, stdout), stderr = coalesce(?, stderr)"
        " WHERE command_seq = ? AND position = ? AND step = ?",
        (*pair, started_at, ended_at, response_code, stdout, stderr, seq, position, step),
    )


def end_unrun_plugins(conn: sqlite3.Connection, seq: int, position: int, pair: Pair, at: float) -> None:
    """Plugins that had not finished when their invocation ended take the status it ended with."""
    plugin_pair = status.PLUGIN_WHEN_NOT_RUN.get(pair, pair)
    conn.execute(
        "UPDATE rc_plugin SET status = ?, status_details = ?, ended_at = coalesce(ended_at, ?)"
        " WHERE command_seq = ? AND position = ? AND status IN ('Pending', 'InProgress')",
        (*plugin_pair, at, seq, position),
    )


def terminate_undispatched(conn: sqlite3.Connection, seq: int, pair: Pair, at: float) -> list[int]:
    """End every invocation rate control has not sent yet with `pair`; their positions."""
    positions = [
        row[0] for row in conn.execute(
            "SELECT position FROM rc_invocation WHERE command_seq = ? AND dispatched = 0 AND status = 'Pending'",
            (seq,),
        )
    ]
    for position in positions:
        set_invocation(conn, seq, position, pair, ended_at=at)
        end_unrun_plugins(conn, seq, position, pair, at)
    return positions


def mark_command(conn: sqlite3.Connection, seq: int, *, cancel_requested: bool = False, stopped: bool = False) -> None:
    if cancel_requested:
        conn.execute("UPDATE rc_command SET cancel_requested = 1 WHERE seq = ?", (seq,))
    if stopped:
        conn.execute("UPDATE rc_command SET stopped = 1 WHERE seq = ?", (seq,))


def refresh(conn: sqlite3.Connection, seq: int) -> sqlite3.Row | None:
    """Recompute the command's counters and status from its invocations; the command row after."""
    command = conn.execute(
        "SELECT seq, error_limit, cancel_requested, targets, instance_ids FROM rc_command WHERE seq = ?", (seq,)
    ).fetchone()
    if command is None:
        return None
    pairs = [(r[0], r[1]) for r in conn.execute(
        "SELECT status, status_details FROM rc_invocation WHERE command_seq = ?", (seq,)
    )]
    counted = status.counts(pairs)
    state = status.of_command(
        pairs, error_limit=command["error_limit"], cancel_requested=bool(command["cancel_requested"]),
        targeted=command["targets"] != "[]",
    )
    done = all(status.is_terminal(s) for s, _ in pairs)
    conn.execute(
        "UPDATE rc_command SET status = ?, status_details = ?, completed_count = ?, error_count = ?,"
        " delivery_timed_out_count = ?, done = ? WHERE seq = ?",
        (*state, counted.completed, counted.errors, counted.delivery_timed_out, int(done), seq),
    )
    return conn.execute(f"SELECT {COMMAND} FROM rc_command c WHERE c.seq = ?", (seq,)).fetchone()
