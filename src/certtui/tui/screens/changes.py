"""What changed between the last two verdicts of each cell: regressions first."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import cell_look
from certtui.tui.data import READ_ERRORS, CellChange, CellState, Verdict, load_changes
from certtui.tui.styling import role_styles, styled
from certtui.tui.tables import NavigableTable

LABELS = {
    "regression": "↓ regressed",
    "recovery": "↑ recovered",
    "category": "≠ category",
    "new": "+ new",
}


def verdict_cell(verdict: Verdict | None) -> CellState:
    """A verdict as a matrix cell, so it reads as the matrix shows it."""
    if verdict is None:
        return CellState()
    return CellState(status=verdict.status, passed=verdict.passed, rating=verdict.rating,
                     score=verdict.score, error_category=verdict.error_category)  # fmt: skip


class ChangesScreen(CerttuiScreen):
    """Regressions, recoveries, category changes and new cells, read when opened."""

    BINDINGS = bindings("changes.back", "changes.open")

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[CellChange] = []

    def compose_body(self) -> ComposeResult:
        yield Static("Changes · reading the history…", classes="screen-title", id="changes-title")
        table = NavigableTable(cursor_type="row", id="changes")
        for key, label, width in (("change", "change", 12), ("model", "model", 34),
                                  ("region", "region", 14), ("before", "before", 8),
                                  ("after", "after", 8), ("when", "when", 16)):  # fmt: skip
            table.add_column(label, key=key, width=width)
        yield table

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        if cells is None or not self.changes:
            self.load()

    @work(exclusive=True, group="changes")
    async def load(self) -> None:
        try:
            changes = await self.certtui.read(load_changes)
        except READ_ERRORS as exc:
            self.certtui.report_read_error(exc)
            return
        self.changes = changes
        table = self.query_one("#changes", DataTable)
        styles = role_styles(self.app)
        table.clear()
        for change in changes:
            after: Verdict = change.after
            when = after.completed_at.strftime("%Y-%m-%d %H:%M") if after.completed_at else ""
            table.add_row(
                LABELS[change.change.value], after.api_model_id, after.region,
                styled(cell_look(verdict_cell(change.before)), styles),
                styled(cell_look(verdict_cell(after)), styles), when,
                key=after.result_id,
            )  # fmt: skip
        table.show_order()  # the operator's sort, if any
        counts = {kind: sum(c.change.value == kind for c in changes) for kind in LABELS}
        self.query_one("#changes-title", Static).update(
            f"Changes since each cell's verdict before · {counts['regression']} regressed · "
            f"{counts['recovery']} recovered · {counts['category']} other category · "
            f"{counts['new']} new · enter: verdict"
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_verdict()

    def action_open_verdict(self) -> None:
        table = self.query_one("#changes", DataTable)
        try:
            key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except CellDoesNotExist:
            return
        from certtui.tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(str(key.value)))
