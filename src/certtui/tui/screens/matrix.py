"""Models × regions: a status glyph and letter per cell, updated in place by key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.domain.text import safe_text
from certtui.tui.actions import bindings
from certtui.tui.base import FilteredModelsScreen
from certtui.tui.cells import CellLook, as_label, cell_look
from certtui.tui.data import CellState
from certtui.tui.styling import role_styles, styled
from certtui.tui.widgets import LiveTable

MODEL_COLUMN = "model"
MODEL_COLUMN_WIDTH = 32  # long ids end in an ellipsis; the detail screen shows them whole


class MatrixScreen(FilteredModelsScreen):
    """The heat map of SPEC §6.2."""

    BINDINGS = bindings(
        "list.filter", "matrix.open", "matrix.certify", "matrix.recertify", "matrix.changes"
    )

    def __init__(self) -> None:
        super().__init__()
        self._columns: list[str] = []
        self._rows: list[str] = []
        self._shown: dict[tuple[str, str], str] = {}
        self._headers: dict[str, str] = {}
        self._styles: dict = {}
        self._texts: dict[CellLook, Text] = {}  # one Text per look, shared by its cells
        self._counted: dict[tuple[str, str], tuple[bool, bool]] = {}
        self._region_counts: dict[str, list[int]] = {}

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter models (enter to apply, esc to clear)", id="filter")
        yield Static("", classes="screen-title", id="matrix-title")
        table = LiveTable(cursor_type="cell", zebra_stripes=False, id="matrix")
        table.fixed_columns = 1
        table.label_by_key = True  # a region's header carries its share passed
        yield table

    @property
    def table(self) -> LiveTable:
        return self.query_one("#matrix", LiveTable)

    def on_mount(self) -> None:
        # Cell colours are Rich styles made from the theme's variables, kept per look: a theme
        # picked from the command palette must make them again, or the cells keep the old ones.
        self.app.theme_changed_signal.subscribe(self, self._recolour)

    def _recolour(self, _theme: object) -> None:
        self._styles = role_styles(self.app)
        self._texts.clear()
        self._shown.clear()  # every cell is set again, in its new colour
        if self.certtui.loaded:
            self.show_data(None)

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        if not self._styles:
            self._styles = role_styles(self.app)
        texts = self._texts
        snapshot = self.certtui.snapshot
        table = self.table
        if cells is None:
            self._sync_structure()
            keys = ((m, r) for m in self._rows for r in self._columns)
        else:
            rows, columns = set(self._rows), set(self._columns)
            keys = (k for k in cells if k[0] in rows and k[1] in columns)
        applicable = {m.model_id: m.applicable for m in snapshot.models}
        changed = []
        for model_id, region in keys:
            cell = snapshot.cell(model_id, region)
            self._count(model_id, region, cell)
            look = cell_look(cell, applicable=applicable.get(model_id, True))
            if self._shown.get((model_id, region)) != look.text:
                self._shown[(model_id, region)] = look.text
                text = texts.get(look)
                if text is None:
                    text = texts[look] = styled(look, self._styles)
                changed.append((model_id, region, text))
        table.set_cells(changed)
        self._update_headers()
        self._update_title()

    def _count(self, model_id: str, region: str, cell: CellState) -> None:
        """Keep each region's tested / passed counts up to date, one cell at a time."""
        tested = cell.status in ("COMPLETED", "FAILED")
        passed = cell.status == "COMPLETED" and bool(cell.passed)
        before = self._counted.get((model_id, region), (False, False))
        if before == (tested, passed):
            return
        self._counted[(model_id, region)] = (tested, passed)
        counts = self._region_counts.setdefault(region, [0, 0])
        counts[0] += int(tested) - int(before[0])
        counts[1] += int(passed) - int(before[1])

    def _sync_structure(self) -> None:
        """Rows and columns follow the data: remove what left, add what is new, keep the rest."""
        snapshot = self.certtui.snapshot
        table = self.table
        regions = list(snapshot.regions)
        models = self.visible_models()
        wanted_rows = [m.model_id for m in models]
        if regions != self._columns:
            cursor = self._cursor_keys()
            table.clear(columns=True)
            self._shown.clear()
            self._headers.clear()
            self._counted.clear()
            self._region_counts.clear()
            self._rows = []
            longest = max((len(m.api_model_id) for m in snapshot.models), default=10)
            table.add_column("model", key=MODEL_COLUMN, width=min(longest, MODEL_COLUMN_WIDTH))
            for region in regions:
                # Room for " 100%" from the start: a changing header never reflows the table.
                table.add_column(as_label(region), key=region, width=len(region) + 5)
            self._columns = regions
            self._restore_cursor_later(cursor)
        wanted = set(wanted_rows)
        for row in [r for r in self._rows if r not in wanted]:
            table.remove_row(row)
            for region in self._columns:
                self._shown.pop((row, region), None)
                self._count(row, region, CellState())
        present = set(self._rows)
        by_id = {m.model_id: m for m in models}
        blank = [Text("")] * len(self._columns)
        for model_id in wanted_rows:
            if model_id not in present:
                name = Text(
                    safe_text(by_id[model_id].api_model_id), overflow="ellipsis", no_wrap=True
                )
                table.add_row(name, *blank, key=model_id)
        table.settle()
        self.put_rows_in_order(wanted_rows)
        self._rows = wanted_rows

    def _cursor_keys(self) -> tuple[str, str] | None:
        table = self.table
        if not self._rows:
            return None
        try:
            row_key, column_key = table.coordinate_to_cell_key(table.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return str(row_key.value), str(column_key.value)

    def _restore_cursor_later(self, keys: tuple[str, str] | None) -> None:
        if keys is not None:
            self.call_after_refresh(self.focus_cell, *keys)

    def focus_cell(self, model_id: str, region: str | None = None) -> None:
        """Put the cursor on a model's row (and a region's column, if given)."""
        table = self.table
        try:
            row = table.get_row_index(model_id)
        except Exception:
            return
        column = self._columns.index(region) + 1 if region in self._columns else 1
        table.move_cursor(row=row, column=column)
        table.focus()

    def _update_headers(self) -> None:
        for region in self._columns:
            tested, passed = self._region_counts.get(region, (0, 0))
            header = f"{region} {100 * passed // tested}%" if tested else region
            if self._headers.get(region) != header:
                self._headers[region] = header
                self.table.set_column_label(region, safe_text(header))

    def _update_title(self) -> None:
        total = len(self.certtui.snapshot.models)
        shown = len(self._rows)
        where = f" · filter {self.filter_text!r}" if self.filter_text else ""
        summary = f"Matrix · {shown} of {total} models × {len(self._columns)} regions{where}"
        summary += self.sort_note(self.table)
        if not total:
            summary = "Matrix · the catalog is empty: run `certtui models sync` (or --demo)"
        self.query_one("#matrix-title", Static).update(summary)

    def retitle(self) -> None:
        self._update_title()

    # Actions ------------------------------------------------------------------------------

    def current(self) -> tuple[str, str] | None:
        """The (model id, region) under the cursor, if the cursor is on a region cell."""
        keys = self._cursor_keys()
        if keys is None or keys[1] == MODEL_COLUMN:
            return None
        return keys

    def copy_text(self) -> tuple[str, str] | None:
        """The cell's summary (model, region, verdict, error), or the model id on its name."""
        keys = self._cursor_keys()
        if keys is None:
            return None
        if keys[1] == MODEL_COLUMN:
            return self._api_id(keys[0]), "the model id"
        cell = self.certtui.snapshot.cell(*keys)
        look = cell_look(cell).text
        parts = [self._api_id(keys[0]), keys[1], look]
        if cell.score is not None:
            parts.append(f"score {cell.score:.1f}")
        if cell.error_category:
            parts.append(cell.error_category)
        return " · ".join(parts), "the cell's summary"

    def _api_id(self, model_id: str) -> str:
        return next(m.api_model_id for m in self.certtui.snapshot.models if m.model_id == model_id)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_open_detail(self) -> None:
        current = self.current()
        if current is None:
            return
        cell = self.certtui.snapshot.cell(*current)
        if cell.certification_id is None:
            reason = self._not_applicable(current[0])
            self.notify(reason or "not certified yet: press c to certify this cell")
            return
        from certtui.tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(cell.certification_id))

    def action_open_changes(self) -> None:
        from certtui.tui.screens.changes import ChangesScreen

        self.app.push_screen(ChangesScreen())

    def action_certify(self) -> None:
        current = self.current()
        if current is None:
            self.notify("put the cursor on a region cell first", severity="warning")
            return
        model_id, region = current
        reason = self._not_applicable(model_id)
        if reason:
            self.notify(reason, severity="warning")
            return
        self.certtui.certify([self._api_id(model_id)], [region])

    def _not_applicable(self, model_id: str) -> str | None:
        """ "not applicable: <reason>" for a model the chat suite does not apply to, else None."""
        row = next((m for m in self.certtui.snapshot.models if m.model_id == model_id), None)
        reason = row.not_applicable_reason if row is not None else None
        return f"not applicable: {reason}" if reason else None

    def action_recertify(self) -> None:
        from certtui.tui.screens.dialogs import ChoiceScreen

        current = self.current()
        options = []
        if current is not None:
            options += [("row", f"this model's row ({safe_text(self._api_id(current[0]))})"),
                        ("column", f"this region's column ({safe_text(current[1])})")]  # fmt: skip
        options.append(("visible", f"everything visible ({len(self._rows)} models)"))

        def chosen(scope: str | None) -> None:
            if scope is None:
                return
            models = [self._api_id(m) for m in self._rows]
            regions = list(self._columns)
            if scope == "row" and current is not None:
                models = [self._api_id(current[0])]
            elif scope == "column" and current is not None:
                regions = [current[1]]
            self.certtui.certify(models, regions, recertify_failed=True)

        self.app.push_screen(ChoiceScreen("Re-certify what did not pass in…", options), chosen)
