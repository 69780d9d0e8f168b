"""Under a stream of engine events the screens stay bounded and the engine keeps its pace.

Counts only, never times: a burst of unit events becomes one batched repaint, whatever its
size, and a job run from the app keeps its calls in flight at the limit while keys are pressed.
"""

from __future__ import annotations

from typing import Any

from certtui.domain.enums import CertificationStatus
from certtui.domain.events import EngineEvent, JobProgress, UnitStateChanged
from certtui.tui.screens.matrix import MatrixScreen
from support.engine import REGIONS

BURST = 10_000
STATES = (
    CertificationStatus.QUEUED, CertificationStatus.PROCESSING, CertificationStatus.COMPLETED,
)  # fmt: skip


async def test_a_burst_of_ten_thousand_unit_events_is_one_bounded_repaint(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url) as h:
        matrix = h.app.screen
        assert isinstance(matrix, MatrixScreen)
        cells = [(model_id, region) for model_id in h.model_ids.values() for region in REGIONS]
        await h.pilot.pause()
        version, reloads = h.app.data_version, h.app.reloads
        # Published in one go, as a commit of many units is: no repaint can run in between.
        for number in range(BURST):
            model_id, region = cells[number % len(cells)]
            status = STATES[min(number // len(cells), len(STATES) - 1)]
            event = UnitStateChanged(
                "job-burst", f"cert-{number}", model_id, "api", region, status,
                passed=True, score=95.0, rating="A",
            )  # fmt: skip
            h.service.bus.publish(event)
        # The engine's side holds the latest state per cell, not the stream.
        assert len(h.app._pending_units) == len(cells)
        await h.wait_for(lambda: h.app.data_version > version, "the burst is applied")
        await h.pilot.pause()
        assert h.app._pending_units == {}
        assert h.app.data_version == version + 1  # one batch, one repaint for all of it
        assert h.app.reloads == reloads  # and nothing read again
        for model_id, region in cells:
            assert h.cell(matrix.table, model_id, region) == "✓ A"


async def test_a_job_keeps_its_calls_in_flight_at_the_limit_while_the_tui_is_used(
    sqlite_url: str, tui_engine: Any
) -> None:
    limit = 4
    progress: list[JobProgress] = []

    def record(event: EngineEvent) -> None:
        if isinstance(event, JobProgress):
            progress.append(event)

    async with tui_engine(
        sqlite_url, latency_ms=300, concurrency=limit, region_concurrency=limit
    ) as h:
        h.service.subscribe(record)
        api_ids = sorted(h.model_ids)
        h.app.certify(api_ids, REGIONS)  # the app's own path, as `c` on a selection
        await h.wait_for(lambda: bool(h.service.running), "the job starts")
        runner = next(iter(h.service.runners.values()))
        presses = 0
        while h.service.running:
            await h.pilot.press("down", "right", "up", "left")
            presses += 4
        assert presses > 0
        assert runner.limiter.global_gate.peak == limit  # the limit was reached
        assert max(p.in_flight_calls for p in progress) == limit
        assert progress[-1].processed == progress[-1].total == len(api_ids) * len(REGIONS)
        assert h.app.progress[runner.job_id].processed == len(api_ids) * len(REGIONS)
