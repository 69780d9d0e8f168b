"""How a cell's state reads on screen: always a glyph and a letter, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class CellLook:
    """The text of a cell and the theme role that colours it."""

    text: str
    role: str  # success, warning, error, accent, muted


def cell_look(cell: CellState, *, applicable: bool = True) -> CellLook:
    """The glyph-and-letter text of a matrix cell and its colour role."""
    status = cell.status
    if status == "COMPLETED":
        letter = cell.rating or "?"
        if cell.passed:
            return CellLook(f"✓ {letter}", "success" if letter in "AB" else "warning")
        return CellLook(f"✗ {letter}", "warning" if letter in "BCD" else "error")
    if status == "FAILED":
        return CellLook(f"! {ERROR_TAGS.get(cell.error_category or '', 'ERR')}", "error")
    if status == "PROCESSING":
        return CellLook("⟳ run", "accent")
    if status in ("QUEUED", "PENDING"):
        return CellLook("… que", "accent")
    if status == "CANCELLED":
        return CellLook("⊘ can", "muted")
    if not applicable:
        return CellLook("n/a", "muted")
    if cell.offered is False:
        return CellLook("—", "muted")
    return CellLook("○", "muted")


LEGEND = (
    ("✓ A", "passed, rating A–F"),
    ("✗ D", "ran, did not pass"),
    ("! PERM", "failed: error tag"),
    ("⟳ run", "running"),
    ("… que", "queued"),
    ("⊘ can", "cancelled"),
    ("○", "untested"),
    ("—", "not offered"),
    ("n/a", "not applicable (not a chat model)"),
)
