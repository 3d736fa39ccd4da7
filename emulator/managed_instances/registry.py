"""The registry of managed instances, and the in-process API other capabilities use to reach them.

Machines come in through the admin API, the CLI (which calls the admin API), `[[instances]]` of the
config file and discovery of labelled containers; all go through `register`. A background job checks
every instance every few seconds (PingStatus, LastPingDateTime) and reads its facts (platform, address,
host name) when it first answers, when it comes back, and every few minutes.

For Run Command, Session Manager and the rest:

    instance = instances.get(ctx, "mi-...")              # ManagedInstance | None
    chosen = instances.select(ctx, targets=req.Targets)  # InstanceIds, tag:<key>, tag-key
    backend = instances.backend(instance.instance_id)    # an open InstanceBackend
    instances.machines.change_state(ctx, "mi-...", "stopped")  # state and images (machines.py)
"""
from __future__ import annotations

import atexit
import dataclasses
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api_models.errors import InvalidInstanceId, InvalidTarget
from emulator.backends import BackendError, InstanceBackend
from emulator.context import RequestContext
from emulator.managed_instances import activations, model, spec, storage
from emulator.managed_instances.docker_engine import (
    ContainerError,
    ContainerInfo,
    DockerEngine,
    EngineUnavailable,
    label_tags,
)
from emulator.managed_instances.machines import InstanceMachines
from emulator.managed_instances.model import CONNECTION_LOST, ONLINE, InstanceAssociations, ManagedInstance
from emulator.managed_instances.schema import COMPONENT, MIGRATIONS
from emulator.managed_instances.spec import InstanceSpec, RegistrationError
from emulator.tags import store as tag_store

if TYPE_CHECKING:
    from flask import Blueprint

    from emulator.services import Services

log = logging.getLogger("ssm_emulator.managed_instances")

# Facts (os-release, addresses) change rarely: read them on first contact, on coming back, and this often.
FACTS_REFRESH_SECONDS = 300.0
NOT_ANSWERING = "the machine does not answer (container not running or gone, or SSH connection refused)"
RESOURCE_GROUPS_UNSUPPORTED = (
    "ssm-emulator has no AWS Resource Groups: targets by {key} can't be resolved offline. "
    "Target managed instances with InstanceIds, tag:<key> or tag-key instead."
)

# (instance ID) -> what State Manager applied there, for when State Manager exists.
AssociationStatusProvider = Callable[[str], "InstanceAssociations | None"]


@dataclass(frozen=True)
class Registered:
    instance_id: str
    created: bool  # False: the machine was registered already (same ID)


class ManagedInstances:
    """Every managed instance of every account: registration, liveness, facts, and backends."""

    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.clock = services.clock
        self.background = services.background
        self.config = services.config
        self.db.migrate(COMPONENT, MIGRATIONS)
        tag_store.migrate(self.db)
        self.engine = DockerEngine()
        self.association_status: AssociationStatusProvider | None = None
        self._configured = [spec.parse(entry) for entry in services.config.instances]
        self._pending_config: list[InstanceSpec] = list(self._configured)
        self._backends: dict[str, InstanceBackend] = {}
        self._checking: set[str] = set()
        self._lock = threading.Lock()
        self._config_lock = threading.Lock()  # start-up, reset and the discovery job all register them
        with self.db.read() as conn:
            self._owned = storage.owned_containers(conn)
        services.taggable.register(storage.RESOURCE_TYPE, self._taggable_id, tag_region=storage.TAG_REGION)
        self.machines = InstanceMachines(self)  # state changes and images, for Automation

    # --- lifecycle (called by the app factory) ------------------------------------------------------------
    def start(self) -> None:
        self._register_configured()
        self.background.submit(self._first_pass)
        self.background.every(self.config.ping_interval, self.check_all, "instance-ping")
        self.background.every(self.config.discovery_interval, self._discovery_pass, "instance-discovery")
        if self.config.resolved_data_dir is None:
            # State in memory only: containers this emulator started would outlive every reference to them.
            atexit.register(self._remove_owned)

    def close(self) -> None:
        """The app is closing (in-process server): as at exit, an ephemeral emulator removes the containers it
        started; open backends and the engine client are closed either way."""
        if self.config.resolved_data_dir is None:
            atexit.unregister(self._remove_owned)
            self._remove_owned()
        else:
            with self._lock:
                backends, self._backends = list(self._backends.values()), {}
            for backend in backends:
                backend.close()
        self.engine.close()

    def on_reset(self) -> None:
        self._remove_owned()
        with self._config_lock:
            self._pending_config = list(self._configured)
        self._register_configured()

    def health(self) -> dict[str, str]:
        if self.engine.status == "unknown":
            self.engine.ping()
        return {"docker": self.engine.status}

    def blueprint(self) -> Blueprint:
        from emulator.managed_instances.admin import instances_blueprint

        return instances_blueprint(self)

    # --- the in-process API -------------------------------------------------------------------------------
    def get(self, ctx: RequestContext, instance_id: str) -> ManagedInstance | None:
        """The managed instance `instance_id` if the caller's account and region see it."""
        with self.db.read() as conn:
            row = storage.get(conn, instance_id)
            if row is None or not _visible(row, ctx):
                return None
            tags = storage.tags_of(conn, row["account"], [instance_id]).get(instance_id, {})
        return self._instance(row, tags)

    def list(self, ctx: RequestContext, after: str = "") -> list[ManagedInstance]:
        """The caller's managed instances (its account, seen from its region), by ID, after `after`."""
        with self.db.read() as conn:
            rows = storage.visible(conn, ctx.account_id, ctx.region, after)
            tags = storage.tags_of(conn, ctx.account_id) if rows else {}
        return [self._instance(row, tags.get(row["id"], {})) for row in rows]

    def select(
        self,
        ctx: RequestContext,
        instance_ids: Sequence[str] | None = None,
        targets: Iterable[Any] | None = None,
    ) -> list[ManagedInstance]:
        """The instances SSM's InstanceIds or Targets name, as SendCommand resolves them.

        `instance_ids`: each must be a managed instance of the caller (InvalidInstanceId otherwise), returned
        in the order given. `targets`: api_models Target objects or {"Key", "Values"} dicts, all of which an
        instance must match: InstanceIds (or "*"), tag:<Key> (any of the values), tag-key (any of the keys).
        resource-groups:* targets raise InvalidTarget: there are no resource groups offline.
        """
        instances = self.list(ctx)
        if instance_ids is not None:
            by_id = {i.instance_id: i for i in instances}
            if any(i not in by_id for i in instance_ids):
                raise InvalidInstanceId("")
            instances = [by_id[i] for i in dict.fromkeys(instance_ids)]
        for target in targets or ():
            key, values = _target(target)
            instances = [i for i in instances if _matches_target(i, key, values)]
        return instances

    def backend(self, instance_id: str) -> InstanceBackend:
        """An open backend to the instance, kept for reuse (SSH connections reconnect by themselves).

        InvalidInstanceId if it is not registered; BackendError if it cannot be opened now.
        """
        with self._lock:
            found = self._backends.get(instance_id)
        if found is not None:
            return found
        with self.db.read() as conn:
            row = storage.get(conn, instance_id)
        if row is None:
            raise InvalidInstanceId("")
        opened = self._open(row)
        with self._lock:
            kept = self._backends.setdefault(instance_id, opened)
        if kept is not opened:
            opened.close()
        return kept

    def use_association_status(self, provider: AssociationStatusProvider) -> None:
        """State Manager's hook: the association members of DescribeInstanceInformation and their filters."""
        self.association_status = provider

    # --- registration -------------------------------------------------------------------------------------
    def register(self, wanted: InstanceSpec, source: str = "api", found: ContainerInfo | None = None) -> Registered:
        """Make the machine a managed instance (or return the ID it has already).

        RegistrationError when it cannot be: bad activation, missing container, engine down (503)...
        """
        try:
            return self._register(wanted, source, found)
        except EngineUnavailable as e:
            raise RegistrationError(str(e), "DockerUnavailable", 503) from e
        except ContainerError as e:
            raise RegistrationError(str(e), "InvalidContainer") from e

    def _register(self, wanted: InstanceSpec, source: str, found: ContainerInfo | None) -> Registered:
        started: ContainerInfo | None = None
        secret: dict[str, Any] | None = None
        if wanted.backend == "ssh":
            assert wanted.host is not None
            instance_id = model.instance_id_for("ssh", *model.ssh_identity(wanted.host, wanted.port, wanted.username))
            target: dict[str, Any] = {
                "host": wanted.host, "port": wanted.port, "username": wanted.username,
                "key_file": wanted.key_file, "host_key_policy": wanted.host_key_policy,
                "known_hosts": wanted.known_hosts,
            }
            secret = {k: getattr(wanted, k) for k in spec.SECRET_KEYS if getattr(wanted, k) is not None}
            container_id = None
        elif wanted.image is not None:
            name = wanted.name
            if name is not None:
                instance_id = model.instance_id_for("docker", name)
                with self.db.read() as conn:
                    if storage.get(conn, instance_id) is not None:
                        return self._already(instance_id, wanted)
                if self.engine.exists(name):
                    raise RegistrationError(
                        f'a container named {name} exists already: register it with "container": "{name}"',
                        "InvalidContainer", 409,
                    )
            started = self.engine.run(wanted.image, name, wanted.network_mode)
            instance_id = model.instance_id_for("docker", started.name)
            target = {"container": started.name, "image": wanted.image}
            container_id = started.id
        else:
            assert wanted.container is not None
            info = found or self.engine.inspect(wanted.container)
            instance_id = model.instance_id_for("docker", info.name)
            target = {"container": info.name}
            container_id = info.id
        try:
            created = self._insert(instance_id, wanted, source, target, secret, started is not None, container_id)
        except BaseException:
            if started is not None:
                self.engine.remove(started.id)
            raise
        if not created:
            if started is not None:
                self.engine.remove(started.id)
            return self._already(instance_id, wanted)
        if started is not None:
            with self._lock:
                self._owned[instance_id] = started.name
        log.info("registered managed instance %s (%s %s, from %s)", instance_id, wanted.backend, target, source)
        return Registered(instance_id, True)

    def _insert(
        self, instance_id: str, wanted: InstanceSpec, source: str, target: Mapping[str, Any],
        secret: Mapping[str, Any] | None, owned: bool, container_id: str | None,
    ) -> bool:
        now = self.clock.time()
        with self.db.write() as conn:
            if storage.get(conn, instance_id) is not None:
                return False
            account = wanted.account_id or self.config.default_account_id
            region, name, role, activation_id = wanted.region, None, None, None
            tags = dict(wanted.tags)
            if wanted.activation_id is not None:
                activation = activations.consume(
                    conn, wanted.activation_id, wanted.activation_code or "", wanted.region, now
                )
                account, region = activation["account"], activation["region"]
                name, role = activation["default_instance_name"], activation["iam_role"]
                activation_id = activation["id"]
                tags = {**dict(storage.activation_tags(activation)), **tags}
            if container_id is not None:
                conn.execute("DELETE FROM mi_discovery_ignored WHERE container_id = ?", (container_id,))
            storage.insert(
                conn,
                storage.NewInstance(
                    id=instance_id, account=account, region=region, backend=wanted.backend, target=target,
                    secret=secret, source=source, owned=owned, container_id=container_id, name=name,
                    iam_role=role, activation_id=activation_id, registered=now, ping_status=CONNECTION_LOST,
                ),
            )
            if tags:
                storage.put_tags(conn, account, instance_id, tags)
        return True

    def _already(self, instance_id: str, wanted: InstanceSpec) -> Registered:
        with self.db.write() as conn:
            row = storage.get(conn, instance_id)
            if row is None:  # deregistered in between
                raise RegistrationError(f"{instance_id} was deregistered while being registered again", status=409)
            if (wanted.account_id and wanted.account_id != row["account"]) or (
                wanted.region and wanted.region != row["region"]
            ):
                raise RegistrationError(
                    f"this machine is managed instance {instance_id} of account {row['account']}"
                    f" ({row['region'] or 'every region'}) already",
                    "AlreadyRegistered", 409,
                )
            if wanted.tags:
                storage.put_tags(conn, row["account"], instance_id, wanted.tags)
        return Registered(instance_id, False)

    def deregister(self, instance_id: str) -> ManagedInstance | None:
        """Forget the instance (and remove the container if the emulator started it); None if unknown.

        A container that is not ours is left running, and discovery leaves that container alone from now on.
        """
        with self.db.write() as conn:
            row = storage.get(conn, instance_id)
            if row is None:
                return None
            gone = self._instance(row, storage.tags_of(conn, row["account"], [instance_id]).get(instance_id, {}))
            storage.delete(conn, row)
            if row["container_id"] and not row["owned"]:
                storage.ignore_container(conn, row["container_id"])
        with self._lock:
            backend = self._backends.pop(instance_id, None)
            owned = self._owned.pop(instance_id, None)
        if backend is not None:
            backend.close()
        if owned is not None:
            self.engine.remove(owned)
        log.info("deregistered managed instance %s", instance_id)
        return gone

    def set_iam_role(self, ctx: RequestContext, instance_id: str, role: str) -> bool:
        with self.db.write() as conn:
            row = storage.get(conn, instance_id)
            if row is None or not _visible(row, ctx):
                return False
            storage.set_iam_role(conn, instance_id, role)
        return True

    def describe(self) -> list[dict[str, Any]]:
        """Every instance for the admin API: backend, target (secrets redacted), status, facts, tags."""
        with self.db.read() as conn:
            rows = storage.all_rows(conn)
            tags = {account: storage.tags_of(conn, account) for account in {row["account"] for row in rows}}
        out = []
        for row in rows:
            target = json.loads(row["target"])
            for key in json.loads(row["secret"] or "{}"):
                target[key] = "<redacted>"
            out.append(
                {
                    "InstanceId": row["id"],
                    "backend": row["backend"],
                    "target": {k: v for k, v in target.items() if v is not None},
                    "source": row["source"],
                    "created_container": bool(row["owned"]),
                    "account_id": row["account"],
                    "region": row["region"],
                    "ping_status": row["ping_status"],
                    "last_ping": row["last_ping"],
                    "registered": row["registered"],
                    "activation_id": row["activation_id"],
                    "facts": json.loads(row["facts"]) if row["facts"] else None,
                    "tags": tags[row["account"]].get(row["id"], {}),
                    "last_error": row["last_error"],
                }
            )
        return out

    # --- liveness and facts -------------------------------------------------------------------------------
    def check_all(self) -> None:
        """Check every instance (each on the background pool; one check per instance at a time)."""
        with self.db.read() as conn:
            ids = storage.all_ids(conn)
        for instance_id in ids:
            with self._lock:
                if instance_id in self._checking:
                    continue
                self._checking.add(instance_id)
            self.background.submit(self._check_once, instance_id)

    def _check_once(self, instance_id: str) -> None:
        try:
            self.check(instance_id)
        finally:
            with self._lock:
                self._checking.discard(instance_id)

    def check(self, instance_id: str) -> str | None:
        """Ping the instance now (and read its facts when due); its new PingStatus, None if unknown."""
        with self.db.read() as conn:
            row = storage.get(conn, instance_id)
        if row is None:
            return None
        now = self.clock.time()
        facts: dict[str, Any] | None = None
        error: str | None = None
        try:
            backend = self.backend(instance_id)
            alive = backend.alive()
        except (BackendError, EngineUnavailable, InvalidInstanceId) as e:
            alive, error = False, str(e) or NOT_ANSWERING
        if alive:
            due = (
                row["facts"] is None
                or row["ping_status"] != ONLINE
                or now - (row["facts_at"] or 0) >= FACTS_REFRESH_SECONDS
            )
            if due:
                try:
                    facts = dataclasses.asdict(backend.facts())
                except BackendError as e:
                    error = f"facts: {e}"
        elif error is None:
            error = NOT_ANSWERING
        status = ONLINE if alive else CONNECTION_LOST
        with self.db.write() as conn:
            storage.record_ping(conn, instance_id, status, now, facts, error)
        if status != row["ping_status"]:
            log.info("managed instance %s is %s%s", instance_id, status, f": {error}" if error else "")
        return status

    # --- discovery and configured instances ---------------------------------------------------------------
    def _first_pass(self) -> None:
        self._discovery_pass()
        self.check_all()

    def _discovery_pass(self) -> None:
        self._register_configured()
        self.discover()

    def discover(self) -> list[str]:
        """Register running containers labelled ssm-emulator.managed=true; the IDs newly registered."""
        try:
            containers = self.engine.labelled()
        except (EngineUnavailable, ContainerError) as e:
            log.debug("discovery skipped: %s", e)
            return []
        with self.db.read() as conn:
            known = set(storage.all_ids(conn))
            ignored = storage.ignored_containers(conn)
        added = []
        for container in containers:
            if container.id in ignored or model.instance_id_for("docker", container.name) in known:
                continue
            wanted = InstanceSpec(backend="docker", container=container.name, tags=_label_tags(container))
            try:
                registered = self.register(wanted, "discovery", found=container)
            except RegistrationError as e:
                log.warning("discovered container %s not registered: %s", container.name, e.message)
                continue
            if registered.created:
                added.append(registered.instance_id)
                self.background.submit(self._check_once_unless_busy, registered.instance_id)
        return added

    def _check_once_unless_busy(self, instance_id: str) -> None:
        with self._lock:
            if instance_id in self._checking:
                return
            self._checking.add(instance_id)
        self._check_once(instance_id)

    def _register_configured(self) -> None:
        """Register the config file's [[instances]]; those the engine was not up for are retried later."""
        with self._config_lock:
            retry = []
            for wanted in self._pending_config:
                try:
                    registered = self.register(wanted, "config")
                except RegistrationError as e:
                    if e.status == 503:
                        retry.append(wanted)
                    log.error("config instance %s not registered: %s", _describe(wanted), e.message)
                    continue
                if registered.created:
                    self.background.submit(self._check_once_unless_busy, registered.instance_id)
            self._pending_config = retry

    def _remove_owned(self) -> None:
        with self._lock:
            backends, self._backends = list(self._backends.values()), {}
            owned, self._owned = dict(self._owned), {}
        for backend in backends:
            backend.close()
        for name in owned.values():
            self.engine.remove(name)

    # --- helpers ------------------------------------------------------------------------------------------
    def _open(self, row: sqlite3.Row) -> InstanceBackend:
        target = json.loads(row["target"])
        secret = json.loads(row["secret"] or "{}")
        if row["backend"] == "docker":
            from emulator.backends.docker import DockerBackend

            try:
                client = self.engine.client()
            except EngineUnavailable as e:
                raise BackendError(str(e)) from e
            return DockerBackend(target["container"], client=client)
        from emulator.backends.ssh import SshBackend, SshTarget

        return SshBackend(
            SshTarget(
                host=target["host"],
                port=target["port"],
                username=target["username"],
                key_filename=target.get("key_file"),
                host_key_policy=target.get("host_key_policy", "accept"),
                known_hosts=target.get("known_hosts"),
                password=secret.get("password"),
                private_key=secret.get("private_key"),
                passphrase=secret.get("passphrase"),
            )
        )

    def _instance(self, row: sqlite3.Row, tags: Mapping[str, str]) -> ManagedInstance:
        instance = model.from_row(row, tags)
        if self.association_status is not None:
            instance = dataclasses.replace(instance, associations=self.association_status(row["id"]))
        return instance

    def _taggable_id(self, ctx: RequestContext, resource_id: str) -> str | None:
        with self.db.read() as conn:
            row = storage.get(conn, resource_id)
        return resource_id if row is not None and _visible(row, ctx) else None


def _visible(row: sqlite3.Row, ctx: RequestContext) -> bool:
    return row["account"] == ctx.account_id and row["region"] in (None, ctx.region)


def _target(target: Any) -> tuple[str, list[str]]:
    if isinstance(target, Mapping):
        return str(target.get("Key") or ""), list(target.get("Values") or [])
    return str(target.Key or ""), list(target.Values or [])


def _matches_target(instance: ManagedInstance, key: str, values: list[str]) -> bool:
    if key.startswith("resource-groups:"):
        raise InvalidTarget(RESOURCE_GROUPS_UNSUPPORTED.format(key=key))
    if key == "InstanceIds":
        return "*" in values or instance.instance_id in values
    if key == "tag-key":
        return any(v in instance.tags for v in values)
    if key.startswith("tag:") and len(key) > 4:
        return instance.tags.get(key[4:]) in values
    raise InvalidTarget(f"Target key {key} isn't supported. Use InstanceIds, tag:<key> or tag-key.")


def _label_tags(container: ContainerInfo) -> dict[str, str]:
    try:
        return spec.parse_tags(label_tags(container.labels))
    except spec.SpecError as e:
        log.warning("container %s: tags from labels ignored: %s", container.name, e.message)
        return {}


def _describe(wanted: InstanceSpec) -> str:
    if wanted.backend == "ssh":
        return f"ssh {wanted.username}@{wanted.host}:{wanted.port}"
    return f"docker {wanted.container or wanted.image}"

