"""The `ssm-emulator` command."""
from __future__ import annotations

from pathlib import Path

import click

from emulator import __version__
from emulator.config import DEFAULT_PORT, LOG_LEVELS, Config, ConfigError, load_file, validate
from emulator.managed_instances.cli import check_instances, instances


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", envvar="SSM_EMULATOR_HOST", help="Address to listen on.  [default: 127.0.0.1]")
@click.option(
    "--port", type=int, envvar="SSM_EMULATOR_PORT", help=f"Port to listen on.  [default: {DEFAULT_PORT}]"
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SSM_EMULATOR_DATA_DIR",
    help="Folder of the durable state.  [default: $XDG_DATA_HOME/ssm-emulator]",
)
@click.option(
    "--ephemeral/--persistent",
    default=None,
    envvar="SSM_EMULATOR_EPHEMERAL",
    help="Keep all state in memory only; nothing survives a restart.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS),
    envvar="SSM_EMULATOR_LOG_LEVEL",
    help="Server log verbosity.  [default: info]",
)
@click.option(
    "--verify-signatures/--no-verify-signatures",
    default=None,
    envvar="SSM_EMULATOR_VERIFY_SIGNATURES",
    help="Check SigV4 signatures against the access keys of the config file, as AWS does.",
)
@click.option(
    "--ping-interval",
    type=float,
    envvar="SSM_EMULATOR_PING_INTERVAL",
    help="Seconds between checks of each managed instance (PingStatus).  [default: 5]",
)
@click.option(
    "--discovery-interval",
    type=float,
    envvar="SSM_EMULATOR_DISCOVERY_INTERVAL",
    help="Seconds between looks for containers labelled ssm-emulator.managed=true.  [default: 5]",
)
@click.option(
    "--schedule-scale",
    type=float,
    envvar="SSM_EMULATOR_SCHEDULE_SCALE",
    help="Test-only: run rate() schedules (associations, maintenance windows) and windows' Duration and "
         "Cutoff this many times faster.  [default: 1]",
)
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SSM_EMULATOR_TLS_CERT",
    help="Serve HTTPS with this PEM certificate (chain); StartSession then hands out wss:// StreamUrls.",
)
@click.option(
    "--tls-key",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SSM_EMULATOR_TLS_KEY",
    help="The PEM private key of --tls-cert.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SSM_EMULATOR_CONFIG",
    help="A TOML file of settings (accounts, access keys, instances); flags and variables win.",
)
@click.version_option(__version__, prog_name="ssm-emulator")
@click.pass_context
def main(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    data_dir: Path | None,
    ephemeral: bool | None,
    log_level: str | None,
    verify_signatures: bool | None,
    ping_interval: float | None,
    discovery_interval: float | None,
    schedule_scale: float | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    config_file: Path | None,
) -> None:
    """A local, offline, AWS-compatible emulator of AWS Systems Manager.

    With no command, serves the SSM API (AWS JSON 1.1) on http://127.0.0.1:4583
    (https with --tls-cert and --tls-key).
    Every option can also be set by an SSM_EMULATOR_* variable (e.g. SSM_EMULATOR_PORT).
    """
    try:
        base = load_file(config_file) if config_file else Config()
        config = validate(
            base.with_overrides(
                host=host,
                port=port,
                data_dir=data_dir,
                ephemeral=ephemeral,
                log_level=log_level,
                verify_signatures=verify_signatures,
                ping_interval=ping_interval,
                discovery_interval=discovery_interval,
                schedule_scale=schedule_scale,
                tls_cert=tls_cert,
                tls_key=tls_key,
            )
        )
        check_instances(config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    ctx.obj = config
    if ctx.invoked_subcommand is None:
        from emulator.server import serve

        serve(config)


main.add_command(instances)
