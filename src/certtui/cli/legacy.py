"""``certtui legacy import``: the old single-region table's rows as history (SPEC §8.6)."""

from __future__ import annotations

import click

from certtui.bedrock.regions import UnknownRegion, validate_regions
from certtui.cli.context import Context, Group, pass_context, run_async
from certtui.errors import UsageError

DEFAULT_REGION = "us-east-1"


@click.group(cls=Group)
def legacy() -> None:
    """The legacy single-region certifications (model_certifications_legacy)."""


@legacy.command("import", writes=lambda params: not params["dry_run"])
@click.option(
    "--region",
    default=DEFAULT_REGION,
    show_default=True,
    metavar="REGION",
    help="The region the legacy verdicts were made in.",
)
@click.option("--dry-run", is_flag=True, help="Print what the import would do; write nothing.")
@pass_context
def import_legacy(ctx: Context, region: str, dry_run: bool) -> None:
    """Import legacy rows as history, and as the regional row where nothing newer exists."""
    from certtui.store import history
    from certtui.store.opening import open_database

    try:
        (region,) = validate_regions([region])
    except UnknownRegion as exc:
        raise UsageError(str(exc)) from None

    async def go() -> history.LegacyPlan:
        if dry_run:
            async with (
                open_database(ctx.settings, read_only=True) as database,
                database.reads() as session,
            ):
                return await history.plan_legacy_import(session, region)
        async with open_database(ctx.settings) as database:
            # One transaction: a failure leaves nothing half-written.
            async with database.sessions.begin() as session:
                plan = await history.plan_legacy_import(session, region)
                await history.apply_legacy_import(session, plan)
            return plan

    plan = run_async(go())
    would = "would " if dry_run else ""
    click.echo(
        f"legacy import into {region}{' (dry run: nothing written)' if dry_run else ''}: "
        f"{plan.rows} legacy rows; {would}add {len(plan.to_history)} to history "
        f"({plan.already} already imported); {would}write {len(plan.cells_new)} new and "
        f"{len(plan.cells_updated)} older regional rows; kept {plan.cells_kept} with a newer "
        f"verdict and {plan.cells_held} held by a job; {len(plan.unmappable)} unmappable"
    )
    for row in plan.unmappable:
        click.echo(f"  unmappable {row.legacy_id} (modelId {row.model_id}): {row.reason}")
