"""Following jobs through the database: each change is told once, as the engine's own event
(store/follow.py, the TUI's source when the engine runs in another process)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.store import certifications, jobs
from certtui.store.follow import changes_since, start_cursor
from store.test_writes import _catalog, _job

S, J = CertificationStatus, JobStatus


async def _look(sessions: async_sessionmaker, cursor):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await changes_since(session, cursor)


async def test_each_unit_and_job_change_is_told_once(sessions: async_sessionmaker) -> None:
    m0, m1, _ = await _catalog(sessions)
    before = await _job(sessions, [(m0, "us-east-1")])  # there before the follower
    async with sessions() as session:
        cursor = await start_cursor(session)
    nothing = await _look(sessions, cursor)
    assert nothing.units == [] and nothing.jobs == []  # the past is not news

    job_id = await _job(sessions, [(m1, "us-east-1"), (m1, "eu-west-1")])
    seen = await _look(sessions, cursor)
    assert sorted((e.job_id, e.region, e.status) for e in seen.units) == [
        (job_id, "eu-west-1", S.QUEUED), (job_id, "us-east-1", S.QUEUED)
    ]  # fmt: skip
    assert [(e.job_id, e.status, e.total) for e in seen.jobs] == [(job_id, J.QUEUED, 2)]
    again = await _look(sessions, cursor)
    assert again.units == [] and again.jobs == []

    cid = next(e.certification_id for e in seen.units if e.region == "us-east-1")
    async with sessions.begin() as session:
        await jobs.set_job_status(session, job_id, J.PROCESSING)
        await certifications.start_units(session, job_id, {cid: None})
        await certifications.finish_unit(
            session, job_id, cid, S.COMPLETED, passed=True, score=97.5, rating="A",
            testResults={"simulated": True},
        )  # fmt: skip
        await jobs.increment_counters(session, job_id, succeeded=1, failed=0)
    seen = await _look(sessions, cursor)
    finished = [e for e in seen.units if e.certification_id == cid]
    (last,) = finished
    assert (last.status, last.passed, last.score, last.rating, last.simulated) == (
        S.COMPLETED, True, 97.5, "A", True
    )  # fmt: skip
    assert last.api_model_id == "vendor.model-1-v1:0"
    assert [(e.status, e.processed, e.succeeded) for e in seen.jobs] == [(J.PROCESSING, 1, 1)]
    assert set(cursor.active_jobs()) == {job_id, before}  # `before` is QUEUED, seen at start

    async with sessions.begin() as session:
        await jobs.set_job_status(session, job_id, J.CANCELLED)
    seen = await _look(sessions, cursor)
    assert [(e.job_id, e.status) for e in seen.jobs] == [(job_id, J.CANCELLED)]
    assert job_id not in cursor.jobs  # told it ended: not read again
    assert (await _look(sessions, cursor)).jobs == []
