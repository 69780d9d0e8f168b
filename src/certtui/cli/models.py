"""``certtui models``: discovery into the catalog, and the catalog itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from certtui.bedrock.regions import UnknownRegion, validate_regions
from certtui.cli.aws import check_aws_access
from certtui.cli.context import Context, Group, pass_context, run_async
from certtui.domain import glyphs
from certtui.domain.text import safe_text
from certtui.errors import EXIT_CANNOT_RUN, UsageError

if TYPE_CHECKING:
    from certtui.bedrock.errors import ClassifiedError


@click.group(cls=Group)
def models() -> None:
    """The model catalog."""


@models.command(writes=True, bedrock="endpoint")
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="REGION",
    help="Region to query (repeatable; default: the configured regions, else every region "
    "where Bedrock has an endpoint).",
)
@pass_context
def sync(ctx: Context, regions: tuple[str, ...]) -> None:
    """Discover models and inference profiles in every chosen region, concurrently."""
    from certtui.bedrock.clients import BedrockClients
    from certtui.engine.access import bedrock_settings
    from certtui.engine.discovery import sync_catalog
    from certtui.store.opening import open_database

    try:
        chosen = validate_regions(list(regions) or list(ctx.settings.chosen_regions))
    except UnknownRegion as exc:
        raise UsageError(str(exc)) from None

    from certtui.domain.text import plural

    done: list[str] = []
    interactive = click.get_text_stream("stderr").isatty()

    def progress(region: str, answered: bool) -> None:
        done.append(region)
        line = f"discovering {plural(len(chosen), 'region')}: {len(done)} done (last {region}"
        line += ")" if answered else ", failed)"
        if interactive:
            click.echo(f"\r{line}\x1b[K", err=True, nl=len(done) == len(chosen))
        elif len(done) == len(chosen):
            click.echo(line, err=True)

    async def go():  # type: ignore[no-untyped-def]
        await check_aws_access(ctx.settings)
        async with (
            open_database(ctx.settings) as database,
            BedrockClients(bedrock_settings(ctx.settings)) as clients,
        ):
            return await sync_catalog(database.sessions, clients, chosen, progress)

    outcome = run_async(go())
    report = outcome.report
    click.echo(
        f"synced {len(outcome.regions_synced)}/{plural(len(chosen), 'region')}: "
        f"{plural(outcome.models_seen, 'model')} seen, {len(report.models_added)} added, "
        f"{len(report.models_updated)} updated, "
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
        dash = glyphs.current().dash
        lines.append(f"{', '.join(names)}: {category}: {safe_text(message)} {dash} {hints[key]}")
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
            safe_text(_note(row)),
        )
        for row in rows
    ]
    width_vendor = max(len("VENDOR"), *(len(line[0]) for line in lines))
    width_id = max(len("MODEL ID"), *(len(line[1]) for line in lines))
    click.echo(f"{'VENDOR':<{width_vendor}}  {'MODEL ID':<{width_id}}  ACTIVE  REGIONS  NOTE")
    for vendor, model_id, active, regions, note in lines:
        click.echo(
            f"{vendor:<{width_vendor}}  {model_id:<{width_id}}  {active:<6}  {regions}  "
            f"{note}".rstrip()
        )


def _note(row) -> str:  # type: ignore[no-untyped-def]
    """Not applicable (with the reason) and lifecycle, for one catalog row."""
    from datetime import timedelta

    from certtui.domain.applicability import catalog_notes, not_applicable_reason
    from certtui.store.types import utcnow

    found = row.model.availability
    inputs = sorted({m for a in found for m in (a.input_modalities or ())}) or ["TEXT"]
    outputs = sorted({m for a in found for m in (a.output_modalities or ())}) or ["TEXT"]
    ends = min((a.end_of_life_at for a in found if a.end_of_life_at is not None), default=None)
    legacy = (
        "LEGACY" if any((a.lifecycle_status or "").upper() == "LEGACY" for a in found) else None
    )
    return "; ".join(
        catalog_notes(
            not_applicable_reason(row.model.api_model_id, inputs, outputs),
            ends.date() if ends is not None else None,
            "LEGACY" if legacy else None,
            ends_soon=ends is not None and ends - utcnow() <= timedelta(days=30),
        )
    )
