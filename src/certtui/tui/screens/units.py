"""One job's units: status glyph, score, error; enter opens the result detail."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import as_label, cell_look
from certtui.tui.data import READ_ERRORS, CellState, load_job_units
from certtui.tui.styling import role_styles, styled
from certtui.tui.tables import NavigableTable


class JobUnitsScreen(CerttuiScreen):
    """The (model, region) units of one job."""

    BINDINGS = bindings("units.back", "units.open")

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.units: list[tuple[str, str, CellState]] = []

    def compose_body(self) -> ComposeResult:
        yield Static(f"Job {self.job_id[:8]} · units", classes="screen-title", id="units-title")
        table = NavigableTable(cursor_type="row", id="units")
        for key, label, width in (("model", "model", 40), ("region", "region", 14),
                                  ("state", "state", 8), ("score", "score", 6),
                                  ("error", "error", 60)):  # fmt: skip
            table.add_column(label, key=key, width=width)
        yield table

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        self.load()

    @work(exclusive=True, group="units")
    async def load(self) -> None:
        try:
            units = await self.certtui.read(lambda s: load_job_units(s, self.job_id))
        except READ_ERRORS as exc:
            self.certtui.report_read_error(exc)
            return
        self.units = units
        table = self.query_one("#units", DataTable)
        styles = role_styles(self.app)
        keys = {cell.certification_id or f"{model}@{region}" for model, region, cell in units}
        for gone in [row for row in table.rows if row.value not in keys]:
            # A unit that finished is read from the history now, under that row's id.
            table.remove_row(gone)
        for model, region, cell in units:
            key = cell.certification_id or f"{model}@{region}"
            values = (
                as_label(model), as_label(region), styled(cell_look(cell), styles),
                "" if cell.score is None else f"{cell.score:.1f}",
                as_label(cell.error_category or ""),
            )  # fmt: skip
            if key in table.rows:
                for column, value in zip(("model", "region", "state", "score", "error"), values,
                                         strict=True):  # fmt: skip
                    table.update_cell(key, column, value)
            else:
                table.add_row(*values, key=key)
        done = sum(1 for _, _, c in units if c.status in ("COMPLETED", "FAILED", "CANCELLED"))
        self.query_one("#units-title", Static).update(
            f"Job {self.job_id[:8]} · {done}/{len(units)} units finished · enter: detail"
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_open_detail(self) -> None:
        table = self.query_one("#units", DataTable)
        try:
            key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except CellDoesNotExist:
            return
        from certtui.tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(str(key.value)))
