"""Markdown export: a per-region summary and a table that reads the same without colour."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from certtui.domain import glyphs
from certtui.domain.enums import CertificationStatus
from certtui.domain.text import safe_text
from certtui.export.rows import ExportRow, Outcome, format_timestamp


def outcome_glyph(outcome: Outcome) -> str:
    """The glyph of an outcome; it always comes with words, so the table reads without colour."""
    g = glyphs.current()
    return {
        Outcome.PASSED: g.passed,
        Outcome.NOT_PASSED: g.not_passed,
        Outcome.FAILED: g.failed,
        Outcome.CANCELLED: g.cancelled,
        Outcome.UNFINISHED: g.queued,
    }[outcome]


SUMMARY_HEADER = (
    "| Region | Certifications | Passed | Not passed | Failed | Cancelled | Unfinished "
    "| % passed |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)
TABLE_HEADER = (
    "| Model | Vendor | Region | Status | Score | Rating | Details |\n"
    "|---|---|---|---|---:|:---:|---|"
)


def to_markdown(rows: Sequence[ExportRow], *, generated_at: datetime | None = None) -> str:
    """The rows as a Markdown report: title, per-region summary, then one line per row."""
    regions = sorted({row.region for row in rows})
    lines = [
        "# certtui certifications",
        "",
        f"Generated {format_timestamp(generated_at or datetime.now(UTC))}: "
        f"{len(rows)} certifications in {len(regions)} regions.",
        "",
    ]
    simulated = sum(row.simulated for row in rows)
    if simulated:
        lines += [
            f"**{simulated} of them SIMULATED**: certtui's Bedrock stand-in answered, not AWS "
            "(marked [SIMULATED] below).",
            "",
        ]
    if not rows:
        lines.append("_No certifications match._")
        return "\n".join(lines) + "\n"
    lines += ["## Summary by region", "", SUMMARY_HEADER]
    for region in regions:
        lines.append(
            _summary_line(markdown_text(region), [row for row in rows if row.region == region])
        )
    if len(regions) > 1:
        lines.append(_summary_line("**all**", rows))
    lines += ["", "## Certifications", "", TABLE_HEADER]
    lines += [_row_line(row) for row in rows]
    return "\n".join(lines) + "\n"


def status_label(row: ExportRow) -> str:
    """The glyph and words for a row's status, e.g. ``✘ not passed`` or ``… queued``."""
    words = row.outcome.value
    if row.outcome is Outcome.UNFINISHED:
        words = row.status.value.lower()
    return f"{outcome_glyph(row.outcome)} {words}"


def percent_passed(rows: Sequence[ExportRow]) -> float:
    """The share of rows that passed, in percent with one decimal (0 for no rows)."""
    if not rows:
        return 0.0
    return round(100 * sum(row.outcome is Outcome.PASSED for row in rows) / len(rows), 1)


def _summary_line(label: str, rows: Sequence[ExportRow]) -> str:
    counts = Counter(row.outcome for row in rows)
    cells = [
        label,  # already Markdown
        str(len(rows)),
        *(
            str(counts[outcome])
            for outcome in (
                Outcome.PASSED,
                Outcome.NOT_PASSED,
                Outcome.FAILED,
                Outcome.CANCELLED,
                Outcome.UNFINISHED,
            )
        ),
        f"{percent_passed(rows):.1f}%",
    ]
    return "| " + " | ".join(cells) + " |"


def _row_line(row: ExportRow) -> str:
    cells = [
        markdown_text(row.model_id),
        markdown_text(row.vendor),
        markdown_text(row.region),
        markdown_text(status_label(row)) + (" [SIMULATED]" if row.simulated else ""),
        "" if row.score is None else f"{row.score:.1f}",
        markdown_text(row.rating or ""),
        markdown_text(_details(row)),
    ]
    return "| " + " | ".join(cells) + " |"


def _details(row: ExportRow) -> str:
    if row.outcome is Outcome.NOT_PASSED:
        failed = ", ".join(
            f"{test.id} ({test.reason})" if test.reason else test.id for test in row.failed_tests
        )
        category = row.error_category or "QUALITY_ISSUE"
        return f"{category}: failed {failed}" if failed else category
    if row.status is CertificationStatus.FAILED:
        parts = [row.error_category or "UNKNOWN_ERROR"]
        if row.error_message:
            parts[0] += f": {row.error_message}"
        if row.remediation_hint:
            parts.append(row.remediation_hint)
        return f" {glyphs.current().dash} ".join(parts)
    if row.invoke_id:
        return f"invoked as {row.invoke_id}"
    return ""


# What Markdown would read as syntax in a table cell: the escape itself, the cell separator,
# code, emphasis, links and images, HTML tags and entities, strikethrough.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown_text(text: str) -> str:
    """Text from outside as one line of a Markdown table cell, read as written once rendered.

    Controls are escaped (never written), every character Markdown would take for syntax gets
    a backslash (a ``|`` in a model name no longer ends the cell), and a newline becomes a space.
    """
    text = safe_text(text, keep="\n\t")
    return " ".join(_MARKDOWN_SPECIALS.sub(r"\\\1", text).split())
