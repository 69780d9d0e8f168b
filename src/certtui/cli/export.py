"""``certtui export``: certification results as CSV, JSON, Markdown or JUnit XML."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import click

from certtui.bedrock.regions import UnknownRegion, validate_regions
from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.errors import CannotRunError, UsageError

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
    from certtui.export import FORMATTERS, export_rows, job_exists
    from certtui.store.opening import NoDatabaseYet, open_database

    try:
        chosen = validate_regions(list(regions))
    except UnknownRegion as exc:
        raise UsageError(str(exc)) from None
    if output is not None:
        check_output_path(output)

    async def go():  # type: ignore[no-untyped-def]
        async with (
            open_database(ctx.settings, create=False) as database,
            database.reads() as session,
        ):
            if job_id is not None and not await job_exists(session, job_id):
                raise UsageError(f"no certification job {job_id!r} in {database.target.describe()}")
            return await export_rows(session, regions=chosen or None, job_id=job_id)

    try:
        rows = run_async(go())
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
    click.echo(f"certtui: wrote {len(rows)} certifications to {output}", err=True)


def check_output_path(path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    parent = path.parent
    if not parent.exists():
        raise UsageError(f"cannot write {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is not a directory")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory; name a file")


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    Readers see the old file or the new one, never half of one; a failure leaves no temp file.
    """
    mode = _file_mode(path)
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    temporary = Path(name)
    try:
        # newline="": the CSV formatter already wrote its own line endings.
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        # The path was fine (the temp file opened); the disk or filesystem failed under us.
        raise CannotRunError(f"could not write {path}: {exc.strerror or exc}") from None


def _file_mode(path: Path) -> int:
    # A replaced file keeps its permissions; a new one gets the umask's, not mkstemp's 0600.
    with contextlib.suppress(OSError):
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _filters(regions: list[str], job_id: str | None) -> str:
    parts = []
    if regions:
        parts.append(f"in {', '.join(regions)}")
    if job_id is not None:
        parts.append(f"of job {job_id}")
    return (" " + " ".join(parts)) if parts else ""
