"""``certtui models``: discovery into the catalog, and the catalog itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from certtui.cli.aws import check_aws_access
from certtui.cli.context import Context, Group, pass_context, run_async
from certtui.domain.regions import UnknownRegion, validate_regions
from certtui.domain.text import safe_text
from certtui.errors import EXIT_CANNOT_RUN, UsageError

if TYPE_CHECKING:
    from certtui.bedrock.errors import ClassifiedError


@click.group(cls=Group)
def models() -> None:
    """The model catalog."""


@models.command(writes=True)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="REGION",
    help="Region to query (repeatable; default: the configured regions).",
)
@pass_context
def sync(ctx: Context, regions: tuple[str, ...]) -> None:
    """Discover models and inference profiles in every chosen region, concurrently."""
    from certtui.bedrock.clients import BedrockClients
    from certtui.engine.access import bedrock_settings
    from certtui.engine.discovery import sync_catalog
    from certtui.store.opening import open_database

    try:
        chosen = validate_regions(list(regions) or list(ctx.settings.regions))
    except UnknownRegion as exc:
        raise UsageError(str(exc)) from None

    async def go():  # type: ignore[no-untyped-def]
        await check_aws_access(ctx.settings)
        async with (
            open_database(ctx.settings) as database,
            BedrockClients(bedrock_settings(ctx.settings)) as clients,
        ):
            return await sync_catalog(database.sessions, clients, chosen)

    outcome = run_async(go())
    report = outcome.report
    click.echo(
        f"synced {len(outcome.regions_synced)}/{len(chosen)} regions: {outcome.models_seen} "
        f"models seen, {len(report.models_added)} added, {len(report.models_updated)} updated, "
        f"{len(report.models_deactivated)} deactivated, {len(report.models_reactivated)} "
        f"reactivated, {report.availability_changed} availability changes"
    )
    every_region_failed = not outcome.regions_synced
    for line in failure_lines(outcome.failed):
        click.echo(f"certtui: {'error' if every_region_failed else 'warning'}: {line}", err=True)
    if every_region_failed:
        raise click.exceptions.Exit(EXIT_CANNOT_RUN)


def failure_lines(failed: Mapping[str, ClassifiedError]) -> list[str]:
    """One line per distinct cause, naming the regions it stopped (not one line per region)."""
    causes: dict[tuple[str, str], list[str]] = {}
    hints: dict[tuple[str, str], str] = {}
    for region, error in sorted(failed.items()):
        # A message that names its own region (an endpoint URL) is the same cause elsewhere.
        key = (str(error.category), error.message.replace(region, "{region}"))
        causes.setdefault(key, []).append(region)
        hints[key] = error.category.hint
    lines = []
    for key, names in causes.items():
        category, message = key
        if len(names) == 1:
            message = message.replace("{region}", names[0])
        lines.append(f"{', '.join(names)}: {category}: {safe_text(message)} — {hints[key]}")
    return lines


@models.command("list", writes=False)
@click.option("--all", "include_inactive", is_flag=True, help="Include inactive models.")
@pass_context
def list_models(ctx: Context, include_inactive: bool) -> None:
    """Print the catalog: vendor, model id, name and the regions that offer it."""
    from certtui.store.catalog import catalog
    from certtui.store.opening import NoDatabaseYet, open_database

    async def go():  # type: ignore[no-untyped-def]
        async with (
            open_database(ctx.settings, create=False) as database,
            database.reads() as session,
        ):
            return await catalog(session, include_inactive=include_inactive)

    try:
        rows = run_async(go())
    except NoDatabaseYet:  # a listing creates no database: the catalog is empty
        rows = []
    if not rows:
        click.echo("the catalog is empty: run `certtui models sync` first", err=True)
        return
    # The catalog may come from a shared database or a rogue endpoint: text is data.
    lines = [
        (
            safe_text(row.provider_name),
            safe_text(row.model.api_model_id),
            "yes" if row.model.is_active else "no",
            safe_text(",".join(row.regions_offered)) or "-",
        )
        for row in rows
    ]
    width_vendor = max(len("VENDOR"), *(len(vendor) for vendor, _, _, _ in lines))
    width_id = max(len("MODEL ID"), *(len(model_id) for _, model_id, _, _ in lines))
    click.echo(f"{'VENDOR':<{width_vendor}}  {'MODEL ID':<{width_id}}  ACTIVE  REGIONS")
    for vendor, model_id, active, regions in lines:
        click.echo(f"{vendor:<{width_vendor}}  {model_id:<{width_id}}  {active:<6}  {regions}")
