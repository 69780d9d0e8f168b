"""LiveTable's fast paths draw exactly what DataTable draws."""

from __future__ import annotations

import asyncio

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from certtui.tui.widgets import LiveTable

COLUMNS = (("model", 12), ("us-east-1", 9), ("eu-west-1", 6), ("ap-south-1", 3))

# Few distinct texts, so the same text often comes in several styles (one look each).
glyph_text = st.one_of(
    st.sampled_from(["✓ A", "○", "a long model name"]),
    st.text(alphabet="abcXYZ ✓✗!⟳…⊘○—/%0123456789 世界", max_size=14),
)
style = st.sampled_from(
    [Style(), Style(bold=True), Style(color="red"), Style(dim=True), Style(color="#00ff00")]
)
text_cell = st.builds(
    Text,
    glyph_text,
    style=style,
    overflow=st.sampled_from(["ellipsis", "crop", "fold"]),
    no_wrap=st.booleans(),
    justify=st.sampled_from([None, "left", "right", "center"]),
)
cell = st.one_of(text_cell, glyph_text, st.integers(-999, 999), st.none())


class TableApp(App[None]):
    def __init__(self, rows: list[list[object]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = LiveTable(cursor_type="cell")
        table.fixed_columns = 1
        for key, width in COLUMNS:
            table.add_column(key, key=key, width=width)
        for index, row in enumerate(self.rows):
            table.add_row(*row, key=f"row{index}")
        yield table


async def compare(rows: list[list[object]]) -> None:
    app = TableApp(rows)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.settle()
        fast_size = table.virtual_size
        DataTable._update_dimensions(table, table.rows)
        assert table.virtual_size == fast_size  # nothing to measure: the same size

        await pilot.pause()
        base = table.rich_style
        for row_index in range(len(rows)):
            for column_index, (_, width) in enumerate(COLUMNS):
                for cursor, hover in ((False, False), (True, False), (False, True)):
                    args = (row_index, column_index, base, width + 2, cursor, hover)
                    table._cell_render_cache.clear()
                    expected = DataTable._render_cell(table, *args)
                    table._cell_render_cache.clear()
                    assert table._render_cell(*args) == expected, (rows[row_index], args)
                    assert table._render_cell(*args) == expected  # and from its caches


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(st.lists(st.lists(cell, min_size=4, max_size=4), min_size=1, max_size=6))
@example([[Text("✓ A", style="red")] * 4, [Text("✓ A", style="bold")] * 4, ["✓ A"] * 4])
def test_a_cell_renders_as_datatable_renders_it(rows: list[list[object]]) -> None:
    asyncio.run(compare(rows))


async def test_set_cells_repaints_only_what_changed() -> None:
    app = TableApp([[Text("m0"), Text("✓ A"), Text("○"), Text("○")]] * 1)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(LiveTable)
        await pilot.pause()
        before = table._update_count
        table.set_cells([("row0", "eu-west-1", Text("✗ D"))])
        await pilot.pause()
        assert table.get_cell("row0", "eu-west-1").plain == "✗ D"
        assert table._update_count == before  # other rows keep their render caches
        line = "".join(s.text for s in table.render_line(1))
        assert "✗ D" in line and "✓ A" in line
