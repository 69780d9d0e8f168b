"""``certtui worker``: run queued jobs' slices from the shared PostgreSQL queue."""

from __future__ import annotations

import sys

import click

from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.errors import UsageError


@click.command(cls=Command, writes=True)
@click.option("--concurrency", type=click.IntRange(1, 1024), help="Bedrock calls in flight.")
@click.option("--region-concurrency", type=click.IntRange(1, 1024), help="Calls per region.")
@click.option("--regions", "regions_csv", metavar="A,B", help="Only take these regions' work.")
@click.option("--name", metavar="NAME", help="The worker's name (default host:pid).")
@click.option(
    "--stall-timeout",
    type=click.FloatRange(1, 3600),
    default=30.0,
    show_default=True,
    help="Seconds without a heartbeat before a worker's slices go to another worker.",
)
@click.option(
    "--grace",
    type=click.FloatRange(0, 3600),
    default=30.0,
    show_default=True,
    help="On SIGTERM, seconds the units in flight may take before they go back to the queue.",
)
@pass_context
def worker(
    ctx: Context,
    concurrency: int | None,
    region_concurrency: int | None,
    regions_csv: str | None,
    name: str | None,
    stall_timeout: float,
    grace: float,
) -> None:
    """Run jobs submitted with `run --submit` (and schedules) from the PostgreSQL queue."""
    from certtui.bedrock.regions import UnknownRegion, validate_regions
    from certtui.store.opening import resolve_target
    from certtui.workers.submit import NEEDS_POSTGRESQL
    from certtui.workers.worker import WorkerOptions, run_worker

    if resolve_target(ctx.settings).kind != "postgresql":
        raise UsageError(NEEDS_POSTGRESQL)

    regions = None
    if regions_csv is not None:
        listed = [r.strip() for r in regions_csv.split(",") if r.strip()]
        if not listed:
            raise UsageError(f"--regions {regions_csv!r} names no region")
        try:
            regions = validate_regions(listed)
        except UnknownRegion as exc:
            raise UsageError(str(exc)) from None
    options = WorkerOptions(
        name=name, concurrency=concurrency, region_concurrency=region_concurrency,
        regions=regions, stall_timeout=stall_timeout, grace=grace,
    )  # fmt: skip
    sys.exit(run_async(run_worker(ctx.settings, options)))
