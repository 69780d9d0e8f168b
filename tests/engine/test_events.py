"""Every unit and job transition reaches a subscriber, after the commit that recorded it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import EngineEvent, JobStateChanged, LogLine, UnitStateChanged
from certtui.engine.control import recover_interrupted
from certtui.engine.events import EventBus
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store import certifications, jobs, migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.suites import default_suite
from support.engine import REGIONS, clients_for, healthy_scenario, sync

C = CertificationStatus
J = JobStatus
ALL = JobRequest(regions=REGIONS, all_models=True, created_by="test@ci")
# A unit's PROCESSING and its result may commit in one batch: by the time PROCESSING is
# delivered the row may already hold the result, never anything earlier.
LATER = {C.PROCESSING: {C.PROCESSING, C.COMPLETED, C.FAILED, C.CANCELLED}}


class Recorder:
    """A subscriber that reads, from its own connection, what the database holds per event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: list[EngineEvent] = []
        self.unseen: list[str] = []

    def __call__(self, event: EngineEvent) -> None:
        if not isinstance(event, UnitStateChanged | JobStateChanged):
            return
        self.events.append(event)
        with sqlite3.connect(self.path) as db:
            if isinstance(event, UnitStateChanged):
                query = "SELECT status FROM model_certifications WHERE id = ?"
                key = event.certification_id
            else:
                query = "SELECT status FROM certification_jobs WHERE id = ?"
                key = event.job_id
            (stored,) = db.execute(query, (key,)).fetchone()
        if stored not in LATER.get(event.status, {event.status}):
            self.unseen.append(f"{event!r} delivered while the database holds {stored}")

    def units(self, status: CertificationStatus) -> list[str]:
        return [e.certification_id for e in self.events
                if isinstance(e, UnitStateChanged) and e.status is status]  # fmt: skip

    def jobs(self) -> list[JobStatus]:
        return [e.status for e in self.events if isinstance(e, JobStateChanged)]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[async_sessionmaker, Path]]:
    path = tmp_path / "events.db"
    engine = create_engine(parse_database_url(f"sqlite:///{path}"))
    await migrate.upgrade(engine)
    yield session_factory(engine), path
    await engine.dispose()


async def _first(bus: EventBus, status: CertificationStatus) -> None:
    seen = asyncio.Event()
    bus.subscribe(
        lambda e: seen.set() if isinstance(e, UnitStateChanged) and e.status is status else None
    )
    await asyncio.wait_for(seen.wait(), 30)


async def test_a_run_publishes_queued_processing_and_results_in_order(
    database: tuple[async_sessionmaker, Path],
) -> None:
    sessions, path = database
    bus = EventBus()
    recorder = Recorder(path)
    bus.subscribe(recorder)
    async with serve(healthy_scenario(3)) as server:
        await sync(sessions, server.url)
        planned = await plan_job(sessions, ALL, default_suite(), bus=bus)
        assert len(recorder.units(C.QUEUED)) == planned.total == 9
        assert recorder.jobs() == [J.QUEUED]
        async with clients_for(server.url) as clients:
            config = EngineConfig(concurrency=4, region_concurrency=2)
            outcome = await JobRunner(
                sessions, clients, default_suite(), planned.job_id, config, bus=bus
            ).run()
    assert outcome.status is J.COMPLETED
    queued = recorder.units(C.QUEUED)
    assert sorted(recorder.units(C.PROCESSING)) == sorted(queued)
    assert sorted(recorder.units(C.COMPLETED)) == sorted(queued)
    for unit in queued:
        path_of = [e.status for e in recorder.events
                   if isinstance(e, UnitStateChanged) and e.certification_id == unit]  # fmt: skip
        assert path_of == [C.QUEUED, C.PROCESSING, C.COMPLETED]
    assert recorder.jobs() == [J.QUEUED, J.PROCESSING, J.COMPLETED]
    assert recorder.unseen == []


async def test_cancel_publishes_every_unfinished_unit_and_the_job(
    database: tuple[async_sessionmaker, Path],
) -> None:
    sessions, path = database
    bus = EventBus()
    recorder = Recorder(path)
    bus.subscribe(recorder)
    async with serve(healthy_scenario(4), latency_ms=400) as server:
        await sync(sessions, server.url)
        planned = await plan_job(sessions, ALL, default_suite(), bus=bus)
        async with clients_for(server.url) as clients:
            config = EngineConfig(concurrency=2, region_concurrency=1)
            runner = JobRunner(sessions, clients, default_suite(), planned.job_id, config, bus=bus)
            task = asyncio.create_task(runner.run())
            await _first(bus, C.PROCESSING)
            runner.cancel()
            outcome = await asyncio.wait_for(task, 30)
    assert outcome.status is J.CANCELLED
    finished = set(recorder.units(C.COMPLETED)) | set(recorder.units(C.FAILED))
    cancelled = recorder.units(C.CANCELLED)
    assert len(cancelled) == len(set(cancelled)) > 0
    assert set(cancelled) | finished == set(recorder.units(C.QUEUED))
    assert not set(cancelled) & finished
    assert recorder.jobs() == [J.QUEUED, J.PROCESSING, J.CANCELLED]
    assert recorder.unseen == []


async def test_pause_and_interrupt_publish_the_job_and_the_units_put_back(
    database: tuple[async_sessionmaker, Path],
) -> None:
    sessions, path = database
    bus = EventBus()
    recorder = Recorder(path)
    bus.subscribe(recorder)
    async with serve(healthy_scenario(4), latency_ms=300) as server:
        await sync(sessions, server.url)
        planned = await plan_job(sessions, ALL, default_suite(), bus=bus)
        async with clients_for(server.url) as clients:
            config = EngineConfig(concurrency=2, region_concurrency=1, heartbeat=0.1)
            runner = JobRunner(sessions, clients, default_suite(), planned.job_id, config, bus=bus)
            task = asyncio.create_task(runner.run())
            await _first(bus, C.PROCESSING)
            runner.pause()  # in-flight units finish; nothing goes back
            assert (await asyncio.wait_for(task, 30)).status is J.PAUSED
            assert recorder.jobs() == [J.QUEUED, J.PROCESSING, J.PAUSED]

            before = len(recorder.events)
            runner = JobRunner(sessions, clients, default_suite(), planned.job_id, config, bus=bus)
            task = asyncio.create_task(runner.run())
            await _first(bus, C.PROCESSING)
            runner.interrupt()  # in-flight units are cancelled and put back in the queue
            assert (await asyncio.wait_for(task, 30)).status is J.PAUSED
    after = [e for e in recorder.events[before:] if isinstance(e, UnitStateChanged)]
    started = {e.certification_id for e in after if e.status is C.PROCESSING}
    finished = {e.certification_id for e in after if e.status.is_terminal}
    requeued = [e.certification_id for e in after if e.status is C.QUEUED]
    # Every unit that started and did not finish is put back, once, after its PROCESSING.
    assert requeued and sorted(requeued) == sorted(started - finished)
    last_processing = max(i for i, e in enumerate(after) if e.status is C.PROCESSING)
    assert all(i > last_processing for i, e in enumerate(after) if e.status is C.QUEUED)
    job_events = [e.status for e in recorder.events[before:] if isinstance(e, JobStateChanged)]
    assert job_events == [J.PROCESSING, J.PAUSED]
    assert recorder.unseen == []


async def test_recovering_a_dead_owners_job_publishes_its_requeued_units(
    database: tuple[async_sessionmaker, Path],
) -> None:
    sessions, path = database
    bus = EventBus()
    recorder = Recorder(path)
    bus.subscribe(recorder)
    async with serve(healthy_scenario(1)) as server:
        await sync(sessions, server.url)
    planned = await plan_job(sessions, ALL, default_suite())
    async with sessions.begin() as session:
        # What a process that died mid-run leaves: the job PROCESSING under an expired lease.
        await jobs.set_job_status(
            session, planned.job_id, J.PROCESSING,
            config={"lease": {"owner": "gone", "heartbeat": 0, "ttl": 1}},
        )  # fmt: skip
        queued = await certifications.job_units(session, planned.job_id, (C.QUEUED,))
        running = [queued[0].certification_id]
        await certifications.start_units(session, planned.job_id, dict.fromkeys(running))
    assert await recover_interrupted(sessions, bus=bus) == [planned.job_id]
    assert recorder.units(C.QUEUED) == running
    assert recorder.jobs() == [J.PAUSED]
    assert recorder.unseen == []


async def test_a_subscriber_that_raises_never_stops_the_job_nor_the_other_subscribers(
    database: tuple[async_sessionmaker, Path],
) -> None:
    # Events are published from the writer's commit callback: a listener's fault (a screen
    # that has gone, a bug in an update) used to end the writer loop and so the job.
    sessions, path = database
    bus = EventBus()

    def broken(event: EngineEvent) -> None:
        if isinstance(event, UnitStateChanged):
            raise RuntimeError("a listener's bug")

    bus.subscribe(broken)
    recorder = Recorder(path)
    bus.subscribe(recorder)
    async with serve(healthy_scenario(3)) as server:
        await sync(sessions, server.url)
        planned = await plan_job(sessions, ALL, default_suite(), bus=bus)
        async with clients_for(server.url) as clients:
            config = EngineConfig(concurrency=4, region_concurrency=2)
            outcome = await JobRunner(
                sessions, clients, default_suite(), planned.job_id, config, bus=bus
            ).run()
    assert outcome.status is J.COMPLETED
    assert outcome.processed == outcome.total == 9
    queued = recorder.units(C.QUEUED)
    assert len(queued) == 9
    assert sorted(recorder.units(C.COMPLETED)) == sorted(queued)
    assert recorder.jobs() == [J.QUEUED, J.PROCESSING, J.COMPLETED]
    assert bus.failures == 3 * 9  # QUEUED, PROCESSING and COMPLETED of every unit


async def test_a_long_batch_on_a_busy_event_loop_is_written_not_taken_for_an_outage(
    database: tuple[async_sessionmaker, Path],
) -> None:
    # With the TUI and 64 calls on one event loop, each statement of a batch waits its turn:
    # a 200-unit batch took 8 to 24 s (bench/tui), the writer gave it up at the attempt
    # timeout as "database unreachable", retried a larger one, and the job paused after the
    # outage limit with nothing written. Here every loop turn is held for a while as one
    # batch of every unit is written: far longer than the attempt timeout in all (about 30
    # statements of a few hundred ms each), yet each statement is answered well within it
    # (with room for a machine that is busy with other work too).
    sessions, _ = database
    bus = EventBus()
    logged: list[str] = []
    claimed = asyncio.Event()

    def listen(event: EngineEvent) -> None:
        if isinstance(event, LogLine):
            logged.append(event.message)
        elif isinstance(event, JobStateChanged) and event.status is J.PROCESSING:
            claimed.set()

    bus.subscribe(listen)

    async def hog(runner: JobRunner, total: int) -> None:
        # Until the batch is written (the job's other transactions are a few statements).
        while runner.processed < total:
            time.sleep(0.03)  # the loop is busy with someone else's work
            await asyncio.sleep(0)

    async with serve(healthy_scenario(10)) as server:
        await sync(sessions, server.url)
        planned = await plan_job(sessions, ALL, default_suite(), bus=bus)
        assert planned.total == 30
        async with clients_for(server.url) as clients:
            config = EngineConfig(
                concurrency=16, region_concurrency=8, db_attempt_timeout=2.0, db_outage_limit=3
            )
            runner = JobRunner(sessions, clients, default_suite(), planned.job_id, config, bus=bus)
            task = asyncio.create_task(runner.run())
            await asyncio.wait_for(claimed.wait(), 60)
            async with runner.writer.lock:  # the results gather into one batch meanwhile
                for _ in range(1200):
                    if len(runner.writer._finished) == planned.total:
                        break
                    await asyncio.sleep(0.05)
                assert len(runner.writer._finished) == planned.total
                busy = asyncio.create_task(hog(runner, planned.total))
            try:
                outcome = await asyncio.wait_for(task, 120)
            finally:
                busy.cancel()
    assert [message for message in logged if "unreachable" in message] == []
    assert outcome.status is J.COMPLETED
    assert outcome.processed == planned.total
