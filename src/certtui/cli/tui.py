"""Opening the TUI (``certtui``, ``certtui monitor``)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.config import Settings
from certtui.domain import glyphs
from certtui.errors import CannotRunError, UsageError

if TYPE_CHECKING:
    from certtui.cli.demo import DemoStandin
    from certtui.store.opening import Database

MIN_COLUMNS, MIN_LINES = 60, 16


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
        x = glyphs.current().times
        raise UsageError(
            f"the terminal is {size.columns}{x}{size.lines}: certtui needs at least "
            f"{MIN_COLUMNS}{x}{MIN_LINES} (80{x}24 recommended); enlarge the window"
        )


def open_tui(
    settings: Settings,
    *,
    read_only: bool,
    simulated: bool = False,
    refresh_seconds: float = 2.0,
    standin: DemoStandin | None = None,
) -> None:
    """Run the TUI until the operator quits (database problems are reported before it opens).

    With ``standin`` (``--demo``) the TUI paints at once and syncs the demo catalog in the
    background once the stand-in is up, showing its progress.
    """
    from certtui.tui.keymap import keymap_path, load_keymap

    keymap = load_keymap(keymap_path(settings.config_path))  # a mistake stops here, exit 2
    run_async(
        _run(settings, read_only=read_only, simulated=simulated, refresh=refresh_seconds,
             standin=standin, keymap=keymap)
    )  # fmt: skip


async def _run(
    settings: Settings,
    *,
    read_only: bool,
    simulated: bool,
    refresh: float,
    keymap: dict[str, str],
    standin: DemoStandin | None = None,
) -> None:
    from certtui.engine.live import live_events
    from certtui.store.opening import open_database
    from certtui.tui.app import CerttuiApp

    async with open_database(settings, read_only=read_only) as database:
        check_terminal()
        # On PostgreSQL other processes' transitions arrive as events; SQLite is polled.
        async with live_events(database) as live:
            # The TUI's mode follows the driver's: a read-only TUI never holds a writable database.
            if database.read_only:
                app = CerttuiApp(
                    database, read_only=True, simulated=simulated, refresh_seconds=refresh,
                    live=live, settings=settings, keymap=keymap,
                )  # fmt: skip
                await app.run_async()
            else:
                async with engine_service(settings, database) as service:
                    app = CerttuiApp(
                        database, service=service, simulated=simulated, live=live,
                        catalog_sync=None if standin is None else standin.wait,
                        settings=settings, keymap=keymap,
                    )  # fmt: skip
                    await app.run_async()
    if app.stopped_by is not None and app.left_running:
        ids = ", ".join(job_id[:8] for job_id in app.left_running)
        raise CannotRunError(
            f"stopped by {app.stopped_by}; running jobs left running in their own processes "
            f'(on_disconnect = "leave"): {ids}; follow them with `certtui jobs list`'
        )
    if app.stopped_by is not None:
        raise CannotRunError(
            f"stopped by {app.stopped_by}; running jobs were paused: resume them with "
            "`certtui jobs resume ID` or from the Jobs screen (3, then p)"
        )
    if app.return_code:
        raise CannotRunError("the TUI stopped on an internal error (details above)")


def engine_service(settings: Settings, database: Database) -> Any:
    """The TUI's engine: jobs in detached processes (``engine = "process"``, the default), or
    on the TUI's own event loop (``"inline"``: tests and bench comparisons)."""
    if settings.engine == "inline":
        from certtui.engine.service import CertificationService

        return CertificationService(settings, database.sessions)
    from certtui.engine.detached import DetachedService

    return DetachedService(settings, database.sessions, reads=database.reads)


@click.command(cls=Command, writes=False)
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.2, 3600),
              help="Seconds between refreshes.")  # fmt: skip
@pass_context
def monitor(ctx: Context, interval: float) -> None:
    """Watch jobs and results read-only (the database is opened read-only)."""
    settings = replace(ctx.settings, read_only=True)
    open_tui(settings, read_only=True, simulated=ctx.demo, refresh_seconds=interval)
