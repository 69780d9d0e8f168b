"""``certtui history``: retention of the verdict history."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from certtui.cli.context import Context, Group, pass_context, run_async
from certtui.errors import UsageError

UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``180d``, ``12h`` or ``4w`` as a duration, or a UsageError saying how to write one."""
    match = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", text)
    if match is None or int(match.group(1)) == 0:
        raise UsageError(
            f"--older-than {text!r} is not an age: write a positive number of hours, days or "
            "weeks, e.g. 180d, 12h, 4w"
        )
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


@click.group(cls=Group)
def history() -> None:
    """The history of verdicts (certification_results)."""


@history.command("prune", writes=lambda params: not params["dry_run"])
@click.option(
    "--older-than",
    "older_than",
    required=True,
    metavar="AGE",
    help="Delete verdicts finished longer ago than AGE (e.g. 180d, 12h, 4w).",
)
@click.option(
    "--keep-last",
    default=0,
    show_default=True,
    type=click.IntRange(0, None),
    metavar="N",
    help="Keep the N newest verdicts of each cell whatever their age.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@pass_context
def prune(ctx: Context, older_than: str, keep_last: int, dry_run: bool) -> None:
    """Delete old verdicts, never the one a cell shows (its latest)."""
    from certtui.store import history as store
    from certtui.store.opening import open_database
    from certtui.store.types import utcnow

    age = parse_age(older_than)

    async def go() -> int:
        cutoff = utcnow() - age
        async with open_database(ctx.settings, read_only=dry_run) as database:
            if dry_run:
                async with database.reads() as session:
                    return await store.prune(session, cutoff, keep_last, dry_run=True)
            async with database.sessions.begin() as session:
                return await store.prune(session, cutoff, keep_last)

    count = run_async(go())
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"history prune: {verb} {count} verdicts finished before {older_than} ago")
