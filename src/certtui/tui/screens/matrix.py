"""Models × regions: a status glyph and letter per cell, updated in place by key."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.domain import glyphs
from certtui.domain.regions import region_code
from certtui.domain.text import safe_text, shorten_distinct
from certtui.tui.actions import bindings
from certtui.tui.base import FilterBox, FilteredModelsScreen
from certtui.tui.cells import MATRIX_CELL_WIDTH, CellLook, as_label, cell_look, fit_cell
from certtui.tui.data import CellState
from certtui.tui.styling import role_styles, styled
from certtui.tui.summary import (
    GROUP_PREFIX,
    MatrixView,
    cell_category,
    count_cells,
    matrix_rows,
    summary_line,
)
from certtui.tui.widgets import LiveTable

MODEL_COLUMN = "model"
MODEL_MIN_WIDTH = 20  # narrower, and ids cut to the same few characters read alike
REGION_COLUMN_WIDTH = MATRIX_CELL_WIDTH + 1  # a cell's text and a space: 30 regions in 240
SCROLLBAR_WIDTH = 2


def model_width(available: int, codes: list[str], longest: int) -> int:
    """The model column's width: what the region columns leave, between a floor and the longest.

    At 120 columns 13 of 30 regions show beside it; at 240 all 30 do.
    """
    regions = sum(region_width(code) for code in codes)
    room = available - SCROLLBAR_WIDTH - regions - 1
    return max(MODEL_MIN_WIDTH, min(room, longest))


def region_width(code: str) -> int:
    """A region column's width: its cells, or its code if that is longer (a name with no code)."""
    return max(REGION_COLUMN_WIDTH, len(code) + 1)


def header_label(code: str, tested: int, passed: int) -> Text:
    """A region's two-line header: its code, and the share of its tested cells that passed."""
    return Text(f"{code}\n{100 * passed // tested}%" if tested else code, end="")


def vendor_count(tested: int, passed: int) -> str:
    """A vendor heading's cell: `3/5` passed of tested (a share past 99), blank if none."""
    if not tested:
        return ""
    text = f"{passed}/{tested}"
    return text if len(text) <= MATRIX_CELL_WIDTH else f"{100 * passed // tested}%"


def cell_meaning(cell: CellState, applicable: bool) -> str:
    """What a cell's glyph means, in words, for the status line."""
    category = cell_category(cell, applicable=applicable)
    if cell.status == "FAILED":
        category = f"failed: {cell.error_category or 'error'}"
    elif cell.status == "COMPLETED" and cell.rating:
        category += f", rating {cell.rating}"
    flags = [("regressed", cell.regressed), ("simulated", cell.simulated)]
    return category + "".join(f", {flag}" for flag, on in flags if on)


class MatrixScreen(FilteredModelsScreen):
    """The heat map of SPEC §6.2."""

    BINDINGS = bindings(
        "list.filter", "matrix.open", "matrix.certify", "matrix.recertify", "matrix.changes",
        "matrix.hide_unoffered", "matrix.failures", "matrix.by_vendor", "matrix.summary",
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self._columns: list[str] = []
        self._rows: list[str] = []  # the model rows shown, in order
        self._row_keys: list[str] = []  # every row shown, vendor headings included
        self._layout: tuple[tuple[str, ...], int] | None = None  # (regions, model width)
        self._labels: dict[str, str] = {}  # model id -> its model cell (distinct)
        self._labelled: tuple[tuple[str, ...], int] | None = None
        self.view = MatrixView()
        self._shown: dict[tuple[str, str], str] = {}
        self._headers: dict[str, str] = {}
        self._styles: dict = {}
        self._texts: dict[CellLook, Text] = {}  # one Text per look, shared by its cells
        self._counted: dict[tuple[str, str], tuple[bool, bool]] = {}
        self._region_counts: dict[str, list[int]] = {}

    def compose_body(self) -> ComposeResult:
        yield FilterBox()
        yield Static("", classes="screen-title", id="matrix-title")
        table = LiveTable(
            cursor_type="cell", zebra_stripes=False, id="matrix", cell_padding=0, header_height=2
        )
        table.fixed_columns = 1
        table.label_by_key = True  # a region's header carries its share passed
        yield table
        yield Static("", id="matrix-summary")
        yield Static("", id="matrix-status")

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
            if self.view.failures_only or self.view.hide_unoffered or self.view.by_vendor:
                # A changed cell can move its row in or out of the view, or change its
                # vendor's counts.
                self.show_data(None, jobs=jobs)
                return
            rows, columns = set(self._rows), set(self._columns)
            keys = (k for k in cells if k[0] in rows and k[1] in columns)
        applicable = {m.model_id: m.applicable for m in snapshot.models}
        changed = []
        for model_id, region in keys:
            cell = snapshot.cell(model_id, region)
            self._count(model_id, region, cell)
            look = cell_look(cell, applicable=applicable.get(model_id, True))
            look = replace(look, text=fit_cell(look.text))
            if self._shown.get((model_id, region)) != look.text:
                self._shown[(model_id, region)] = look.text
                text = texts.get(look)
                if text is None:
                    text = texts[look] = styled(look, self._styles)
                changed.append((model_id, region, text))
        if cells is None and self.view.by_vendor:
            changed += self._vendor_counts()
        table.set_cells(changed)
        self._update_headers()
        self._update_title()
        self._update_status()

    def _vendor_counts(self) -> list[tuple[str, str, Text]]:
        """Each vendor heading's cells: passed / tested of its models shown, per region."""
        rows = set(self._rows)
        vendors: dict[str, list[str]] = {}
        for model in self.certtui.snapshot.models:
            if model.model_id in rows:
                vendors.setdefault(model.vendor, []).append(model.model_id)
        changed = []
        for vendor, models in vendors.items():
            key = GROUP_PREFIX + vendor
            for region in self._columns:
                counted = [self._counted.get((m, region), (False, False)) for m in models]
                text = vendor_count(sum(t for t, _ in counted), sum(p for _, p in counted))
                if self._shown.get((key, region)) != text:
                    self._shown[(key, region)] = text
                    changed.append((key, region, Text(text, style="dim")))
        return changed

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
        layout = self._wanted_layout()
        width = layout[1]
        if layout != self._layout:
            codes = [region_code(region) for region in regions]
            cursor = self._cursor_keys()
            table.clear(columns=True)
            self._shown.clear()
            self._headers.clear()
            self._counted.clear()
            self._region_counts.clear()
            self._rows = []
            self._row_keys = []
            table.add_column("model", key=MODEL_COLUMN, width=width + 1)
            for region, code in zip(regions, codes, strict=True):
                # The header has room for "100%" from the start: it never reflows the table.
                table.add_column(as_label(code), key=region, width=region_width(code))
            self._columns = regions
            self._layout = layout
            self._restore_cursor_later(cursor)
        self._relabel(width)
        wanted_rows = matrix_rows(self.visible_models(), regions, snapshot.cell, self.view)
        wanted = set(wanted_rows)
        for row in [r for r in self._row_keys if r not in wanted]:
            table.remove_row(row)
            if row.startswith(GROUP_PREFIX):
                for region in self._columns:
                    self._shown.pop((row, region), None)
                continue
            for region in self._columns:
                self._shown.pop((row, region), None)
                self._count(row, region, CellState())
        present = set(self._row_keys)
        blank = [Text("")] * len(self._columns)
        for key in wanted_rows:
            if key not in present:
                table.add_row(self._row_label(key), *blank, key=key)
        table.settle()
        self.put_rows_in_order(wanted_rows)
        self._row_keys = wanted_rows
        self._rows = [key for key in wanted_rows if not key.startswith(GROUP_PREFIX)]

    def _relabel(self, width: int) -> None:
        """Name every model in the model column's width, no two alike; update what changed."""
        models = self.certtui.snapshot.models
        key = (tuple(m.model_id for m in models), width)
        if key == self._labelled:
            return
        shown = shorten_distinct([as_label(m.api_model_id).plain for m in models], width)
        labels = {m.model_id: shown[as_label(m.api_model_id).plain] for m in models}
        changed = [
            (row, MODEL_COLUMN, Text(labels[row], no_wrap=True, overflow="ellipsis"))
            for row in self._rows
            if row in labels and labels[row] != self._labels.get(row)
        ]
        self._labels = labels
        self._labelled = key
        self.table.set_cells(changed)

    def _row_label(self, key: str) -> Text:
        if key.startswith(GROUP_PREFIX):
            return Text(self.row_labels()[key], style="bold", no_wrap=True, overflow="ellipsis")
        return Text(self._labels.get(key, key), no_wrap=True, overflow="ellipsis")

    def row_labels(self) -> dict[str, str]:
        """Model cells by row key: shortened ids (distinct), and `▸ vendor` headings."""
        labels = dict(self._labels)
        for model in self.certtui.snapshot.models:
            labels[GROUP_PREFIX + model.vendor] = (
                f"{glyphs.current().group} {as_label(model.vendor).plain}"
            )
        return labels

    def _wanted_layout(self) -> tuple[tuple[str, ...], int]:
        """(the regions, the model column's width) the table should have at the app's width."""
        snapshot = self.certtui.snapshot
        codes = [region_code(region) for region in snapshot.regions]
        longest = max((len(as_label(m.api_model_id)) for m in snapshot.models), default=10)
        return tuple(snapshot.regions), model_width(self.app.size.width, codes, longest)

    def on_resize(self, event: events.Resize) -> None:
        # A new width may give the model column another width; the first Resize after the
        # first draw (the screen's own, at mount) usually does not: no second full draw then.
        if (
            self._layout is not None
            and self.certtui.loaded
            and self._wanted_layout() != self._layout
        ):
            self.show_data(None)

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
            label = header_label(region_code(region), tested, passed)
            if self._headers.get(region) != label.plain:
                self._headers[region] = label.plain
                self.table.set_column_label(region, label.plain)

    def _update_title(self) -> None:
        total = len(self.certtui.snapshot.models)
        shown = len(self._rows)
        g = glyphs.current()
        dot = f" {g.dot} "
        where = f"{dot}filter {self.filter_text!r}" if self.filter_text else ""
        view = self.view.describe()
        where += f"{dot}{view}" if view else ""
        summary = (
            f"Matrix{dot}{shown} of {total} models {g.times} {len(self._columns)} regions{where}"
        )
        summary += self.sort_note(self.table)
        if not total:
            summary = f"Matrix{dot}the catalog is empty: run `certtui models sync` (or --demo)"
        self.query_one("#matrix-title", Static).update(as_label(summary))

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        self._update_status()

    def _update_status(self) -> None:
        """Name the cursor's region in full (headers show codes) and say what its cell means."""
        keys = self._cursor_keys()
        status = self.query_one("#matrix-status", Static)
        if keys is None or keys[0].startswith(GROUP_PREFIX):
            status.update("")
            if self.has_class("with-summary"):
                self._update_summary(None)
            return
        model_id, region = keys
        model = next((m for m in self.certtui.snapshot.models if m.model_id == model_id), None)
        name = as_label(model.api_model_id).plain if model else model_id
        if region == MODEL_COLUMN:
            status.update(as_label(name))
        else:
            cell = self.certtui.snapshot.cell(model_id, region)
            applicable = model.applicable if model else True
            text = self._shown.get(keys) or cell_look(cell, applicable=applicable).text
            tested, passed = self._region_counts.get(region, (0, 0))
            parts = [
                f"{region} ({region_code(region)})",
                f"{text} {cell_meaning(cell, applicable)}",
            ]
            if tested:
                parts.append(f"region {passed}/{tested} passed")
            parts.append(name)  # last: the row shows it too, so it is what a narrow line cuts
            status.update(as_label(f" {glyphs.current().dot} ".join(parts)))
        if self.has_class("with-summary"):
            self._update_summary(keys)

    def _update_summary(self, keys: tuple[str, str] | None) -> None:
        """Counts by category: the cursor's region, the cursor's model, everything shown."""
        snapshot = self.certtui.snapshot
        by_id = {m.model_id: m for m in snapshot.models}
        shown = [by_id[m] for m in self._rows if m in by_id]
        lines = []
        room = self.size.width - 2
        if keys is not None and keys[1] != MODEL_COLUMN:
            counts = count_cells(shown, [keys[1]], snapshot.cell)
            lines.append(summary_line(f"region {keys[1]}", counts, room))
        if keys is not None and keys[0] in by_id:
            counts = count_cells([by_id[keys[0]]], self._columns, snapshot.cell)
            lines.append(summary_line(f"model {self._labels.get(keys[0], keys[0])}", counts, room))
        counts = count_cells(shown, self._columns, snapshot.cell)
        lines.append(summary_line(f"{len(shown)} models shown", counts, room))
        self.query_one("#matrix-summary", Static).update(as_label("\n".join(lines), keep="\n"))

    def retitle(self) -> None:
        self._update_title()

    # Actions ------------------------------------------------------------------------------

    def current(self) -> tuple[str, str] | None:
        """The (model id, region) under the cursor, if the cursor is on a region cell."""
        keys = self._cursor_keys()
        if keys is None or keys[1] == MODEL_COLUMN or keys[0].startswith(GROUP_PREFIX):
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
        return f" {glyphs.current().dot} ".join(parts), "the cell's summary"

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

        self.app.push_screen(
            ChoiceScreen(f"Re-certify what did not pass in{glyphs.current().ellipsis}", options),
            chosen,
        )

    def _change_view(self, **switch: bool) -> None:
        self.view = replace(self.view, **switch)
        self.show_data(None)

    def action_toggle_unoffered(self) -> None:
        """Hide (or show again) the rows that are n/a or offered in none of the regions."""
        self._change_view(hide_unoffered=not self.view.hide_unoffered)

    def action_toggle_failures(self) -> None:
        """Show only the rows with a cell that did not pass or failed (or every row again)."""
        self._change_view(failures_only=not self.view.failures_only)

    def action_toggle_by_vendor(self) -> None:
        """Group the rows under a heading per vendor (or not)."""
        self._change_view(by_vendor=not self.view.by_vendor)

    def action_toggle_summary(self) -> None:
        """Show or hide the counts by category of the cursor's region and model."""
        self.toggle_class("with-summary")
        self._update_status()
