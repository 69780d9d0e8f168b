"""Alembic migrations driven programmatically over certtui's own async engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from certtui.errors import UsageError

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "certtui.store:migrations"
# Every revision shipped, oldest first. Opening a database only compares against this list,
# so it never imports Alembic; a test checks the list against the migration scripts.
REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations, with no ini file."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this certtui."""
    return REVISIONS[-1]


def known_revisions() -> list[str]:
    """Every revision id, oldest first."""
    return list(REVISIONS)


def script_revisions() -> list[str]:
    """The revisions the migration scripts define, oldest first (read with Alembic)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an unversioned database."""

    def read(connection: Connection) -> str | None:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` in one transaction."""
    from alembic import command

    await _run(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Downgrade the database to ``revision`` (``base`` removes everything)."""
    if revision != "base" and revision not in known_revisions():
        raise UsageError(
            f"unknown revision {revision!r}: choose one of base, {', '.join(known_revisions())}"
        )
    from alembic import command

    await _run(engine, lambda cfg: command.downgrade(cfg, revision))


async def _run(engine: AsyncEngine, action: Callable[[Config], None]) -> None:
    from alembic.util.exc import CommandError

    def run(connection: Connection) -> None:
        try:
            action(alembic_config(connection))
        except CommandError as exc:
            raise UsageError(f"migration refused: {exc}") from exc

    async with engine.begin() as conn:
        await conn.run_sync(run)
