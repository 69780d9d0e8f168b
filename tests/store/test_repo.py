"""Every seed query ("Queries Comuns", "Exemplos de Uso") against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.domain.transitions import IllegalTransition
from certtui.store import repo
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


async def _advance(sessions: async_sessionmaker, cert_id: str, *path: S, **results) -> None:
    for status in path:
        async with sessions.begin() as session:
            extra = results if status == path[-1] else {}
            await repo.update_certification_status(session, cert_id, status, **extra)


async def test_create_and_find_certification(sessions: async_sessionmaker) -> None:
    model_id, *_ = await _catalog(sessions)
    async with sessions.begin() as session:
        created = await repo.create_certification(
            session, model_id, "us-east-1", created_by="ana@ops"
        )
    async with sessions() as session:
        found = await repo.certification_for(session, model_id, "us-east-1")
        missing = await repo.certification_for(session, model_id, "eu-west-1")
    assert found is not None and found.id == created.id
    assert found.status == S.PENDING and found.created_by == "ana@ops"
    assert found.created_at is not None and found.updated_at is not None
    assert missing is None


async def test_duplicate_model_region_is_refused_by_the_database(
    sessions: async_sessionmaker,
) -> None:
    model_id, *_ = await _catalog(sessions)
    async with sessions.begin() as session:
        await repo.create_certification(session, model_id, "us-east-1")
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            await repo.create_certification(session, model_id, "us-east-1")
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
    async with sessions.begin() as session:
        for region in ("us-east-1", "eu-west-1"):
            await repo.create_certification(session, model_id, region)
        await repo.create_certification(session, other_id, "us-east-1")
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


async def test_certifications_of_a_model_newest_first(sessions: async_sessionmaker) -> None:
    model_id, *_ = await _catalog(sessions)
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        async with sessions.begin() as session:
            await repo.create_certification(session, model_id, region)
        await asyncio.sleep(0.01)  # distinct createdAt at millisecond precision
    async with sessions() as session:
        rows = await repo.certifications_of_model(session, model_id)
    assert [r.region for r in rows] == ["eu-west-1", "us-west-2", "us-east-1"]


async def test_status_update_with_results(sessions: async_sessionmaker) -> None:
    model_id, *_ = await _catalog(sessions)
    async with sessions.begin() as session:
        cert = await repo.create_certification(session, model_id, "us-east-1")
    before = cert.updated_at
    await asyncio.sleep(0.01)
    await _advance(
        sessions, cert.id, S.QUEUED, S.PROCESSING, S.COMPLETED,
        passed=True, score=95.5, rating="A", duration=5000,
        test_results={"tests": [{"id": "respond", "passed": True}]},
    )  # fmt: skip
    async with sessions() as session:
        row = await repo.certification_for(session, model_id, "us-east-1")
    assert row is not None
    assert (row.status, row.passed, row.score, row.rating, row.duration) == (
        S.COMPLETED, True, 95.5, "A", 5000,
    )  # fmt: skip
    assert row.test_results == {"tests": [{"id": "respond", "passed": True}]}
    assert row.updated_at > before
    assert repo.is_certified(row)


async def test_illegal_status_update_is_rejected_and_nothing_changes(
    sessions: async_sessionmaker,
) -> None:
    model_id, *_ = await _catalog(sessions)
    async with sessions.begin() as session:
        cert = await repo.create_certification(session, model_id, "us-east-1")
    with pytest.raises(IllegalTransition, match="PENDING -> COMPLETED"):
        async with sessions.begin() as session:
            await repo.update_certification_status(session, cert.id, S.COMPLETED, passed=True)
    async with sessions() as session:
        row = await repo.certification_for(session, model_id, "us-east-1")
    assert row is not None and row.status == S.PENDING and row.passed is None


async def test_certifications_by_region_and_status_with_model(
    sessions: async_sessionmaker,
) -> None:
    a, b, c = await _catalog(sessions)
    async with sessions.begin() as session:
        certs = {m: await repo.create_certification(session, m, "us-east-1") for m in (a, b)}
        await repo.create_certification(session, c, "eu-west-1")
    await _advance(sessions, certs[a].id, S.QUEUED, S.PROCESSING, S.COMPLETED, passed=True)
    async with sessions() as session:
        completed = await repo.certifications_in_region(session, "us-east-1", S.COMPLETED)
        everything = await repo.certifications_in_region(
            session, "us-east-1", None, with_provider=True
        )
    assert [r.model_id for r in completed] == [a]
    assert completed[0].model.name == "Model 0"  # loaded with the row
    assert {r.model_id for r in everything} == {a, b}
    assert {r.model.provider.slug for r in everything} == {"bedrock"}


async def test_certified_models_of_a_region_ordered_by_score(sessions: async_sessionmaker) -> None:
    ids = await _catalog(sessions, 4)
    scores = {ids[0]: (80.0, True), ids[1]: (97.5, True), ids[2]: (99.0, False), ids[3]: None}
    async with sessions.begin() as session:
        certs = {m: await repo.create_certification(session, m, "us-west-2") for m in ids}
    for model_id, outcome in scores.items():
        if outcome is None:
            continue
        score, passed = outcome
        await _advance(
            sessions, certs[model_id].id, S.QUEUED, S.PROCESSING, S.COMPLETED,
            passed=passed, score=score, rating="A",
        )  # fmt: skip
    async with sessions() as session:
        rows = await repo.certified_models_in_region(session, "us-west-2")
    assert [r.model_id for r in rows] == [ids[1], ids[0]]
    assert rows[0].model.provider.name == "AWS Bedrock"


async def test_create_job_and_count_progress_atomically(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        job = await repo.create_job(
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
            await repo.increment_job_progress(
                session, job.id, succeeded=int(succeeded), failed=int(not succeeded)
            )

    # Concurrent increments from several sessions must all land (no read-modify-write).
    await asyncio.gather(*(finish_one(i % 3 != 0) for i in range(30)))
    async with sessions() as session:
        row = await session.get(CertificationJob, job.id)
    assert row is not None
    assert (row.processed_models, row.success_count, row.failure_count) == (30, 20, 10)
    assert row.regions == ["us-east-1", "us-west-2"] and row.model_ids == []


async def test_active_jobs_newest_first(sessions: async_sessionmaker) -> None:
    made = []
    for status in (JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.QUEUED, JobStatus.PROCESSING,
                   JobStatus.PAUSED, JobStatus.CANCELLED):  # fmt: skip
        async with sessions.begin() as session:
            job = await repo.create_job(
                session, CertificationJobType.SINGLE_MODEL, ["us-east-1"], ["m"], status=status
            )
            made.append((job.id, status))
        await asyncio.sleep(0.01)
    async with sessions() as session:
        active = await repo.active_jobs(session)
    expected = [job_id for job_id, status in reversed(made) if status in
                (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING)]  # fmt: skip
    assert [j.id for j in active] == expected


async def test_certify_one_model_in_several_regions(sessions: async_sessionmaker) -> None:
    model_id, *_ = await _catalog(sessions)
    regions = ["us-east-1", "us-west-2", "eu-west-1"]
    async with sessions.begin() as session:
        job = await repo.plan_single_model_job(session, model_id, regions, created_by="ana@ops")
    async with sessions() as session:
        row = await session.get(CertificationJob, job.id)
        certs = await repo.certifications_of_model(session, model_id)
    assert (
        row is not None and row.total_models == 3 and row.type == CertificationJobType.SINGLE_MODEL
    )
    assert sorted(c.region for c in certs) == sorted(regions)
    assert {(c.status, c.job_id, c.created_by) for c in certs} == {(S.PENDING, job.id, "ana@ops")}


async def test_upsert_recertifies_the_same_row(sessions: async_sessionmaker) -> None:
    model_id, other_id, _ = await _catalog(sessions)
    async with sessions.begin() as session:
        cert = await repo.create_certification(session, model_id, "us-east-1")
    await _advance(
        sessions, cert.id, S.QUEUED, S.PROCESSING, S.FAILED,
        passed=False, error_category="PERMISSION_ERROR", error_message="denied",
    )  # fmt: skip
    async with sessions.begin() as session:
        await repo.upsert_certifications(
            session, [(model_id, "us-east-1"), (other_id, "us-east-1")], job_id="job-2"
        )
    async with sessions() as session:
        rows = (await session.scalars(sa.select(ModelCertification))).all()
    by_model = {r.model_id: r for r in rows}
    assert len(rows) == 2
    again = by_model[model_id]
    assert again.id == cert.id  # the same row, re-certified
    assert (again.status, again.job_id, again.error_category, again.passed) == (
        S.QUEUED, "job-2", None, None,
    )  # fmt: skip
    assert by_model[other_id].status == S.QUEUED


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
