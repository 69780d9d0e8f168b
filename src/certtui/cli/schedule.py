"""``certtui schedule``: re-certify on a cron schedule, run by the workers (PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from certtui.cli.context import Context, Group, pass_context, run_async
from certtui.errors import UsageError


@click.group(cls=Group)
def schedule() -> None:
    """Scheduled re-certification, run by the workers (PostgreSQL)."""


@schedule.command("add", writes=True)
@click.argument("cron")
@click.option("--model", "models", multiple=True, metavar="ID", help="Model id (repeatable).")
@click.option("--all", "all_models", is_flag=True, help="Every active chat model in the catalog.")
@click.option("--region", "regions", multiple=True, metavar="REGION", help="Region (repeatable).")
@click.option("--regions", "regions_csv", metavar="A,B", help="Comma-separated regions.")
@click.option("--recertify-failed", is_flag=True, help="Only units whose last result failed.")
@click.option("--probe-unlisted", is_flag=True, help="Also call models where not listed.")
@click.option("--suite", "suite_path", metavar="FILE", help="Suite file (TOML).")
@pass_context
def add(
    ctx: Context,
    cron: str,
    models: tuple[str, ...],
    all_models: bool,
    regions: tuple[str, ...],
    regions_csv: str | None,
    recertify_failed: bool,
    probe_unlisted: bool,
    suite_path: str | None,
) -> None:
    """Add a schedule: CRON (UTC, e.g. "0 3 * * *") and the options of `certtui run`."""
    from certtui.cli.run import load_suite_or_default, parse_regions
    from certtui.domain.schedules import next_run
    from certtui.workers.schedules import valid_cron

    expression = valid_cron(cron)
    if models and all_models:
        raise UsageError("choose either --model or --all, not both")
    if not models and not all_models and not recertify_failed:
        raise UsageError("choose models with --model ID (repeatable), --all or --recertify-failed")
    chosen = parse_regions(regions, regions_csv, ctx.settings)
    load_suite_or_default(suite_path)  # a bad suite file is refused now, not at 03:00
    options = {
        "models": list(models), "all": all_models, "regions": chosen,
        "recertifyFailed": recertify_failed, "probeUnlisted": probe_unlisted,
        **({"suitePath": str(Path(suite_path).resolve())} if suite_path else {}),
    }  # fmt: skip

    async def go() -> str:
        from certtui.store import workers as queue_store

        async with _postgresql(ctx) as database, database.sessions.begin() as session:
            return await queue_store.add_schedule(
                session, expression, options, ctx.settings.created_by
            )

    schedule_id = run_async(go())
    click.echo(f"schedule {schedule_id} added: {expression}, next run {next_run(expression)} UTC")


@schedule.command("list", writes=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def list_schedules(ctx: Context, as_json: bool) -> None:
    """The schedules with their next run (UTC)."""
    from certtui.domain.schedules import describe_options, next_run
    from certtui.workers.submit import NEEDS_POSTGRESQL

    async def go():  # type: ignore[no-untyped-def]
        from certtui.store import workers as queue_store
        from certtui.store.opening import open_database

        async with (
            open_database(ctx.settings, create=False) as database,
            database.reads() as session,
        ):
            if not queue_store.on_postgresql(session):
                return None
            return await queue_store.list_schedules(session)

    from certtui.store.opening import NoDatabaseYet

    try:
        rows = run_async(go())
    except NoDatabaseYet:
        rows = None
    if rows is None:  # nothing is scheduled on SQLite: listing is not an error
        click.echo(f"certtui: no schedules: {NEEDS_POSTGRESQL}", err=True)
        return
    data = [
        {
            "id": row.id, "cron": row.cron, "nextRun": next_run(row.cron).isoformat(),
            "options": row.options, "createdBy": row.created_by,
            "lastTickAt": row.last_tick_at.isoformat() if row.last_tick_at else None,
            "lastJobId": row.last_job_id,
        }
        for row in rows
    ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    table = Table("id", "cron", "next run (UTC)", "what", "last job")
    for item in data:
        table.add_row(
            item["id"][:8], item["cron"], item["nextRun"][:19].replace("T", " "),
            describe_options(item["options"]), (item["lastJobId"] or "")[:8],
        )  # fmt: skip
    Console().print(table)


@schedule.command("remove", writes=True)
@click.argument("schedule_id")
@pass_context
def remove(ctx: Context, schedule_id: str) -> None:
    """Remove a schedule (by id or unique id prefix)."""

    async def go() -> str:
        from certtui.store import workers as queue_store

        async with _postgresql(ctx) as database, database.sessions.begin() as session:
            found = await queue_store.find_schedule(session, schedule_id.strip())
            if not found:
                raise UsageError(f"no schedule {schedule_id!r}: see `certtui schedule list`")
            if len(found) > 1:
                raise UsageError(f"schedule id {schedule_id!r} is ambiguous: give more characters")
            await queue_store.remove_schedule(session, found[0])
            return found[0]

    click.echo(f"schedule {run_async(go())} removed")


class _postgresql:
    """Open the database, refusing SQLite in one line (schedules run on workers)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._opened = None

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        from certtui.store.opening import open_database, resolve_target
        from certtui.workers.submit import NEEDS_POSTGRESQL

        if resolve_target(self.ctx.settings).kind != "postgresql":
            raise UsageError(NEEDS_POSTGRESQL)
        self._opened = open_database(self.ctx.settings)
        return await self._opened.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        assert self._opened is not None
        await self._opened.__aexit__(*exc)
