"""The heartbeat renews the lease whatever the writer is doing (#11 item 6).

A writer stuck in a transaction — here its unit rows are locked by another session, so its
batch waits inside the database — must not let the lease expire: a live job would look dead
and could be taken over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import JobStatus
from certtui.domain.events import UnitStateChanged
from certtui.domain.leases import lease_is_fresh
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.store.models import CertificationJob
from certtui.suites import default_suite
from support.engine import REGIONS, assert_consistent, clients_for, healthy_scenario, job_state
from support.engine import sync as sync_catalog

STUCK = 8.0  # seconds the writer's batch waits on the locked rows
TTL = 2.0


async def _lease(sessions: async_sessionmaker, job_id: str) -> dict | None:
    async with sessions() as session:
        return await session.scalar(
            sa.select(CertificationJob.config).where(CertificationJob.id == job_id)
        )


@pytest.fixture
async def pg_sessions(pg_url: str) -> AsyncIterator[async_sessionmaker]:
    engine = create_engine(parse_database_url(pg_url))
    await migrate.upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


async def test_a_stuck_writer_does_not_let_the_lease_expire(
    pg_url: str, pg_sessions: async_sessionmaker
) -> None:
    sessions = pg_sessions
    async with (
        serve(healthy_scenario(6), latency_ms=100) as standin,
        clients_for(standin.url) as clients,
    ):
        await sync_catalog(sessions, standin.url)
        planned = await plan_job(
            sessions, JobRequest(regions=REGIONS, all_models=True), default_suite()
        )
        config = EngineConfig(
            concurrency=2, region_concurrency=1, lease_ttl=TTL, heartbeat=0.2,
            db_attempt_timeout=60.0,
        )  # fmt: skip
        runner = JobRunner(sessions, clients, default_suite(), planned.job_id, config)
        done: list[object] = []
        runner.bus.subscribe(
            lambda e: (
                done.append(e) if isinstance(e, UnitStateChanged) and e.status.is_terminal else None
            )
        )
        task = asyncio.create_task(runner.run())
        async with asyncio.timeout(90):
            while len(done) < 2:
                await asyncio.sleep(0.05)

        url = make_url(pg_url)
        blocker = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, database=url.database
        )
        try:
            async with blocker.transaction():
                # Every unit of the job locked: the writer's next batch waits on them.
                await blocker.execute(
                    'SELECT 1 FROM model_certifications WHERE "jobId" = $1 FOR UPDATE',
                    planned.job_id,
                )
                held_since = time.monotonic()
                expired = []
                while time.monotonic() - held_since < STUCK:
                    config_now = await _lease(sessions, planned.job_id)
                    if not lease_is_fresh(config_now):
                        expired.append(config_now)
                    await asyncio.sleep(0.2)
                assert runner.writer.lock.locked()  # the writer really was stuck meanwhile
            assert expired == []  # renewed throughout
        finally:
            await blocker.close()

        outcome = await asyncio.wait_for(task, 120)
        assert outcome.status is JobStatus.COMPLETED
        final = await job_state(sessions, planned.job_id)
        assert final.processed == final.total == 6 * len(REGIONS)
        assert_consistent(final)
