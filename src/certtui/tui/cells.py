"""How a cell's state reads on screen: always a glyph and a letter, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from certtui.domain import glyphs
from certtui.domain.text import safe_text
from certtui.tui.data import CellState

ERROR_TAGS = {
    "PERMISSION_ERROR": "PERM",
    "AUTHENTICATION_ERROR": "AUTH",
    "UNAVAILABLE": "UNAV",
    "PROVISIONING_REQUIRED": "PROV",
    "CONFIGURATION_ERROR": "CONF",
    "RATE_LIMIT": "RATE",
    "QUOTA_EXCEEDED": "QUOT",
    "TIMEOUT": "TIME",
    "NETWORK_ERROR": "NET",
    "MODEL_ERROR": "MODL",
    "QUALITY_ISSUE": "QUAL",
    "UNKNOWN_ERROR": "UNK",
}


def as_label(text: str, *, keep: str = "", style: str = "") -> Text:
    """Text from outside (catalog, Bedrock, database) as a cell or label shows it.

    Controls are escaped and the result is a `Text`, never markup: a ``[b]`` or ``[/]`` in a
    model name is shown as it is, and nothing in it acts on the terminal.
    """
    return Text(safe_text(text, keep=keep), style=style, end="")


@dataclass(frozen=True)
class CellLook:
    """The text of a cell and the theme role that colours it."""

    text: str
    role: str  # success, warning, error, accent, muted


def simulated_mark() -> str:
    """Appended to a cell whose result came from certtui's Bedrock stand-in."""
    return glyphs.current().simulated


def cell_look(cell: CellState, *, applicable: bool = True) -> CellLook:
    """The glyph-and-letter text of a matrix cell and its colour role (marked when simulated)."""
    look = _look(cell, applicable=applicable)
    if cell.status not in ("COMPLETED", "FAILED"):
        return look
    g = glyphs.current()
    # Regressed: a verdict that no longer passes where the last one did.
    marks = (g.regressed if cell.regressed else "") + (g.simulated if cell.simulated else "")
    return CellLook(look.text + marks, look.role) if marks else look


def _look(cell: CellState, *, applicable: bool = True) -> CellLook:
    g = glyphs.current()
    status = cell.status
    if status == "COMPLETED":
        letter = cell.rating or "?"
        if cell.passed:
            return CellLook(f"{g.passed} {letter}", "success" if letter in "AB" else "warning")
        return CellLook(f"{g.not_passed} {letter}", "warning" if letter in "BCD" else "error")
    if status == "FAILED":
        return CellLook(f"{g.failed} {ERROR_TAGS.get(cell.error_category or '', 'ERR')}", "error")
    if status == "PROCESSING":
        return CellLook(f"{g.running} run", "accent")
    if status in ("QUEUED", "PENDING"):
        return CellLook(f"{g.queued} que", "accent")
    if status == "CANCELLED":
        return CellLook(f"{g.cancelled} can", "muted")
    if not applicable:
        return CellLook("n/a", "muted")
    if cell.offered is False:
        return CellLook(g.not_offered, "muted")
    return CellLook(g.untested, "muted")


def legend() -> tuple[tuple[str, str], ...]:
    """Each kind of matrix cell as it looks, with what it means (the help screen's legend)."""
    g = glyphs.current()
    return (
        (f"{g.passed} A", f"passed, rating A{g.none}F"),
        (f"{g.not_passed} D", "ran, did not pass"),
        (f"{g.failed} PERM", "failed: error tag"),
        (f"{g.not_passed} D{g.regressed}", "regressed: passed last time (d: changes)"),
        (f"{g.running} run", "running"),
        (f"{g.queued} que", "queued"),
        (f"{g.cancelled} can", "cancelled"),
        (g.untested, "untested"),
        (g.not_offered, "not offered"),
        ("n/a", "not applicable (not a chat model)"),
        (f"{g.passed} A{g.simulated}", "simulated: the stand-in answered"),
    )


MATRIX_CELL_WIDTH = 6
"""The widest a matrix cell's text gets: with one space after it, 30 regions fit in 240 columns."""


def fit_cell(text: str, width: int = MATRIX_CELL_WIDTH) -> str:
    """A cell's text in ``width``: the space after the glyph goes first, then the tag's end.

    The glyph and the marks (↓ regressed, * simulated) always stay: `! PERM↓*` → `!PER↓*`.
    """
    if len(text) <= width:
        return text
    text = text.replace(" ", "", 1)
    if len(text) <= width:
        return text
    g = glyphs.current()
    body = text.rstrip(g.regressed + g.simulated)
    marks = text[len(body) :]
    return body[: max(width - len(marks), 1)] + marks
