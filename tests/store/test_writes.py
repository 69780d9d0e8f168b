"""Production writes of units and jobs, and the constraints under them (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.store import certifications, jobs
from certtui.store.models import AIModel, AIProvider, CertificationJob, ModelCertification

S = CertificationStatus


async def _catalog(sessions: async_sessionmaker, count: int = 3) -> list[str]:
    async with sessions.begin() as session:
        provider = AIProvider(name="AWS Bedrock", slug="bedrock")
        session.add(provider)
        await session.flush()
        models = [
            AIModel(
                name=f"Model {i}", api_model_id=f"vendor.model-{i}-v1:0", provider_id=provider.id
            )
            for i in range(count)
        ]
        session.add_all(models)
        await session.flush()
        return [m.id for m in models]


async def _job(sessions: async_sessionmaker, units: list[tuple[str, str]], **kw) -> str:  # type: ignore[no-untyped-def]
    """A job with its units QUEUED, as planning writes it."""
    async with sessions.begin() as session:
        job = await jobs.create_job(
            session, CertificationJobType.MULTIPLE_MODELS, sorted({r for _, r in units}),
            sorted({m for m, _ in units}), total_models=len(units), status=JobStatus.QUEUED, **kw,
        )  # fmt: skip
        await certifications.queue_units(
            session, units, job_id=job.id, created_by=kw.get("created_by")
        )
    return job.id


async def _row(sessions: async_sessionmaker, model_id: str, region: str) -> ModelCertification:
    async with sessions() as session:
        row = await session.scalar(
            sa.select(ModelCertification).where(
                ModelCertification.model_id == model_id, ModelCertification.region == region
            )
        )
    assert row is not None
    return row


async def _finish(
    sessions: async_sessionmaker, job_id: str, cert_id: str, status: S, **results
) -> bool:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        await certifications.start_units(session, job_id, {cert_id: results.get("startedAt")})
        return await certifications.finish_unit(session, job_id, cert_id, status, **results)


async def test_queue_units_creates_queued_rows_with_their_events(
    sessions: async_sessionmaker,
) -> None:
    model_id, *_ = await _catalog(sessions)
    async with sessions.begin() as session:
        job = await jobs.create_job(
            session, CertificationJobType.SINGLE_MODEL, ["us-east-1"], [model_id], total_models=1
        )
        queued = await certifications.queue_units(
            session, [(model_id, "us-east-1")], job_id=job.id, created_by="ana@ops"
        )
    found = await _row(sessions, model_id, "us-east-1")
    assert found.status == S.QUEUED and found.created_by == "ana@ops" and found.job_id == job.id
    assert found.created_at is not None and found.updated_at is not None
    assert [(e.certification_id, e.api_model_id, e.region, e.status) for e in queued] == [
        (found.id, "vendor.model-0-v1:0", "us-east-1", S.QUEUED)
    ]


async def test_duplicate_model_region_is_refused_by_the_database(
    sessions: async_sessionmaker,
) -> None:
    model_id, *_ = await _catalog(sessions)
    async with sessions.begin() as session:
        session.add(ModelCertification(model_id=model_id, region="us-east-1"))
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(ModelCertification(model_id=model_id, region="us-east-1"))
    # Raw SQL too: the constraint lives in the database, not in certtui.
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            await session.execute(
                sa.text(
                    'INSERT INTO model_certifications (id, "modelId", region, "updatedAt") '
                    "VALUES ('x', :m, 'us-east-1', CURRENT_TIMESTAMP)"
                ),
                {"m": model_id},
            )


async def test_deleting_a_model_deletes_its_certifications(sessions: async_sessionmaker) -> None:
    model_id, other_id, _ = await _catalog(sessions)
    await _job(
        sessions, [(model_id, "us-east-1"), (model_id, "eu-west-1"), (other_id, "us-east-1")]
    )
    async with sessions.begin() as session:
        await session.execute(sa.delete(AIModel).where(AIModel.id == model_id))
    async with sessions() as session:
        remaining = (await session.scalars(sa.select(ModelCertification.model_id))).all()
    assert remaining == [other_id]


async def test_deleting_a_provider_with_models_is_restricted(sessions: async_sessionmaker) -> None:
    await _catalog(sessions)
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            await session.execute(sa.delete(AIProvider))


async def test_a_unit_runs_to_its_result(sessions: async_sessionmaker) -> None:
    model_id, *_ = await _catalog(sessions)
    job_id = await _job(sessions, [(model_id, "us-east-1")])
    before = await _row(sessions, model_id, "us-east-1")
    await asyncio.sleep(0.01)
    applied = await _finish(
        sessions, job_id, before.id, S.COMPLETED,
        passed=True, score=95.5, rating="A", duration=5000,
        testResults={"tests": [{"id": "respond", "passed": True}]},
    )  # fmt: skip
    row = await _row(sessions, model_id, "us-east-1")
    assert applied
    assert (row.status, row.passed, row.score, row.rating, row.duration) == (
        S.COMPLETED, True, 95.5, "A", 5000,
    )  # fmt: skip
    assert row.test_results == {"tests": [{"id": "respond", "passed": True}]}
    assert row.updated_at > before.updated_at
    # Finished once: a second result for the same unit does not apply.
    assert not await _finish(sessions, job_id, row.id, S.FAILED, passed=False)
    assert (await _row(sessions, model_id, "us-east-1")).status == S.COMPLETED


async def test_create_job_and_count_progress_atomically(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        job = await jobs.create_job(
            session,
            CertificationJobType.ALL_MODELS,
            ["us-east-1", "us-west-2"],
            [],
            total_models=40,
            created_by="ana@ops",
        )
    assert job.status == JobStatus.PENDING

    async def finish_one(succeeded: bool) -> None:
        async with sessions.begin() as session:
            await jobs.increment_counters(session, job.id, int(succeeded), int(not succeeded))

    # Concurrent increments from several sessions must all land (no read-modify-write).
    await asyncio.gather(*(finish_one(i % 3 != 0) for i in range(30)))
    async with sessions() as session:
        row = await session.get(CertificationJob, job.id)
    assert row is not None
    assert (row.processed_models, row.success_count, row.failure_count) == (30, 20, 10)
    assert row.regions == ["us-east-1", "us-west-2"] and row.model_ids == []


async def test_finishing_a_job_follows_the_table_from_wherever_it_stands(
    sessions: async_sessionmaker,
) -> None:
    model_id, *_ = await _catalog(sessions)
    paused = await _job(sessions, [(model_id, "us-east-1")])
    cancelled = await _job(sessions, [(model_id, "eu-west-1")])
    async with sessions.begin() as session:
        await jobs.set_job_status(session, paused, JobStatus.PAUSED)
        await jobs.set_job_status(session, cancelled, JobStatus.CANCELLED)
    async with sessions.begin() as session:
        # Paused while its last unit finished: it still ends COMPLETED, through PROCESSING.
        done = await jobs.finish_job(session, paused, JobStatus.COMPLETED, None, {"a": 1})
        # Cancelled by another process: the completion is recorded, the status stays.
        also = await jobs.finish_job(session, cancelled, JobStatus.CANCELLED, None, {})
        refused = await jobs.finish_job(session, cancelled, JobStatus.COMPLETED, None, {})
    assert done is not None and done.status is JobStatus.COMPLETED and done.total == 1
    assert also is not None and also.status is JobStatus.CANCELLED and refused is None
    async with sessions() as session:
        rows = {j: await session.get(CertificationJob, j) for j in (paused, cancelled)}
    assert (rows[paused].status, rows[paused].config) == (JobStatus.COMPLETED, {"a": 1})
    assert rows[cancelled].status == JobStatus.CANCELLED
    assert all(row.completed_at is not None for row in rows.values())


async def test_queue_units_recertifies_the_same_row(sessions: async_sessionmaker) -> None:
    model_id, other_id, _ = await _catalog(sessions)
    first_job = await _job(sessions, [(model_id, "us-east-1")])
    cert = await _row(sessions, model_id, "us-east-1")
    await _finish(
        sessions, first_job, cert.id, S.FAILED,
        passed=False, errorCategory="PERMISSION_ERROR", errorMessage="denied",
    )  # fmt: skip
    second_job = await _job(sessions, [(model_id, "us-east-1"), (other_id, "us-east-1")])
    async with sessions() as session:
        rows = (await session.scalars(sa.select(ModelCertification))).all()
    by_model = {r.model_id: r for r in rows}
    assert len(rows) == 2
    again = by_model[model_id]
    assert again.id == cert.id  # the same row, re-certified
    # Queued for the new job, it keeps its last verdict until the new one finishes (#13).
    assert (again.status, again.job_id, again.error_category, again.passed) == (
        S.QUEUED, second_job, "PERMISSION_ERROR", False,
    )  # fmt: skip
    assert by_model[other_id].status == S.QUEUED


async def test_cancel_and_requeue_return_the_units_they_moved(
    sessions: async_sessionmaker,
) -> None:
    a, b, c = await _catalog(sessions)
    job_id = await _job(sessions, [(a, "us-east-1"), (b, "us-east-1"), (c, "us-east-1")])
    running = await _row(sessions, a, "us-east-1")
    async with sessions.begin() as session:
        assert await certifications.start_units(session, job_id, {running.id: None}) == [running.id]
        requeued = await certifications.requeue_units(session, job_id)
        assert [e.certification_id for e in requeued] == [running.id]
        assert requeued[0].status == S.QUEUED
        cancelled = await jobs.cancel_unfinished(session, job_id)
    assert {e.model_id for e in cancelled} == {a, b, c}
    assert {e.status for e in cancelled} == {S.CANCELLED}
    async with sessions() as session:
        job = await session.get(CertificationJob, job_id)
    assert job is not None and (job.processed_models, job.failure_count) == (3, 3)


async def test_updated_at_is_set_on_every_write(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        provider = AIProvider(name="AWS Bedrock", slug="bedrock")
        session.add(provider)
    first = provider.updated_at
    await asyncio.sleep(0.01)
    async with sessions.begin() as session:
        row = await session.get(AIProvider, provider.id)
        assert row is not None
        row.name = "Amazon Bedrock"
    async with sessions() as session:
        row = await session.get(AIProvider, provider.id)
    assert row is not None and row.updated_at > first
