"""Text from outside is data: a hostile catalog on every screen of the real app."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.tui.screens.changes import ChangesScreen
from certtui.tui.screens.detail import DetailScreen
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.screens.models import ModelsScreen
from certtui.tui.screens.units import JobUnitsScreen
from certtui.tui.summary import detail_summary
from support.hostile import (
    FAILED_REGION,
    REGION,
    seed_hostile,
    seed_hostile_history,
    unsafe_characters,
)

# Part of the fault suite (`pytest -m fault`): hostile catalog strings through every output.
pytestmark = pytest.mark.fault


@pytest.fixture
async def hostile(database_url: str, sessions: async_sessionmaker) -> tuple[str, dict[str, str]]:
    """A migrated database of each kind holding the hostile catalog, and its row ids."""
    async with sessions.begin() as session:
        ids = await seed_hostile(session)
    return database_url, ids


def screen_text(h: Any) -> str:
    """Everything the terminal would be sent for the current screen, as text."""
    return h.app.export_screenshot()


def check_screen(h: Any, where: str) -> str:
    text = screen_text(h)
    assert unsafe_characters(text) == [], where
    return text


async def test_every_screen_shows_hostile_text_as_data(
    hostile: tuple[str, dict[str, str]], tui_monitor: Any
) -> None:
    url, ids = hostile
    async with tui_monitor(url, start_mode="models", size=(160, 40)) as h:
        assert isinstance(h.app.screen, ModelsScreen)
        models = check_screen(h, "models")
        assert "evil.model\\x1b]0;owned\\x07-v1:0" in models.replace("&#160;", " ")

        await h.switch("2", MatrixScreen)
        matrix = h.app.screen
        check_screen(h, "matrix")
        assert "evil.model\\x1b]0;owned" in matrix.table.get_row_at(0)[0].plain

        for region in (REGION, FAILED_REGION):
            matrix.focus_cell(ids["model"], region)
            await h.press("enter")
            assert isinstance(h.app.screen, DetailScreen)
            detail = h.app.screen
            await h.wait_for(lambda d=detail: d.detail is not None, "the detail loaded")
            await h.pilot.pause()
            check_screen(h, f"detail {region}")
            await h.press("J")  # the raw JSON too
            check_screen(h, f"raw JSON {region}")
            summary = detail_summary(detail.detail)  # what `y` copies
            assert unsafe_characters(summary) == [], summary
            await h.press("escape")

        await h.switch("3", JobsScreen)
        check_screen(h, "jobs")
        await h.press("enter")
        await h.wait_for(lambda: isinstance(h.app.screen, JobUnitsScreen), "the units screen")
        units = h.app.screen
        await h.wait_for(lambda: bool(units.units), "the units loaded")
        await h.pilot.pause()
        check_screen(h, "units")


async def test_the_changes_screen_and_the_history_show_hostile_text_as_data(
    database_url: str, sessions: async_sessionmaker, tui_monitor: Any
) -> None:
    async with sessions.begin() as session:
        ids = await seed_hostile(session)
        await seed_hostile_history(session, ids)
    async with tui_monitor(database_url, start_mode="models", size=(160, 40)) as h:
        await h.switch("2", MatrixScreen)
        await h.press("d")
        changes = h.app.screen
        assert isinstance(changes, ChangesScreen)
        await h.wait_for(lambda: len(changes.changes) == 2, "the two regressions")
        await h.pilot.pause()
        text = check_screen(h, "changes")
        assert "evil.model\\x1b]0;owned" in text.replace("&#160;", " ")
        await h.press("enter")  # the regressed verdict, with the cell's history
        detail = h.app.screen
        assert isinstance(detail, DetailScreen)
        await h.wait_for(lambda d=detail: d.detail is not None, "the detail loaded")
        await h.pilot.pause()
        check_screen(h, "detail with history")
