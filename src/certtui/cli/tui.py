"""Opening the TUI (``certtui``, ``certtui monitor``), and ``--demo``'s stand-in."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import replace

import click

from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.config import Settings
from certtui.errors import CannotRunError, UsageError

MIN_COLUMNS, MIN_LINES = 60, 16


def start_demo(settings: Settings) -> tuple[Settings, object]:
    """Start the stand-in on loopback in its own thread; point a separate demo database at it."""
    from certtui.standin.scenario import default_scenario
    from certtui.standin.server import start_in_thread

    # The stand-in checks no signature, but the SDK needs something to sign with, and must
    # never look for the instance-metadata service.
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    if not settings.profile:
        os.environ["AWS_ACCESS_KEY_ID"] = "AKIDCERTTUIDEMO"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "certtui-demo-not-a-secret"
        os.environ.pop("AWS_SESSION_TOKEN", None)
    handle = start_in_thread(seed=0)
    demo = replace(
        settings,
        endpoint_url=handle.url,
        database_url=f"sqlite:///{settings.data_dir / 'demo.db'}",
        regions=tuple(region.name for region in default_scenario().regions),
        retry_base=min(settings.retry_base, 0.25),
    )
    return demo, handle


async def sync_demo_catalog(settings: Settings) -> None:
    """Discovery against the stand-in, into the demo database."""
    from certtui.bedrock.clients import BedrockClients
    from certtui.engine.access import bedrock_settings
    from certtui.engine.discovery import sync_catalog
    from certtui.store.opening import open_database

    async with (
        open_database(settings) as database,
        BedrockClients(bedrock_settings(settings)) as clients,
    ):
        await sync_catalog(database.sessions, clients, list(settings.regions))


def check_terminal() -> None:
    """The TUI needs a real terminal of a usable size (or a browser, under `certtui serve`)."""
    if os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver"):
        return  # textual-serve runs us on pipes; the browser's terminal has its own size
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise UsageError(
            "the TUI needs a terminal: run it in one, or use `certtui run` / `certtui jobs` "
            "headless"
        )
    size = shutil.get_terminal_size((0, 0))
    if size.columns < MIN_COLUMNS or size.lines < MIN_LINES:
        raise UsageError(
            f"the terminal is {size.columns}×{size.lines}: certtui needs at least "
            f"{MIN_COLUMNS}×{MIN_LINES} (80×24 recommended); enlarge the window"
        )


def open_tui(
    settings: Settings, *, read_only: bool, simulated: bool = False, refresh_seconds: float = 2.0
) -> None:
    """Run the TUI until the operator quits (database problems are reported before it opens)."""
    from certtui.tui.keymap import keymap_path, load_keymap

    keymap = load_keymap(keymap_path(settings.config_path))  # a mistake stops here, exit 2
    run_async(
        _run(settings, read_only=read_only, simulated=simulated, refresh=refresh_seconds,
             keymap=keymap)
    )  # fmt: skip


async def _run(
    settings: Settings, *, read_only: bool, simulated: bool, refresh: float,
    keymap: dict[str, str],
) -> None:  # fmt: skip
    from certtui.store.opening import open_database
    from certtui.tui.app import CerttuiApp

    async with open_database(settings, read_only=read_only) as database:
        check_terminal()
        # The TUI's mode follows the driver's: a read-only TUI never holds a writable database.
        if database.read_only:
            app = CerttuiApp(
                database, read_only=True, simulated=simulated, refresh_seconds=refresh,
                settings=settings, keymap=keymap,
            )  # fmt: skip
            await app.run_async()
        else:
            from certtui.engine.service import CertificationService

            async with CertificationService(settings, database.sessions) as service:
                app = CerttuiApp(
                    database, service=service, simulated=simulated, settings=settings,
                    keymap=keymap,
                )  # fmt: skip
                await app.run_async()
    if app.stopped_by is not None:
        raise CannotRunError(
            f"stopped by {app.stopped_by}; running jobs were paused: resume them with "
            "`certtui jobs resume ID` or from the Jobs screen (3, then p)"
        )
    if app.return_code:
        raise CannotRunError("the TUI stopped on an internal error (details above)")


@click.command(cls=Command, writes=False)
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.2, 3600),
              help="Seconds between refreshes.")  # fmt: skip
@pass_context
def monitor(ctx: Context, interval: float) -> None:
    """Watch jobs and results read-only (the database is opened read-only)."""
    settings = replace(ctx.settings, read_only=True)
    open_tui(settings, read_only=True, simulated=ctx.demo, refresh_seconds=interval)
