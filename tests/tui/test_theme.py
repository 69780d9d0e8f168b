"""A theme picked from the command palette recolours the matrix."""

from __future__ import annotations

from typing import Any

from rich.color import Color as RichColor
from textual.color import Color
from textual.command import CommandPalette

from certtui.tui.screens.matrix import MatrixScreen

MODEL0 = "acme.model-00-v1:0"
REGION = "us-east-1"
NEW_THEME = "gruvbox"


def cell_colour(screen: MatrixScreen, row: str, column: str, glyph: str) -> RichColor | None:
    """The foreground colour the matrix draws a cell's glyph in (a two-line header above)."""
    table = screen.table
    line = table.render_line(table.get_row_index(row) + table.header_height)
    colours = {s.style.color for s in line if glyph in s.text and s.style is not None}
    assert len(colours) == 1, (glyph, [(s.text, s.style) for s in line])
    return colours.pop()


def success_colour(app: Any) -> RichColor:
    """The current theme's success colour, as Rich draws it."""
    return Color.parse(app.theme_variables["success"]).rich_color


async def test_a_theme_from_the_palette_recolours_the_matrix(
    sqlite_url: str, offline_job: Any, tui_monitor: Any
) -> None:
    await offline_job(sqlite_url, (MODEL0,), (REGION,))
    async with tui_monitor(sqlite_url) as h:
        screen = h.app.screen
        assert isinstance(screen, MatrixScreen)
        row = h.model_ids[MODEL0]
        await h.wait_for(lambda: h.cell(screen.table, row, REGION) == "✓ A*", "the passed cell")
        before = cell_colour(screen, row, REGION, "✓")
        assert before == success_colour(h.app)
        old_theme = h.app.theme
        assert old_theme != NEW_THEME

        await h.press("ctrl+p")
        assert isinstance(h.app.screen, CommandPalette)
        await h.pilot.press(*"theme")
        await h.press("enter")  # "Theme": the palette now lists the themes
        await h.pilot.press(*NEW_THEME)
        await h.press("enter")
        await h.wait_for(lambda: h.app.theme == NEW_THEME, f"the theme is {NEW_THEME}")
        await h.wait_for(lambda: h.app.screen is screen, "the matrix is back")

        await h.wait_for(
            lambda: cell_colour(screen, row, REGION, "✓") != before, "the cell is recoloured"
        )
        assert cell_colour(screen, row, REGION, "✓") == success_colour(h.app) != before
        assert h.cell(screen.table, row, REGION) == "✓ A*"  # the same cell, in its new colour
