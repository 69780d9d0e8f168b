"""What "export the current view" and "copy" mean for each screen: pure rules, no Textual."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the export package (formats, scoring) is imported when something is exported
    from certtui.export import ExportRow

FORMAT_EXTENSIONS = {"csv": "csv", "json": "json", "markdown": "md", "junit": "xml"}
COPIED_FILE = "copied.txt"  # in the data directory: what `y` copied last (OSC 52 is unconfirmed)


@dataclass(frozen=True)
class ExportScope:
    """The certifications a screen shows: all, one job's, some models', or some cells."""

    view: str  # a word for the file name: matrix, models, job-1a2b3c4d…
    job_id: str | None = None
    model_ids: frozenset[str] | None = None  # api model ids; None: every model
    cells: frozenset[tuple[str, str]] | None = None  # (api model id, region); None: every cell

    def keep(self, row: ExportRow) -> bool:
        """Whether an exported row belongs to the view."""
        if self.job_id is not None and row.job_id != self.job_id:
            return False
        if self.model_ids is not None and row.model_id not in self.model_ids:
            return False
        return self.cells is None or (row.model_id, row.region) in self.cells


def default_export_path(
    data_dir: Path, scope: ExportScope, format_name: str, now: datetime
) -> Path:
    """``DATA_DIR/exports/certtui-<view>-<YYYYmmdd-HHMMSS>.<ext>``."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    return data_dir / "exports" / f"certtui-{scope.view}-{stamp}.{FORMAT_EXTENSIONS[format_name]}"


def with_format(path: str, format_name: str) -> str:
    """The path with the extension of ``format_name`` if it has another export's extension."""
    candidate = Path(path)
    if candidate.suffix.lstrip(".") in FORMAT_EXTENSIONS.values():
        return str(candidate.with_suffix("." + FORMAT_EXTENSIONS[format_name]))
    return path
