"""Keys typed in one burst after a key that opens an input go to that input (#12 item 1).

A paste, fast typing or SSH lag delivers `/claude` to the app as one read: every key is queued
before the first is handled. The test queues them the same way, through the driver, without
letting the app run in between.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.widgets import Input

from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.screens.models import ModelsScreen

MODEL3 = "acme.model-03-v1:0"


def burst(app: App[Any], *keys: str) -> asyncio.Event:
    """Queue key presses as a terminal read delivers them: all at once, none handled yet.

    Returns an event set once the app has handled every one of them.
    """
    driver = app._driver
    assert driver is not None
    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        event = events.Key(name, key if len(key) == 1 else None)
        event.set_sender(app)
        driver.send_message(event)  # as the terminal driver does, from its reading thread
    handled = asyncio.Event()
    driver.send_message(events.Callback(callback=handled.set))
    return handled


def certifying(app: App[Any]) -> list[Any]:
    """The app's workers that plan or start a job."""
    return [worker for worker in app.workers if worker.group == "certify"]


async def test_a_burst_after_slash_goes_to_the_matrix_filter(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url) as h:
        screen = h.app.screen
        assert isinstance(screen, MatrixScreen)
        await h.press("right")  # on a region cell: a `c` that leaked would certify it
        assert screen.current() is not None

        handled = burst(h.app, "/", *"acme.model-03", "enter")
        await h.wait_for(handled.is_set, "the app to handle the burst")
        await h.pilot.pause()

        assert not certifying(h.app), "a key typed into the filter started a job"
        assert await h.jobs() == [], "a key typed into the filter started a job"
        assert screen.filter_text == "acme.model-03"
        assert screen.table.row_count == 1
        assert h.text("#matrix-title").endswith("· filter 'acme.model-03'")
        assert await h.jobs() == [], "a key typed into the filter started a job"


async def test_a_burst_after_slash_goes_to_the_models_filter(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        screen = h.app.screen
        assert isinstance(screen, ModelsScreen)

        handled = burst(h.app, "/", *"acme.model-03")
        await h.wait_for(handled.is_set, "the app to handle the burst")
        await h.pilot.pause()
        await h.wait_for(
            lambda: screen.query_one("#filter", Input).value == "acme.model-03",
            "the burst to reach the filter box",
        )
        assert h.app.focused is screen.query_one("#filter", Input)
        assert not screen.query("RegionPicker")
        assert h.app.screen is screen, "c opened the region picker"
        assert await h.jobs() == []
