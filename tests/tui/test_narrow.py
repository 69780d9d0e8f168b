"""What was cut at 80 columns (#12 item 6): the top bar's badges, the quit dialog, the region
picker (its hint and buttons, and enter that confirms), checked on the real app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Button, Label, SelectionList

from certtui.bedrock.regions import bedrock_regions
from certtui.tui.app import CerttuiApp
from certtui.tui.base import TopBar
from certtui.tui.screens.dialogs import ConfirmScreen, RegionPicker
from certtui.tui.screens.models import ModelsScreen
from certtui.tui.summary import fit_top_bar
from support.tui_snapshot import build_database, open_database
from tui.conftest import wait_loaded

READ_ONLY = "[reverse] READ-ONLY [/]"
SIMULATED = "[reverse] SIMULATED [/]"


def plain(markup: str) -> str:
    return Text.from_markup(markup).plain


@given(
    target=st.text(min_size=0, max_size=120),
    refreshed=st.booleans(),
    width=st.integers(min_value=30, max_value=200),
)
def test_the_top_bar_keeps_its_badges_and_fits(target: str, refreshed: bool, width: int) -> None:
    parts = [READ_ONLY, SIMULATED] + (["refreshed 10:00:00"] if refreshed else [])
    fitted = fit_top_bar(target, parts, width)
    text = Text.from_markup(fitted)
    assert text.cell_len <= width
    assert " READ-ONLY " in text.plain and " SIMULATED " in text.plain


def test_a_long_path_is_cut_in_the_middle() -> None:
    path = "/srv/certtui/" + "deeply/" * 12 + "production.db"
    shown = plain(fit_top_bar(path, ["read-write", SIMULATED], 80))
    assert len(shown) <= 80
    assert shown.startswith("certtui · /srv/cert") and "…" in shown
    assert "production.db · read-write ·  SIMULATED " in shown


def visible(widget: Widget) -> bool:
    """The widget is drawn on screen: what is at its region's corners is the widget itself."""
    region = widget.region
    if not region.width or not region.height:
        return False
    screen = widget.screen
    corners = [(region.x, region.y), (region.right - 1, region.bottom - 1)]
    for x, y in corners:
        found, _ = screen.get_widget_at(x, y)
        if found is not widget and widget not in found.ancestors:
            return False
    return True


async def test_top_bar_at_80_columns_keeps_the_read_only_badge(
    tmp_path: Path, monkeypatch: Any
) -> None:
    deep = tmp_path / ("a-very-long-directory-name/" * 4)
    deep.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    await build_database(deep / "certtui.db")
    database = open_database(str(deep / "certtui.db"), read_only=True)
    app = CerttuiApp(database, read_only=True, refresh_seconds=3600.0)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_loaded(pilot)
            bar = app.screen.query_one(TopBar)
            line = bar.render_line(0).text
            assert " READ-ONLY " in line
            assert "certtui.db" in line and "…" in line  # the path's end stays, cut in the middle
            assert len(line.rstrip()) <= 80
    finally:
        await database.engine.dispose()


async def test_region_picker_at_80x24_shows_hint_and_buttons_and_enter_confirms(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    await build_database(tmp_path / "certtui.db")
    database = open_database("certtui.db", read_only=True)
    app = CerttuiApp(database, read_only=True, refresh_seconds=3600.0)
    regions = list(bedrock_regions())  # 30: the list must scroll, not push the buttons out
    chosen: list[Any] = []
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_loaded(pilot)
            app.push_screen(RegionPicker("Certify a model in…", regions, regions), chosen.append)
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, RegionPicker)
            hint = picker.query_one(".hint", Label)
            assert visible(hint)
            assert "enter: certify" in str(hint.render())
            for button in picker.query(Button):
                assert visible(button), button.id
            assert picker.query_one(SelectionList).has_focus
            await pilot.press("space")  # space toggles the highlighted region
            await pilot.press("enter")  # enter confirms
            await pilot.pause()
            assert chosen == [regions[1:]]
            assert app.screen is not picker
    finally:
        await database.engine.dispose()


async def test_enter_in_the_picker_certifies(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        assert isinstance(h.app.screen, ModelsScreen)
        await h.press("c")
        assert isinstance(h.app.screen, RegionPicker)
        await h.press("enter")

        async def job_created() -> bool:
            return len(await h.jobs()) == 1

        await h.wait_for(job_created, "a job in the database")
        assert isinstance(h.app.screen, ModelsScreen)


async def test_quit_dialog_fits_at_80x24(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url, latency_ms=3000, size=(80, 24)) as h:
        await h.press("right", "c")  # a job that runs for a while
        await h.wait_for(lambda: bool(h.service and h.service.running), "a running job")
        await h.press("q")
        dialog = h.app.screen
        assert isinstance(dialog, ConfirmScreen)
        question = dialog.query_one(Label)
        assert visible(question)
        assert question.region.height >= 2  # wrapped, not cut
        assert str(question.render()).rstrip().endswith("from the Jobs screen.")
        for button in dialog.query(Button):
            assert visible(button), button.id
        await h.press("escape")
        assert not isinstance(h.app.screen, ConfirmScreen)
