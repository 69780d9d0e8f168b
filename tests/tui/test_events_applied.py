"""Engine events reach the screens in place: no reading the whole database again.

The events are published into the running app's engine bus by the test, as the engine (or, later,
a remote source) would; a change made only in the database meanwhile stays unseen, which shows
that nothing was read again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import JobStateChanged, UnitStateChanged
from certtui.store.models import ModelCertification
from certtui.store.opening import Database
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.matrix import MatrixScreen

MODEL0 = "acme.model-00-v1:0"
MODEL1 = "acme.model-01-v1:0"


async def _plan(database: Database, api_model_id: str, region: str) -> str:
    from certtui.engine.planning import JobRequest, plan_job
    from certtui.suites import default_suite

    request = JobRequest(regions=(region,), api_model_ids=(api_model_id,), created_by="cron")
    return (await plan_job(database.sessions, request, default_suite())).job_id


async def test_unit_and_job_events_update_the_screens_without_a_reload(
    sqlite_url: str, tui_engine: Any
) -> None:
    planned: list[str] = []

    async def one_queued_job(database: Database) -> None:
        planned.append(await _plan(database, MODEL0, "eu-west-1"))

    async with tui_engine(sqlite_url, before=one_queued_job, refresh_seconds=0.2) as h:
        (job_id,) = planned
        matrix = h.app.screen
        assert isinstance(matrix, MatrixScreen)
        row0, row1 = h.model_ids[MODEL0], h.model_ids[MODEL1]
        assert h.cell(matrix.table, row0, "eu-west-1") == "… que"
        reloads = h.app.reloads
        assert reloads >= 1

        # Only in the database: a screen that read it again would show "✓ A".
        async with h.database.sessions.begin() as session:
            await session.execute(
                sa.update(ModelCertification)
                .where(ModelCertification.job_id == job_id)
                .values(status=CertificationStatus.COMPLETED, passed=True, rating="A")
            )

        def unit(status: CertificationStatus) -> UnitStateChanged:
            return UnitStateChanged(job_id, "cert-x", row1, MODEL1, "us-east-1", status)

        assert h.cell(matrix.table, row1, "us-east-1") == "○"
        h.service.bus.publish(unit(CertificationStatus.QUEUED))
        await h.wait_for(lambda: h.cell(matrix.table, row1, "us-east-1") == "… que", "queued")
        h.service.bus.publish(unit(CertificationStatus.CANCELLED))
        await h.wait_for(lambda: h.cell(matrix.table, row1, "us-east-1") == "⊘ can", "cancelled")

        await h.switch("3", JobsScreen)
        jobs = h.app.screen
        assert h.cell(jobs.table, job_id, "status") == "… queued"
        assert h.text("#jobs-title") == "Jobs · 1 recent · 1 running · 0 paused"
        h.service.bus.publish(JobStateChanged(job_id, JobStatus.CANCELLED, 1, 1, 0, 1))
        await h.wait_for(
            lambda: h.cell(jobs.table, job_id, "status") == "⊘ cancelled", "the job cancelled"
        )
        assert h.cell(jobs.table, job_id, "failed") == "1"
        assert h.cell(jobs.table, job_id, "progress").endswith(" 1/1")
        assert h.text("#jobs-title") == "Jobs · 1 recent · 0 running · 0 paused"

        # A job the list did not have: that one row is read, nothing else.
        other = await _plan(h.database, MODEL1, "us-west-2")
        h.service.bus.publish(JobStateChanged(other, JobStatus.QUEUED, 1, 0, 0, 0))
        await h.wait_for(lambda: other in jobs.table.rows, "the new job is listed")
        assert h.cell(jobs.table, other, "status") == "… queued"
        assert h.text("#jobs-title") == "Jobs · 2 recent · 1 running · 0 paused"

        # Several follow-mode checks ran meanwhile (every 0.2 s); no job of another process is
        # live, so none of them read everything again.
        await h.pilot.pause(0.5)
        await h.switch("2", MatrixScreen)
        assert h.cell(matrix.table, row0, "eu-west-1") == "… que"  # the database-only change
        assert h.app.reloads == reloads

        await h.press("ctrl+r")  # the operator asks: now the database is read again
        await h.wait_for(lambda: h.app.reloads > reloads, "a reload")
        await h.wait_for(lambda: h.cell(matrix.table, row0, "eu-west-1") == "✓ A", "read again")
