"""Workers: the `certtui worker` processes on the PostgreSQL queue, alive or not (#14 item 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import Static

from certtui.domain import glyphs
from certtui.domain.text import plural
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import as_label
from certtui.tui.data import READ_ERRORS, load_workers
from certtui.tui.screens.jobs import short_duration
from certtui.tui.tables import NavigableTable

if TYPE_CHECKING:
    from certtui.store.workers import WorkerRow

COLUMNS = (("name", "name", 16), ("host", "host", 18), ("pid", "pid", 7),
           ("alive", "alive", 11), ("in_flight", "in flight", 9), ("regions", "regions", 24),
           ("started", "started", 11), ("heartbeat", "heartbeat", 9))  # fmt: skip
# Heartbeats are not notified: while the screen is shown, the ages are read again this often.
REREAD_SECONDS = 1.0
# One line at 80 columns.
NEEDS_POSTGRESQL = "Workers need PostgreSQL: on SQLite the TUI runs every job itself"


def alive_label(worker: WorkerRow, now: datetime) -> str:
    """Glyph and word: alive, stopped (it exited cleanly), or not alive (its heartbeat aged)."""
    g = glyphs.current()
    if worker.stopped_at is not None:
        return f"{g.cancelled} stopped"
    if worker.alive(now):
        return f"{g.passed} alive"
    return f"{g.warning} not alive"


def worker_cells(worker: WorkerRow, now: datetime) -> dict[str, str]:
    """The text of each column for one worker (``now``: UTC without zone, as the rows are)."""
    none = glyphs.current().none
    age = (now - worker.heartbeat_at).total_seconds()
    return {
        "name": worker.name,
        "host": worker.host,
        "pid": str(worker.pid),
        "alive": alive_label(worker, now),
        "in_flight": f"{worker.in_flight}/{worker.concurrency}",
        "regions": ",".join(worker.regions) if worker.regions else "all",
        "started": worker.started_at.strftime("%m-%d %H:%M"),
        "heartbeat": none if worker.stopped_at is not None else f"{short_duration(age)} ago",
    }


class WorkersScreen(CerttuiScreen):
    """Every worker the queue has seen, the most recently heard from first."""

    def __init__(self) -> None:
        super().__init__()
        self.worker_rows: list[WorkerRow] | None = []
        self._timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Workers", classes="screen-title", id="workers-title")
        table = NavigableTable(cursor_type="row", id="workers")
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table

    @property
    def table(self) -> NavigableTable:
        return self.query_one("#workers", NavigableTable)

    def on_mount(self) -> None:
        self._timer = self.set_interval(REREAD_SECONDS, self.load, pause=True)

    def on_screen_resume(self) -> None:
        # CerttuiScreen's own handler runs too (Textual calls each class's in the MRO).
        self.load()
        if self._timer is not None:
            self._timer.resume()

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        if cells is None or jobs:  # a full read, or a job moved (workers took or left it)
            self.load()

    @work(exclusive=True, group="workers")
    async def load(self) -> None:
        """Read the workers and show them."""
        try:
            workers = await self.certtui.read(load_workers)
        except READ_ERRORS as exc:
            self.certtui.report_read_error(exc)
            return
        self.worker_rows = workers
        self.show_workers()

    def show_workers(self, now: datetime | None = None) -> None:
        """Bring the table in line with the workers read: in place, by key."""
        now = now or datetime.now(UTC).replace(tzinfo=None)
        table = self.table
        workers = self.worker_rows or []
        wanted = {w.id for w in workers}
        for gone in [row for row in table.rows if row.value not in wanted]:
            table.remove_row(gone)
        for worker in workers:
            texts = worker_cells(worker, now)
            if worker.id in table.rows:
                for key, _, _ in COLUMNS:
                    table.update_cell(worker.id, key, as_label(texts[key]))
            else:
                table.add_row(*(as_label(texts[key]) for key, _, _ in COLUMNS), key=worker.id)
        table.show_order([w.id for w in workers])
        self.retitle(now)

    def retitle(self, now: datetime | None = None) -> None:
        title = self.query_one("#workers-title", Static)
        if self.worker_rows is None:
            title.update(as_label(NEEDS_POSTGRESQL))
            self.table.display = False  # nothing to list, ever
            return
        dot = f" {glyphs.current().dot} "
        now = now or datetime.now(UTC).replace(tzinfo=None)
        alive = [w for w in self.worker_rows if w.alive(now)]
        if not self.worker_rows:
            text = f"Workers{dot}none yet: start `certtui worker` on any host"
        else:
            units = sum(w.in_flight for w in alive)
            text = (
                f"Workers{dot}{len(alive)} alive of {len(self.worker_rows)}{dot}"
                f"{plural(units, 'unit')} in flight{self.sort_note(self.table)}"
            )
        title.update(as_label(text))
