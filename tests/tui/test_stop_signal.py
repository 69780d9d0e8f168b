"""SIGHUP (an SSH drop) and SIGTERM pause the running job before the TUI goes (#12 item 4).

The signal handlers themselves are the real process's (tests/e2e sends a real SIGHUP); here the
app's handler runs as the event loop would call it, with a job running against the stand-in.
"""

from __future__ import annotations

import signal
from typing import Any

from certtui.tui.screens.dialogs import RegionPicker
from certtui.tui.screens.models import ModelsScreen


async def test_sigterm_pauses_the_running_job_then_exits(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url, latency_ms=300, concurrency=4, region_concurrency=2) as h:
        await h.switch("1", ModelsScreen)
        for _ in range(6):
            await h.pilot.press("space")
        await h.press("c")
        assert isinstance(h.app.screen, RegionPicker)
        await h.pilot.click("#certify")

        async def running() -> bool:
            jobs = await h.jobs()
            return bool(jobs) and jobs[-1].status.value == "PROCESSING"

        await h.wait_for(running, "the job runs")
        job_id = (await h.jobs())[-1].id

        h.app.stop_on_signal(signal.SIGTERM)
        h.app.stop_on_signal(signal.SIGHUP)  # a second signal changes nothing
        await h.wait_for(lambda: h.app.return_code is not None, "the app exits")
        assert h.app.stopped_by == "SIGTERM"
        assert h.service.running == []
        (job,) = await h.jobs()
        assert job.status.value == "PAUSED"
        units = await h.unit_statuses(job_id)
        assert "PROCESSING" not in units and units.get("QUEUED", 0) > 0
