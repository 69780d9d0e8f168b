"""The Jobs screen lists scheduled re-certification with its next run (#14, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from certtui.domain.schedules import next_run
from certtui.store import workers as queue_store
from certtui.tui.screens.jobs import JobsScreen


async def test_the_jobs_screen_shows_each_schedule_and_its_next_run(
    pg_url: str, tui_engine: Any
) -> None:
    async with tui_engine(pg_url) as h:
        await h.switch("3", JobsScreen)
        assert h.app.screen.query_one("#jobs-schedules", Static).display is False  # none yet
        async with h.database.sessions.begin() as session:
            await queue_store.add_schedule(
                session, "0 3 * * *", {"all": True, "regions": ["us-east-1"]}, "tester@ci"
            )
        h.app.reload()
        line = h.app.screen.query_one("#jobs-schedules", Static)
        await h.wait_for(lambda: line.display, "the schedule line shows")
        expected = (
            f"Scheduled 0 3 * * * · all models in us-east-1 · next "
            f"{next_run('0 3 * * *'):%Y-%m-%d %H:%M:%S} UTC"
        )
        assert h.text("#jobs-schedules") == expected
