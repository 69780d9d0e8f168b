"""The history of verdicts: one row per finished unit, and queuing never hides the last verdict."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.engine.control import cancel_job
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store import history
from certtui.store.models import CertificationJob, CertificationResult, ModelCertification
from certtui.store.views import job_units, load_certifications
from certtui.suites import default_suite
from support.cli import run_certtui
from support.engine import REGIONS, clients_for, healthy_scenario, sync
from support.probe import install

C = CertificationStatus
ALL = JobRequest(regions=REGIONS, all_models=True, created_by="test@ci")


async def _run_job(sessions: async_sessionmaker, url: str) -> str:
    job_id = (await plan_job(sessions, ALL, default_suite())).job_id
    async with clients_for(url) as clients:
        outcome = await JobRunner(
            sessions, clients, default_suite(), job_id, EngineConfig(concurrency=6)
        ).run()
    assert outcome.status is JobStatus.COMPLETED
    return job_id


async def _history(sessions: async_sessionmaker) -> list[tuple[str | None, str]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(CertificationResult.job_id, CertificationResult.status)
        )
        return sorted((job_id, C(status).value) for job_id, status in rows)


async def _cells(sessions: async_sessionmaker) -> list[tuple[str, str | None, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(ModelCertification.status, ModelCertification.job_id,
                      ModelCertification.rating)
        )  # fmt: skip
        return sorted((C(status).value, job_id, rating) for status, job_id, rating in rows)


async def test_every_finished_unit_is_one_history_row_committed_with_its_counters(
    db_engine: AsyncEngine, sessions: async_sessionmaker
) -> None:
    probe = install(db_engine)
    async with serve(healthy_scenario(2)) as server:
        await sync(sessions, server.url)
        first = await _run_job(sessions, server.url)
        second = await _run_job(sessions, server.url)
    # The probe checked every commit: counters = history rows of the job, one per unit.
    assert probe.commits > 2 and probe.violations == []
    assert await _history(sessions) == sorted(
        [(first, "COMPLETED")] * 6 + [(second, "COMPLETED")] * 6
    )
    # The reads diff and the Changes screen make, on each backend.
    async with sessions() as session:
        assert [j.job_id for j in await history.completed_jobs(session)] == [second, first]
        assert len(await history.job_verdicts(session, first)) == 6
        last_two = await history.last_two_verdicts(session)
        assert len(last_two) == 6 and {len(v) for v in last_two.values()} == {2}
        assert {v[0].job_id for v in last_two.values()} == {second}
        assert await history.regressed_cells(session) == set()


async def test_a_queued_then_cancelled_recertification_leaves_the_last_verdict(
    db_engine: AsyncEngine, sessions: async_sessionmaker
) -> None:
    probe = install(db_engine)
    async with serve(healthy_scenario(2)) as server:
        await sync(sessions, server.url)
        first = await _run_job(sessions, server.url)
    second = (await plan_job(sessions, ALL, default_suite())).job_id

    # Queued: the cells belong to the new job, and still show their last verdict's result.
    assert await _cells(sessions) == [("QUEUED", second, "A")] * 6
    async with sessions() as session:
        exported = await load_certifications(session)
        assert {(r.status, r.rating, r.job_id) for r in exported} == {(C.COMPLETED, "A", first)}
        queued = await job_units(session, second)
        assert {(u.status, u.rating) for u in queued} == {("QUEUED", None)} and len(queued) == 6
        assert len(await job_units(session, first)) == 6

    await cancel_job(sessions, second)
    assert await _cells(sessions) == [("COMPLETED", first, "A")] * 6
    assert await _history(sessions) == sorted(
        [(first, "COMPLETED")] * 6 + [(second, "CANCELLED")] * 6
    )
    async with sessions() as session:
        job = await session.get(CertificationJob, second)
        assert job is not None and (job.processed_models, job.failure_count) == (6, 6)
        assert {u.status for u in await job_units(session, second)} == {"CANCELLED"}
        old = await job_units(session, first)
        assert len(old) == 6 and {(u.status, u.rating) for u in old} == {("COMPLETED", "A")}
        assert len(await load_certifications(session, job_id=first)) == 6
        exported = await load_certifications(session)
        assert {(r.status, r.rating) for r in exported} == {(C.COMPLETED, "A")}
    assert probe.violations == []


async def test_cancel_without_an_earlier_verdict_shows_cancelled(
    sessions: async_sessionmaker,
) -> None:
    async with serve(healthy_scenario(1)) as server:
        await sync(sessions, server.url)
    job_id = (await plan_job(sessions, ALL, default_suite())).job_id
    await cancel_job(sessions, job_id)
    assert await _cells(sessions) == [("CANCELLED", job_id, None)] * 3
    assert await _history(sessions) == [(job_id, "CANCELLED")] * 3


async def test_jobs_show_and_export_of_an_old_job_after_its_cells_were_reused(
    sqlite_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from certtui.store import migrate
    from certtui.store.database import create_engine, parse_database_url, session_factory

    engine = create_engine(parse_database_url(sqlite_url))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    try:
        async with serve(healthy_scenario(2)) as server:
            await sync(sessions, server.url)
            first = await _run_job(sessions, server.url)
            await _run_job(sessions, server.url)
        paused = (await plan_job(sessions, ALL, default_suite())).job_id
    finally:
        await engine.dispose()
    shown = run_certtui("--db", sqlite_url, "jobs", "show", first, "--json")
    assert shown.returncode == 0, shown.stderr
    units = json.loads(shown.stdout)["units"]
    assert len(units) == 6 and {u["status"] for u in units} == {"COMPLETED"}
    output = tmp_path / "old.json"
    exported = run_certtui(
        "--db", sqlite_url, "export", "--format", "json", "--job", first, "--output", str(output)
    )
    assert exported.returncode == 0, exported.stderr
    assert len(json.loads(output.read_text())["certifications"]) == 6
    # The cells a paused job holds export as their last verdict.
    everything = run_certtui("--db", sqlite_url, "export", "--format", "json")
    assert everything.returncode == 0, everything.stderr
    statuses = {r["status"] for r in json.loads(everything.stdout)["certifications"]}
    assert statuses == {"COMPLETED"}, (paused, statuses)
