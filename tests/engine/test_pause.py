"""An honest pause: no Bedrock call starts once it is asked; in-flight calls finish or, asked
again, are cancelled and their units requeued without a verdict (SPEC §2.3 holds throughout).

Times compared are recorded ones: when the runner took the pause, when each call reached the
stand-in, and when the limiter let each call out (all ``time.monotonic()`` in this process).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import JobStatus
from certtui.domain.events import JobProgress, UnitStateChanged
from certtui.engine.control import pause_job
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.suites import default_suite
from support.engine import REGIONS, assert_consistent, clients_for, healthy_scenario, job_state
from support.engine import sync as sync_catalog

ALL = JobRequest(regions=REGIONS, all_models=True, created_by="test@ci")


async def _until(condition: Callable[[], bool], timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def _paused_state(sessions: async_sessionmaker, job_id: str):  # type: ignore[no-untyped-def]
    """The job once the heartbeat has written the pause (it beats every 0.1 s here)."""
    async with asyncio.timeout(30):
        while (state := await job_state(sessions, job_id)).status != "PAUSED":
            await asyncio.sleep(0.05)
    return state


def _calls_after(starts: list[float], moment: float) -> int:
    return sum(1 for started in starts if started > moment)


async def _start(
    sessions: async_sessionmaker, url: str, clients, *, exit_on_pause: bool = False
) -> tuple[JobRunner, asyncio.Task, list[object]]:  # type: ignore[no-untyped-def]
    planned = await plan_job(sessions, ALL, default_suite())
    runner = JobRunner(
        sessions, clients, default_suite(), planned.job_id,
        EngineConfig(concurrency=6, region_concurrency=2, heartbeat=0.1, progress_interval=0.05),
        exit_on_pause=exit_on_pause,
    )  # fmt: skip
    events: list[object] = []
    runner.bus.subscribe(events.append)
    return runner, asyncio.create_task(runner.run()), events


def _mid_battery(events: list[object]) -> bool:
    # Once one unit has its verdict, the others are part-way through their ten calls.
    return any(isinstance(e, UnitStateChanged) and e.status.is_terminal for e in events)


async def test_no_call_starts_after_the_pause_and_in_flight_calls_finish(
    sessions: async_sessionmaker,
) -> None:
    async with serve(healthy_scenario(6), latency_ms=300) as server:
        await sync_catalog(sessions, server.url)
        async with clients_for(server.url) as clients:
            runner, task, events = await _start(sessions, server.url, clients)
            await _until(lambda: _mid_battery(events))
            runner.pause()
            paused_at = runner.pause_requested_at
            assert paused_at is not None
            in_flight_at_pause = runner.calls_in_flight_at_pause
            assert in_flight_at_pause > 0 and runner.pausing
            progress = [e for e in events if isinstance(e, JobProgress)]
            assert progress[-1].status is JobStatus.PAUSED and progress[-1].pausing

            await _until(lambda: not runner.pausing)
            await runner.writer.flush()
            # The limiter let no call out after the pause; the only calls the stand-in saw
            # after it are ones let out before it and still on their way (at most the calls
            # in flight then); and the stand-in saw no call the limiter did not let out.
            assert runner.limiter.last_call_started is not None
            assert runner.limiter.last_call_started <= paused_at
            starts = server.stats.call_starts
            assert _calls_after(starts, paused_at) <= in_flight_at_pause
            assert len(starts) == runner.limiter.calls_started
            assert sum(server.stats.in_flight_now.values()) == 0
            assert [e for e in events if isinstance(e, JobProgress)][-1].pausing is False

            paused = await _paused_state(sessions, runner.job_id)
            assert "PROCESSING" not in paused.units and paused.units.get("QUEUED", 0) > 0
            assert_consistent(paused)
            seen = len(server.stats.call_starts)
            await asyncio.sleep(0.5)  # paused means paused: nothing starts while it holds
            assert len(server.stats.call_starts) == seen

            runner.resume()
            outcome = await asyncio.wait_for(task, 180)
    assert outcome.status is JobStatus.COMPLETED
    final = await job_state(sessions, runner.job_id)
    assert final.units == {"COMPLETED": 18}
    assert_consistent(final)


async def test_a_second_press_cancels_in_flight_calls_and_requeues_their_units(
    sessions: async_sessionmaker,
) -> None:
    # Calls slow enough that none can finish between the two presses.
    async with serve(healthy_scenario(6, first_token_ms=3000), latency_ms=3000) as server:
        await sync_catalog(sessions, server.url)
        async with clients_for(server.url) as clients:
            runner, task, events = await _start(sessions, server.url, clients)
            await _until(lambda: runner.limiter.calls_in_flight >= 6)
            await runner.writer.flush()
            running_units = len(runner._tasks)
            before = await job_state(sessions, runner.job_id)
            assert before.units.get("PROCESSING") == running_units, before
            runner.pause()
            paused_at = runner.pause_requested_at
            assert paused_at is not None and runner.pausing
            runner.pause_now()
            await _until(lambda: not runner.pausing, timeout=2.5)
            await runner.writer.flush()
            await _until(lambda: sum(server.stats.in_flight_now.values()) == 0, timeout=2.5)
            assert runner.limiter.last_call_started <= paused_at  # type: ignore[operator]
            paused = await _paused_state(sessions, runner.job_id)
            # Every unit that was running went back to QUEUED: no verdict, nothing counted.
            assert paused.status == "PAUSED"
            assert paused.units == {"QUEUED": 18}
            assert paused.processed == 0 and running_units > 0
            assert_consistent(paused)
            requeued = [
                e for e in events
                if isinstance(e, UnitStateChanged) and e.status.value == "QUEUED"
            ]  # fmt: skip
            assert len(requeued) >= running_units
            runner.cancel()
            outcome = await asyncio.wait_for(task, 30)
    assert outcome.status is JobStatus.CANCELLED


async def test_a_pause_from_another_process_starts_no_call_after_the_engine_reads_it(
    sessions: async_sessionmaker,
) -> None:
    async with serve(healthy_scenario(6), latency_ms=300) as server:
        await sync_catalog(sessions, server.url)
        async with clients_for(server.url) as clients:
            runner, task, events = await _start(sessions, server.url, clients, exit_on_pause=True)
            await _until(lambda: _mid_battery(events))
            control = await pause_job(sessions, runner.job_id)
            assert control.live
            # The engine reads the request at its next heartbeat (0.1 s here).
            await _until(lambda: runner.pause_requested_at is not None)
            in_flight_at_pause = runner.calls_in_flight_at_pause
            outcome = await asyncio.wait_for(task, 60)
            paused_at = runner.pause_requested_at
            assert paused_at is not None
    assert outcome.status is JobStatus.PAUSED
    assert runner.limiter.last_call_started <= paused_at  # type: ignore[operator]
    assert _calls_after(server.stats.call_starts, paused_at) <= in_flight_at_pause
    state = await job_state(sessions, runner.job_id)
    assert state.status == "PAUSED" and "PROCESSING" not in state.units
    assert_consistent(state)


async def test_a_second_pause_from_another_process_cancels_the_calls_in_flight(
    sessions: async_sessionmaker,
) -> None:
    # Calls slow enough that none can finish before the second request is read.
    async with serve(healthy_scenario(6, first_token_ms=20000), latency_ms=20000) as server:
        await sync_catalog(sessions, server.url)
        async with clients_for(server.url) as clients:
            runner, task, _ = await _start(sessions, server.url, clients)
            await _until(lambda: runner.limiter.calls_in_flight >= 6)
            await runner.writer.flush()
            first = await pause_job(sessions, runner.job_id)
            assert first.live and not first.now
            await _until(lambda: runner.pausing)  # read at the next heartbeat
            again = await pause_job(sessions, runner.job_id)
            assert again.live and again.now
            await _until(lambda: not runner.pausing, timeout=10)
            assert runner.limiter.calls_in_flight == 0
            assert runner.limiter.last_call_started <= runner.pause_requested_at  # type: ignore[operator]
            paused = await _paused_state(sessions, runner.job_id)
            assert paused.units == {"QUEUED": 18} and paused.processed == 0
            assert_consistent(paused)
            async with sessions() as session:
                from certtui.store.views import job_config

                assert "pauseNow" not in await job_config(session, runner.job_id)  # consumed
            runner.cancel()
            await asyncio.wait_for(task, 30)
