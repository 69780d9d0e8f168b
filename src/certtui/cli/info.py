"""``certtui info``: versions, paths, the database target and its schema revision."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version

import click

from certtui import __version__
from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.config import Settings
from certtui.paths import styles_dir
from certtui.store import migrate
from certtui.store.opening import NoDatabaseYet, open_database, resolve_target

LIBRARIES = ("textual", "sqlalchemy", "alembic", "aioboto3", "botocore", "aiohttp")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def aws_identity_source(settings: Settings) -> str:
    """Where AWS credentials would come from, without resolving them (no network)."""
    if getattr(settings, "profile", None):
        return f"profile {settings.profile} (--profile / config)"
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        return "environment (AWS_ACCESS_KEY_ID)"
    if os.environ.get("AWS_PROFILE"):
        return f"profile {os.environ['AWS_PROFILE']} (AWS_PROFILE)"
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"
    return "default chain (shared files, SSO, container or instance role)"


@click.command(cls=Command, writes=False)
@pass_context
def info(ctx: Context) -> None:
    """Show versions, paths, the database target and its schema revision."""
    settings = ctx.settings
    target = resolve_target(settings)

    async def revision() -> str | None:
        async with open_database(settings, create=False) as database:
            return await migrate.current_revision(database.engine)

    try:
        current, missing = run_async(revision()), None
    except NoDatabaseYet as exc:  # info only reads: it creates no database
        current, missing = None, exc
    head = migrate.head_revision()
    rows = [
        ("certtui", __version__),
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        *((name, _version(name)) for name in LIBRARIES),
        (
            "config file",
            f"{settings.config_path}" + ("" if settings.config_path.exists() else " (not present)"),
        ),
        ("data directory", str(settings.data_dir)),
        ("styles", str(styles_dir())),
        ("database", target.display()),
        ("mode", "read-only" if settings.read_only else "read-write"),
        (
            "schema revision",
            f"none: {missing}"
            if missing is not None
            else f"{current or 'base'}" + (" (head)" if current == head else f" (head is {head})"),
        ),
        ("AWS identity", aws_identity_source(settings)),
        ("operator", settings.created_by),
    ]
    from certtui.domain.text import safe_text

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name:<{width}}  {safe_text(str(value))}")  # the revision is the database's
