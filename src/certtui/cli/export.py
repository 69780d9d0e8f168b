"""``certtui export``: certification results as CSV, JSON, Markdown or JUnit XML."""

from __future__ import annotations

from pathlib import Path

import click

from certtui.bedrock.regions import UnknownRegion, validate_regions
from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.errors import UsageError

FORMAT_NAMES = ("csv", "json", "markdown", "junit")


@click.command(cls=Command, writes=False)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMAT_NAMES),
    required=True,
    help="Output format; JUnit XML has one test case per model and region.",
)
@click.option(
    "--output",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Write to FILE (replaced atomically) instead of standard output.",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="REGION",
    help="Only this region (repeatable; default: every region).",
)
@click.option("--job", "job_id", metavar="JOB_ID", help="Only the certifications of this job.")
@pass_context
def export(
    ctx: Context,
    format_name: str,
    output: Path | None,
    regions: tuple[str, ...],
    job_id: str | None,
) -> None:
    """Export certification results to standard output or a file (read-only friendly)."""
    from certtui.domain.text import plural
    from certtui.export import FORMATTERS, export_rows, job_exists
    from certtui.export.files import check_output_path, write_atomically
    from certtui.store.opening import NoDatabaseYet, open_database

    try:
        chosen = validate_regions(list(regions))
    except UnknownRegion as exc:
        raise UsageError(str(exc)) from None
    if output is not None:
        check_output_path(output)

    async def go():  # type: ignore[no-untyped-def]
        from certtui.store.jobs import find_job

        async with (
            open_database(ctx.settings, create=False) as database,
            database.reads() as session,
        ):
            job = job_id
            if job is not None and not await job_exists(session, job):
                # The same id prefixes `certtui jobs` takes (at least 4 characters, unique).
                try:
                    job = (await find_job(session, job)).id
                except UsageError as exc:
                    if "ambiguous" in str(exc) or "too short" in str(exc):
                        raise
                    raise UsageError(
                        f"no certification job {job_id!r} in {database.target.describe()}"
                    ) from None
            return await export_rows(session, regions=chosen or None, job_id=job), job

    try:
        rows, job_id = run_async(go())
    except NoDatabaseYet:
        if job_id is not None:
            raise
        rows = []  # an export creates no database: there are no results yet
    text = FORMATTERS[format_name](rows)
    if not rows:
        click.echo(f"certtui: no certifications match{_filters(chosen, job_id)}", err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text)
    click.echo(f"certtui: wrote {plural(len(rows), 'certification')} to {output}", err=True)


def _filters(regions: list[str], job_id: str | None) -> str:
    parts = []
    if regions:
        parts.append(f"in {', '.join(regions)}")
    if job_id is not None:
        parts.append(f"of job {job_id}")
    return (" " + " ".join(parts)) if parts else ""
