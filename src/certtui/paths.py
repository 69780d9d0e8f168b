"""Where certtui finds its shipped files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def styles_dir() -> Path:
    """The Textual CSS directory: in the wheel, or the repository's ``styles/`` in a checkout."""
    packaged = Path(str(resources.files("certtui") / "styles"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "styles"
