"""Property: over random fault schedules, every unit ends terminal and the counters never lie."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certtui.domain.enums import JobStatus
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.engine.retry import RetryPolicy
from certtui.standin.scenario import FaultRates
from certtui.standin.server import serve
from certtui.store import migrate
from certtui.store.database import create_engine, session_factory, sqlite_target
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

rate = st.sampled_from([0.0, 0.05, 0.15, 0.3])
TRANSIENT = ("throttle", "not_ready", "internal_error", "unavailable", "timeout", "stream_error")


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    transient=st.fixed_dictionaries({name: rate for name in TRANSIENT}),
    model_error=st.sampled_from([0.0, 0.0, 0.1]),
    max_attempts=st.sampled_from([2, 40]),
    seed=st.integers(0, 10_000),
    concurrency=st.sampled_from([2, 6]),
)
def test_every_unit_ends_terminal_and_the_invariant_holds_at_every_commit(
    tmp_path_factory, transient, model_error, max_attempts, seed, concurrency
) -> None:  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("faults") / "faults.db"
    asyncio.run(_run(path, FaultRates(**transient, model_error=model_error), max_attempts, seed,
                     concurrency))  # fmt: skip


async def _run(path: Path, faults: FaultRates, max_attempts: int, seed: int, limit: int) -> None:
    engine = create_engine(sqlite_target(path))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    probe = install(engine)
    try:
        async with serve(healthy_scenario(3), faults=faults, seed=seed) as server:
            await sync(sessions, server.url)
            planned = await plan_job(
                sessions, JobRequest(regions=REGIONS, all_models=True), default_suite()
            )
            config = EngineConfig(
                concurrency=limit,
                region_concurrency=max(1, limit // 2),
                retry=RetryPolicy(base=0.005, cap=0.02, max_attempts=max_attempts),
            )
            async with clients_for(server.url) as clients:
                outcome = await JobRunner(
                    sessions, clients, default_suite(), planned.job_id, config
                ).run()
            peak = max(server.stats.max_in_flight.values())
        state = await job_state(sessions, planned.job_id)
    finally:
        await engine.dispose()
    assert outcome.status is JobStatus.COMPLETED
    assert set(state.units) <= {"COMPLETED", "FAILED"}  # every unit terminal
    assert_consistent(state)
    assert probe.commits > 0 and probe.violations == []
    assert peak <= max(1, limit // 2)
    # With enough attempts (a fault rate of 0.6 fails 40 in a row once in 10^9), transient
    # faults never fail a unit; only a model error can.
    if max_attempts == 40 and faults.model_error == 0:
        assert state.units == {"COMPLETED": state.total}
