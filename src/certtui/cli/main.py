"""The ``certtui`` command: global options, sub-commands, and one-line errors."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from certtui import __version__
from certtui.config import Settings, load_settings
from certtui.errors import EXIT_CANNOT_RUN, EXIT_USAGE, CerttuiError

T = TypeVar("T")


class Context:
    """What every sub-command receives: the resolved settings."""

    def __init__(self, settings: Settings, *, demo: bool = False) -> None:
        self.settings = settings
        self.demo = demo


pass_context = click.make_pass_decorator(Context)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion."""
    return asyncio.run(coroutine)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(__version__, prog_name="certtui")
@click.option(
    "--db", "database_url", metavar="URL", help="Database URL (env CERTTUI_DATABASE_URL)."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (TOML; env CERTTUI_CONFIG).",
)
@click.option("--profile", metavar="NAME", help="AWS profile (default: the standard chain).")
@click.option(
    "--endpoint-url",
    metavar="URL",
    help="Bedrock endpoint for both services, e.g. a `certtui simulate` server.",
)
@click.option(
    "--read-only",
    is_flag=True,
    default=None,
    help="Open the database read-only at the driver level.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Start the built-in Bedrock stand-in, use a separate demo database, sync, then run.",
)
@click.pass_context
def cli(ctx: click.Context, demo: bool, **flags: Any) -> None:
    """Certify AWS Bedrock models across regions. Without a command: the TUI."""
    settings = load_settings(flags)
    if demo:
        from certtui.cli.tui import start_demo, sync_demo_catalog

        settings, handle = start_demo(settings)
        ctx.call_on_close(handle.stop)  # type: ignore[attr-defined]
        click.echo(
            f"certtui --demo: SIMULATED Bedrock stand-in on {settings.endpoint_url}, demo "
            f"database {settings.database_url}",
            err=True,
        )
        run_async(sync_demo_catalog(settings))
    ctx.obj = Context(settings, demo=demo)
    if ctx.invoked_subcommand is None:
        from certtui.cli.tui import open_tui

        open_tui(settings, read_only=settings.read_only, simulated=demo)


def _register_commands() -> None:
    from certtui.cli.db import db
    from certtui.cli.export import export
    from certtui.cli.info import info
    from certtui.cli.jobs import jobs
    from certtui.cli.models import models
    from certtui.cli.run import run
    from certtui.cli.simulate import simulate
    from certtui.cli.tui import monitor

    for command in (db, export, info, jobs, models, monitor, run, simulate):
        cli.add_command(command)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error an operator can cause ends in one line on stderr."""
    try:
        cli.main(args=argv, prog_name="certtui", standalone_mode=False)
    except CerttuiError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.ClickException as exc:
        _fail(f"{exc.format_message()} (see certtui --help)", EXIT_USAGE)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("CERTTUI_DEBUG"):
            raise
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        _fail(
            f"unexpected {type(exc).__name__}: {detail} (set CERTTUI_DEBUG=1 for a traceback)",
            EXIT_CANNOT_RUN,
        )
    sys.exit(0)


def _fail(message: str, code: int) -> None:
    click.echo(f"certtui: error: {message}", err=True)
    sys.exit(code)
