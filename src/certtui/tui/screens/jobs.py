"""Jobs: progress, counters, throughput, in-flight calls; pause, resume, cancel, drill in."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.domain import glyphs
from certtui.domain.enums import JobStatus
from certtui.domain.events import JobProgress
from certtui.domain.job_display import job_counts, shown_status
from certtui.domain.text import safe_text
from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import as_label
from certtui.tui.data import JobView
from certtui.tui.exporting import ExportScope
from certtui.tui.tables import NavigableTable


def columns() -> tuple[tuple[str, str, int], ...]:
    """Key, label and width of each column (the labels carry the chosen glyphs).

    140 columns show everything but the creation time, which mostly is the start's.
    """
    g = glyphs.current()
    return (
        ("id", "job", 8),
        ("status", "status", 12),
        ("progress", "progress", 22),
        ("ok", f"{g.passed} ok", 5),
        ("failed", f"{g.not_passed} not", 5),
        ("rate", "/min", 5),
        ("eta", "eta", 6),
        ("started", "start", 5),
        ("took", "took", 7),
        ("calls", "calls", 7),
        ("retries", "retry/thr", 9),
        ("type", "type", 9),
        ("by", "by", 14),
        ("created", "created", 11),
    )


TYPE_LABELS = {
    "SINGLE_MODEL": "single",
    "MULTIPLE_MODELS": "multiple",
    "ALL_MODELS": "all",
    "RECERTIFY": "recertify",
}


def status_label(status: str) -> str:
    """A job status as glyph and word, e.g. ``‖ paused``."""
    g = glyphs.current()
    labels = {
        "PENDING": f"{g.pending} pending",
        "QUEUED": f"{g.queued} queued",
        "PROCESSING": f"{g.running} running",
        "PAUSING": f"{g.paused}{g.ellipsis} pausing",
        "PAUSED": f"{g.paused} paused",
        "COMPLETED": f"{g.passed} done",
        "FAILED": f"{g.failed} failed",
        "CANCELLED": f"{g.cancelled} cancelled",
    }
    return labels.get(status, status)


def progress_bar(done: int, total: int, width: int = 12) -> str:
    """A text progress bar that reads without colour."""
    g = glyphs.current()
    filled = 0 if total <= 0 else round(width * done / total)
    return f"{g.bar_full * filled}{g.bar_empty * (width - filled)} {done}/{total}"


def job_status(job: JobView, live: JobProgress | None) -> str:
    """The status a job reads as (PAUSING derived); live engine progress wins."""
    if live is not None:
        return shown_status(live.status.value, pausing=live.pausing)
    return shown_status(job.status, pausing=job.pausing)


def jobs_title(views: list[JobView], progress: dict[str, JobProgress]) -> str:
    """The Jobs title: how many jobs are shown, running, pausing and paused."""
    dot = f" {glyphs.current().dot} "
    if not views:
        return f"Jobs{dot}none yet: certify from the Models or Matrix screen (c)"
    counts = job_counts(job_status(job, progress.get(job.job_id)) for job in views)
    parts = [f"Jobs{dot}{len(views)} recent", f"{counts['running']} running"]
    if counts["pausing"]:
        parts.append(f"{counts['pausing']} pausing")
    parts.append(f"{counts['paused']} paused")
    return dot.join(parts)


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
    return glyphs.current().none


def job_cells(
    job: JobView, live: JobProgress | None, now: datetime | None = None
) -> dict[str, str | Text]:
    """The text of each column for one job; live engine progress wins over the database row."""
    processed, succeeded, failed = job.processed, job.succeeded, job.failed
    status = job.status
    none = glyphs.current().none
    rate = eta = calls = retries = none
    if live is not None:
        processed, succeeded, failed = live.processed, live.succeeded, live.failed
        rate = f"{live.units_per_minute:.1f}"
        eta = none if live.eta_seconds is None else f"{live.eta_seconds:.0f}s"
        calls = f"{live.in_flight_calls}/{live.call_limit}"
        retries = f"{live.retries}/{live.throttles}"
    status = job_status(job, live)
    label = status_label(status)
    if job.live and live is None:
        label += f" {glyphs.current().remote}"  # run by another process
    return {
        "id": job.job_id[:8],
        "status": label,
        "progress": progress_bar(processed, job.total),
        "ok": str(succeeded),
        "failed": str(failed),
        "rate": rate,
        "eta": eta,
        "created": job.created_at.strftime("%m-%d %H:%M"),
        "started": job.started_at.strftime("%H:%M") if job.started_at else glyphs.current().none,
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
        # Scheduled re-certification (PostgreSQL, run by workers): hidden when there is none.
        schedules = Static("", id="jobs-schedules")
        schedules.display = False
        yield schedules
        table = NavigableTable(cursor_type="row", id="jobs")
        for key, label, width in columns():
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
                table.add_row(*(texts[key] for key, _, _ in columns()), key=job.job_id)
            else:
                for key, value in texts.items():
                    if before.get(key) != value:
                        table.update_cell(job.job_id, key, value)
            self._shown[job.job_id] = texts
        table.show_order(wanted)
        if self._pending_cursor in self._shown:
            table.move_cursor(row=table.get_row_index(self._pending_cursor))
        self._pending_cursor = None
        title = jobs_title(views, self.certtui.progress) + self.sort_note(table)
        self.query_one("#jobs-title", Static).update(title)
        if cells is None:  # a full read (not an event): the schedules too
            self.run_worker(self._show_schedules(), exclusive=True, group="schedules")

    async def _show_schedules(self) -> None:
        from certtui.domain.schedules import describe_options, next_run
        from certtui.store.workers import scheduled

        try:
            rows = await self.certtui.read(scheduled)
        except Exception:  # the next reload says what is wrong with the database
            return
        line = self.query_one("#jobs-schedules", Static)
        dot = f" {glyphs.current().dot} "
        line.display = bool(rows)
        line.update(
            Text(
                "\n".join(
                    f"Scheduled {row.cron}{dot}{describe_options(row.options)}{dot}next "
                    f"{next_run(row.cron):%Y-%m-%d %H:%M:%S} UTC"
                    for row in rows
                )
            )
        )

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
        was_pausing = service.pausing(job.job_id)
        try:
            status = await service.toggle_pause(job.job_id)
        except Exception as exc:
            self.notify(safe_text(str(exc)), severity="error", markup=False)
            return
        shown = status.value
        if status is JobStatus.PAUSED and was_pausing:
            shown = "paused now: calls in flight cancelled, their units requeued"
        elif status is JobStatus.PAUSED and service.pausing(job.job_id):
            shown = "pausing: no new call starts, calls in flight finish (p again: stop them)"
        self.notify(f"job {job.job_id[:8]}: {shown}")
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
