"""A DataTable for live data: changing a cell re-renders that cell, not the whole table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.renderables.styled import Styled
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

LOOK_CACHE_SIZE = 4096  # distinct (text, style, cursor state, width) renders kept


class LiveTable(DataTable[Any]):
    """DataTable whose value updates keep every unrelated render cache.

    DataTable.update_cell bumps a counter that is part of every render cache key, so each
    live update re-renders every visible cell; with hundreds of cells on screen and a few
    updates a second that is most of the event loop. Here only the changed cells, their rows
    and the header row are evicted (widths stay as they are: columns have fixed widths).

    Rendering is cheaper too. A big matrix shows the same few looks ("✓ A" in green, …)
    hundreds of times: a one-line text cell is rendered through Rich once per look and then
    copied with its own (row, column) mouse metadata. With fixed column widths nothing needs
    measuring, so the table's size is known as soon as its rows are (``settle``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._look_cache: LRUCache[tuple[Any, ...], list[list[Segment]]] = LRUCache(LOOK_CACHE_SIZE)

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

    def settle(self) -> None:
        """Size the table for the rows added so far now, not when the app next idles.

        The first frame is then drawn at its final size (scroll bars included) and is not
        drawn a second time when DataTable would have measured the new rows.
        """
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

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

    # DataTable internals, made cheaper for fixed-size cells -------------------------------

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """With fixed column widths and one-line rows, there is nothing to measure."""
        new_rows = list(new_rows)
        rows = self.rows
        if any(column.auto_width for column in self.columns.values()) or any(
            row.auto_height or row.label is not None
            for row in (rows.get(key) for key in new_rows)
            if row is not None
        ):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header
        )

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """Render a one-line text cell from the render of its look, or as DataTable does."""
        render = super()._render_cell
        if row_index < 0 or column_index < 0:  # the header row and row labels
            return render(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (
            row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
            self._update_count, self._pseudo_class_state,
        )  # fmt: skip
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row = self.rows.get(row_key) if row_key is not None else None
        cell = self._get_row_renderables(row_index).cells[column_index]
        look = _text_look(cell)
        if row is None or row.height != 1 or look is None:
            return render(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, row_index < self.fixed_rows or column_index < self.fixed_columns,
            hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )  # fmt: skip
        pre_style = base_style + component_style
        look_key = (look, pre_style, post_style, width, self.cell_padding)
        lines = self._look_cache.get(look_key)
        if lines is None:
            # Exactly DataTable's render, without the cell's own mouse metadata.
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            lines = self.app.console.render_lines(
                Styled(
                    Padding(cell, (0, self.cell_padding)),
                    pre_style=pre_style,
                    post_style=post_style,
                ),
                options,
            )
            self._look_cache[look_key] = lines
        meta = Style.from_meta({"row": row_index, "column": column_index})
        rendered = [
            [
                segment if segment.control else Segment(segment.text, meta + segment.style)
                for segment in line
            ]
            for line in lines
        ]
        self._cell_render_cache[cache_key] = rendered
        return rendered


def _text_look(cell: object) -> tuple[Any, ...] | None:
    """What a one-line Text's render depends on, hashable; None for anything else."""
    if type(cell) is not Text or "\n" in cell.plain:
        return None
    return (
        cell.plain, cell.style, tuple(cell.spans), cell.justify, cell.overflow, cell.no_wrap,
        cell.end, cell.tab_size,
    )  # fmt: skip
