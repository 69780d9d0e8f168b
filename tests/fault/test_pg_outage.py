"""PostgreSQL stopped for 20 s in the middle of a headless job, then started again.

The writer and the heartbeat outlive the outage; no new call starts while results cannot be
saved (what is held in memory stays bounded by the units that were in flight); the job carries
on when the server is back, and ends with every unit processed once.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator

import asyncpg
import pytest

from certtui.domain.enums import JobStatus
from certtui.domain.events import LogLine, UnitStateChanged
from certtui.engine.job import UNITS_PER_CALL_SLOT, EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.suites import default_suite
from support.engine import REGIONS, assert_consistent, clients_for, healthy_scenario, job_state
from support.engine import sync as sync_catalog
from support.postgres import PostgresServer, start_server

pytestmark = pytest.mark.fault

OUTAGE = 20.0
UNITS = 18
CONCURRENCY = 2
_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    """A server of this module's own: stopping it disturbs no other test."""
    pg = start_server()
    try:
        yield pg
    finally:
        pg.stop()


async def _until(predicate, what: str, timeout: float = 90) -> None:  # type: ignore[no-untyped-def]
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


def _alive(name: str) -> bool:
    return any(t.get_name() == name and not t.done() for t in asyncio.all_tasks())


async def test_postgres_stopped_for_20_s_mid_job_loses_nothing(server: PostgresServer) -> None:
    name = f"certtui_fault_{next(_names)}"
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user=server.user)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    engine = create_engine(parse_database_url(server.url(name)))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    try:
        async with (
            serve(healthy_scenario(6), latency_ms=150) as standin,
            clients_for(standin.url) as clients,
        ):
            await sync_catalog(sessions, standin.url)
            planned = await plan_job(
                sessions, JobRequest(regions=REGIONS, all_models=True), default_suite()
            )
            config = EngineConfig(
                concurrency=CONCURRENCY, region_concurrency=1, lease_ttl=5.0, heartbeat=0.2,
                db_attempt_timeout=2.0, db_outage_limit=120.0,
            )  # fmt: skip
            runner = JobRunner(sessions, clients, default_suite(), planned.job_id, config)
            events: list[object] = []
            runner.bus.subscribe(events.append)
            task = asyncio.create_task(runner.run())
            finished = lambda: [  # noqa: E731
                e for e in events if isinstance(e, UnitStateChanged) and e.status.is_terminal
            ]
            await _until(lambda: len(finished()) >= 3, "three units finished before the outage")

            await asyncio.to_thread(server.halt)
            down_at = time.monotonic()
            held_most = 0
            while time.monotonic() - down_at < OUTAGE:
                held_most = max(held_most, runner.writer.units_held)
                assert not task.done(), "the run ended during the outage"
                assert _alive(f"job-writer-{planned.job_id}")
                assert _alive(f"job-heartbeat-{planned.job_id}")
                await asyncio.sleep(0.2)
            # Calls stopped: nothing in flight, and what is held is bounded by the units in
            # flight when the outage began (and those finished just before, not yet written).
            assert runner.limiter.in_flight == 0
            assert held_most <= 2 * UNITS_PER_CALL_SLOT * CONCURRENCY < UNITS - 3
            assert any(
                isinstance(e, LogLine) and "database unreachable (" in e.message for e in events
            )
            await asyncio.to_thread(server.run)

            outcome = await asyncio.wait_for(task, 180)
            assert outcome.status is JobStatus.COMPLETED
            assert any(
                isinstance(e, LogLine) and "database reachable again" in e.message for e in events
            )
            final = await job_state(sessions, planned.job_id)
            assert final.status == "COMPLETED"
            assert final.units == {"COMPLETED": UNITS} and final.processed == UNITS
            assert_consistent(final)
            ids = [e.certification_id for e in finished()]
            assert len(ids) == len(set(ids)) == UNITS  # each unit finished once
    finally:
        await engine.dispose()
