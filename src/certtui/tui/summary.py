"""Plain-text summaries of results (clipboard, notifications), pure and testable."""

from __future__ import annotations

from certtui.domain import glyphs
from certtui.domain.errors import ErrorCategory
from certtui.domain.text import safe_text
from certtui.tui.data import DetailView


def remediation(category: str | None) -> str:
    """The remediation hint of an error category, or nothing."""
    try:
        return ErrorCategory(category).hint if category else ""
    except ValueError:
        return ""


def detail_summary(detail: DetailView) -> str:
    """A few lines an operator can paste into a ticket."""
    results = detail.test_results or {}
    lines = [
        f"{detail.api_model_id} in {detail.region}: {detail.status}"
        + (f", score {detail.score:.1f} ({detail.rating})" if detail.score is not None else "")
        + (", passed" if detail.passed else ", not passed" if detail.status == "COMPLETED" else ""),
        f"invoked as {results.get('invokeId', detail.api_model_id)}",
    ]
    if detail.error_category:
        lines.append(f"{detail.error_category}: {detail.error_message or ''}".strip())
        hint = remediation(detail.error_category)
        if hint:
            lines.append(f"what to do: {hint}")
    failed = [t for t in results.get("tests", ()) if t.get("status") == "failed"]
    for test in failed:
        lines.append(f"- {test['id']}: {test.get('reason') or 'failed'}")
    if detail.completed_at:
        lines.append(f"certified {detail.completed_at:%Y-%m-%d %H:%M} UTC by {detail.created_by}")
    # Pasted into a ticket or a terminal, the text must not carry another system's escapes.
    return safe_text("\n".join(lines), keep="\n")


def sparkline(values: list[float | None]) -> str:
    """Values as one line of block characters, lowest to highest (a gap where one is missing)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    sparks = glyphs.current().spark
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else sparks[round((v - low) / span * (len(sparks) - 1))] for v in values
    )
