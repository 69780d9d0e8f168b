"""``certtui jobs``: list, inspect and control jobs, also those another process runs."""

from __future__ import annotations

import asyncio
import json
import sys

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from certtui.cli.context import Context, Group, pass_context, run_async
from certtui.domain.text import safe_text

# How often ``jobs resume --wait`` looks whether the holder let the job go (or died).
WAIT_POLL_SECONDS = 1.0


@click.group(cls=Group)
def jobs() -> None:
    """Certification jobs."""


@jobs.command("list", writes=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def list_jobs(ctx: Context, limit: int, as_json: bool) -> None:
    """Recent jobs, newest first."""
    from certtui.engine.leases import holder_is_gone
    from certtui.store.opening import NoDatabaseYet, open_database
    from certtui.store.views import load_jobs

    async def go():  # type: ignore[no-untyped-def]
        async with (
            open_database(ctx.settings, create=False) as database,
            database.reads() as session,
        ):
            return [
                {
                    "id": job.job_id,
                    "type": job.type,
                    "status": job.status,
                    "processed": job.processed,
                    "total": job.total,
                    "succeeded": job.succeeded,
                    "failed": job.failed,
                    "live": job.live,
                    "pausing": job.pausing,
                    "createdBy": job.created_by,
                    "createdAt": job.created_at.isoformat(timespec="seconds"),
                }
                for job in await load_jobs(session, limit, gone=holder_is_gone)
            ]

    try:
        rows = run_async(go())
    except NoDatabaseYet:  # a listing creates no database: there is nothing in it yet
        rows = []
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no jobs yet: start one with `certtui run`", err=True)
        return
    table = Table(box=None, pad_edge=False, collapse_padding=True)
    # At 80 columns the operator's name gives way (cut with an ellipsis); the id, the status,
    # the counts and the time never wrap or shorten.
    for column in ("id", "type", "status", "done", "passed"):
        table.add_column(column, no_wrap=True)
    table.add_column("by", overflow="ellipsis", no_wrap=True, min_width=6)
    table.add_column("created", no_wrap=True)
    from certtui.domain.job_display import shown_status

    for row in rows:
        # PAUSED with units still running reads PAUSING (domain.job_display).
        status = shown_status(row["status"], pausing=row["pausing"])
        status += " (live)" if row["live"] else ""
        created = row["createdAt"].replace("T", " ")[:16]  # to the minute
        cells = (
            row["id"][:8], row["type"], status, f"{row['processed']}/{row['total']}",
            str(row["succeeded"]), row["createdBy"] or "", created,
        )  # fmt: skip
        # Text, not markup: what another process wrote is shown as it is, controls escaped.
        table.add_row(*(Text(safe_text(str(cell))) for cell in cells))
    Console().print(table)


@jobs.command(writes=False)
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def show(ctx: Context, job_id: str, as_json: bool) -> None:
    """One job with its units."""
    from certtui.cli.run import emit_report, job_report
    from certtui.engine.control import find_job
    from certtui.store.opening import open_database

    async def go():  # type: ignore[no-untyped-def]
        async with open_database(ctx.settings, create=False) as database:
            async with database.reads() as session:
                job = await find_job(session, job_id)
            return await job_report(database.reads, job.id)

    emit_report(run_async(go()), as_json)


@jobs.command(writes=True)
@click.argument("job_id")
@pass_context
def pause(ctx: Context, job_id: str) -> None:
    """Pause a job: its engine starts no new call; calls in flight finish (it reads PAUSING)."""
    from certtui.engine.control import pause_job
    from certtui.store.opening import open_database

    async def go():  # type: ignore[no-untyped-def]
        async with open_database(ctx.settings) as database:
            return await pause_job(database.sessions, job_id)

    result = run_async(go())
    where = (
        "PAUSED now: its engine cancels its calls in flight within a heartbeat and requeues "
        "their units"
        if result.now
        else "PAUSING: its engine starts no new call within a heartbeat, calls in flight finish"
        " (pause it again to cancel them)"
        if result.live
        else "PAUSED: no engine was running it"
    )
    click.echo(safe_text(f"job {result.job_id} {where}; resume with `certtui jobs resume`"))


@jobs.command(writes=True)
@click.argument("job_id")
@pass_context
def cancel(ctx: Context, job_id: str) -> None:
    """Cancel a job: in-flight calls stop and unfinished units become CANCELLED."""
    from certtui.engine.control import cancel_job
    from certtui.store.opening import open_database

    async def go():  # type: ignore[no-untyped-def]
        async with open_database(ctx.settings) as database:
            return await cancel_job(database.sessions, job_id)

    result = run_async(go())
    where = "its engine is stopping it" if result.live else "cancelled here"
    click.echo(safe_text(f"job {result.job_id} CANCELLED ({where})"))


@jobs.command(writes=True, bedrock="catalog")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary on stdout.")
@click.option(
    "--wait",
    is_flag=True,
    help="If another process runs it, wait until that process lets it go or dies, then run it.",
)
@pass_context
def resume(ctx: Context, job_id: str, as_json: bool, wait: bool) -> None:
    """Resume a paused or interrupted job (here, unless a live engine holds it)."""
    from certtui.cli.aws import check_aws_access
    from certtui.cli.run import emit_report, load_suite_or_default, run_job
    from certtui.engine.control import JobRunningElsewhere, recover_interrupted, resume_request
    from certtui.store.opening import open_database
    from certtui.store.views import job_config

    async def go():  # type: ignore[no-untyped-def]
        await check_aws_access(ctx.settings)
        async with open_database(ctx.settings) as database:
            told = False
            while True:
                await recover_interrupted(database.sessions)
                try:
                    request = await resume_request(database.sessions, job_id)
                except JobRunningElsewhere as exc:
                    if not wait:
                        raise
                    if not told:
                        click.echo(safe_text(f"certtui: {exc}; waiting"), err=True)
                        told = True
                    await asyncio.sleep(WAIT_POLL_SECONDS)
                    continue
                break
            if request.live:
                return None, request.job_id
            async with database.reads() as session:
                config = await job_config(session, request.job_id)
            suite = load_suite_or_default(config.get("suitePath"))
            limits = config.get("limits") or {}
            return await run_job(database, ctx.settings, request.job_id, suite, limits), None

    report, live_job = run_async(go())
    if report is None:
        click.echo(safe_text(f"job {live_job} resumed by the engine that holds it"))
        return
    emit_report(report, as_json)
    sys.exit(report.exit_code)
