"""``certtui diff``: what changed between two jobs (exit 1 when something regressed)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from certtui.cli.context import Command, Context, pass_context, run_async
from certtui.domain import glyphs
from certtui.domain.text import escape_json_text, safe_text
from certtui.errors import UsageError
from certtui.export.markdown_format import markdown_text

EXIT_REGRESSED = 1
KINDS = (
    ("regression", "regressions", "REGRESSED"),
    ("recovery", "recoveries", "RECOVERED"),
    ("new", "new", "NEW"),
    ("category", "categoryChanges", "CATEGORY"),
)


@click.command(cls=Command, writes=False)
@click.argument("job_a", required=False)
@click.argument("job_b", required=False)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(("text", "json", "markdown")),
    default="text",
    show_default=True,
    help="Output format.",
)
@pass_context
def diff(ctx: Context, job_a: str | None, job_b: str | None, format_name: str) -> None:
    """Compare two jobs' verdicts (default: the last two completed over the same cells)."""
    from certtui.store.opening import open_database

    async def go() -> dict[str, Any]:
        async with open_database(ctx.settings) as database, database.reads() as session:
            return await _compare(session, job_a, job_b)

    report = run_async(go())
    click.echo(FORMATS[format_name](report), nl=False)
    sys.exit(EXIT_REGRESSED if report["regressions"] else 0)


async def _compare(session: Any, job_a: str | None, job_b: str | None) -> dict[str, Any]:
    from certtui.domain.changes import compare
    from certtui.store import history
    from certtui.store.jobs import find_job

    if job_b is not None:
        older, newer = (
            (await find_job(session, job_a or "")).id,
            (await find_job(session, job_b)).id,
        )
    else:
        completed = [job.job_id for job in await history.completed_jobs(session)]
        if job_a is not None:
            older = (await find_job(session, job_a)).id
            newer = next((j for j in completed if j != older), None)
            if newer is None:
                raise UsageError("nothing to compare: no other completed job; name JOB_B")
        else:
            older, newer = await _last_two(session, completed)
    before = await history.job_verdicts(session, older)
    after = await history.job_verdicts(session, newer)
    changes = compare(
        before, dict(sorted(after.items(), key=lambda i: (i[1].api_model_id, i[0][1])))
    )
    report: dict[str, Any] = {"from": older, "to": newer, "cells": len(after)}
    for kind, key, _ in KINDS:
        report[key] = [
            {
                "model": change.after.api_model_id,
                "region": change.after.region,
                "before": _verdict_json(change.before),
                "after": _verdict_json(change.after),
            }
            for change in changes.changes
            if change.change.value == kind
        ]
    return report


async def _last_two(session: Any, completed: list[str]) -> tuple[str, str]:
    from certtui.store import history

    if len(completed) < 2:
        raise UsageError(
            "nothing to compare: diff needs two completed jobs (see `certtui jobs list`)"
        )
    newer = completed[0]
    cells = await history.job_cells(session, completed)
    older = next((j for j in completed[1:] if cells[j] & cells[newer]), None)
    if older is None:
        raise UsageError(
            f"nothing to compare: no completed job before {newer[:8]} covers the same cells; "
            "name the jobs: certtui diff JOB_A JOB_B"
        )
    return older, newer


def _verdict_json(verdict: Any) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "jobId": verdict.job_id,
        "status": verdict.status,
        "passed": verdict.passed,
        "score": verdict.score,
        "rating": verdict.rating,
        "errorCategory": verdict.error_category,
        "completedAt": verdict.completed_at.isoformat(timespec="seconds")
        if verdict.completed_at
        else None,
    }


def _look(verdict: dict[str, Any] | None) -> str:
    g = glyphs.current()
    if verdict is None:
        return g.none
    if verdict["status"] == "COMPLETED" and verdict["passed"]:
        look = f"{g.passed} {verdict['rating'] or ''}".rstrip()
    elif verdict["status"] == "COMPLETED":
        look = f"{g.not_passed} {verdict['rating'] or ''} QUALITY_ISSUE".replace("  ", " ")
    else:
        look = f"{g.failed} {verdict['errorCategory'] or 'FAILED'}"
    return look if verdict["score"] is None else f"{look} {verdict['score']:.1f}"


def _summary(report: dict[str, Any]) -> str:
    counts = ", ".join(f"{len(report[key])} {key}" for _, key, _ in KINDS)
    arrow = glyphs.current().arrow
    return f"{report['from'][:8]} {arrow} {report['to'][:8]} over {report['cells']} cells: {counts}"


def to_text(report: dict[str, Any]) -> str:
    """The report as plain text: a summary line, then one line per changed cell."""
    lines = [_summary(report)]
    for _, key, label in KINDS:
        for item in report[key]:
            lines.append(
                f"{label:<10} {item['model']}  {item['region']}  "
                f"{_look(item['before'])} {glyphs.current().arrow} {_look(item['after'])}"
            )
    # Model ids and categories come from the database: controls are escaped, never written.
    return safe_text("\n".join(lines), keep="\n") + "\n"


def to_markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    lines = [f"**{markdown_text(_summary(report))}**", ""]
    rows = [(label, item) for _, key, label in KINDS for item in report[key]]
    if rows:
        lines += ["| change | model | region | before | after |", "|---|---|---|---|---|"]
        for label, item in rows:
            cells = (
                label,
                _code(item["model"]),
                markdown_text(item["region"]),
                markdown_text(_look(item["before"])),
                markdown_text(_look(item["after"])),
            )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(report: dict[str, Any]) -> str:
    """The report as one JSON document."""
    # \u escapes where the output cannot carry Unicode: the same JSON, nothing replaced.
    # Bidi overrides and C1 controls, which json leaves raw, as \\u escapes too: the same data.
    text = json.dumps(report, indent=2, ensure_ascii=glyphs.current().ascii)
    return escape_json_text(text) + "\n"


def _code(text: str) -> str:
    """A model id as Markdown code where it can be (no backtick in it), else as escaped text."""
    if "`" in text:
        return markdown_text(text)
    return "`" + safe_text(text).replace("|", "\\|") + "`"  # GFM unescapes \\| in code too


FORMATS = {"text": to_text, "json": to_json, "markdown": to_markdown}
