"""Every use of Textual DataTable's private members, in one place (STYLE.md rule 13).

DataTable has no public way to change a cell without re-rendering every cell on screen, nor to
skip measuring rows whose columns have fixed widths: ``update_cell`` bumps a counter that is
part of every render cache key. ``CachedDataTable`` adds those two abilities for LiveTable
(widgets.py), which is written against them and DataTable's public API only.

``RELIED_ON`` names every private member used here. tests/tui/test_datatable_private.py checks
that each exists with the shape this module assumes (signatures, cache key layouts), and
tests/tui/test_widgets.py checks that the fast paths draw exactly what DataTable draws: a
Textual upgrade that moves any of them fails there first. Textual is pinned to the minor
release these tests passed on (pyproject.toml).
"""

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

# The private DataTable members this module uses: attributes (set by DataTable.__init__ or
# properties) and methods with the parameters this module calls or overrides them with.
RELIED_ON_ATTRIBUTES = (
    "_data", "_row_locations", "_column_locations", "_header_row_key", "_cell_render_cache",
    "_row_render_cache", "_row_renderable_cache", "_line_cache", "_require_update_dimensions",
    "_new_rows", "_update_count", "_pseudo_class_state", "_show_hover_cursor",
    "_total_row_height", "_row_label_column_width",
)  # fmt: skip
RELIED_ON_METHODS = {
    "_update_dimensions": ("self", "new_rows"),
    "_render_cell": ("self", "row_index", "column_index", "base_style", "width", "cursor", "hover"),
    "_get_row_renderables": ("self", "row_index"),
    "_get_styles_to_render_cell": (
        "self", "is_header_cell", "is_row_label_cell", "is_fixed_style_cell", "hover", "cursor",
        "show_cursor", "show_hover_cursor", "has_css_foreground_priority",
        "has_css_background_priority",
    ),
}  # fmt: skip


class CachedDataTable(DataTable[Any]):
    """DataTable that can change cells keeping every unrelated render cache, and draws faster.

    Rendering is cheaper too. A big matrix shows the same few looks ("✓ A" in green, …)
    hundreds of times: a one-line text cell is rendered through Rich once per look and then
    copied with its own (row, column) mouse metadata. With fixed column widths nothing needs
    measuring, so the table's size is known as soon as its rows are.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._look_cache: LRUCache[tuple[Any, ...], list[list[Segment]]] = LRUCache(LOOK_CACHE_SIZE)

    def store_cells(self, updates: Iterable[tuple[RowKey, ColumnKey, Any]]) -> None:
        """Set cell values and forget the renders of those cells only, then repaint."""
        rows: set[RowKey] = set()
        cells: set[tuple[RowKey, ColumnKey]] = set()
        for row_key, column_key, value in updates:
            self._data[row_key][column_key] = value
            rows.add(row_key)
            cells.add((row_key, column_key))
        if cells:
            self._forget(rows, cells, {self._row_locations.get(key) for key in rows})

    def forget_header(self) -> None:
        """Forget the header row's renders (after a column label changed), then repaint."""
        self._forget({self._header_row_key}, set(), {-1})

    def measure_new_rows(self) -> None:
        """Size the table for the rows added so far now, not when the app next idles."""
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    def _forget(
        self,
        rows: set[RowKey],
        cells: set[tuple[RowKey, ColumnKey]],
        indices: set[int | None],
    ) -> None:
        # Key layouts (checked by the upgrade test): row renderables (update count, row index);
        # cells (row key, column key, …); rows (row key, …). Column widths stay as they are.
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


def reorder_rows(table: DataTable[Any], keys: list[RowKey]) -> None:
    """Show ``table``'s rows in the order of ``keys`` (every row key, once each).

    Through DataTable.sort (public): Python's sort asks for each row's key once, in the order
    the table holds its rows, which is the insertion order ``table.rows`` has too. The row
    keys are not passed to a sort key, so each position is handed out in that order.
    tests/tui/test_datatable_private.py checks this on every upgrade.
    """
    place = {key: index for index, key in enumerate(keys)}
    positions = iter([place[key] for key in table.rows])
    table.sort(key=lambda _cells: next(positions))
