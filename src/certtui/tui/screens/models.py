"""The catalog: mark models, filter, certify in chosen regions, jump to the matrix."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist

from certtui.domain import glyphs
from certtui.domain.applicability import catalog_notes
from certtui.domain.text import safe_text
from certtui.tui.actions import bindings
from certtui.tui.base import FilterBox, FilteredModelsScreen
from certtui.tui.cells import as_label
from certtui.tui.data import ModelRow
from certtui.tui.tables import NavigableTable


def columns() -> tuple[tuple[str, str, int], ...]:
    """Key, label and width of each column; those an operator scans first show at 80 columns."""
    return (
        ("mark", " ", 1),
        ("vendor", "provider", 10),
        ("model", "model id", 34),
        ("best", "best", 4),
        ("passed", "passed", 6),
        ("offered", "regions", 7),
        ("stream", "stream", 6),
        ("modalities", f"in{glyphs.current().arrow}out", 16),
        ("name", "name", 28),
    )


EOL_WARNING_DAYS = 30


def row_note(row: ModelRow) -> str:
    """What the list says about the model under the cursor: applicability, lifecycle."""
    ends = row.end_of_life_at.date() if row.end_of_life_at is not None else None
    return f" {glyphs.current().dot} ".join(
        catalog_notes(
            row.not_applicable_reason, ends, row.lifecycle,
            ends_soon=row.end_of_life_within(EOL_WARNING_DAYS),
        )
    )  # fmt: skip


def row_cells(row: ModelRow, marked: bool) -> dict[str, str | Text]:
    """The text of each column for one model (one formatter per cell kind)."""
    inputs = "+".join(m.lower() for m in row.input_modalities) or "?"
    outputs = "+".join(m.lower() for m in row.output_modalities) or "?"
    g = glyphs.current()
    mark = " "
    if marked:
        mark = g.marked
    elif not row.active:
        mark = g.cancelled
    elif row.end_of_life_within(EOL_WARNING_DAYS):
        mark = g.warning
    return {
        "mark": mark,
        "vendor": as_label(row.vendor),
        "name": as_label(row.name),
        "model": as_label(row.api_model_id),
        "modalities": as_label(f"{inputs}{g.arrow}{outputs}"),
        "stream": "yes" if row.streaming else "no",
        "offered": str(len(row.regions_offered)),
        "passed": str(row.regions_passed),
        "best": row.best_rating or ("n/a" if not row.applicable else g.none),
    }


class ModelsScreen(FilteredModelsScreen):
    """The model list of SPEC §6.1."""

    BINDINGS = bindings(
        "list.filter", "models.mark", "models.mark_all", "models.invert", "models.mark_range",
        "models.certify", "models.open",
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.marked: set[str] = set()
        self.last_marked: str | None = None  # where `v` marks from
        self._shown: dict[str, dict[str, str | Text]] = {}

    def compose_body(self) -> ComposeResult:
        yield FilterBox()
        yield Static("", classes="screen-title", id="models-title")
        table = NavigableTable(cursor_type="row", id="models")
        for key, label, width in columns():
            table.add_column(label, key=key, width=width)
        yield table

    @property
    def table(self) -> NavigableTable:
        return self.query_one("#models", NavigableTable)

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        table = self.table
        rows = self.visible_models()
        wanted = {row.model_id for row in rows}
        for gone in [key for key in self._shown if key not in wanted]:
            table.remove_row(gone)
            del self._shown[gone]
        for row in rows:
            texts = row_cells(row, row.model_id in self.marked)
            before = self._shown.get(row.model_id)
            if before is None:
                table.add_row(*(texts[key] for key, _, _ in columns()), key=row.model_id)
            else:
                for key, value in texts.items():
                    if before.get(key) != value:
                        table.update_cell(row.model_id, key, value)
            self._shown[row.model_id] = texts
        self.put_rows_in_order([row.model_id for row in rows])
        g = glyphs.current()
        dot = f" {g.dot} "
        where = f"{dot}filter {self.filter_text!r}" if self.filter_text else ""
        marks = f"{dot}{len(self.marked)} marked" if self.marked else ""
        total = len(self.certtui.snapshot.models)
        inactive = f"{dot}{g.cancelled} no longer listed" if any(not r.active for r in rows) else ""
        eol = (f"{dot}{g.warning} end of life within 30 days"
               if any(r.end_of_life_within(EOL_WARNING_DAYS) for r in rows) else "")  # fmt: skip
        sort = self.sort_note(table)
        self._title = f"Models{dot}{len(rows)} of {total}{where}{sort}{marks}{inactive}{eol}"
        if not total:
            self._title = f"Models{dot}the catalog is empty: run `certtui models sync` (or --demo)"
        self._show_title()

    def _show_title(self) -> None:
        row = self.current()
        note = row_note(row) if row is not None else ""
        title = getattr(self, "_title", "Models")
        self.query_one("#models-title", Static).update(
            as_label(f"{title}\n{note}" if note else title)
        )

    def retitle(self) -> None:
        self.show_data(None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if getattr(self, "_title", None) is not None:
            self._show_title()

    def current(self) -> ModelRow | None:
        """The model under the cursor."""
        table = self.table
        try:
            key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return next((m for m in self.certtui.snapshot.models if m.model_id == key.value), None)

    def copy_text(self) -> tuple[str, str] | None:
        row = self.current()
        return None if row is None else (row.api_model_id, "the model id")

    def action_mark(self) -> None:
        row = self.current()
        if row is None:
            return
        self.marked ^= {row.model_id}
        self.last_marked = row.model_id if row.model_id in self.marked else self.last_marked
        self.show_data(None)
        self.table.action_cursor_down()

    def _shown_keys(self) -> list[str]:
        return [str(row.key.value) for row in self.table.ordered_rows]

    def action_mark_all(self) -> None:
        """Mark every model shown (the filter's); when all are marked already, none."""
        shown = set(self._shown_keys())
        if shown and shown <= self.marked:
            self.marked -= shown
        else:
            self.marked |= shown
        self.show_data(None)

    def action_invert_marks(self) -> None:
        """Mark the shown models that are not marked, and unmark the others."""
        self.marked ^= set(self._shown_keys())
        self.show_data(None)

    def action_mark_range(self) -> None:
        """Mark every row from the last one marked to the cursor (as shown, sorted or not)."""
        keys = self._shown_keys()
        here = self.table.cursor_row_key()
        if here is None:
            return
        if self.last_marked not in keys:
            self.notify("mark a first row with space, then v marks up to the cursor")
            return
        start, end = sorted((keys.index(self.last_marked), keys.index(here)))
        self.marked |= set(keys[start : end + 1])
        self.last_marked = here
        self.show_data(None)

    def action_certify(self) -> None:
        from certtui.tui.screens.dialogs import ChoiceScreen, RegionPicker

        models = self.certtui.snapshot.models
        chosen = [m for m in models if m.model_id in self.marked]
        if not chosen:
            row = self.current()
            chosen = [row] if row is not None else []
        if not chosen:
            return
        chosen = [m for m in chosen if m.applicable]
        if not chosen:
            self.notify("not applicable: the chat suite does not apply", severity="warning")
            return
        offered = sorted({r for m in chosen for r in m.regions_offered})
        regions = sorted(set(self.certtui.snapshot.regions) | set(offered))
        title = (
            f"Certify {safe_text(chosen[0].api_model_id)} in{glyphs.current().ellipsis}"
            if len(chosen) == 1
            else f"Certify {len(chosen)} models in{glyphs.current().ellipsis}"
        )  # fmt: skip

        def picked(selected: list[str] | None) -> None:
            if not selected:
                return
            unlisted = [m for m in chosen if set(selected) - set(m.regions_offered)]
            if not unlisted:
                self._certify(chosen, selected, probe=False)
                return

            def decided(choice: str | None) -> None:
                if choice is not None:
                    self._certify(chosen, selected, probe=choice == "probe")

            self.app.push_screen(
                ChoiceScreen(
                    f"{len(unlisted)} of the models are not offered in some chosen regions",
                    [
                        ("offered", "Certify each model only where it is offered"),
                        ("probe", "Also probe the other regions (one call each, to verify)"),
                    ],
                ),
                decided,
            )

        self.app.push_screen(RegionPicker(title, regions, offered), picked)

    def _certify(self, chosen: list[ModelRow], regions: list[str], *, probe: bool) -> None:
        self.certtui.certify(
            [m.api_model_id for m in chosen], regions, offered_only=not probe, probe_unlisted=probe
        )
        self.marked.clear()
        self.show_data(None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_in_matrix()

    async def action_open_in_matrix(self) -> None:
        row = self.current()
        if row is None:
            return
        from certtui.tui.screens.matrix import MatrixScreen

        await self.app.switch_mode("matrix")
        screen = self.app.screen
        if isinstance(screen, MatrixScreen):
            screen.filter_text = ""
            screen.show_data(None)
            screen.focus_cell(row.model_id)
