"""The engine against the real stand-in over HTTP: outcomes, limits, faults, cancel, pause."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import JobProgress, RetryScheduled, Throttled, UnitStateChanged
from certtui.engine.control import cancel_job, pause_job
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.engine.retry import RetryPolicy
from certtui.standin.scenario import FaultRates
from certtui.standin.server import serve
from certtui.store.views import load_job_log
from certtui.suites import default_suite
from support.engine import (
    REGIONS,
    assert_consistent,
    clients_for,
    healthy_scenario,
    job_state,
    sync,
)
from support.probe import install

FAST_RETRIES = RetryPolicy(base=0.01, cap=0.05, max_attempts=12)
ALL = JobRequest(regions=REGIONS, all_models=True, created_by="test@ci")


async def _plan(sessions: async_sessionmaker, request: JobRequest = ALL) -> str:
    planned = await plan_job(sessions, request, default_suite())
    return planned.job_id


async def test_healthy_run_certifies_every_unit(
    db_engine: AsyncEngine, sessions: async_sessionmaker
) -> None:
    probe = install(db_engine)
    async with serve(healthy_scenario(6)) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        events: list[object] = []
        async with clients_for(server.url) as clients:
            runner = JobRunner(
                sessions, clients, default_suite(), job_id,
                EngineConfig(concurrency=12, region_concurrency=3, retry=FAST_RETRIES),
            )  # fmt: skip
            runner.bus.subscribe(events.append)
            outcome = await runner.run()
        peaks = server.stats.max_in_flight
    assert outcome.status is JobStatus.COMPLETED
    state = await job_state(sessions, job_id)
    assert (
        state.units == {"COMPLETED": 18} and state.succeeded == 18 and state.status == "COMPLETED"
    )
    assert_consistent(state)
    assert probe.commits > 3 and probe.violations == []
    assert max(peaks.values()) <= 3  # the per-region limit, measured at the server
    finished = [e for e in events if isinstance(e, UnitStateChanged) and e.status.is_terminal]
    assert len(finished) == 18 and all(e.rating == "A" for e in finished)
    progress = [e for e in events if isinstance(e, JobProgress)]
    assert progress[-1].processed == 18 and progress[-1].status is JobStatus.COMPLETED


async def test_transient_faults_are_retried_to_completion(
    db_engine: AsyncEngine, sessions: async_sessionmaker
) -> None:
    probe = install(db_engine)
    faults = FaultRates(
        throttle=0.2, not_ready=0.05, internal_error=0.1, unavailable=0.05, timeout=0.05,
        stream_error=0.3,
    )  # fmt: skip
    async with serve(healthy_scenario(4), faults=faults, seed=7) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        events: list[object] = []
        async with clients_for(server.url) as clients:
            runner = JobRunner(
                sessions, clients, default_suite(), job_id,
                EngineConfig(concurrency=8, region_concurrency=2, retry=FAST_RETRIES),
            )  # fmt: skip
            runner.bus.subscribe(events.append)
            outcome = await runner.run()
        peaks = server.stats.max_in_flight
        errors = server.stats.errors
    assert errors.get("ThrottlingException", 0) > 0
    assert any("streamerror" in code.lower() for code in errors), errors  # mid-stream errors
    assert outcome.status is JobStatus.COMPLETED
    state = await job_state(sessions, job_id)
    assert state.units == {"COMPLETED": 12}
    assert_consistent(state)
    assert probe.violations == []
    assert max(peaks.values()) <= 2
    assert any(isinstance(e, RetryScheduled) for e in events)
    assert any(isinstance(e, Throttled) for e in events)
    assert runner.context.stats.retries == sum(isinstance(e, RetryScheduled) for e in events)
    # The job's log keeps every retry and throttle, read back as the units screen reads it.
    async with sessions() as session:
        log = await load_job_log(session, job_id)
    retries = [e for e in events if isinstance(e, RetryScheduled)]
    assert sum(line.kind == "retry" for line in log) == len(retries)
    assert sum(line.kind == "throttle" for line in log) == sum(
        isinstance(e, Throttled) for e in events
    )
    first = next(line for line in log if line.kind == "retry")
    assert (first.api_model_id, first.region) == (retries[0].api_model_id, retries[0].region)
    assert retries[0].code in first.message and retries[0].test_id in first.message


async def test_cancel_stops_calls_and_leaves_nothing_running(
    sessions: async_sessionmaker,
) -> None:
    # Each call takes a minute: a run that ends, with nothing open at the server, well before
    # that was cancelled (no timing is tight here, so a busy machine cannot fail it).
    async with serve(healthy_scenario(6), latency_ms=60_000) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        async with clients_for(server.url) as clients:
            runner = JobRunner(
                sessions, clients, default_suite(), job_id, EngineConfig(concurrency=6)
            )
            started = asyncio.Event()
            runner.bus.subscribe(
                lambda e: started.set() if isinstance(e, JobProgress) and e.in_flight_calls >= 4
                else None
            )  # fmt: skip
            task = asyncio.create_task(runner.run())
            await asyncio.wait_for(started.wait(), 30)
            await _until(lambda: sum(server.stats.in_flight_now.values()) >= 4)  # at the server
            runner.cancel()
            await asyncio.wait_for(asyncio.shield(task), 30)
            await _until(lambda: sum(server.stats.in_flight_now.values()) == 0)
            outcome = task.result()
    assert outcome.status is JobStatus.CANCELLED
    state = await job_state(sessions, job_id)
    assert "PROCESSING" not in state.units and "QUEUED" not in state.units
    assert state.units.get("CANCELLED", 0) == 18
    assert state.status == "CANCELLED"
    assert_consistent(state)


async def test_pause_lets_in_flight_units_finish_then_resume_completes(
    sessions: async_sessionmaker,
) -> None:
    async with serve(healthy_scenario(6), latency_ms=150) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        async with clients_for(server.url) as clients:
            runner = JobRunner(
                sessions, clients, default_suite(), job_id,
                EngineConfig(concurrency=3, region_concurrency=1, heartbeat=0.1),
                exit_on_pause=False,
            )  # fmt: skip
            first_done = asyncio.Event()
            runner.bus.subscribe(
                lambda e: first_done.set()
                if isinstance(e, UnitStateChanged) and e.status.is_terminal else None
            )  # fmt: skip
            task = asyncio.create_task(runner.run())
            await asyncio.wait_for(first_done.wait(), 30)
            runner.pause()
            await _until(lambda: not runner._tasks)  # in-flight units drain
            await runner.writer.flush()
            paused = await job_state(sessions, job_id)
            assert "PROCESSING" not in paused.units and paused.units.get("QUEUED", 0) > 0
            assert_consistent(paused)
            runner.resume()
            outcome = await asyncio.wait_for(task, 120)
    assert outcome.status is JobStatus.COMPLETED
    final = await job_state(sessions, job_id)
    assert final.units == {"COMPLETED": 18}
    assert_consistent(final)


async def test_pause_from_another_process_then_resume_in_a_new_runner(
    sessions: async_sessionmaker,
) -> None:
    async with serve(healthy_scenario(6), latency_ms=100) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        async with clients_for(server.url) as clients:
            config = EngineConfig(concurrency=2, region_concurrency=1, heartbeat=0.1)
            runner = JobRunner(sessions, clients, default_suite(), job_id, config)
            first_done = asyncio.Event()
            runner.bus.subscribe(
                lambda e: first_done.set()
                if isinstance(e, UnitStateChanged) and e.status.is_terminal else None
            )  # fmt: skip
            task = asyncio.create_task(runner.run())
            await asyncio.wait_for(first_done.wait(), 30)
            control = await pause_job(sessions, job_id[:8])
            assert control.live
            outcome = await asyncio.wait_for(task, 30)
            assert outcome.status is JobStatus.PAUSED
            paused = await job_state(sessions, job_id)
            assert paused.status == "PAUSED" and "PROCESSING" not in paused.units
            assert_consistent(paused)
            again = await JobRunner(sessions, clients, default_suite(), job_id, config).run()
    assert again.status is JobStatus.COMPLETED
    final = await job_state(sessions, job_id)
    assert final.units == {"COMPLETED": 18}
    assert_consistent(final)


async def test_a_cancel_from_another_process_wins_over_a_local_interrupt(
    sessions: async_sessionmaker,
) -> None:
    # The cancel lands between two heartbeats, and the runner is interrupted (SIGTERM) before
    # it has read it: the job must end CANCELLED with every unit finished, not CANCELLED with
    # its units put back in the queue.
    async with serve(healthy_scenario(6), latency_ms=100) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        async with clients_for(server.url) as clients:
            config = EngineConfig(concurrency=2, region_concurrency=1, heartbeat=3600)
            runner = JobRunner(sessions, clients, default_suite(), job_id, config)
            first_done = asyncio.Event()
            runner.bus.subscribe(
                lambda e: first_done.set()
                if isinstance(e, UnitStateChanged) and e.status.is_terminal else None
            )  # fmt: skip
            task = asyncio.create_task(runner.run())
            await asyncio.wait_for(first_done.wait(), 30)
            control = await cancel_job(sessions, job_id[:8])
            assert control.live  # the engine holds the lease: only the job row changed
            runner.interrupt()
            outcome = await asyncio.wait_for(task, 30)
    assert outcome.status is JobStatus.CANCELLED and not outcome.interrupted
    final = await job_state(sessions, job_id)
    assert final.status == "CANCELLED"
    assert set(final.units) <= {"COMPLETED", "CANCELLED"} and "CANCELLED" in final.units
    assert final.processed == final.total == outcome.processed
    assert_consistent(final)


async def test_recertify_failed_plans_only_units_that_did_not_pass(
    sessions: async_sessionmaker,
) -> None:
    scenario = healthy_scenario(3)
    async with serve(scenario) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        async with clients_for(server.url) as clients:
            await JobRunner(sessions, clients, default_suite(), job_id).run()
    # Make two units look failed, as a previous run would have left them.
    from sqlalchemy import update

    from certtui.store.models import ModelCertification

    async with sessions.begin() as session:
        ids = list(
            (await session.scalars(ModelCertification.__table__.select().with_only_columns(
                ModelCertification.__table__.c.id).limit(2))).all()
        )  # fmt: skip
        await session.execute(
            update(ModelCertification)
            .where(ModelCertification.id.in_(ids))
            .values(status=CertificationStatus.FAILED, passed=False)
        )
    planned = await plan_job(
        sessions, JobRequest(regions=REGIONS, recertify_failed=True), default_suite()
    )
    assert planned.total == 2
    state = await job_state(sessions, planned.job_id)
    assert state.units == {"QUEUED": 2}


async def _until(predicate, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_a_run_cancelled_from_outside_leaves_the_job_paused_and_resumable(
    sessions: async_sessionmaker,
) -> None:
    async with serve(healthy_scenario(3), latency_ms=500) as server:
        await sync(sessions, server.url)
        job_id = await _plan(sessions)
        async with clients_for(server.url) as clients:
            runner = JobRunner(sessions, clients, default_suite(), job_id, EngineConfig())
            task = asyncio.create_task(runner.run())
            await _until(lambda: runner.limiter.in_flight > 0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            state = await job_state(sessions, job_id)
            assert state.status == "PAUSED" and "PROCESSING" not in state.units
            assert_consistent(state)
            resumed = await JobRunner(sessions, clients, default_suite(), job_id).run()
    assert resumed.status is JobStatus.COMPLETED
    assert_consistent(await job_state(sessions, job_id))
