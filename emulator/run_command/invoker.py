"""The engine that runs commands on managed instances, as SSM Agent would, with Run Command's rate control.

    invoker.kick(seq)           # dispatch what rate control allows (after SendCommand, after each end)
    invoker.cancel(seq, [pos])  # CancelCommand: kill what runs
    invoker.sweep()             # every second: retry delivery to offline instances, deadlines

Invocations run on a bounded pool of threads of their own (`command_workers`, default 64: one command's
default MaxConcurrency of 50 runs at once; a running invocation mostly waits on its process's output).
A worker delivers an invocation to its instance and runs its plugin steps one after the other; for each
run it starts ONE process on the instance that writes the script where SSM Agent keeps it
(/var/lib/amazon/ssm/<instance>/document/orchestration/<command>/<plugin folder>/_script.sh), enters
the working directory (by default that folder, as the agent does) and runs it with AWS_SSM_INSTANCE_ID,
AWS_SSM_REGION_NAME, SSM_COMMAND_ID (SSM Agent since 3.0.284.0) and SSM_<name> for ENV_VAR parameters
set. Output is read as it comes (the backend's blocking reads, no polling), stdout and stderr apart, kept
as bytes (up to 64 MiB each).

Deadlines are real: a step that outruns its timeoutSeconds (executionTimeout) is killed, process tree and
all, and reported TimedOut/ExecutionTimedOut; a run still going when the command expires (ExpiresAfter:
TimeoutSeconds + execution timeout) is killed and reported TimedOut/DeliveryTimedOut; CancelCommand kills.

Delivery: an instance whose PingStatus is ConnectionLost (or that refuses the process) is not delivered
to; the invocation stays Pending and the sweep retries every second until the instance is back or
TimeoutSeconds has passed since the command was sent (then TimedOut/DeliveryTimedOut: "if this time is
reached and the command hasn't already started running, it won't run"). An instance that no longer
exists is Failed/Undeliverable.

A run that never reports back is a lost agent: AWS marks an invocation whose agent never sent a terminal
response DeliveryTimedOut. This emulator knows sooner than AWS would, so it says so at once: when the
process ends without an exit status (container removed, connection cut), when the instance was
deregistered during the run, and — the restart policy — for every invocation that was InProgress when
the emulator stopped: at start-up they become TimedOut/DeliveryTimedOut (Cancelling ones Cancelled), the
processes they left are killed, and their commands' other invocations carry on. Pending invocations,
sent or not, simply run after the restart (if their TimeoutSeconds has not passed).

A plugin another capability hands over (`plugins`: action -> runner, e.g. Inventory's aws:softwareInventory)
runs in-process: the runner gets the instance, its backend and the step's inputs, and answers the exit
code, stdout and stderr the step reports. It runs to its end (its own commands on the instance have their
own time limits, the step's timeoutSeconds is not applied to it): CancelCommand acts from the next step on.

Every process started here carries SSM_EMULATOR_COMMAND=<command id>/<instance id> in its environment
(SSM Agent sets no such variable): it is how a restarted emulator finds and kills what was left running.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api_models.errors import InvalidInstanceId
from emulator.background import WorkerPool
from emulator.backends import BackendError, InstanceBackend
from emulator.backends.base import Process, kill_command
from emulator.context import RequestContext, internal_context
from emulator.listeners import Listeners
from emulator.run_command import rate, status, storage
from emulator.run_command.plugins import (POWERSHELL, RUN_DOCUMENT, RUNNABLE, Plan, Run, Step, in_downloads,
                                          orchestration_folder)
from emulator.run_command.run_document import NestedDocuments, RunDocumentError
from emulator.run_command.status import Pair

if TYPE_CHECKING:
    from emulator.managed_instances import ManagedInstance, ManagedInstances
    from emulator.services import Services

log = logging.getLogger("ssm_emulator.run_command")

SWEEP_SECONDS = 1.0
DRAIN_SECONDS = 10.0  # after a kill, how long the rest of the output may take to arrive
MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # per stream and step; the rest is read and dropped
# 128 + SIGKILL, what a killed step reports. SSM Agent reads this exit code as "stopped early": a step that
# exits with it (killed by the OOM killer, or `exit 137`) is TimedOut, not Failed (pluginutil.GetStatus).
KILLED = 137
MARKER = "SSM_EMULATOR_COMMAND"

# argv tail: FOLDER SCRIPT WORKDIR FALLBACK RUNNER...  — one exec writes the script (from stdin) and runs it
# in WORKDIR, or in FALLBACK when WORKDIR is not a directory.
PREPARE = (
    'mkdir -p "$1" && cat > "$2" && chmod 700 "$2" || exit 1; '
    'if [ -d "$3" ]; then cd "$3"; else cd "$4"; fi || exit 1; shift 4; exec "$@" </dev/null'
)
SHELL_RUNNER = ["/bin/sh", "-c"]  # + script path: sh runs it directly, so a #! line is honoured
POWERSHELL_RUNNER = [
    "/bin/sh", "-c",
    'command -v pwsh >/dev/null 2>&1 && exec pwsh -NonInteractive -NoProfile -File "$0"; '
    "echo 'failed to run commands: exec: \"pwsh\": executable file not found in $PATH' >&2; exit 1",
]
FAILED_SUFFIX = "failed to run commands: exit status {code}"
UNSUPPORTED = "ssm-emulator doesn't run {action} steps: it runs {runnable}."

# A plugin run in-process: (context of the command's account and Region, its request_id the command id, instance,
# backend, inputs)
# -> (exit code, stdout, stderr).
PluginRunner = Callable[
    [RequestContext, "ManagedInstance", InstanceBackend, Mapping[str, Any]], tuple[int, bytes, bytes]
]

# What _deliver ended with.
DONE, WAITING = "done", "waiting"


class NotDelivered(Exception):
    """The instance refused the invocation's first process: it was not delivered, nothing ran."""


@dataclass
class Active:
    """An invocation held by a worker (submitted, maybe running a process). `generation` ties it to the
    state it was dispatched from: a reset starts a new generation."""

    generation: int
    cancelled: bool = False
    process: Process | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            process = self.process
        if process is not None:
            _kill(process)


@dataclass
class RunResult:
    exit_code: int | None
    stdout: bytearray
    stderr: bytearray
    timed_out: bool = False  # the step's executionTimeout passed
    expired: bool = False  # the command's ExpiresAfter passed


@dataclass(frozen=True)
class StepResult:
    pair: Pair
    response_code: int
    stdout: bytes
    stderr: bytes
    started_at: float
    ended_at: float


class Invoker:
    def __init__(self, services: Services, instances: ManagedInstances,
                 plugins: Mapping[str, PluginRunner] | None = None, nested: NestedDocuments | None = None) -> None:
        self.db = services.db
        self.plugins = dict(plugins or {})
        self.nested = nested  # makes aws:runDocument's nested plans
        self.clock = services.clock
        self.background = services.background
        self.instances = instances
        self.workers = services.config.command_workers
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()  # dispatch decisions and _active
        self._active: dict[tuple[int, int], Active] = {}
        self._generation = 0
        # Told of each command whose last invocation just ended (its rc_command row): OpsCenter listens.
        self.ended = Listeners[sqlite3.Row]("command end")

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self._pool = self.background.workers(self.workers, "ssm-command")
        self.recover()
        self.background.every(SWEEP_SECONDS, self.sweep, "command-sweep")

    def on_reset(self) -> None:
        """The state was wiped: forget and kill whatever was running."""
        with self._lock:
            self._generation += 1
            held, self._active = list(self._active.values()), {}
        for active in held:
            threading.Thread(target=active.cancel, name="ssm-command-kill", daemon=True).start()

    def recover(self) -> None:
        """After a restart: invocations the previous process left InProgress are lost agents (see the
        module docstring); what was sent but never started goes back to rate control; every command
        moves on."""
        now = self.clock.time()
        lost = []
        with self.db.write() as conn:
            for row in storage.unfinished(conn):
                if row["status"] == "Pending":
                    continue
                pair = status.CANCELLED if row["status"] == "Cancelling" else status.DELIVERY_TIMED_OUT
                storage.set_invocation(conn, row["command_seq"], row["position"], pair, ended_at=now)
                storage.end_unrun_plugins(conn, row["command_seq"], row["position"], pair, now)
                storage.refresh(conn, row["command_seq"])
                command = storage.by_seq(conn, row["command_seq"])
                lost.append((row["instance_id"], f"{MARKER}={command['id']}/{row['instance_id']}"))
            storage.undispatch_waiting(conn)
            seqs = storage.active_commands(conn)
        if lost:
            log.warning("%d command invocation(s) were running when the emulator stopped: reported "
                        "DeliveryTimedOut, their processes killed", len(lost))
            self._submit_task(self._kill_left_running, lost)
        for seq in seqs:
            self.kick(seq)

    def _kill_left_running(self, lost: list[tuple[str, str]]) -> None:
        for instance_id, marker in lost:
            try:
                self.instances.backend(instance_id).run(kill_command(marker), timeout=30, stdin=False)
            except (BackendError, InvalidInstanceId) as e:
                log.info("could not kill what was left running on %s: %s", instance_id, e)

    # --- rate control ------------------------------------------------------------------------------------
    def kick(self, seq: int) -> None:
        """Dispatch the invocations of a command that rate control allows now; stop dispatching once
        MaxErrors is exceeded; time out what was not sent within TimeoutSeconds."""
        chosen: list[int] = []
        with self._lock:
            generation = self._generation
            with self.db.write() as conn:
                command = storage.by_seq(conn, seq)
                if command is None or command["done"]:
                    return
                rows = storage.invocations(conn, seq)
                now = self.clock.time()
                errors = sum(1 for r in rows if r["status_details"] in status.ERROR_DETAILS)
                if not command["stopped"] and rate.exceeded(errors, command["error_limit"]):
                    storage.mark_command(conn, seq, stopped=True)
                    storage.terminate_undispatched(conn, seq, status.TERMINATED, now)
                elif now >= command["deliver_by"]:
                    storage.terminate_undispatched(conn, seq, status.DELIVERY_TIMED_OUT, now)
                elif not command["stopped"] and not command["cancel_requested"]:
                    in_flight = sum(1 for r in rows if r["dispatched"] and not status.is_terminal(r["status"]))
                    free = rate.free_slots(in_flight, command["concurrency_limit"])
                    chosen = [r["position"] for r in rows if not r["dispatched"] and r["status"] == "Pending"][:free]
                    storage.dispatch(conn, seq, chosen)
                storage.refresh(conn, seq)
            for position in chosen:
                self._active[(seq, position)] = Active(generation)
        for position in chosen:
            self._submit_task(self._deliver, seq, position, generation)

    def cancel(self, seq: int, positions: list[int]) -> None:
        """Kill the processes of these invocations (CancelCommand marked them Cancelling)."""
        with self._lock:
            held = [self._active[(seq, p)] for p in positions if (seq, p) in self._active]
        for active in held:
            threading.Thread(target=active.cancel, name="ssm-command-cancel", daemon=True).start()

    def sweep(self) -> None:
        """Retry delivery of invocations waiting for their instance; time out what rate control held
        back past TimeoutSeconds (everything else moves on as invocations end: kick)."""
        with self.db.read() as conn:
            rows = storage.unfinished(conn)
            seqs = storage.overdue_commands(conn, self.clock.time())
        for row in rows:
            key = (row["command_seq"], row["position"])
            with self._lock:
                if key in self._active:
                    continue
                if row["status"] != "Pending":
                    lost = True
                else:
                    lost = False
                    self._active[key] = Active(self._generation)
                generation = self._generation
            if lost:  # InProgress with no worker: only after a crash of ours
                self._finish(key[0], key[1], status.DELIVERY_TIMED_OUT)
            else:
                self._submit_task(self._deliver, key[0], key[1], generation)
        for seq in seqs:
            self.kick(seq)

    def _submit_task(self, fn: Callable[..., object], *args: object) -> None:
        if self._pool is None:  # not started (an app built without serving): run inline
            fn(*args)
            return
        self._pool.submit(fn, *args)

    # --- one invocation ----------------------------------------------------------------------------------
    def _deliver(self, seq: int, position: int, generation: int) -> None:
        key = (seq, position)
        outcome = DONE
        try:
            outcome = self._run_invocation(seq, position, generation)
        except Exception:
            log.exception("command invocation %s/%s failed in the emulator", seq, position)
            self._finish(seq, position, status.FAILED)
        finally:
            with self._lock:
                active = self._active.get(key)
                if active is not None and active.generation == generation:
                    del self._active[key]
        if outcome == DONE and generation == self._generation:
            self.kick(seq)

    def _run_invocation(self, seq: int, position: int, generation: int) -> str:
        with self.db.read() as conn:
            command = storage.by_seq(conn, seq)
            row = storage.invocation(conn, seq, position)
        if command is None or row is None or row["status"] != "Pending":
            return DONE  # cancelled, terminated or reset meanwhile
        with self._lock:
            active = self._active.get((seq, position))
        if active is None or active.generation != generation:
            return DONE
        if self.clock.time() >= command["deliver_by"]:
            self._finish(seq, position, status.DELIVERY_TIMED_OUT)
            return DONE
        instance_id = row["instance_id"]
        ctx = _context(command["account"], command["region"])
        instance = self.instances.get(ctx, instance_id)
        if instance is None:
            self._finish(seq, position, status.UNDELIVERABLE)
            return DONE
        plan = Plan.from_json(command["plan"])
        if not plan.runs_on(instance.platform_type):
            self._finish(seq, position, status.INVALID_PLATFORM)
            return DONE
        if not instance.online:
            return WAITING
        try:
            backend = self.instances.backend(instance_id)
        except (BackendError, InvalidInstanceId):
            return WAITING
        return self._run_steps(command, row, instance, backend, plan, active)

    def _run_steps(self, command: sqlite3.Row, row: sqlite3.Row, instance: ManagedInstance,
                   backend: InstanceBackend, plan: Plan, active: Active) -> str:
        seq, position = row["command_seq"], row["position"]
        folder = orchestration_folder(instance.instance_id, command["id"])
        env = {
            "AWS_SSM_INSTANCE_ID": instance.instance_id,
            "AWS_SSM_REGION_NAME": command["region"],
            **plan.env,
            "SSM_COMMAND_ID": command["id"],  # the agent overwrites an ENV_VAR parameter named COMMAND_ID
            MARKER: f"{command['id']}/{instance.instance_id}",
        }
        now = self.clock.time()
        with self.db.write() as conn:
            if not storage.start(conn, seq, position, now):
                return DONE
            if plan.steps:
                storage.set_plugin(conn, seq, position, 0, status.IN_PROGRESS, started_at=now)
            storage.refresh(conn, seq)
        pairs: list[Pair] = []
        results: list[tuple[int, StepResult]] = []
        lost = exit_early = delivered = False
        last_code = -1
        for index, step in enumerate(plan.steps):
            if active.cancelled or lost:
                break
            if results:  # the previous step's result, with this step's start, in one write
                self._record_steps(seq, position, results, starting=index)
                results = []
            at = self.clock.time()
            if exit_early:
                result = StepResult(status.SKIPPED, -1, b"", b"", at, at)
            elif not step.applies_to(instance.platform_type):
                result = StepResult(status.SKIPPED, 0, step.unsatisfied().encode(), b"", at, at)
            elif step.action in self.plugins or step.action == RUN_DOCUMENT:
                result = self._run_any(step, command, instance, backend, folder, env, active, depth=1)
                delivered = True
            else:
                try:
                    result = self._run_step(step, backend, folder, env, command["expires_at"], active, delivered)
                except NotDelivered:
                    with self.db.write() as conn:
                        if storage.undeliver(conn, seq, position):
                            storage.refresh(conn, seq)
                            return WAITING  # the sweep delivers it when the instance answers again
                    self._finish(seq, position, status.CANCELLED, only_from=("Cancelling",))
                    return DONE
                delivered = True
            lost = result.pair == status.DELIVERY_TIMED_OUT
            exit_early = exit_early or (result.pair == status.FAILED and step.exit_on_failure)
            pairs.append(result.pair)
            results.append((index, result))
            if result.pair != status.SKIPPED:
                last_code = result.response_code
        if not lost and not active.cancelled and self.instances.get(
            _context(command["account"], command["region"]), instance.instance_id
        ) is None:
            lost = True  # deregistered during the run: its result can't be reported any more
        final = status.of_invocation(pairs, cancelled=active.cancelled, lost=lost)
        self._finish(seq, position, final, response_code=last_code, only_from=("InProgress", "Cancelling"),
                     steps=results)
        return DONE

    def _record_steps(self, seq: int, position: int, results: list[tuple[int, StepResult]],
                      starting: int | None = None) -> None:
        with self.db.write() as conn:
            _write_steps(conn, seq, position, results)
            if starting is not None:
                storage.set_plugin(conn, seq, position, starting, status.IN_PROGRESS, started_at=self.clock.time())

    def _finish(self, seq: int, position: int, pair: Pair, *, response_code: int | None = None,
                only_from: tuple[str, ...] | None = None,
                steps: list[tuple[int, StepResult]] | None = None) -> None:
        now = self.clock.time()
        with self.db.write() as conn:
            before = storage.by_seq(conn, seq)
            _write_steps(conn, seq, position, steps or [])
            if storage.set_invocation(conn, seq, position, pair, ended_at=now, response_code=response_code,
                                      only_from=only_from or ("Pending", "InProgress", "Cancelling")):
                storage.end_unrun_plugins(conn, seq, position, pair, now)
            after = storage.refresh(conn, seq)
        if before is not None and not before["done"] and after is not None and after["done"]:
            self.ended.notify(after)

    # --- one step ----------------------------------------------------------------------------------------
    def _unsupported(self, action: str) -> str:
        runnable = [*RUNNABLE, *([RUN_DOCUMENT] if self.nested else []), *sorted(self.plugins)]
        return UNSUPPORTED.format(action=action, runnable=", ".join(runnable))

    def _run_any(self, step: Step, command: sqlite3.Row, instance: ManagedInstance, backend: InstanceBackend,
                 folder: str, env: dict[str, str], active: Active, depth: int) -> StepResult:
        """A step of an invocation already delivered, whatever runs it."""
        if step.action in self.plugins:
            return self._run_plugin(step, command, instance, backend)
        if step.action == RUN_DOCUMENT:
            return self._run_document(step, command, instance, backend, folder, env, active, depth)
        return self._run_step(step, backend, folder, env, command["expires_at"], active, delivered=True)

    def _run_document(self, step: Step, command: sqlite3.Row, instance: ManagedInstance, backend: InstanceBackend,
                      folder: str, env: dict[str, str], active: Active, depth: int) -> StepResult:
        """aws:runDocument: the nested document's steps, run here one after the other as the agent runs them; their
        output is this step's, their worst status its status (run_document.py makes the nested plan)."""
        started = self.clock.time()
        ctx = _context(command["account"], command["region"], command["id"])
        try:
            if self.nested is None:
                raise RunDocumentError(self._unsupported(step.action))
            plan = self.nested.plan(ctx, instance.instance_id, backend, step, step.runs[0].inputs or {}, depth)
        except (RunDocumentError, BackendError) as e:
            return StepResult(status.FAILED, 1, b"", str(e).encode(), started, self.clock.time())
        # The nested document's ENV_VAR parameters are its own; the command's identity stays.
        nested_env = {**env, **plan.env, "SSM_COMMAND_ID": env["SSM_COMMAND_ID"], MARKER: env[MARKER]}
        stdout, stderr = bytearray(), bytearray()
        pairs: list[Pair] = []
        code = 0
        for inner in plan.steps:
            if active.cancelled:
                break
            if not inner.applies_to(instance.platform_type):
                _append_line(stdout, inner.unsatisfied().encode())
                continue
            result = self._run_any(inner, command, instance, backend, folder, nested_env, active, depth + 1)
            _append_line(stdout, result.stdout)
            _append_line(stderr, result.stderr)
            pairs.append(result.pair)
            code = result.response_code
            if result.pair == status.DELIVERY_TIMED_OUT or (result.pair == status.FAILED and inner.exit_on_failure):
                break
        if active.cancelled:
            pair = status.CANCELLED
        elif status.DELIVERY_TIMED_OUT in pairs:
            pair = status.DELIVERY_TIMED_OUT
        else:
            pair = status.of_invocation(pairs)
        if pair == status.FAILED and code == 0:
            code = 1
        return StepResult(pair, code, bytes(stdout), bytes(stderr), started, self.clock.time())

    def _run_plugin(self, step: Step, command: sqlite3.Row, instance: ManagedInstance,
                    backend: InstanceBackend) -> StepResult:
        started = self.clock.time()
        runner = self.plugins[step.action]
        stdout, stderr = bytearray(), bytearray()
        code = 0
        for run in step.runs:
            try:
                # The context's request id is the command's: a plugin reports its work under it (ExecutionId).
                code, out, err = runner(_context(command["account"], command["region"], command["id"]), instance,
                                        backend, run.inputs or {})
            except Exception as e:
                log.exception("plugin %s failed in the emulator", step.action)
                code, out, err = 1, b"", f"{step.action}: {e}".encode()
            _append(stdout, out)
            _append(stderr, err)
            if code != 0:
                break
        pair = status.SUCCESS if code == 0 else status.FAILED
        return StepResult(pair, code, bytes(stdout), bytes(stderr), started, self.clock.time())

    def _run_step(self, step: Step, backend: InstanceBackend, folder: str, env: dict[str, str],
                  expires_at: float, active: Active, delivered: bool) -> StepResult:
        """Run a step's scripts one after the other (a 1.2 plugin may have several); NotDelivered when
        the invocation's very first process is refused."""
        started = self.clock.time()
        if step.action not in RUNNABLE:
            message = self._unsupported(step.action).encode()
            return StepResult(status.FAILED, 1, b"", message, started, self.clock.time())
        stdout, stderr = bytearray(), bytearray()
        code: int | None = 0
        timed_out = expired = False
        for run in step.runs:
            try:
                result = self._execute(step.action, run, backend, folder, env, expires_at, active)
            except BackendError as e:
                if not delivered:
                    raise NotDelivered from e
                # The instance went away between two steps: nothing will report back.
                _append(stderr, str(e).encode())
                code = None
                break
            delivered = True
            _append(stdout, result.stdout)
            _append(stderr, result.stderr)
            timed_out, expired, code = result.timed_out, result.expired, result.exit_code
            if timed_out or expired or active.cancelled or code != 0:
                break
        ended = self.clock.time()
        if active.cancelled:
            pair, response = status.CANCELLED, KILLED if code is None else code
        elif expired:
            pair, response = status.DELIVERY_TIMED_OUT, -1
        elif timed_out or code == KILLED:
            pair, response = status.EXECUTION_TIMED_OUT, KILLED if code is None else code
        elif code is None or code < 0:  # ended without an exit status: the connection or the machine is gone
            pair, response = status.DELIVERY_TIMED_OUT, -1
        elif code == 0:
            pair, response = status.SUCCESS, 0
        else:
            pair, response = status.FAILED, code
            if b"failed to run commands:" not in stderr:
                if stderr and not stderr.endswith(b"\n"):
                    stderr += b"\n"
                stderr += FAILED_SUFFIX.format(code=code).encode()
        return StepResult(pair, response, bytes(stdout), bytes(stderr), started, ended)

    def _execute(self, action: str, run: Run, backend: InstanceBackend, folder: str, env: dict[str, str],
                 expires_at: float, active: Active) -> RunResult:
        """Write the run's script on the instance and run it to its end or its deadline."""
        where = f"{folder}/{run.folder}"
        script_name = "_script.ps1" if action == POWERSHELL else "_script.sh"
        runner = POWERSHELL_RUNNER if action == POWERSHELL else SHELL_RUNNER
        script_path = f"{where}/{script_name}"
        argv = ["/bin/sh", "-c", PREPARE, "ssm-document-worker", where, script_path,
                *_working_directory(run.working_directory, folder, where), *runner, script_path]
        begun = time.monotonic()
        step_deadline = begun + run.timeout
        expiry_deadline = begun + (expires_at - self.clock.time())
        process = backend.start_process(argv, env=env)
        with active.lock:
            active.process = process
            cancelled = active.cancelled
        result = RunResult(None, bytearray(), bytearray())
        try:
            if cancelled:
                _kill(process)
            try:
                process.write(run.script.encode())
            except OSError:
                pass  # it ended already (cd failed...); its output says why
            process.close_stdin()
            drain_by: float | None = None
            while True:
                if drain_by is None:
                    wait = min(step_deadline, expiry_deadline) - time.monotonic()
                else:
                    wait = drain_by - time.monotonic()
                try:
                    chunk = process.read(timeout=max(0.0, wait))
                except TimeoutError:
                    if drain_by is not None:
                        break  # killed, and still not ended: give up on the rest
                    result.expired = expiry_deadline <= step_deadline
                    result.timed_out = not result.expired
                    _kill(process)
                    drain_by = time.monotonic() + DRAIN_SECONDS
                    continue
                if chunk is None:
                    break
                _append(result.stdout if chunk.stream == "stdout" else result.stderr, chunk.data)
            result.exit_code = process.wait(5)
        finally:
            with active.lock:
                active.process = None
            process.close()
        return result


def _working_directory(given: str, folder: str, default: str) -> tuple[str, str]:
    """(where a step runs, where it runs if that is not a directory). Like SSM Agent's runscript plugin: an
    absolute workingDirectory as given (a missing one fails the step); a relative one below the command's
    downloads folder, where aws:downloadContent puts files, and the default folder when it isn't there."""
    if not given:
        return default, default
    if given.startswith("/"):
        return given, given
    return in_downloads(given, folder), default


def _write_steps(conn: sqlite3.Connection, seq: int, position: int, results: list[tuple[int, StepResult]]) -> None:
    for index, result in results:
        storage.set_plugin(
            conn, seq, position, index, result.pair, started_at=result.started_at, ended_at=result.ended_at,
            response_code=result.response_code, stdout=result.stdout, stderr=result.stderr,
        )


def _append_line(buffer: bytearray, data: bytes) -> None:
    """One nested step's output after another's, each on lines of its own (the agent's AppendInfof)."""
    if data and buffer and not buffer.endswith(b"\n"):
        _append(buffer, b"\n")
    _append(buffer, data)


def _append(buffer: bytearray, data: bytes) -> None:
    room = MAX_OUTPUT_BYTES - len(buffer)
    if room > 0:
        buffer += data[:room]


def _kill(process: Process) -> None:
    try:
        process.kill()
    except Exception as e:  # the machine may be gone already (paramiko and docker raise their own)
        log.info("could not kill a command's process: %s", e)


def _context(account: str, region: str, request_id: str = "run-command") -> RequestContext:
    return internal_context(account, region, request_id)
