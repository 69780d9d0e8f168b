"""What every certtui screen shares: the top bar, the footer, read-only rules, data refresh."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from certtui.domain import glyphs
from certtui.domain.text import plural
from certtui.tui.actions import MUTATING_ACTIONS, bindings
from certtui.tui.data import ModelRow
from certtui.tui.exporting import ExportScope, default_export_path
from certtui.tui.tables import NavigableTable, plain

if TYPE_CHECKING:
    from certtui.tui.app import CerttuiApp


class DataChanged(Message):
    """The app's data changed: ``cells`` names the matrix cells that did (None: anything).

    ``version`` is the app's data version after the change: a screen that has drawn that
    version already (in full, when it was shown) has nothing to do.
    """

    def __init__(self, cells: set[tuple[str, str]] | None, jobs: bool, version: int) -> None:
        super().__init__()
        self.cells = cells
        self.jobs = jobs
        self.version = version


class TopBar(Static):
    """Database target, mode, badges and the last refresh time, fitted to its width."""

    def render(self) -> Text:
        width = self.content_size.width
        app: CerttuiApp = self.app  # type: ignore[assignment]
        return Text.from_markup(app.top_bar_text(width or None), end="")


class CerttuiScreen(Screen[None]):
    """A main screen: top bar, body, footer; redraws from the app's data."""

    AUTO_FOCUS = "DataTable"
    BINDINGS = bindings("list.export", "list.copy")
    _drawn_version = -1  # the app's data version this screen shows

    @property
    def certtui(self) -> CerttuiApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TopBar(self.certtui.top_bar_text(), id="topbar", markup=True)
        yield from self.compose_body()
        yield Footer(compact=True)  # every key fits at 80 columns

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Mutating actions do not exist in read-only mode."""
        return not (self.certtui.read_only and action in MUTATING_ACTIONS)

    def on_screen_resume(self) -> None:
        self.query_one(TopBar).update(self.certtui.top_bar_text())
        if self.certtui.loaded and self._drawn_version != self.certtui.data_version:
            self._drawn_version = self.certtui.data_version
            self.show_data(None)

    def on_data_changed(self, message: DataChanged) -> None:
        self.query_one(TopBar).update(self.certtui.top_bar_text())
        if message.version <= self._drawn_version:
            return  # a full draw since showed it
        # A full draw shows everything up to now; a partial one only its own cells.
        full = message.cells is None
        self._drawn_version = self.certtui.data_version if full else message.version
        self.show_data(message.cells, jobs=message.jobs)

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        """Bring the screen up to date; ``cells`` None means anything may have changed."""

    # Export and copy ----------------------------------------------------------------------

    def export_scope(self) -> ExportScope:
        """The certifications this screen shows (export writes these)."""
        return ExportScope("all")

    def export_title(self) -> str:
        """The export dialog's title."""
        return "Export every certification"

    def action_export_view(self) -> None:
        """Ask for a format and a file, then export what this screen shows."""
        from certtui.tui.screens.export import ExportScreen

        scope = self.export_scope()
        path = default_export_path(
            self.certtui.settings.data_dir, scope, "csv", datetime.now(UTC).replace(tzinfo=None)
        )

        def chosen(answer: tuple[str, Path] | None) -> None:
            if answer is not None:
                self.certtui.export_view(scope, *answer)

        self.app.push_screen(ExportScreen(self.export_title(), path), chosen)

    def copy_text(self) -> tuple[str, str] | None:
        """(text, what it is) for `y`: by default the row under the cursor, its cells as shown."""
        table = (
            self.query(NavigableTable).first(NavigableTable) if self.query(NavigableTable) else None
        )
        if table is None or table.cursor_row_key() is None:
            return None
        row = table.get_row_at(table.cursor_coordinate.row)
        return "  ".join(plain(cell).strip() for cell in row if plain(cell).strip()), "the row"

    def action_copy_row(self) -> None:
        """Copy the id or summary under the cursor (OSC 52, and to a file)."""
        copied = self.copy_text()
        if copied is None:
            self.notify("nothing under the cursor to copy", severity="warning")
            return
        self.certtui.copy_out(*copied)

    def on_navigable_table_sort_changed(self, message: NavigableTable.SortChanged) -> None:
        """A table was sorted: the title says by what."""
        self.retitle()

    def retitle(self) -> None:
        """Write the screen's title again (its sort or filter changed)."""

    def sort_note(self, table: NavigableTable) -> str:
        """`` · sorted by best ↑`` for a title, or nothing."""
        words = table.sort_words()
        return f" {glyphs.current().dot} {words}" if words else ""


class FilterBox(Input):
    """The `/` filter box of a models screen: Enter applies, Escape clears.

    Keys read in one burst (`/claude` Enter `c`: a paste, SSH lag) are all routed to the box
    before it handles the first. So Enter and Escape give the focus back to the table as the
    box handles them (not in a message handled later), and a key that reaches the box after
    that is not typed: it goes on to the bindings of the table, where it was meant to go.
    """

    def __init__(self) -> None:
        super().__init__(placeholder="filter models (enter to apply, esc to clear)", id="filter")

    async def _on_key(self, event: events.Key) -> None:
        screen = self.screen
        if screen.focused is not self:
            event.prevent_default()  # not typed; it bubbles on to the app's bindings
            return
        if event.key in ("enter", "escape") and isinstance(screen, FilteredModelsScreen):
            event.stop()
            event.prevent_default()
            screen.close_filter(keep=event.key == "enter")
            return
        await super()._on_key(event)


class FilteredModelsScreen(CerttuiScreen):
    """A screen of models with a `/` filter box (#filter) over its table (`self.table`)."""

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""

    def visible_models(self) -> list[ModelRow]:
        """The models whose id, name or vendor contain the filter text."""
        needle = self.filter_text.lower()
        return [
            m for m in self.certtui.snapshot.models
            if not needle or needle in f"{m.api_model_id} {m.name} {m.vendor}".lower()
        ]  # fmt: skip

    def export_scope(self) -> ExportScope:
        """The models shown (all of them, or the filter's), in every region."""
        if not self.filter_text:
            return ExportScope(type(self).__name__.removesuffix("Screen").lower())
        ids = frozenset(m.api_model_id for m in self.visible_models())
        return ExportScope(type(self).__name__.removesuffix("Screen").lower(), model_ids=ids)

    def export_title(self) -> str:
        if not self.filter_text:
            return "Export every certification"
        shown = plural(len(self.visible_models()), "model")
        return f"Export the certifications of the {shown} shown"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`/` opens the filter, and is typed as itself once the filter box has the focus."""
        # The screen's focus, not the box's has_focus: that one turns true only once the box
        # has handled its Focus event, after the keys read with `/` have been routed.
        in_box = self.focused is self.query_one("#filter", Input)
        if action == "filter" and in_box:
            return False
        return super().check_action(action, parameters)

    def put_rows_in_order(self, wanted: list[str]) -> None:
        """Show the rows (keyed by model id) in ``wanted``'s order, sorted as the operator chose.

        Rows missing from the table go where ``wanted`` puts them: without this, clearing a
        filter would leave the rows it matched at the top. The cursor stays on its row.
        """
        table: NavigableTable = self.table  # type: ignore[attr-defined]
        table.show_order(wanted)

    def row_labels(self) -> dict[str, str]:
        """What each row's model cell says, by row key (distinct: rows are sorted by it)."""
        return {m.model_id: m.api_model_id for m in self.certtui.snapshot.models}

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.value = self.filter_text
        # Focus now, not after a refresh (what Widget.focus does): the app routes the keys that
        # arrived with this one (a paste, fast typing, SSH lag) as soon as this returns (the
        # binding is a priority one), and they must reach the box, or a `c` certifies.
        self.set_focus(box)

    def on_input_changed(self, event: Input.Changed) -> None:
        """The filter applies as it is typed."""
        if event.input.id != "filter" or not event.input.has_class("visible"):
            return
        text = event.value.strip()
        if text != self.filter_text:
            self.filter_text = text
            self.show_data(None)

    def close_filter(self, *, keep: bool) -> None:
        """Enter (``keep``) or Escape in the box: the table has the focus again at once."""
        box = self.query_one("#filter", Input)
        self.filter_text = box.value.strip() if keep else ""
        box.remove_class("visible")
        self.set_focus(self.table)  # type: ignore[attr-defined]  # at once, as in action_filter
        self.show_data(None)
