"""What every certtui table does: vi keys, first/last row, sort by any column, next match.

Screens add and update rows by key as before, then hand the table their own order with
``show_order``; the table applies the operator's sort on top (tui/sorting.py decides it) and
keeps the cursor on the same row key whatever moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowKey

from certtui.tui import sorting
from certtui.tui._datatable_private import reorder_rows
from certtui.tui.actions import bindings
from certtui.tui.sorting import SortState

TABLE_ACTION_IDS = (
    "table.down", "table.up", "table.first", "table.last", "table.sort", "table.sort_reverse",
    "table.next_match", "table.previous_match",
)  # fmt: skip


def plain(value: object) -> str:
    """The text a cell shows (a Rich Text's plain text, or the value as a string)."""
    return str(getattr(value, "plain", value))


class NavigableTable(DataTable[Any]):
    """A DataTable with certtui's table keys (see actions.py ``table.*``)."""

    BINDINGS = bindings(*TABLE_ACTION_IDS)

    class SortChanged(Message):
        """The operator sorted the table differently (the screen retitles itself)."""

        def __init__(self, table: NavigableTable) -> None:
            super().__init__()
            self.table = table

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sort_state = SortState()
        self.label_by_key = False  # name a sorted column by its key (headers that change)
        self._natural: list[str] | None = None  # the screen's own order of the row keys

    # Order --------------------------------------------------------------------------------

    def show_order(self, keys: Sequence[str] | None = None) -> None:
        """Show the rows in the screen's order ``keys`` (None: as added), sorted on top."""
        present = [str(key.value) for key in self.rows]
        if keys is not None:
            self._natural = list(keys)
        natural = self._natural if self._natural is not None else present
        known = set(present)
        wanted = [key for key in natural if key in known]
        wanted += [key for key in present if key not in set(wanted)]
        column = self.sort_state.column
        if column is not None and column in {str(c.value) for c in self.columns}:
            texts = {key: plain(self.get_cell(key, column)) for key in wanted}
            wanted = sorting.order(wanted, texts, self.sort_state)
        if [str(row.key.value) for row in self.ordered_rows] == wanted:
            return
        cursor_key = self.cursor_row_key()
        column_index = self.cursor_coordinate.column
        reorder_rows(self, [RowKey(key) for key in wanted])
        if cursor_key is not None:
            self.move_cursor(row=self.get_row_index(cursor_key), column=column_index)

    def cursor_row_key(self) -> str | None:
        """The key of the row under the cursor."""
        try:
            key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return str(key.value)

    def set_sort(self, state: SortState) -> None:
        """Sort by ``state`` now, and tell the screen."""
        self.sort_state = state
        self.show_order()
        self.post_message(self.SortChanged(self))

    def column_label(self, column: str) -> str:
        """The header text of a column, by key."""
        if self.label_by_key:
            return column
        for key, value in self.columns.items():
            if key.value == column:
                return value.label.plain.strip() or column
        return column

    def sort_words(self) -> str:
        """``sorted by best ↑`` for a title (empty when unsorted)."""
        return sorting.describe(self.sort_state, self.column_label)

    def _sort_columns(self) -> list[str]:
        return [str(key.value) for key in self.columns]

    def action_sort_next(self) -> None:
        """Sort by the next column."""
        self.set_sort(sorting.next_sort(self._sort_columns(), self.sort_state))

    def action_sort_reverse(self) -> None:
        """Sort the other way."""
        self.set_sort(sorting.reverse_sort(self._sort_columns(), self.sort_state))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.data_table is self:
            self.set_sort(sorting.click_sort(str(event.column_key.value), self.sort_state))

    # Moving -------------------------------------------------------------------------------

    def action_first_row(self) -> None:
        """The cursor to the first row."""
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """The cursor to the last row."""
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def match_text(self) -> str:
        """What n / N look for: the screen's filter text."""
        return str(getattr(self.screen, "filter_text", "") or "")

    def action_match(self, forward: bool = True) -> None:
        """The cursor to the next (or previous) row whose text contains the filter text."""
        needle = self.match_text()
        if not needle:
            self.notify("no filter to match: / sets one", severity="warning")
            return
        rows = [
            " ".join(plain(value) for value in self.get_row_at(index))
            for index in range(self.row_count)
        ]
        found = sorting.next_match(rows, self.cursor_coordinate.row, needle, forward=forward)
        if found is None:
            self.notify(f"no row matches {needle!r}", severity="warning")
            return
        self.move_cursor(row=found)
