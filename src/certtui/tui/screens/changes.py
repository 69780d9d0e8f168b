"""What changed between the last two verdicts of each cell: regressions first."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.domain import glyphs
from certtui.domain.regions import region_code
from certtui.domain.text import safe_text, shorten_distinct
from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import MATRIX_CELL_WIDTH, as_label, cell_look, fit_cell
from certtui.tui.data import READ_ERRORS, CellChange, CellState, Verdict, load_changes
from certtui.tui.styling import role_styles, styled
from certtui.tui.tables import NavigableTable

KINDS = ("regression", "recovery", "category", "new")


def change_label(kind: str) -> str:
    """A kind of change as glyph and word, e.g. ``↓ regressed``."""
    g = glyphs.current()
    return {
        "regression": f"{g.regressed} regressed",
        "recovery": f"{g.recovered} recovered",
        "category": f"{g.changed} category",
        "new": "+ new",
    }[kind]


MODEL_MIN_WIDTH = 24  # below this, regions show as codes and times without the year


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
        g = glyphs.current()
        yield Static(
            f"Changes {g.dot} reading the history{g.ellipsis}",
            classes="screen-title",
            id="changes-title",
        )
        yield NavigableTable(cursor_type="row", id="changes")

    def _columns(self, table: DataTable, names: list[str]) -> tuple[bool, int]:
        """Lay the columns out for the screen's width: (narrow, model column width).

        When full region names would leave the model column under MODEL_MIN_WIDTH (80
        columns), regions show as their codes and times without the year; the model column
        takes what is left, and ids cut to fit never read the same.
        """

        def fixed(region: int, when: int) -> int:  # with the cells' padding and the scroll bar
            return 12 + region + 2 * MATRIX_CELL_WIDTH + when + 6 * 2 + 2

        narrow = self.app.size.width - fixed(14, 16) < MODEL_MIN_WIDTH
        region, when = (6, 11) if narrow else (14, 16)
        room = self.app.size.width - fixed(region, when)
        model = max(16, min(room, max(map(len, names), default=5)))
        table.clear(columns=True)
        for key, width in (("change", 12), ("model", model), ("region", region),
                           ("before", MATRIX_CELL_WIDTH), ("after", MATRIX_CELL_WIDTH),
                           ("when", when)):  # fmt: skip
            table.add_column(key, key=key, width=width)
        return narrow, model

    def on_resize(self) -> None:
        if self.changes:
            self.load()

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
        ids = [safe_text(c.after.api_model_id) for c in changes]
        narrow, width = self._columns(table, ids)
        names = shorten_distinct(ids, width)
        time_format = "%m-%d %H:%M" if narrow else "%Y-%m-%d %H:%M"

        def look(cell: CellState) -> Text:
            seen = cell_look(cell)
            return styled(replace(seen, text=fit_cell(seen.text)), styles)

        for change, api_id in zip(changes, ids, strict=True):
            after: Verdict = change.after
            when = after.completed_at.strftime(time_format) if after.completed_at else ""
            region = region_code(after.region) if narrow else after.region
            table.add_row(
                change_label(change.change.value), Text(names[api_id]), as_label(region),
                look(verdict_cell(change.before)), look(verdict_cell(after)), when,
                key=after.result_id,
            )  # fmt: skip
        table.show_order()  # the operator's sort, if any
        counts = {kind: sum(c.change.value == kind for c in changes) for kind in KINDS}
        since, other = (
            ("Changes", "other")
            if narrow
            else ("Changes since each cell's verdict before", "other category")
        )
        dot = f" {glyphs.current().dot} "
        self.query_one("#changes-title", Static).update(
            f"{since}{dot}{counts['regression']} regressed{dot}{counts['recovery']} recovered"
            f"{dot}{counts['category']} {other}{dot}{counts['new']} new{dot}enter: verdict"
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
