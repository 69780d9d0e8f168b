"""Models: mark all (a), invert (i), range (v) besides space, then certify the marked ones."""

from __future__ import annotations

from typing import Any

from certtui.tui.screens.models import ModelsScreen
from certtui.tui.sorting import SortState

CATALOG = [f"acme.model-0{i}-v1:0" for i in range(6)]


def marked(h: Any) -> list[str]:
    """The api model ids marked, in catalog order, as the mark column shows them."""
    table = h.app.screen.table
    by_row = {row: api for api, row in h.model_ids.items()}
    return sorted(by_row[row.key.value] for row in table.ordered_rows
                  if h.cell(table, row.key.value, "mark") == "●")  # fmt: skip


async def test_mark_all_invert_and_range(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        screen = h.app.screen
        assert isinstance(screen, ModelsScreen)
        await h.press("a")
        assert marked(h) == CATALOG
        assert "6 marked" in h.text("#models-title")
        await h.press("a")  # all marked already: none
        assert marked(h) == []

        await h.press("space")  # marks model-00, the cursor goes down
        await h.press("i")
        assert marked(h) == CATALOG[1:]
        await h.press("i")
        assert marked(h) == CATALOG[:1]

        await h.press("down", "down", "v")  # the cursor on model-03: marks 00 to 03
        assert marked(h) == CATALOG[:4]

        # A range runs in the order shown: here by model id, descending.
        await h.press("a")
        assert marked(h) == CATALOG
        await h.press("a")
        assert marked(h) == []
        await h.pilot.click("#models", offset=(20, 0))
        await h.pilot.click("#models", offset=(20, 0))
        await h.pilot.pause()
        assert screen.table.sort_state == SortState("model", reverse=True)
        await h.press("g", "space")  # marks model-05, the cursor goes to model-04
        await h.press("down", "down", "v")  # the cursor on model-02
        assert marked(h) == CATALOG[2:]

        # The filter limits a: only the shown rows.
        await h.press("i", "a")  # 00 and 01 marked, then all of them
        await h.press("a")
        assert marked(h) == []
        await h.press("slash", *"model-01", "enter", "a")
        await h.press("slash", "escape")
        assert marked(h) == [CATALOG[1]]
