"""A DataTable for live data: changing a cell re-renders that cell, not the whole table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
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
