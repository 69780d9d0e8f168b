"""A DataTable for live data (changing a cell re-renders that cell), and a steadier Footer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets.data_table import ColumnKey, RowKey

from certtui.tui._datatable_private import CachedDataTable
from certtui.tui.tables import NavigableTable


class LiveTable(CachedDataTable, NavigableTable):
    """DataTable whose value updates keep every unrelated render cache.

    DataTable.update_cell bumps a counter that is part of every render cache key, so each
    live update re-renders every visible cell; with hundreds of cells on screen and a few
    updates a second that is most of the event loop. Here only the changed cells, their rows
    and the header row are re-rendered (widths stay as they are: columns have fixed widths).
    Everything that needs DataTable's private members lives in tui/_datatable_private.py.
    """

    def set_cells(self, updates: Iterable[tuple[str, str, Any]]) -> None:
        """Set many cell values, then repaint once."""
        self.store_cells((RowKey(row), ColumnKey(column), value) for row, column, value in updates)

    def set_column_label(self, column: str, label: str) -> None:
        """Relabel a column without re-rendering the body."""
        self.columns[ColumnKey(column)].label = Text(label)
        self.forget_header()

    def settle(self) -> None:
        """Size the table for the rows added so far now, not when the app next idles.

        The first frame is then drawn at its final size (scroll bars included) and is not
        drawn a second time when DataTable would have measured the new rows.
        """
        self.measure_new_rows()


class SteadyFooter(Footer):
    """Textual's Footer, rebuilt only when the keys it shows change.

    Footer rebuilds its keys (a dozen widgets, mounted, styled and drawn) whenever its
    screen's bindings are refreshed, which Textual does each time the screen is shown; with
    the same keys enabled the same way that rebuild draws what was there already.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._composed_for: tuple[Any, ...] | None = None  # the keys of the last rebuild

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        if widgets:  # Footer composes nothing until the screen's bindings are known
            self._composed_for = shown_keys(self.screen)
        yield from widgets

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if (
            self._composed_for is not None
            and screen is self.screen
            and shown_keys(screen) == self._composed_for
        ):
            return
        super().bindings_changed(screen)


def shown_keys(screen: Screen[Any]) -> tuple[Any, ...]:
    """Everything a Footer draws from the screen's active bindings."""
    app = screen.app
    return tuple(
        (
            binding.key, app.get_key_display(binding), binding.action, binding.description,
            binding.show, binding.tooltip, binding.group, enabled, tooltip,
        )
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
    )  # fmt: skip
