"""Switching screens redraws nothing that has not changed (issue 12: first switch ≤ 150 ms).

Textual applies the styles of a whole screen again each time it is shown, and DataTable then
forgot every render: each switch re-rendered every visible cell. These tests count what a
switch does to the tables (cells rendered, rows added or changed), never how long it takes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.style import Style
from textual.widgets import DataTable

from certtui.tui.base import CerttuiScreen
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.screens.models import ModelsScreen
from certtui.tui.tables import NavigableTable

MODELS = ("acme.model-00-v1:0", "acme.model-01-v1:0")
REGIONS = ("us-east-1", "eu-west-1")
SCREENS = (("1", ModelsScreen), ("3", JobsScreen), ("2", MatrixScreen))
CHANGES = ("add_row", "remove_row", "clear", "update_cell", "add_column")


def watch_tables(screens: list[CerttuiScreen], counts: Counter[str]) -> list[NavigableTable]:
    """Count, per table id, the cells each screen's table renders and its row changes."""
    tables = []
    for screen in screens:
        table = screen.table  # type: ignore[attr-defined]
        tables.append(table)
        # Every cell DataTable draws goes through _render_cell (the header's too).
        table._render_cell = _counting(table._render_cell, counts, f"{table.id} cells rendered")  # type: ignore[method-assign]
        for name in CHANGES:
            setattr(table, name, _counting(getattr(table, name), counts, f"{table.id} {name}"))
    return tables


def _counting(method: Any, counts: Counter[str], what: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        counts[what] += 1
        return method(*args, **kwargs)

    return call


async def show_every_screen(h: Any) -> list[CerttuiScreen]:
    """Switch to each main screen in turn, let it paint; the screens."""
    screens = []
    for key, screen_type in SCREENS:
        await h.switch(key, screen_type)
        await h.pilot.pause()
        assert h.app.screen.table.row_count, f"{screen_type.__name__} empty"
        screens.append(h.app.screen)
    return screens


async def test_a_screen_shown_again_with_the_same_data_renders_no_cell_and_adds_no_row(
    sqlite_url: str, tui_monitor: Any, offline_job: Any
) -> None:
    await offline_job(sqlite_url, MODELS, REGIONS)
    async with tui_monitor(sqlite_url, refresh_seconds=3600) as h:
        await h.wait_for(lambda: len(h.app.built_ahead) == 2, "the other screens built ahead")
        screens = await show_every_screen(h)  # each drawn once, the matrix shown last
        counts: Counter[str] = Counter()
        tables = watch_tables(screens, counts)
        version = h.app.data_version
        await show_every_screen(h)
        await show_every_screen(h)

        assert h.app.data_version == version, "the data changed: this test would prove nothing"
        for table in tables:
            assert table.region, f"{table.id} was not laid out on screen"
            assert table.renders_forgotten == 0, table.id
        assert counts == Counter(), f"a switch re-rendered or rebuilt: {dict(counts)}"


async def test_the_first_switch_to_a_screen_built_ahead_does_not_reparse_the_stylesheet(
    sqlite_url: str, tui_monitor: Any, offline_job: Any
) -> None:
    await offline_job(sqlite_url, MODELS, REGIONS)
    async with tui_monitor(sqlite_url, refresh_seconds=3600) as h:
        await h.wait_for(lambda: h.app.built_ahead == {"models", "jobs"}, "screens built ahead")
        refreshes: Counter[str] = Counter()
        h.app.refresh_css = _counting(h.app.refresh_css, refreshes, "css")  # type: ignore[method-assign]
        screens = await show_every_screen(h)
        assert refreshes == Counter(), "a first switch parsed the stylesheet again"
        assert "Models" in str(screens[0].query_one("#models-title").render())


async def test_a_new_theme_redraws_a_screen_shown_again_in_its_colours(
    sqlite_url: str, tui_monitor: Any, offline_job: Any
) -> None:
    await offline_job(sqlite_url, MODELS, REGIONS)
    async with tui_monitor(sqlite_url, refresh_seconds=3600, start_mode="models") as h:
        await h.wait_for(lambda: len(h.app.built_ahead) == 2, "the other screens built ahead")
        await show_every_screen(h)
        await h.switch("1", ModelsScreen)
        await h.pilot.pause()
        table = h.app.screen.table
        dark = _cursor_background(table)
        assert dark is not None and dark in _line_backgrounds(table), "the cursor row is drawn"

        await h.switch("2", MatrixScreen)
        h.app.theme = "textual-light" if h.app.theme != "textual-light" else "textual-dark"
        await h.pilot.pause()
        await h.switch("1", ModelsScreen)
        await h.pilot.pause()

        light = _cursor_background(table)
        assert light is not None and light != dark, "the theme changed the cursor colour"
        assert table.renders_forgotten >= 1
        backgrounds = _line_backgrounds(table)
        assert light in backgrounds and dark not in backgrounds, "drawn in the old colours"


def _cursor_background(table: DataTable[Any]) -> Any:
    return table.get_component_rich_style("datatable--cursor").bgcolor


def _line_backgrounds(table: DataTable[Any]) -> set[Any]:
    """The background colours of the cursor row as the table draws it now (from its caches)."""
    y = table.header_height + table.cursor_coordinate.row
    strip = table.render_line(y)
    return {segment.style.bgcolor for segment in strip if isinstance(segment.style, Style)}
