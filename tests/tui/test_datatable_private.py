"""The DataTable private members tui/_datatable_private.py relies on are still there, as assumed.

This fails first, and says which member moved, when a Textual upgrade changes DataTable's
internals; tests/tui/test_widgets.py then checks the fast paths still draw what DataTable draws.
"""

from __future__ import annotations

import inspect

import textual
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from certtui.tui._datatable_private import RELIED_ON_ATTRIBUTES, RELIED_ON_METHODS

UPGRADE_HINT = (
    f"Textual {textual.__version__} changed DataTable internals that "
    "certtui/tui/_datatable_private.py relies on: adapt that module, then the pin in pyproject.toml"
)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table = DataTable[object](cursor_type="cell")
        table.add_column("model", key="model", width=8)
        table.add_column("us-east-1", key="us-east-1", width=9)
        table.add_row(Text("m0"), Text("✓ A"), key="row0")
        table.add_row(Text("m1"), Text("○"), key="row1")
        yield table


def test_every_private_method_has_the_parameters_it_is_called_with() -> None:
    for name, parameters in RELIED_ON_METHODS.items():
        method = getattr(DataTable, name, None)
        assert callable(method), f"{UPGRADE_HINT}: DataTable.{name} is gone"
        found = tuple(inspect.signature(method).parameters)
        assert found == parameters, f"{UPGRADE_HINT}: DataTable.{name}{found}, not {parameters}"


async def test_every_private_attribute_exists_with_the_layout_assumed() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(DataTable)
        for name in RELIED_ON_ATTRIBUTES:
            assert hasattr(table, name), f"{UPGRADE_HINT}: DataTable.{name} is gone"

        # Rows not measured yet are remembered until the app idles.
        table.add_row(Text("m2"), Text("✗ D"), key="row2")
        assert table._require_update_dimensions is True, UPGRADE_HINT
        assert RowKey("row2") in table._new_rows, UPGRADE_HINT
        await pilot.pause()
        for y in range(4):  # the header and every row, at the current update count
            table.render_line(y)

        # Values by row key, then column key.
        assert table._data[RowKey("row0")][ColumnKey("us-east-1")].plain == "✓ A", UPGRADE_HINT
        assert table._row_locations.get(RowKey("row1")) == 1, UPGRADE_HINT
        assert table._column_locations.get_key(1) == ColumnKey("us-east-1"), UPGRADE_HINT
        assert table._total_row_height == 3, UPGRADE_HINT

        # The render cache keys the eviction reads (every cache is filled now).
        assert table._cell_render_cache.keys(), UPGRADE_HINT
        for key in table._cell_render_cache.keys():  # noqa: SIM118 - an LRUCache
            assert isinstance(key[0], RowKey) and isinstance(key[1], ColumnKey), (UPGRADE_HINT, key)
            assert len(key) == 8 and isinstance(key[6], int), (UPGRADE_HINT, key)
        header = table._header_row_key
        assert any(k[0] == header for k in table._cell_render_cache.keys()), UPGRADE_HINT  # noqa: SIM118
        count = table._update_count
        assert any(k[6] == count for k in table._cell_render_cache.keys()), UPGRADE_HINT  # noqa: SIM118
        assert any(k[0] == count for k in table._row_renderable_cache.keys()), UPGRADE_HINT  # noqa: SIM118
        for key in table._row_render_cache.keys():  # noqa: SIM118
            assert isinstance(key[0], RowKey), (UPGRADE_HINT, key)
        for key in table._row_renderable_cache.keys():  # noqa: SIM118
            assert isinstance(key[0], int) and isinstance(key[1], int), (UPGRADE_HINT, key)
        assert table._line_cache.keys(), UPGRADE_HINT


async def test_reorder_rows_shows_the_rows_in_the_order_given() -> None:
    from certtui.tui._datatable_private import reorder_rows

    app = TableApp()
    async with app.run_test(size=(40, 8)):
        table = app.query_one(DataTable)
        table.add_row(Text("m2"), Text("✗"), key="row2")
        table.remove_row("row0")
        table.add_row(Text("m0"), Text("✓"), key="row0")  # re-added: last in insertion order
        wanted = [RowKey("row1"), RowKey("row0"), RowKey("row2")]
        reorder_rows(table, wanted)
        assert [row.key for row in table.ordered_rows] == wanted, UPGRADE_HINT
        assert table.get_row_at(1)[0].plain == "m0"
