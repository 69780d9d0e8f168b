"""Exporting certification results: the rows to export, and one pure formatter per format."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from certtui.export.csv_format import to_csv
from certtui.export.json_format import to_json
from certtui.export.junit_format import to_junit
from certtui.export.markdown_format import to_markdown
from certtui.export.rows import (
    ExportRow,
    Outcome,
    TestSummary,
    export_rows,
    job_exists,
)

# Format name (as `--format` takes it) -> formatter.
FORMATTERS: dict[str, Callable[[Sequence[ExportRow]], str]] = {
    "csv": to_csv,
    "json": to_json,
    "markdown": to_markdown,
    "junit": to_junit,
}

__all__ = [
    "FORMATTERS",
    "ExportRow",
    "Outcome",
    "TestSummary",
    "export_rows",
    "job_exists",
    "to_csv",
    "to_json",
    "to_junit",
    "to_markdown",
]
