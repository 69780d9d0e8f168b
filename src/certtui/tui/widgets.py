"""A DataTable for live data: changing a cell re-renders that cell, not the whole table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class LiveTable(DataTable[Any]):
    """DataTable whose value updates keep every unrelated render cache.

    DataTable.update_cell bumps a counter that is part of every render cache key, so each
    live update re-renders every visible cell; with hundreds of cells on screen and a few
    updates a second that is most of the event loop. Here only the changed cells, their rows
    and the header row are evicted (widths stay as they are: columns have fixed widths).
    """

    def set_cells(self, updates: Iterable[tuple[str, str, Any]]) -> None:
        """Set many cell values, then repaint once."""
        rows: set[RowKey] = set()
        cells: set[tuple[RowKey, ColumnKey]] = set()
        for row, column, value in updates:
            row_key, column_key = RowKey(row), ColumnKey(column)
            self._data[row_key][column_key] = value
            rows.add(row_key)
            cells.add((row_key, column_key))
        if not cells:
            return
        indices = {self._row_locations.get(key) for key in rows}
        self._evict(rows, cells, indices)

    def set_column_label(self, column: str, label: str) -> None:
        """Relabel a column without re-rendering the body."""
        self.columns[ColumnKey(column)].label = Text(label)
        self._evict({self._header_row_key}, set(), {-1})

    def _evict(
        self,
        rows: set[RowKey],
        cells: set[tuple[RowKey, ColumnKey]],
        indices: set[int | None],
    ) -> None:
        renderables = self._row_renderable_cache
        for key in [k for k in renderables.keys() if k[1] in indices]:  # noqa: SIM118 - LRUCache
            renderables.discard(key)
        rendered_cells = self._cell_render_cache
        header = self._header_row_key
        for key in [
            k for k in rendered_cells.keys()  # noqa: SIM118 - an LRUCache, not a dict
            if (k[0], k[1]) in cells or (k[0] == header and header in rows)
        ]:  # fmt: skip
            rendered_cells.discard(key)
        rendered_rows = self._row_render_cache
        for key in [k for k in rendered_rows.keys() if k[0] in rows]:  # noqa: SIM118
            rendered_rows.discard(key)
        self._line_cache.clear()
        self.refresh()
