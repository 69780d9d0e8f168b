"""SQLite runs out of room mid-job (``PRAGMA max_page_count``: the database is full for real).

The job says "disk full" (SQLite's SQLITE_FULL, not a "disk I/O error"), pauses at once rather
than waiting for room, and keeps what it saved; once there is room again, resuming finishes it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from certtui.domain.enums import JobStatus
from certtui.domain.events import LogLine, UnitStateChanged
from certtui.engine.control import recover_interrupted
from certtui.engine.job import DatabaseUnreachable, EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.suites import default_suite
from support.engine import REGIONS, assert_consistent, clients_for, healthy_scenario, job_state
from support.engine import sync as sync_catalog

pytestmark = pytest.mark.fault

UNITS = 18
CONFIG = EngineConfig(concurrency=2, region_concurrency=1, heartbeat=0.2, db_attempt_timeout=5)


async def test_a_full_sqlite_database_pauses_the_job_and_keeps_what_was_saved(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'certtui.db'}"
    engine = create_engine(parse_database_url(url))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    async with (
        serve(healthy_scenario(6), latency_ms=50) as standin,
        clients_for(standin.url) as clients,
    ):
        await sync_catalog(sessions, standin.url)
        planned = await plan_job(
            sessions, JobRequest(regions=REGIONS, all_models=True), default_suite()
        )
        job_id = planned.job_id

        # A first stretch of the job runs with room to spare, then stops (resumable).
        runner = JobRunner(sessions, clients, default_suite(), job_id, CONFIG)
        finished: list[object] = []
        runner.bus.subscribe(
            lambda e: (
                finished.append(e)
                if isinstance(e, UnitStateChanged) and e.status.is_terminal
                else None
            )
        )
        task = asyncio.create_task(runner.run())
        async with asyncio.timeout(90):
            while len(finished) < 3:
                await asyncio.sleep(0.05)
        runner.interrupt()
        await asyncio.wait_for(task, 60)
        saved = await job_state(sessions, job_id)
        assert saved.status == "PAUSED" and 3 <= saved.processed < UNITS
        async with engine.connect() as conn:
            pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
        await engine.dispose()

        # Now the file may not grow by more than two pages: the results do not fit.
        full = create_engine(parse_database_url(url))

        @event.listens_for(full.sync_engine, "connect")
        def _no_room(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA max_page_count = {pages + 2}")
            cursor.close()

        full_sessions = session_factory(full)
        runner = JobRunner(full_sessions, clients, default_suite(), job_id, CONFIG)
        said: list[str] = []
        runner.bus.subscribe(lambda e: said.append(e.message) if isinstance(e, LogLine) else None)
        try:
            outcome = await asyncio.wait_for(runner.run(), 120)
        except DatabaseUnreachable as exc:
            assert str(exc).startswith("disk full: ")
        else:
            assert outcome.status is JobStatus.PAUSED
        await full.dispose()
        assert any(m.startswith("disk full: the database cannot grow (") for m in said), said
        assert not any("disk I/O error" in m for m in said)

        # What was saved is kept, nothing is half-written; with room again, resuming finishes.
        roomy = create_engine(parse_database_url(url))
        roomy_sessions = session_factory(roomy)
        try:
            paused = await job_state(roomy_sessions, job_id)
            assert paused.processed >= saved.processed
            assert paused.processed < UNITS
            assert_consistent(paused)
            await recover_interrupted(roomy_sessions)
            async with roomy_sessions() as session:
                assert (await session.scalar(sa.text("PRAGMA integrity_check"))) == "ok"
            outcome = await JobRunner(
                roomy_sessions, clients, default_suite(), job_id, CONFIG
            ).run()
            assert outcome.status is JobStatus.COMPLETED
            final = await job_state(roomy_sessions, job_id)
            assert final.units == {"COMPLETED": UNITS} and final.processed == UNITS
            assert_consistent(final)
        finally:
            await roomy.dispose()
