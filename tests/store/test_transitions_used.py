"""Production status writes consult SPEC §2.3's transition table, and refuse what it forbids."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain import transitions
from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.domain.transitions import IllegalTransition
from certtui.engine.control import cancel_job, pause_job
from certtui.engine.persistence import JobWriter
from certtui.store import certifications, jobs
from certtui.store.models import AIModel, AIProvider, CertificationJob, ModelCertification

S = CertificationStatus
J = JobStatus


async def _job(sessions: async_sessionmaker, status: JobStatus = J.QUEUED) -> tuple[str, str]:
    """A job with one QUEUED unit: (job id, certification id)."""
    async with sessions.begin() as session:
        provider = AIProvider(name="AWS Bedrock", slug="bedrock")
        session.add(provider)
        await session.flush()
        model = AIModel(name="M", api_model_id="vendor.m-v1:0", provider_id=provider.id)
        session.add(model)
        await session.flush()
        job = await jobs.create_job(
            session, CertificationJobType.SINGLE_MODEL, ["us-east-1"], [model.id],
            total_models=1, status=status,
        )  # fmt: skip
        (unit,) = await certifications.queue_units(
            session, [(model.id, "us-east-1")], job_id=job.id
        )
    return job.id, unit.certification_id


async def _statuses(sessions: async_sessionmaker, job_id: str) -> tuple[str, list[str]]:
    async with sessions() as session:
        job = await session.get(CertificationJob, job_id)
        units = await session.scalars(
            sa.select(ModelCertification.status).where(ModelCertification.job_id == job_id)
        )
        assert job is not None
        return job.status, list(units)


async def test_illegal_job_transitions_raise_and_change_nothing(
    sessions: async_sessionmaker,
) -> None:
    job_id, _ = await _job(sessions)
    with pytest.raises(IllegalTransition, match="-> PENDING"):
        async with sessions.begin() as session:
            await jobs.set_job_status(session, job_id, J.PENDING)
    with pytest.raises(IllegalTransition, match="COMPLETED -> PAUSED"):
        async with sessions.begin() as session:
            await jobs.set_job_status(session, job_id, J.PAUSED, only_from=(J.COMPLETED,))
    assert await _statuses(sessions, job_id) == (J.QUEUED, [S.QUEUED])


async def test_illegal_unit_transitions_raise_and_change_nothing(
    sessions: async_sessionmaker,
) -> None:
    job_id, cert_id = await _job(sessions)
    with pytest.raises(IllegalTransition, match="-> QUEUED"):
        async with sessions.begin() as session:
            await certifications.finish_unit(session, job_id, cert_id, S.QUEUED)
    # A QUEUED unit may not jump to a result: the compare-and-set leaves it alone.
    async with sessions.begin() as session:
        assert not await certifications.finish_unit(session, job_id, cert_id, S.COMPLETED)
    assert await _statuses(sessions, job_id) == (J.QUEUED, [S.QUEUED])


async def test_a_finished_job_cannot_be_moved_again(sessions: async_sessionmaker) -> None:
    job_id, _ = await _job(sessions)
    await cancel_job(sessions, job_id)
    async with sessions.begin() as session:
        assert await jobs.set_job_status(session, job_id, J.PROCESSING) is None
    assert await _statuses(sessions, job_id) == (J.CANCELLED, [S.CANCELLED])


async def test_the_job_writer_starts_units_only_from_the_tables_sources(
    sessions: async_sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, cert_id = await _job(sessions, J.PROCESSING)
    table = transitions.CERTIFICATION_TRANSITIONS
    # Narrowed: only PENDING may move to PROCESSING now, so the QUEUED unit must stay put.
    monkeypatch.setitem(table, S.QUEUED, frozenset({S.CANCELLED}))
    monkeypatch.setitem(table, S.PENDING, table[S.PENDING] | {S.PROCESSING})
    commits = []
    writer = JobWriter(sessions, job_id, on_commit=commits.append)
    writer.mark_started(cert_id)
    await writer.flush()
    assert [c.started for c in commits] == [[]]
    assert await _statuses(sessions, job_id) == (J.PROCESSING, [S.QUEUED])

    monkeypatch.undo()
    writer.mark_started(cert_id)
    await writer.flush()
    assert commits[-1].started == [cert_id]
    assert await _statuses(sessions, job_id) == (J.PROCESSING, [S.PROCESSING])


async def test_job_control_asks_the_table(
    sessions: async_sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, _ = await _job(sessions)
    # Narrowed: a QUEUED job may no longer be paused, so pausing it is an illegal request.
    monkeypatch.setitem(
        transitions.JOB_TRANSITIONS, J.QUEUED, frozenset({J.PROCESSING, J.CANCELLED})
    )
    with pytest.raises(IllegalTransition, match="QUEUED -> PAUSED"):
        await pause_job(sessions, job_id)
    assert await _statuses(sessions, job_id) == (J.QUEUED, [S.QUEUED])
    monkeypatch.undo()
    await pause_job(sessions, job_id)
    assert (await _statuses(sessions, job_id))[0] == J.PAUSED
