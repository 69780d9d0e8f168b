"""Every table: sort by any column (s, S, header click), j/k/g/G/Home/End, live filter, n/N."""

from __future__ import annotations

from typing import Any

from certtui.tui.screens.models import ModelsScreen
from certtui.tui.tables import NavigableTable

CATALOG = [f"acme.model-0{i}-v1:0" for i in range(6)]


def order(h: Any) -> list[str]:
    """The api model ids of the Models table, top to bottom."""
    by_row = {row: api for api, row in h.model_ids.items()}
    return [by_row[row.key.value] for row in h.app.screen.table.ordered_rows]


def cursor_model(h: Any) -> str:
    by_row = {row: api for api, row in h.model_ids.items()}
    return by_row[h.app.screen.table.cursor_row_key()]


async def test_sort_keys_and_header_click_keep_the_cursor_on_its_row(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        screen = h.app.screen
        assert isinstance(screen, ModelsScreen)
        assert order(h) == CATALOG
        await h.press("down", "down")
        assert cursor_model(h) == CATALOG[2]

        # A click on the "model id" header sorts by it; a second click reverses.
        await h.pilot.click("#models", offset=(20, 0))
        await h.pilot.pause()
        assert screen.table.sort_state.column == "model"
        assert order(h) == CATALOG
        assert "sorted by model id ↑" in h.text("#models-title")
        await h.pilot.click("#models", offset=(20, 0))
        await h.pilot.pause()
        assert order(h) == CATALOG[::-1]
        assert "sorted by model id ↓" in h.text("#models-title")
        assert cursor_model(h) == CATALOG[2]  # same row, now the fourth

        await h.press("S")  # back to ascending
        assert order(h) == CATALOG
        assert cursor_model(h) == CATALOG[2]

        # A reload updates rows in place by key and keeps the sort.
        await h.press("S")
        table = screen.table
        rows_before = {key: table.rows[key] for key in table.rows}
        h.app.reload()
        await h.wait_for(lambda: h.app.reloads >= 2, "a second read")
        await h.pilot.pause()
        assert order(h) == CATALOG[::-1]
        assert {key: table.rows[key] for key in table.rows} == rows_before

        # `s` walks the columns: from the model id to the next one, "best".
        await h.press("s")
        assert table.sort_state.column == "best"
        assert "sorted by best ↑" in h.text("#models-title")
        assert cursor_model(h) == CATALOG[2]


async def test_vi_keys_and_home_end_move_between_rows(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        assert isinstance(h.app.screen, ModelsScreen)
        await h.press("j", "j", "j")
        assert cursor_model(h) == CATALOG[3]
        await h.press("k")
        assert cursor_model(h) == CATALOG[2]
        await h.press("G")
        assert cursor_model(h) == CATALOG[5]
        await h.press("g")
        assert cursor_model(h) == CATALOG[0]
        await h.press("end")
        assert cursor_model(h) == CATALOG[5]
        await h.press("home")
        assert cursor_model(h) == CATALOG[0]


async def test_vi_keys_work_on_the_jobs_and_matrix_tables(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url) as h:
        table = h.app.screen.table
        assert isinstance(table, NavigableTable)
        await h.press("G")
        assert table.cursor_coordinate.row == 5
        await h.press("k", "k")
        assert table.cursor_coordinate.row == 3
        await h.press("home")
        assert table.cursor_coordinate.row == 0


async def test_the_filter_applies_as_it_is_typed_and_n_finds_matches(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        assert isinstance(h.app.screen, ModelsScreen)
        await h.press("slash", *"model-03")  # no enter yet
        assert order(h) == [CATALOG[3]]
        assert h.text("#models-title").startswith("Models · 1 of 6 · filter 'model-03'")
        await h.press("backspace")  # "model-0" matches all of them again
        assert order(h) == CATALOG
        assert h.text("#models-title").startswith("Models · 6 of 6 · filter 'model-0'")
        await h.press("enter")
        assert cursor_model(h) == CATALOG[3]  # the row it was on
        await h.press("n")
        assert cursor_model(h) == CATALOG[4]
        await h.press("g", "N")
        assert cursor_model(h) == CATALOG[5]  # wrapped around

        await h.press("slash", "ctrl+u", *"04")  # matches one row only: n stays on it
        assert order(h) == [CATALOG[4]]
        await h.press("enter", "n")
        assert cursor_model(h) == CATALOG[4]
        await h.press("slash", "escape")
        assert order(h) == CATALOG
        assert h.text("#models-title").startswith("Models · 6 of 6")
        assert "filter" not in h.text("#models-title")


async def test_the_matrix_sorts_by_a_region_column_and_keeps_its_cell(
    sqlite_url: str, tui_engine: Any
) -> None:
    from certtui.tui.screens.matrix import MatrixScreen

    async with tui_engine(sqlite_url) as h:
        screen = h.app.screen
        assert isinstance(screen, MatrixScreen)
        h.app.certify([CATALOG[4]], ["eu-west-1"])
        row4 = h.model_ids[CATALOG[4]]
        await h.wait_for(
            lambda: h.cell(screen.table, row4, "eu-west-1").startswith("✓"), "model-04 passed"
        )
        await h.press("down", "right")  # model-01 in eu-west-1
        await h.press("s", "s")  # model, then eu-west-1
        assert screen.table.sort_state.column == "eu-west-1"
        assert order(h)[-1] == CATALOG[4]  # "○" untested sorts before "✓ A"
        assert screen.current() == (h.model_ids[CATALOG[1]], "eu-west-1")
        assert "sorted by eu-west-1 ↑" in h.text("#matrix-title")
        await h.press("S")
        assert order(h)[0] == CATALOG[4]
        assert screen.current() == (h.model_ids[CATALOG[1]], "eu-west-1")
