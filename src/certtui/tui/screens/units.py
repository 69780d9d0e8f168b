"""One job's units: status glyph, score, error; failures only, errors by tag, the job's log."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from certtui.domain import glyphs
from certtui.domain.text import plural, shorten_distinct
from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import ERROR_TAGS, as_label, cell_look
from certtui.tui.data import READ_ERRORS, JobUnit, job_units, load_unit_workers
from certtui.tui.exporting import ExportScope
from certtui.tui.styling import role_styles, styled
from certtui.tui.tables import NavigableTable

if TYPE_CHECKING:
    from certtui.store.sessions import Session

COLUMNS = (("model", "model", 40), ("region", "region", 14), ("state", "state", 8),
           ("score", "score", 6), ("error", "error", 70))  # fmt: skip
# On PostgreSQL: the `certtui worker` that runs (or ran) the unit, from the queue's slices.
WORKER_COLUMN = ("worker", "worker", 14)
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")


def did_not_pass(unit: JobUnit) -> bool:
    """A unit that finished without passing (cancelled units are not failures)."""
    return unit.status == "FAILED" or (unit.status == "COMPLETED" and not unit.passed)


def error_tag(unit: JobUnit) -> str:
    """The unit's short error tag (PERM, QUAL, …), or empty."""
    category = unit.error_category or ("QUALITY_ISSUE" if did_not_pass(unit) else "")
    return ERROR_TAGS.get(category, category[:4]) if category else ""


def error_groups(units: list[JobUnit]) -> list[tuple[str, int]]:
    """(tag, how many units) of the units that did not pass, most frequent first."""
    counts = Counter(error_tag(u) for u in units if did_not_pass(u))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


class JobUnitsScreen(CerttuiScreen):
    """The (model, region) units of one job."""

    BINDINGS = bindings("units.back", "units.open", "units.failures", "units.tag", "units.log")

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.units: list[JobUnit] = []
        self.failures_only = False
        self.tag: str | None = None  # show only this error tag's units
        # Which worker runs each unit, by (model id, region); None on SQLite (no workers).
        self.unit_workers: dict[tuple[str, str], str] | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(
            f"Job {self.job_id[:8]} {glyphs.current().dot} units",
            classes="screen-title",
            id="units-title",
        )
        yield Static("", classes="screen-title", id="units-groups")
        table = NavigableTable(cursor_type="row", id="units")
        for key, label, width in self.columns:
            table.add_column(label, key=key, width=width)
        yield table

    @property
    def table(self) -> NavigableTable:
        return self.query_one("#units", NavigableTable)

    @property
    def columns(self) -> tuple[tuple[str, str, int], ...]:
        """The table's columns: with the worker's before the error on PostgreSQL."""
        if self.certtui.database.target.kind != "postgresql":
            return COLUMNS
        return (*COLUMNS[:-1], WORKER_COLUMN, COLUMNS[-1])

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        self.load()

    @work(exclusive=True, group="units")
    async def load(self) -> None:
        async def read(session: Session) -> tuple[list[JobUnit], dict | None]:
            units = await job_units(session, self.job_id)
            return units, await load_unit_workers(session, self.job_id)

        try:
            units, workers = await self.certtui.read(read)
        except READ_ERRORS as exc:
            self.certtui.report_read_error(exc)
            return
        self.units = units
        self.unit_workers = workers
        self.show_units()

    def shown_units(self) -> list[JobUnit]:
        """The units the table shows: all, the failures, or one error tag's."""
        units = self.units
        if self.failures_only or self.tag is not None:
            units = [u for u in units if did_not_pass(u)]
        if self.tag is not None:
            units = [u for u in units if error_tag(u) == self.tag]
        return units

    def show_units(self) -> None:
        """Bring the table in line with the units read: in place, by key."""
        table = self.table
        styles = role_styles(self.app)
        shown = self.shown_units()
        keys = [u.certification_id for u in shown]
        wanted = set(keys)
        for gone in [row for row in table.rows if row.value not in wanted]:
            # A unit that finished is read from the history now, under that row's id.
            table.remove_row(gone)
        # Ids too long for the column are cut in the middle, never two alike.
        width = COLUMNS[0][2]
        names = shorten_distinct([as_label(u.api_model_id).plain for u in shown], width)
        for unit in shown:
            error = ""
            if unit.error_category or unit.error_message:
                message = (unit.error_message or "").splitlines()[0] if unit.error_message else ""
                error = f"{error_tag(unit)} {message}".strip()
            values = (
                Text(names[as_label(unit.api_model_id).plain]), as_label(unit.region),
                styled(cell_look(unit.cell), styles),
                "" if unit.score is None else f"{unit.score:.1f}", as_label(error),
            )  # fmt: skip
            if len(self.columns) > len(COLUMNS):
                worker = (self.unit_workers or {}).get((unit.api_model_id, unit.region))
                values = (*values[:-1], as_label(worker or glyphs.current().none), values[-1])
            key = unit.certification_id
            if key in table.rows:
                for (column, _, _), value in zip(self.columns, values, strict=True):
                    table.update_cell(key, column, value)
            else:
                table.add_row(*values, key=key)
        table.show_order(keys)
        self.retitle()

    def retitle(self) -> None:
        units = self.units
        done = sum(1 for u in units if u.status in FINISHED)
        view = ""
        dot = f" {glyphs.current().dot} "
        if self.tag is not None:
            view = f"{dot}showing {self.tag} only ({len(self.shown_units())})"
        elif self.failures_only:
            view = f"{dot}showing failures only ({len(self.shown_units())})"
        self.query_one("#units-title", Static).update(
            f"Job {self.job_id[:8]}{dot}{done}/{plural(len(units), 'unit')} finished{view}"
            f"{self.sort_note(self.table)}"
        )
        groups = error_groups(units)
        text = (
            "did not pass, by error tag: "
            + f" {glyphs.current().dot} ".join(f"{tag} {n}" for tag, n in groups)
            + " (F failures only, t one tag, l log)"
            if groups
            else "no failures (l: the job's log)"
        )  # fmt: skip
        self.query_one("#units-groups", Static).update(as_label(text))

    def export_scope(self) -> ExportScope:
        """The job's certifications; only the units shown when failures or a tag are."""
        view = f"job-{self.job_id[:8]}"
        if not self.failures_only and self.tag is None:
            return ExportScope(view, job_id=self.job_id)
        cells = frozenset((u.api_model_id, u.region) for u in self.shown_units())
        return ExportScope(view, job_id=self.job_id, cells=cells)

    def export_title(self) -> str:
        shown = "" if not (self.failures_only or self.tag) else " shown"
        return f"Export the units{shown} of job {self.job_id[:8]}"

    def copy_text(self) -> tuple[str, str] | None:
        key = self.table.cursor_row_key()
        unit = next((u for u in self.units if u.certification_id == key), None)
        if unit is None:
            return None
        parts = [unit.api_model_id, unit.region, cell_look(unit.cell).text]
        if unit.error_category or unit.error_message:
            parts.append(f"{unit.error_category or ''}: {unit.error_message or ''}".strip(": "))
        return f" {glyphs.current().dot} ".join(parts), "the unit's summary"

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_failures(self) -> None:
        """Show only the units that did not pass, or every unit again."""
        self.failures_only = not self.failures_only
        self.tag = None
        self.show_units()

    def action_next_tag(self) -> None:
        """Show only the next error tag's units (after the last, every unit again)."""
        tags = [tag for tag, _ in error_groups(self.units)]
        if not tags:
            self.notify("no unit of this job failed")
            return
        if self.tag in tags and tags.index(self.tag) + 1 < len(tags):
            self.tag = tags[tags.index(self.tag) + 1]
        elif self.tag is None:
            self.tag = tags[0]
        else:
            self.tag = None
        self.show_units()

    def action_open_log(self) -> None:
        """The job's log: retries, throttles, warnings."""
        from certtui.tui.screens.joblog import JobLogScreen

        self.app.push_screen(JobLogScreen(self.job_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_open_detail(self) -> None:
        key = self.table.cursor_row_key()
        if key is None:
            return
        from certtui.tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(key))
