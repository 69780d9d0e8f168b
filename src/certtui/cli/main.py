"""The ``certtui`` command: global options, sub-commands, and one-line errors."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import click

from certtui import __version__
from certtui.cli.context import READ_ONLY_SOURCES, Context
from certtui.cli.encoding import choose_glyphs, configure_streams
from certtui.errors import EXIT_CANNOT_RUN, EXIT_USAGE, CerttuiError, UsageError

# name -> ("module:attribute", the command's help as its docstring says it). The help is here so
# that `certtui --help` lists every command without importing one; a test keeps the two equal.
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("certtui.cli.db:db", "Database schema migrations."),
    "diff": (
        "certtui.cli.diff:diff",
        "Compare two jobs' verdicts (default: the last two completed over the same cells).",
    ),
    "export": (
        "certtui.cli.export:export",
        "Export certification results to standard output or a file (read-only friendly).",
    ),
    "history": (
        "certtui.cli.history:history",
        "The history of verdicts (certification_results).",
    ),
    "info": (
        "certtui.cli.info:info",
        "Show versions, paths, the database target and its schema revision.",
    ),
    "jobs": ("certtui.cli.jobs:jobs", "Certification jobs."),
    "legacy": (
        "certtui.cli.legacy:legacy",
        "The legacy single-region certifications (model_certifications_legacy).",
    ),
    "models": ("certtui.cli.models:models", "The model catalog."),
    "monitor": (
        "certtui.cli.tui:monitor",
        "Watch jobs and results read-only (the database is opened read-only).",
    ),
    "run": (
        "certtui.cli.run:run",
        "Certify models in regions, headless (exit 0 all passed, 1 some not, 2 usage, 3 failed).",
    ),
    "schedule": (
        "certtui.cli.schedule:schedule",
        "Scheduled re-certification, run by the workers (PostgreSQL).",
    ),
    "serve": (
        "certtui.cli.serve:serve",
        "Serve the TUI to a web browser (read-only unless --read-write; loopback by default).",
    ),
    "simulate": (
        "certtui.cli.simulate:simulate",
        "Run the Bedrock stand-in: simulated models and regions behind the real wire protocol.",
    ),
    "worker": (
        "certtui.cli.worker:worker",
        "Run jobs submitted with `run --submit` (and schedules) from the PostgreSQL queue.",
    ),
}


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command runs or shows its help."""

    def __init__(self, *args: Any, lazy_commands: dict[str, tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_commands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy_commands[cmd_name][0].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands as click does, the lazy ones from their help in the map."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_commands:
                command = click.Command(name, help=self.lazy_commands[name][1])
            else:
                command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
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
    "--ascii",
    is_flag=True,
    default=None,
    help="ASCII glyphs only (chosen by itself when the terminal cannot show Unicode).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Start the built-in Bedrock stand-in, use a separate demo database, sync, then run.",
)
@click.pass_context
def cli(ctx: click.Context, demo: bool, **flags: Any) -> None:
    """Certify AWS Bedrock models across regions. Without a command: the TUI."""
    from certtui.config import load_settings

    settings = load_settings(flags)
    choose_glyphs(ascii_only=settings.ascii)
    if demo and settings.read_only:
        raise UsageError(
            f"--demo writes its demo database and this invocation is read-only "
            f"({READ_ONLY_SOURCES}): drop one of them"
        )
    standin = None
    if demo:
        from certtui.cli.demo import DemoStandin, demo_settings

        # Only the port is taken now: the stand-in starts for what calls Bedrock (see
        # cli/demo.py), in the background, so nothing waits for it that does not need it.
        standin = DemoStandin()
        ctx.call_on_close(standin.stop)
        settings = demo_settings(settings, standin.url)
        click.echo(
            f"certtui --demo: SIMULATED Bedrock stand-in on {settings.endpoint_url}, demo "
            f"database {settings.database_url}",
            err=True,
        )
    ctx.obj = Context(settings, demo=demo, standin=standin)
    if ctx.invoked_subcommand is None:
        from certtui.cli.tui import open_tui

        if standin is not None:
            # The server starts once the TUI has painted (its imports would slow the paint);
            # a call made before that waits in the socket's backlog.
            standin.listen()
        # `certtui --demo serve` runs one stand-in; each browser session says SIMULATED too.
        simulated = demo or os.environ.get("CERTTUI_SERVE_SIMULATED") == "1"
        open_tui(settings, read_only=settings.read_only, simulated=simulated, standin=standin)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error an operator can cause ends in one line on stderr."""
    configure_streams()  # before anything is printed: no output ever fails to encode
    choose_glyphs(ascii_only=False)  # for errors before the settings are read; chosen again then
    try:
        # Without standalone mode click returns the code of a `click.exceptions.Exit` instead
        # of exiting with it.
        code = cli.main(args=argv, prog_name="certtui", standalone_mode=False)
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
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    from certtui.domain.text import safe_text

    # A message may quote the catalog, a database server or Bedrock: controls are escaped.
    # With no terminal any more (an SSH drop) the message is lost; the exit code still says it.
    with contextlib.suppress(OSError):
        click.echo(f"certtui: error: {safe_text(message)}", err=True)
    sys.exit(code)
