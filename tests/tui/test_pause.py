"""Pause from the Jobs screen reads honestly: PAUSING while calls in flight finish, then PAUSED;
a second `p` while pausing cancels those calls and requeues their units; the title counts right.
"""

from __future__ import annotations

from typing import Any

from certtui.tui.screens.dialogs import RegionPicker
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.models import ModelsScreen


async def _start_long_job(h: Any) -> str:
    """Certify every model in every region (18 units) from the models screen."""
    await h.switch("1", ModelsScreen)
    for _ in range(6):
        await h.pilot.press("space")
    await h.press("c")
    assert isinstance(h.app.screen, RegionPicker)
    await h.pilot.click("#certify")
    await h.pilot.pause()

    async def started() -> bool:
        jobs = await h.jobs()
        return bool(jobs) and jobs[-1].status.value == "PROCESSING"

    await h.wait_for(started, "the job runs")
    return (await h.jobs())[-1].id


async def _running_job(h: Any) -> tuple[str, JobsScreen]:
    job_id = await _start_long_job(h)
    await h.switch("3", JobsScreen)
    jobs = h.app.screen
    await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "⟳ running", "running")
    await h.wait_for(lambda: h.service.runners[job_id].limiter.calls_in_flight > 0, "calls")
    assert h.text("#jobs-title") == "Jobs · 1 recent · 1 running · 0 paused"
    return job_id, jobs


async def test_p_shows_pausing_then_paused_and_starts_no_call_meanwhile(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(
        sqlite_url, latency_ms=1500, concurrency=4, region_concurrency=2
    ) as h:  # fmt: skip
        job_id, jobs = await _running_job(h)
        runner = h.service.runners[job_id]
        await h.press("p")
        await h.wait_for(
            lambda: h.cell(jobs.table, job_id, "status") == "‖… pausing", "PAUSING shown"
        )
        assert h.text("#jobs-title") == "Jobs · 1 recent · 0 running · 1 pausing · 0 paused"
        paused_at = runner.pause_requested_at
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "‖ paused", "PAUSED")
        assert h.text("#jobs-title") == "Jobs · 1 recent · 0 running · 1 paused"
        assert runner.limiter.last_call_started <= paused_at
        units = await h.unit_statuses(job_id)
        assert "PROCESSING" not in units and units.get("QUEUED", 0) > 0

        await h.press("p")  # resume
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "⟳ running", "again")
        assert h.text("#jobs-title") == "Jobs · 1 recent · 1 running · 0 paused"
        await h.wait_for(lambda: runner.limiter.calls_started > 0 and not runner.paused, "go")


async def test_a_second_p_while_pausing_cancels_the_calls_and_requeues_their_units(
    sqlite_url: str, tui_engine: Any
) -> None:
    # Calls this slow cannot finish between the two presses.
    async with tui_engine(
        sqlite_url, latency_ms=20000, concurrency=4, region_concurrency=2
    ) as h:  # fmt: skip
        job_id, jobs = await _running_job(h)
        runner = h.service.runners[job_id]
        await h.wait_for(lambda: runner.limiter.calls_in_flight == 4, "four calls in flight")

        async def started_in_database() -> bool:
            return (await h.unit_statuses(job_id)).get("PROCESSING", 0) == len(runner._tasks)

        await h.wait_for(started_in_database, "the running units are PROCESSING")
        await h.press("p")
        await h.wait_for(
            lambda: h.cell(jobs.table, job_id, "status") == "‖… pausing", "PAUSING shown"
        )
        await h.press("p")
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "‖ paused", "PAUSED")
        assert runner.limiter.calls_in_flight == 0
        units = await h.unit_statuses(job_id)
        # No call could finish: every unit is back in the queue, none has a verdict.
        assert units == {"QUEUED": 18}
        assert h.cell(jobs.table, job_id, "progress").endswith(" 0/18")
