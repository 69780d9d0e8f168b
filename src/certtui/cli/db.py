"""``certtui db``: Alembic migrations of the configured database."""

from __future__ import annotations

import click

from certtui.cli.context import Context, Group, pass_context, run_async
from certtui.store import migrate
from certtui.store.database import create_schema_if_missing
from certtui.store.opening import NoDatabaseYet, open_database


@click.group(cls=Group)
def db() -> None:
    """Database schema migrations."""


@db.command(writes=True)
@pass_context
def upgrade(ctx: Context) -> None:
    """Upgrade the database schema to the newest revision."""

    async def go() -> tuple[str | None, str]:
        async with open_database(ctx.settings, check_schema=False) as database:
            await create_schema_if_missing(database.engine, database.target)
            before = await migrate.current_revision(database.engine)
            await migrate.upgrade(database.engine)
            return before, await migrate.current_revision(database.engine) or "base"

    before, after = run_async(go())
    if before == after:
        click.echo(f"already at {after} (head)")
    else:
        click.echo(f"upgraded {before or 'base'} -> {after}")


@db.command(writes=False)
@pass_context
def current(ctx: Context) -> None:
    """Print the database's schema revision."""

    async def go() -> str | None:
        async with open_database(ctx.settings, check_schema=False, create=False) as database:
            return await migrate.current_revision(database.engine)

    try:
        revision = run_async(go())
    except NoDatabaseYet as exc:  # reading the revision creates no database
        click.echo(f"certtui: {exc}", err=True)
        revision = None
    head = migrate.head_revision()
    label = "head" if revision == head else f"head is {head}"
    click.echo(f"{revision or 'base'} ({label})")


@db.command(writes=True)
@click.argument("revision")
@pass_context
def downgrade(ctx: Context, revision: str) -> None:
    """Downgrade the schema to REVISION (0001: the seed's rollback of regional certification)."""

    async def go() -> str | None:
        async with open_database(ctx.settings, check_schema=False) as database:
            await migrate.downgrade(database.engine, revision)
            return await migrate.current_revision(database.engine)

    click.echo(f"downgraded to {run_async(go()) or 'base'}")
