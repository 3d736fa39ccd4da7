"""`ssm-emulator instances ...`: register, list and remove managed instances of a running emulator, through
its admin API (POST/GET/DELETE /_emulator/instances). The endpoint defaults to the group's --host/--port.

    ssm-emulator instances add docker --container web-1 --tag env=dev
    ssm-emulator instances add docker --image debian:bookworm --name web-2
    ssm-emulator instances add ssh --host 10.0.0.5 --username admin --private-key-file ~/.ssh/id_ed25519
    ssm-emulator instances list
    ssm-emulator instances remove mi-0123456789abcdef0
"""
from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from emulator.config import Config, ConfigError
from emulator.managed_instances import spec


def check_instances(config: Config) -> None:
    """The config file's [[instances]] are well-formed (ConfigError otherwise), before the server starts."""
    for n, entry in enumerate(config.instances, 1):
        try:
            spec.parse(entry)
        except spec.SpecError as e:
            raise ConfigError(f"[[instances]] entry {n}: {e.message}") from e


def _endpoint(ctx: click.Context, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    config: Config = ctx.find_root().obj
    return config.local_url


def _call(endpoint: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        endpoint + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120, context=_tls_context(endpoint)) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        try:
            answer = json.loads(e.read())
            detail = f"{answer.get('error', e.code)}: {answer.get('message', '')}"
        except ValueError:
            detail = f"HTTP {e.code}"
        raise click.ClickException(detail) from e
    except OSError as e:
        raise click.ClickException(f"no emulator answers at {endpoint} ({e})") from e


def _tls_context(endpoint: str) -> ssl.SSLContext | None:
    """For https: the system's CAs, and the emulator's own certificate (--tls-cert, often self-signed)."""
    if not endpoint.startswith("https:"):
        return None
    context = ssl.create_default_context()
    config: Config = click.get_current_context().find_root().obj
    if config.tls_cert is not None:
        context.load_verify_locations(cafile=str(config.tls_cert))
    return context


def _tags(pairs: tuple[str, ...]) -> dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--tag")
        tags[key] = value
    return tags


endpoint_option = click.option(
    "--endpoint", help="The emulator's URL.  [default: from --host/--port, e.g. http://127.0.0.1:4583]"
)


def common_options(fn: Any) -> Any:
    for option in reversed(
        [
            endpoint_option,
            click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag (repeatable)."),
            click.option("--account-id", help="The owning account.  [default: the default account]"),
            click.option("--region", help="Visible in this region only.  [default: every region]"),
            click.option("--activation-code", help="Register under a hybrid activation (with --activation-id)."),
            click.option("--activation-id", help="The activation's ID (with --activation-code)."),
        ]
    ):
        fn = option(fn)
    return fn


def _add(ctx: click.Context, endpoint: str | None, body: dict[str, Any], options: dict[str, Any]) -> None:
    body["tags"] = _tags(options.pop("tags"))
    body.update({k: v for k, v in options.items() if v is not None})
    answer = _call(_endpoint(ctx, endpoint), "POST", "/_emulator/instances", body)
    click.echo(answer["InstanceId"])


@click.group("instances")
def instances() -> None:
    """Managed instances of a running emulator: Docker containers and SSH hosts."""


@instances.group("add")
def add() -> None:
    """Register a machine as a managed instance; prints its mi- ID."""


@add.command("docker")
@click.option("--container", help="An existing container, by name or ID.")
@click.option("--image", help="Start a container from this local image (removed again with the instance).")
@click.option("--name", help="The name of the container started from --image.")
@click.option("--network-mode", help="Network of the container started from --image.  [default: host]")
@common_options
@click.pass_context
def add_docker(
    ctx: click.Context, container: str | None, image: str | None, name: str | None, network_mode: str | None,
    endpoint: str | None, **options: Any,
) -> None:
    """A Docker container."""
    body = {"backend": "docker", "container": container, "image": image, "name": name, "network_mode": network_mode}
    _add(ctx, endpoint, {k: v for k, v in body.items() if v is not None}, options)


@add.command("ssh")
@click.option("--host", required=True, help="Host name or address.")
@click.option("--port", type=int, default=22, show_default=True)
@click.option("--username", default="root", show_default=True)
@click.option("--password", help="Log in with this password.")
@click.option(
    "--private-key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Log in with this private key (its text is sent to the emulator).",
)
@click.option("--host-key-policy", type=click.Choice(spec.HOST_KEY_POLICIES), help="[default: accept]")
@common_options
@click.pass_context
def add_ssh(
    ctx: click.Context, host: str, port: int, username: str, password: str | None, private_key_file: Path | None,
    host_key_policy: str | None, endpoint: str | None, **options: Any,
) -> None:
    """A host reached over SSH."""
    if (password is None) == (private_key_file is None):
        raise click.UsageError("give exactly one of --password or --private-key-file")
    body: dict[str, Any] = {"backend": "ssh", "host": host, "port": port, "username": username}
    if password is not None:
        body["password"] = password
    if private_key_file is not None:
        body["private_key"] = private_key_file.read_text()
    if host_key_policy is not None:
        body["host_key_policy"] = host_key_policy
    _add(ctx, endpoint, body, options)


@instances.command("list")
@endpoint_option
@click.option("--json", "as_json", is_flag=True, help="Print the admin API's JSON.")
@click.pass_context
def list_instances(ctx: click.Context, endpoint: str | None, as_json: bool) -> None:
    """Every managed instance, with its status and platform."""
    found = _call(_endpoint(ctx, endpoint), "GET", "/_emulator/instances")["instances"]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    rows = [("INSTANCE ID", "BACKEND", "STATUS", "PLATFORM", "TARGET", "TAGS")]
    for i in found:
        facts = i.get("facts") or {}
        target = i["target"]
        where = target.get("container") or f"{target.get('username')}@{target.get('host')}:{target.get('port')}"
        platform = f"{facts.get('platform_name', '')} {facts.get('platform_version', '')}".strip() or "-"
        tags = ",".join(f"{k}={v}" for k, v in i["tags"].items()) or "-"
        rows.append((i["InstanceId"], i["backend"], i["ping_status"], platform, where, tags))
    widths = [max(len(r[n]) for r in rows) for n in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@instances.command("remove")
@click.argument("instance_id")
@endpoint_option
@click.pass_context
def remove(ctx: click.Context, instance_id: str, endpoint: str | None) -> None:
    """Forget a managed instance (a container the emulator started is removed too)."""
    _call(_endpoint(ctx, endpoint), "DELETE", f"/_emulator/instances/{instance_id}")
    click.echo(f"removed {instance_id}")
