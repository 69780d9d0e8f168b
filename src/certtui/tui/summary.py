"""Plain-text summaries of results (clipboard, notifications, the matrix's views), pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.markup import escape
from rich.text import Text

from certtui.domain import glyphs
from certtui.domain.errors import ErrorCategory
from certtui.domain.text import safe_text, shorten_distinct
from certtui.tui.data import CellState, DetailView, ModelRow


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


# The matrix's views and its summary (counts by category) ---------------------------------------

CATEGORY_NAMES = (
    "passed", "not passed", "error", "running", "queued", "cancelled", "untested",
    "not offered", "n/a",
)  # fmt: skip


def categories() -> tuple[tuple[str, str], ...]:
    """Each category of the matrix summary with its glyph, in the order they are shown."""
    g = glyphs.current()
    marks = (g.passed, g.not_passed, g.failed, g.running, g.queued, g.cancelled, g.untested,
             g.not_offered, "n/a")  # fmt: skip
    return tuple(zip(CATEGORY_NAMES, marks, strict=True))


"""Every category a matrix cell falls in, in the order summaries list them, with its glyph."""


def cell_category(cell: CellState, *, applicable: bool = True) -> str:
    """The one category of a matrix cell (see categories()); it follows the cell's glyph."""
    status = cell.status
    if status == "COMPLETED":
        return "passed" if cell.passed else "not passed"
    if status == "FAILED":
        return "error"
    if status == "PROCESSING":
        return "running"
    if status in ("QUEUED", "PENDING"):
        return "queued"
    if status == "CANCELLED":
        return "cancelled"
    if not applicable:
        return "n/a"
    if cell.offered is False:
        return "not offered"
    return "untested"


def summary_text(counts: Mapping[str, int]) -> str:
    """Counts by category, the ones that are not zero: `✓ 3 passed · ! 1 error`."""
    parts = [f"{glyph} {counts[name]} {name}" for name, glyph in categories() if counts.get(name)]
    return f" {glyphs.current().dot} ".join(parts) or "no cells"


def summary_line(title: str, counts: Mapping[str, int], width: int) -> str:
    """`title: counts` in ``width``: with the categories' names if they fit, else glyphs only."""
    line = f"{title}: {summary_text(counts)}"
    if len(line) <= width:
        return line
    short = " ".join(f"{glyph}{counts[name]}" for name, glyph in categories() if counts.get(name))
    return f"{title}: {short or 'no cells'}"


@dataclass(frozen=True)
class MatrixView:
    """Which rows the matrix shows and how it groups them."""

    hide_unoffered: bool = False  # `o`: no row that is n/a or offered in none of the regions
    failures_only: bool = False  # `F`: only rows with a cell that did not pass or failed
    by_vendor: bool = False  # `v`: a heading row per vendor

    def describe(self) -> str:
        """The view's switches that are on, for the screen title."""
        names = [("hiding n/a and not offered", self.hide_unoffered),
                 ("failures only", self.failures_only), ("by vendor", self.by_vendor)]  # fmt: skip
        return f" {glyphs.current().dot} ".join(name for name, on in names if on)


GROUP_PREFIX = "vendor:"
"""The key of a vendor's heading row: no model id starts so (they are UUIDs)."""


def matrix_rows(
    models: Sequence[ModelRow],
    regions: Sequence[str],
    cell: Callable[[str, str], CellState],
    view: MatrixView,
) -> list[str]:
    """The row keys the matrix shows, in order: model ids, and vendor headings when grouped."""
    kept = []
    for model in models:
        applicable = model.applicable
        categories = {cell_category(cell(model.model_id, r), applicable=applicable)
                      for r in regions}  # fmt: skip
        if view.hide_unoffered and (not applicable or categories <= {"not offered"}):
            continue
        if view.failures_only and not categories & {"not passed", "error"}:
            continue
        kept.append(model)
    if not view.by_vendor:
        return [m.model_id for m in kept]
    rows: list[str] = []
    vendors: dict[str, list[str]] = {}
    for model in kept:
        vendors.setdefault(model.vendor, []).append(model.model_id)
    for vendor in sorted(vendors, key=str.lower):
        rows.append(GROUP_PREFIX + vendor)
        rows.extend(vendors[vendor])
    return rows


def count_cells(
    models: Sequence[ModelRow], regions: Sequence[str], cell: Callable[[str, str], CellState]
) -> Counter[str]:
    """How many of these models' cells in these regions are in each category."""
    counts: Counter[str] = Counter()
    for model in models:
        applicable = model.applicable
        counts.update(
            cell_category(cell(model.model_id, r), applicable=applicable) for r in regions
        )
    return counts


# The top bar ------------------------------------------------------------------------------------

TARGET_MIN_WIDTH = 12  # narrower, and a path says nothing: it goes


def fit_top_bar(target: str, parts: Sequence[str], width: int | None) -> str:
    """`certtui · <target> · <parts>` as markup in ``width`` cells: the parts (badges) first.

    The target (a database path or URL) is cut in the middle to make room, then dropped; then
    the unmarked parts go from the end (a refresh time before `read-write`); a badge, marked up
    as `[reverse]`, always stays.
    """
    dot = f" {glyphs.current().dot} "
    head = safe_text(f"certtui{dot}{target}")
    kept = list(parts)
    if width is None:
        return dot.join([escape(head), *kept])
    while True:
        room = width - (Text.from_markup(dot.join(kept)).cell_len + 3 if kept else 0)
        short = _fit_middle(head, room)
        if short is not None:
            return dot.join([escape(short), *kept])
        plain = [i for i, part in enumerate(kept) if "[reverse]" not in part]
        if not plain:
            return dot.join(kept)  # the badges alone, even if the terminal cuts them
        kept.pop(plain[-1])


def _fit_middle(text: str, room: int) -> str | None:
    """``text`` whole or cut in the middle to ``room`` cells; None if that leaves too little."""
    if cell_len(text) <= room:
        return text
    while room >= TARGET_MIN_WIDTH:
        short = shorten_distinct([text], room)[text]
        if cell_len(short) <= room:
            return short
        room -= 1  # wide characters: a cell count above the character count
    return None
