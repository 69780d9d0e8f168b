"""Two runs planned at the same moment on the same cells: the database gives each cell to one.

Each pair plans through two engines of its own (two connections, two transactions that really
overlap on PostgreSQL), then the jobs run against the stand-in. A cell has at most one live
claim, the loser is told who holds the cells, and a job is COMPLETED only with every unit done.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.engine.control import cancel_job
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, PlannedJob, plan_job
from certtui.errors import UsageError
from certtui.standin.server import serve
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.store.models import ModelCertification
from certtui.suites import default_suite
from support.engine import REGIONS, assert_consistent, clients_for, healthy_scenario, job_state
from support.engine import sync as sync_catalog

pytestmark = pytest.mark.fault

PAIRS = 5
CELLS = 6 * len(REGIONS)
ALL = JobRequest(regions=REGIONS, all_models=True, created_by="race@ci")


async def _holders(sessions: async_sessionmaker) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(ModelCertification.job_id, sa.func.count())
            .where(ModelCertification.status == CertificationStatus.QUEUED)
            .group_by(ModelCertification.job_id)
        )
        return {job_id: count for job_id, count in rows}


async def test_two_runs_planned_at_once_never_share_a_cell(
    database_url: str, sessions: async_sessionmaker
) -> None:
    engines = [create_engine(parse_database_url(database_url)) for _ in range(2)]
    try:
        planners = [session_factory(engine) for engine in engines]
        async with serve(healthy_scenario(6)) as server:
            await sync_catalog(sessions, server.url)
            outcomes: list[PlannedJob | BaseException] = []
            for _ in range(PAIRS):
                pair = await asyncio.gather(
                    *(plan_job(s, ALL, default_suite()) for s in planners),
                    return_exceptions=True,
                )
                planned = [p for p in pair if isinstance(p, PlannedJob)]
                refused = [p for p in pair if not isinstance(p, PlannedJob)]
                assert planned, pair  # one of them always gets the cells
                held = await _holders(sessions)
                # Every planned job holds exactly the units it says, and the cells add up.
                assert held == {p.job_id: p.total for p in planned if p.total}, (pair, held)
                assert sum(held.values()) == CELLS
                for loser in refused:
                    assert isinstance(loser, UsageError), loser
                    winner = planned[0].job_id[:8]
                    assert f"held by job {winner}" in str(loser)
                    assert f"`certtui jobs cancel {winner}`" in str(loser)
                outcomes = [*pair]
                if _ != PAIRS - 1:
                    for p in planned:
                        await cancel_job(sessions, p.job_id)

            # The last pair's jobs run to their end: COMPLETED only with every unit processed.
            async with clients_for(server.url) as clients:
                for p in (o for o in outcomes if isinstance(o, PlannedJob)):
                    runner = JobRunner(
                        sessions, clients, default_suite(), p.job_id,
                        EngineConfig(concurrency=8, region_concurrency=4),
                    )  # fmt: skip
                    outcome = await runner.run()
                    state = await job_state(sessions, p.job_id)
                    assert_consistent(state)
                    assert outcome.status is JobStatus.COMPLETED
                    assert state.processed == state.total == p.total
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_real_deadlock_is_a_conflict_planning_runs_again(pg_url: str) -> None:
    """What planning retries on: PostgreSQL's own deadlock error, produced for real."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from certtui.store.outage import is_database_outage, is_transaction_conflict

    url = make_url(pg_url)
    connect = dict(host=url.host, port=url.port, user=url.username, database=url.database)
    setup = await asyncpg.connect(**connect)
    await setup.execute(
        "CREATE TABLE cells (id int primary key); INSERT INTO cells VALUES (1), (2)"
    )
    await setup.close()
    a, b = await asyncpg.connect(**connect), await asyncpg.connect(**connect)
    try:
        ta, tb = a.transaction(), b.transaction()
        await ta.start()
        await tb.start()
        await a.execute("UPDATE cells SET id = id WHERE id = 1")
        await b.execute("UPDATE cells SET id = id WHERE id = 2")
        outcomes = await asyncio.gather(
            a.execute("UPDATE cells SET id = id WHERE id = 2"),
            b.execute("UPDATE cells SET id = id WHERE id = 1"),
            return_exceptions=True,
        )
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], asyncpg.DeadlockDetectedError)
        assert is_transaction_conflict(errors[0])
        assert not is_transaction_conflict(asyncpg.UniqueViolationError("duplicate"))
        assert is_database_outage(errors[0])  # the writer retries it too
    finally:
        await a.close()
        await b.close()


async def test_a_job_whose_units_went_elsewhere_does_not_end_completed(
    sessions: async_sessionmaker,
) -> None:
    """What the race used to leave (a job printing 18 units, then COMPLETED 0/18, exit 0): a
    job is COMPLETED only with processed = total, and the exit code says so too."""
    from certtui.cli.run import EXIT_COULD_NOT_RUN, job_report
    from certtui.domain.enums import CertificationJobType
    from certtui.store import jobs

    async with serve(healthy_scenario(6)) as server:
        await sync_catalog(sessions, server.url)
        planned = await plan_job(sessions, ALL, default_suite())
        async with sessions.begin() as session:
            # Another job's plan took one of its units (the pre-fix upsert did exactly this).
            thief = await jobs.create_job(
                session, CertificationJobType.ALL_MODELS, list(REGIONS), [], total_models=1,
                status=JobStatus.PAUSED,
            )  # fmt: skip
            taken = await session.scalar(
                sa.select(ModelCertification.id)
                .where(ModelCertification.job_id == planned.job_id)
                .limit(1)
            )
            await session.execute(
                sa.update(ModelCertification)
                .where(ModelCertification.id == taken)
                .values(job_id=thief.id)
            )
        async with clients_for(server.url) as clients:
            outcome = await JobRunner(
                sessions, clients, default_suite(), planned.job_id,
                EngineConfig(concurrency=8, region_concurrency=4),
            ).run()  # fmt: skip
    assert outcome.status is JobStatus.FAILED
    state = await job_state(sessions, planned.job_id)
    assert state.status == "FAILED" and state.processed == CELLS - 1 < state.total
    report = await job_report(sessions, planned.job_id)
    assert report.exit_code == EXIT_COULD_NOT_RUN
