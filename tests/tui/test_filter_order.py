"""Clearing a filter puts every model back in catalog order (#12 item 8)."""

from __future__ import annotations

from typing import Any

from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.screens.models import ModelsScreen

CATALOG = [f"acme.model-0{i}-v1:0" for i in range(6)]


def shown_order(h: Any) -> list[str]:
    """The api model ids of the current screen's rows, top to bottom."""
    by_row = {row: api for api, row in h.model_ids.items()}
    return [by_row[row.key.value] for row in h.app.screen.table.ordered_rows]


async def test_clearing_the_matrix_filter_restores_the_order(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url) as h:
        screen = h.app.screen
        assert isinstance(screen, MatrixScreen)
        assert shown_order(h) == CATALOG
        await h.press("slash", *"model-03", "enter")
        assert shown_order(h) == ["acme.model-03-v1:0"]
        await h.press("down", "right")
        await h.press("slash", "escape")  # esc clears the filter
        assert shown_order(h) == CATALOG
        assert screen.current() == (h.model_ids["acme.model-03-v1:0"], "eu-west-1")

        await h.press("slash", *"model-0", "enter")  # everything matches: the order holds
        assert shown_order(h) == CATALOG


async def test_clearing_the_models_filter_restores_the_order(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        assert isinstance(h.app.screen, ModelsScreen)
        assert shown_order(h) == CATALOG
        await h.press("slash", *"model-04", "enter")
        assert shown_order(h) == ["acme.model-04-v1:0"]
        await h.press("slash", "backspace", "backspace", "enter")  # "model-" matches all
        assert shown_order(h) == CATALOG
