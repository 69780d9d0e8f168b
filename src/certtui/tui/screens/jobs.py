"""Jobs: progress, counters, throughput, in-flight calls; pause, resume, cancel, drill in."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.domain.events import JobProgress
from certtui.domain.text import safe_text
from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import as_label
from certtui.tui.data import JobView
from certtui.tui.exporting import ExportScope
from certtui.tui.tables import NavigableTable

COLUMNS = (
    ("id", "job", 8),
    ("status", "status", 12),
    ("progress", "progress", 22),
    ("ok", "✓ ok", 5),
    ("failed", "✗ not", 5),
    ("rate", "/min", 5),
    ("eta", "eta", 6),
    ("started", "start", 5),
    ("took", "took", 7),
    ("calls", "calls", 7),
    ("retries", "retry/thr", 9),
    ("type", "type", 9),
    ("by", "by", 14),
    ("created", "created", 11),
)  # 140 columns show everything but the creation time, which mostly is the start's
TYPE_LABELS = {
    "SINGLE_MODEL": "single",
    "MULTIPLE_MODELS": "multiple",
    "ALL_MODELS": "all",
    "RECERTIFY": "recertify",
}
STATUS_GLYPHS = {
    "PENDING": "· pending",
    "QUEUED": "… queued",
    "PROCESSING": "⟳ running",
    "PAUSED": "‖ paused",
    "COMPLETED": "✓ done",
    "FAILED": "! failed",
    "CANCELLED": "⊘ cancelled",
}


def progress_bar(done: int, total: int, width: int = 12) -> str:
    """A text progress bar that reads without colour."""
    filled = 0 if total <= 0 else round(width * done / total)
    return f"{'█' * filled}{'░' * (width - filled)} {done}/{total}"


def short_duration(seconds: float) -> str:
    """``45s``, ``12m05s``, ``3h07m``: a duration in at most seven characters (sorts by value)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def job_took(job: JobView, now: datetime) -> str:
    """How long the job ran: its recorded duration, or so far while it runs."""
    if job.duration_ms is not None:
        return short_duration(job.duration_ms / 1000)
    if job.started_at is not None and job.status in ("PROCESSING", "PAUSED", "QUEUED"):
        return short_duration((now - job.started_at).total_seconds())
    return "–"


def job_cells(
    job: JobView, live: JobProgress | None, now: datetime | None = None
) -> dict[str, str | Text]:
    """The text of each column for one job; live engine progress wins over the database row."""
    processed, succeeded, failed = job.processed, job.succeeded, job.failed
    status = job.status
    rate = eta = calls = retries = "–"
    if live is not None:
        processed, succeeded, failed = live.processed, live.succeeded, live.failed
        status = live.status.value
        rate = f"{live.units_per_minute:.1f}"
        eta = "–" if live.eta_seconds is None else f"{live.eta_seconds:.0f}s"
        calls = f"{live.in_flight_calls}/{live.call_limit}"
        retries = f"{live.retries}/{live.throttles}"
    label = STATUS_GLYPHS.get(status, status)
    if job.live and live is None:
        label += " ⇄"  # run by another process
    return {
        "id": job.job_id[:8],
        "status": label,
        "progress": progress_bar(processed, job.total),
        "ok": str(succeeded),
        "failed": str(failed),
        "rate": rate,
        "eta": eta,
        "created": job.created_at.strftime("%m-%d %H:%M"),
        "started": job.started_at.strftime("%H:%M") if job.started_at else "–",
        "took": job_took(job, now or datetime.now(UTC).replace(tzinfo=None)),
        "calls": calls,
        "retries": retries,
        "type": as_label(TYPE_LABELS.get(job.type, job.type)),
        "by": as_label(job.created_by or ""),
    }


class JobsScreen(CerttuiScreen):
    """The jobs of SPEC §6.3."""

    BINDINGS = bindings("jobs.open", "jobs.pause", "jobs.cancel")

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[str, dict[str, str | Text]] = {}
        self._pending_cursor: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="screen-title", id="jobs-title")
        table = NavigableTable(cursor_type="row", id="jobs")
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table

    @property
    def table(self) -> NavigableTable:
        return self.query_one("#jobs", NavigableTable)

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        if not jobs and cells is not None:
            return
        table = self.table
        views = self.certtui.jobs
        wanted = [job.job_id for job in views]
        if any(key not in self._shown for key in wanted) and self._shown:
            # A new job belongs at the top (newest first): re-add the rows, keep the cursor.
            cursor = self.current()
            table.clear()
            self._shown.clear()
            self._pending_cursor = cursor.job_id if cursor else None
        for gone in [key for key in self._shown if key not in set(wanted)]:
            table.remove_row(gone)
            del self._shown[gone]
        for job in views:
            texts = job_cells(job, self.certtui.progress.get(job.job_id))
            before = self._shown.get(job.job_id)
            if before is None:
                table.add_row(*(texts[key] for key, _, _ in COLUMNS), key=job.job_id)
            else:
                for key, value in texts.items():
                    if before.get(key) != value:
                        table.update_cell(job.job_id, key, value)
            self._shown[job.job_id] = texts
        table.show_order(wanted)
        if self._pending_cursor in self._shown:
            table.move_cursor(row=table.get_row_index(self._pending_cursor))
        self._pending_cursor = None
        running = sum(1 for j in views if j.status in ("PROCESSING", "QUEUED", "PENDING"))
        title = f"Jobs · {len(views)} recent · {running} active{self.sort_note(table)}"
        if not views:
            title = "Jobs · none yet: certify from the Models or Matrix screen (c)"
        self.query_one("#jobs-title", Static).update(title)

    def retitle(self) -> None:
        self.show_data(None)

    def export_scope(self) -> ExportScope:
        job = self.current()
        if job is None:
            return ExportScope("all")
        return ExportScope(f"job-{job.job_id[:8]}", job_id=job.job_id)

    def export_title(self) -> str:
        job = self.current()
        return "Export every certification" if job is None else (
            f"Export the certifications of job {job.job_id[:8]}"
        )  # fmt: skip

    def copy_text(self) -> tuple[str, str] | None:
        job = self.current()
        return None if job is None else (job.job_id, "the job id")

    def current(self) -> JobView | None:
        table = self.table
        try:
            key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return next((j for j in self.certtui.jobs if j.job_id == key.value), None)

    async def action_toggle_pause(self) -> None:
        job = self.current()
        service = self.certtui.service
        if job is None or service is None:
            return
        if job.status in ("COMPLETED", "FAILED", "CANCELLED"):
            self.notify(f"job {job.job_id[:8]} is {job.status}", severity="warning")
            return
        ours = job.job_id in service.running
        try:
            status = await service.toggle_pause(job.job_id)
        except Exception as exc:
            self.notify(safe_text(str(exc)), severity="error", markup=False)
            return
        self.notify(f"job {job.job_id[:8]}: {status.value}")
        self.certtui.catch_up_after_control(job.job_id, ours=ours)

    def action_cancel_job(self) -> None:
        from certtui.tui.screens.dialogs import ConfirmScreen

        job = self.current()
        service = self.certtui.service
        if job is None or service is None:
            return
        if job.status in ("COMPLETED", "FAILED", "CANCELLED"):
            self.notify(f"job {job.job_id[:8]} is already {job.status}", severity="warning")
            return

        async def answer(yes: bool | None) -> None:
            if yes:
                ours = job.job_id in service.running
                await service.cancel(job.job_id)
                self.notify(f"job {job.job_id[:8]} cancelled")
                self.certtui.catch_up_after_control(job.job_id, ours=ours)

        self.app.push_screen(
            ConfirmScreen(f"Cancel job {job.job_id[:8]}? Unfinished units become CANCELLED.",
                          yes="Cancel job", no="Keep running"),
            answer,
        )  # fmt: skip

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_units()

    def action_open_units(self) -> None:
        job = self.current()
        if job is None:
            return
        from certtui.tui.screens.units import JobUnitsScreen

        self.app.push_screen(JobUnitsScreen(job.job_id))
