"""A job's log: the retries, throttles and warnings its engine recorded (job_log)."""

from __future__ import annotations

from collections import Counter

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from certtui.domain import glyphs
from certtui.domain.joblog import LogEntry
from certtui.domain.text import plural
from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import as_label
from certtui.tui.data import READ_ERRORS, load_job_log
from certtui.tui.exporting import ExportScope
from certtui.tui.tables import NavigableTable

COLUMNS = (
    ("at", "at", 8), ("level", "level", 7), ("kind", "kind", 8), ("model", "model", 30),
    ("region", "region", 14), ("message", "message", 70),
)  # fmt: skip


def log_cells(entry: LogEntry) -> tuple[str, ...]:
    """The text of each column for one log line."""
    return (
        entry.at.strftime("%H:%M:%S"), entry.level, entry.kind, entry.api_model_id or "",
        entry.region or "", entry.message,
    )  # fmt: skip


class JobLogScreen(CerttuiScreen):
    """The engine's events of one job, oldest first (read again on each refresh)."""

    BINDINGS = bindings("log.back")

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.entries: list[LogEntry] = []

    def compose_body(self) -> ComposeResult:
        yield Static(
            f"Job {self.job_id[:8]} {glyphs.current().dot} log",
            classes="screen-title",
            id="log-title",
        )
        table = NavigableTable(cursor_type="row", id="log")
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table

    @property
    def table(self) -> NavigableTable:
        return self.query_one("#log", NavigableTable)

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        self.load()

    @work(exclusive=True, group="job-log")
    async def load(self) -> None:
        try:
            entries = await self.certtui.read(lambda s: load_job_log(s, self.job_id))
        except READ_ERRORS as exc:
            self.certtui.report_read_error(exc)
            return
        self.entries = entries
        table = self.table
        # The log only grows (oldest lines may fall off its window): add what is new.
        for index, entry in enumerate(entries[table.row_count :], start=table.row_count):
            table.add_row(*(as_label(text) for text in log_cells(entry)), key=str(index))
        table.show_order()
        self.retitle()

    def retitle(self) -> None:
        kinds = Counter(entry.kind for entry in self.entries)
        dot = f" {glyphs.current().dot} "
        summary = dot.join(plural(n, kind) for kind, n in sorted(kinds.items()))
        if not self.entries:
            summary = "nothing recorded: no retry, throttle or warning"
        self.query_one("#log-title", Static).update(
            f"Job {self.job_id[:8]}{dot}log{dot}{summary}{self.sort_note(self.table)}"
        )

    def export_scope(self) -> ExportScope:
        return ExportScope(f"job-{self.job_id[:8]}", job_id=self.job_id)

    def export_title(self) -> str:
        return f"Export the certifications of job {self.job_id[:8]}"

    def action_back(self) -> None:
        self.app.pop_screen()
