"""A theme picked from the command palette recolours the matrix."""

from __future__ import annotations

from typing import Any

from rich.color import Color as RichColor
from textual.color import Color
from textual.command import CommandPalette
from textual.filter import Monochrome
from textual.strip import Strip

from certtui.tui.app import CerttuiApp
from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.styling import role_styles
from support.tui_snapshot import build_database, open_database
from tui.conftest import wait_loaded

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
    return Color.parse(app.theme_variables["text-success"]).rich_color


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


# NO_COLOR, light and dark themes (#12 item 9) ----------------------------------------------------

THEMES = ("textual-dark", "textual-light", "solarized-light", "catppuccin-latte", "nord", "gruvbox")


def contrast(one: Color, two: Color) -> float:
    """The WCAG contrast ratio of two colours."""

    def luminance(colour: Color) -> float:
        def channel(value: int) -> float:
            x = value / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def test_cell_colours_read_on_light_and_dark_themes(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    await build_database(tmp_path / "certtui.db")
    database = open_database("certtui.db", read_only=True)
    app = CerttuiApp(database, read_only=True, refresh_seconds=3600.0)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_loaded(pilot)
            for theme in THEMES:
                app.theme = theme
                await pilot.pause()
                variables = app.theme_variables
                styles = role_styles(app)
                table_background = Color.parse(variables["surface"])
                for role in ("success", "warning", "error", "accent"):
                    colour = styles[role].color
                    assert colour is not None and colour.triplet is not None
                    r, g, b = colour.triplet
                    ratio = contrast(Color(r, g, b), table_background)
                    assert ratio >= 3.0, (theme, role, round(ratio, 2))
    finally:
        await database.engine.dispose()


async def test_no_color_matrix_reads_by_its_glyphs(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    await build_database(tmp_path / "certtui.db")
    database = open_database("certtui.db", read_only=True)
    app = CerttuiApp(database, read_only=True, refresh_seconds=3600.0)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_loaded(pilot)
            assert app.no_color
            app.theme = "textual-light"
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, MatrixScreen)
            table = screen.table
            background = Color.parse(app.theme_variables["surface"])
            seen = set()
            for y in range(table.header_height, table.header_height + table.row_count):
                # What reaches the terminal: Textual's NO_COLOR filter turns colours to greys.
                line = Monochrome().apply(list(table.render_line(y)), background)
                for segment in line:
                    colour = segment.style.color if segment.style else None
                    if colour is not None and colour.triplet is not None:
                        r, g, b = colour.triplet
                        assert r == g == b, segment
                seen.update(text for text in Strip(line).text.split() if text[0] in "✓✗!⟳…⊘○—")
            # Each category still reads apart, by its glyph alone.
            assert {text[0] for text in seen} >= {"✓", "✗", "!", "⟳", "…", "⊘", "○", "—"}
    finally:
        await database.engine.dispose()
