"""``certtui serve``: the same TUI in a web browser, through textual-serve."""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys

import click

from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.errors import CannotRunError, UsageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Read by the served `certtui` (cli.main): the SIMULATED badge of `certtui --demo serve`.
SIMULATED_ENV = "CERTTUI_SERVE_SIMULATED"


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach a server bound to ``host``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def served_command(*, read_write: bool) -> str:
    """The shell command textual-serve runs for each browser session."""
    argv = [sys.executable, "-m", "certtui"]
    if not read_write:
        argv.append("--read-only")
    return shlex.join(argv)


async def _check_database(settings: object) -> None:
    """Open the database read-only once, so a wrong --db fails here and not in the browser."""
    from certtui.store.opening import open_database

    async with open_database(settings, read_only=True):  # type: ignore[arg-type]
        pass


@click.command(cls=Command, writes=lambda params: params["read_write"], bedrock="catalog")
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="Address to listen on (other than loopback needs --allow-remote).",
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port to listen on.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other machines can reach (anyone who reaches it uses the app).",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The address browsers use to reach it (default http://HOST:PORT).",
)
@click.option(
    "--read-write",
    is_flag=True,
    help="Let browser sessions start and control jobs (default: read-only).",
)
@pass_context
def serve(
    ctx: Context,
    host: str,
    port: int,
    allow_remote: bool,
    public_url: str | None,
    read_write: bool,
) -> None:  # fmt: skip
    """Serve the TUI to a web browser (read-only unless --read-write; loopback by default)."""
    settings = ctx.settings
    if not is_loopback(host) and not allow_remote:
        raise UsageError(
            f"--host {host} can be reached from other machines: add --allow-remote to serve "
            "there, or leave --host out to serve on 127.0.0.1 only"
        )
    run_async(_check_database(settings))

    # Each browser session runs its own `certtui` with these settings (through the
    # environment: a database password stays out of the process list).
    environment = {
        "CERTTUI_DATABASE_URL": settings.database_url,
        "CERTTUI_ENDPOINT_URL": settings.endpoint_url,
        "CERTTUI_PROFILE": settings.profile,
        "CERTTUI_DATA_DIR": str(settings.data_dir),
        "CERTTUI_REGIONS": ",".join(settings.regions),
    }
    if settings.config_path.exists():
        environment["CERTTUI_CONFIG"] = str(settings.config_path)
    for name, value in environment.items():
        if value:
            os.environ[name] = value
    os.environ.pop("CERTTUI_READ_ONLY", None)  # the command line says it
    if ctx.demo:
        os.environ[SIMULATED_ENV] = "1"

    if not is_loopback(host):
        click.echo(
            f"certtui serve: WARNING: listening on {host}:{port}; anyone who can reach it "
            "can use certtui" + (" and start paid jobs" if read_write else "") + ", with no login",
            err=True,
        )
    mode = "read-write" if read_write else "read-only"
    url = public_url or f"http://{host}:{port}"
    click.echo(f"certtui serve: {mode}, open {url} in a browser (ctrl+c stops)", err=True)
    _serve(served_command(read_write=read_write), host=host, port=port, public_url=url)


def _serve(command: str, *, host: str, port: int, public_url: str) -> None:
    import asyncio

    from textual_serve.server import Server

    # textual-serve takes the thread's event loop; an earlier asyncio.run (the database
    # check, --demo's sync) closed the last one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    server = Server(command, host=host, port=port, title="certtui", public_url=public_url)
    try:
        server.serve()
    except OSError as exc:
        raise CannotRunError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; check --host and --port"
        ) from None
