"""The emulator's settings: defaults, then a TOML file, then SSM_EMULATOR_* variables and flags.

Everything has a default, so `ssm-emulator` with no configuration serves on 127.0.0.1:4583.
"""
from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from emulator.context import DEFAULT_ACCOUNT_ID

DEFAULT_PORT = 4583
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AccessKey:
    """An access key the emulator knows: which account it acts as, and its secret for SigV4."""

    access_key_id: str
    account_id: str
    secret_access_key: str | None = None


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path | None = None  # None: the per-user data folder (see default_data_dir)
    ephemeral: bool = False
    log_level: str = "info"
    verify_signatures: bool = False
    default_account_id: str = DEFAULT_ACCOUNT_ID
    # "normal" survives the process being killed; "full" also survives power loss (fsync per write)
    durability: str = "normal"
    threads: int = 16
    access_keys: tuple[AccessKey, ...] = field(default_factory=tuple)
    # [[instances]] tables: machines registered as managed instances at start-up (keys as the admin API's
    # POST /_emulator/instances body; checked by emulator.managed_instances.spec).
    instances: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    # How often every managed instance is checked (PingStatus), and labelled containers are looked for.
    ping_interval: float = 5.0
    discovery_interval: float = 5.0
    # Test-only: rate() schedules run this many times faster (rate(30 minutes) with 1800: every second), so tests see
    # an association apply repeatedly, or a maintenance window open, without waiting minutes. A maintenance window's
    # Duration and Cutoff hours are divided alike (with 60, Duration 2 lasts two minutes). Cron and at() are not
    # scaled, nor is ScheduleOffset.
    schedule_scale: float = 1.0
    # Run Command: threads running command invocations (each mostly waits on its process's output);
    # at least 50, SendCommand's default MaxConcurrency, so one command's default fan-out runs at once.
    command_workers: int = 64
    # Automation: threads running executions; an execution waiting on aws:approve, aws:pause or aws:sleep holds
    # one (an Interactive execution waiting for its next StartStep does not).
    automation_workers: int = 64
    # HTTPS (and wss:// data channels) with this PEM certificate (chain) and its private key; both or neither.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Resource data sync: a SyncToDestination sync writes its data as JSON files under
    # <data_sync_dir>/<BucketName>/<Prefix>/ (there is no S3 offline), every data_sync_interval seconds.
    # None: nothing is written and such syncs show LastStatus Failed, saying so.
    data_sync_dir: Path | None = None
    data_sync_interval: float = 60.0

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    @property
    def local_address(self) -> str:
        """host:port where a client on this machine reaches the server (loopback when it listens everywhere)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    @property
    def local_url(self) -> str:
        return f"{self.scheme}://{self.local_address}"

    @property
    def resolved_data_dir(self) -> Path | None:
        """Where state lives, or None when it is kept in memory."""
        if self.ephemeral:
            return None
        return self.data_dir or default_data_dir()

    def with_overrides(self, **values: Any) -> Config:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def default_data_dir() -> Path:
    """The per-user data folder: $XDG_DATA_HOME/ssm-emulator, ~/Library/Application Support on macOS."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "ssm-emulator"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ssm-emulator"


def load_file(path: Path) -> Config:
    """Read a TOML config file; unknown keys are an error, so typos do not pass silently."""
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name == "default_account":
            name = "default_account_id"
        if name == "access_keys":
            values[name] = tuple(_access_key(entry) for entry in value)
        elif name == "instances":
            if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
                raise ConfigError(f"'instances' in {path} must be [[instances]] tables")
            values[name] = tuple(value)
        elif name in known:
            values[name] = Path(value) if name in ("data_dir", "tls_cert", "tls_key", "data_sync_dir") else value
        else:
            raise ConfigError(f"unknown setting {key!r} in {path}")
    return validate(Config(**values))


def _access_key(entry: dict[str, Any]) -> AccessKey:
    try:
        return AccessKey(
            access_key_id=str(entry["access_key_id"]),
            account_id=str(entry.get("account_id", DEFAULT_ACCOUNT_ID)),
            secret_access_key=entry.get("secret_access_key"),
        )
    except KeyError as exc:
        raise ConfigError(f"an [[access_keys]] entry lacks {exc}") from exc


def validate(config: Config) -> Config:
    if config.log_level not in LOG_LEVELS:
        raise ConfigError(f"log level must be one of {', '.join(LOG_LEVELS)}")
    if not (0 <= config.port <= 65535):
        raise ConfigError("port must be between 0 and 65535")
    if config.durability not in ("normal", "full"):
        raise ConfigError("durability must be 'normal' or 'full'")
    if not (len(config.default_account_id) == 12 and config.default_account_id.isdigit()):
        raise ConfigError("default account must be 12 digits")
    if not isinstance(config.command_workers, int) or not 1 <= config.command_workers <= 1024:
        raise ConfigError("command_workers must be between 1 and 1024")
    if not isinstance(config.automation_workers, int) or not 1 <= config.automation_workers <= 1024:
        raise ConfigError("automation_workers must be between 1 and 1024")
    for name in ("ping_interval", "discovery_interval", "data_sync_interval"):
        if not isinstance(getattr(config, name), (int, float)) or not 0.05 <= getattr(config, name) <= 3600:
            raise ConfigError(f"{name.replace('_', '-')} must be between 0.05 and 3600 seconds")
    if not isinstance(config.schedule_scale, (int, float)) or not 1 <= config.schedule_scale <= 1_000_000:
        raise ConfigError("schedule-scale must be between 1 and 1000000")
    if (config.tls_cert is None) != (config.tls_key is None):
        raise ConfigError("TLS needs both a certificate (tls-cert) and its key (tls-key)")
    for name in ("tls_cert", "tls_key"):
        path = getattr(config, name)
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"{name.replace('_', '-')} {path} is not a file")
    return config
