"""Repository functions: every query of the seed's "Queries Comuns" and "Exemplos de Uso"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from certtui.domain.enums import (
    ACTIVE_JOB_STATUSES,
    CertificationJobType,
    CertificationStatus,
    JobStatus,
)
from certtui.domain.transitions import check_certification_transition
from certtui.store.models import AIModel, CertificationJob, ModelCertification, new_id
from certtui.store.types import utcnow

# Fields that describe one run's outcome; re-certifying clears them.
RESULT_FIELDS = (
    "passed",
    "score",
    "rating",
    "testResults",
    "errorMessage",
    "errorCategory",
    "startedAt",
    "completedAt",
    "duration",
)


class StaleStatus(RuntimeError):
    """The row's status changed under us: another writer got there first."""


def dialect_insert(session: AsyncSession, table: sa.Table):  # type: ignore[no-untyped-def]
    """An INSERT that supports ON CONFLICT on both PostgreSQL and SQLite."""
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


async def certifications_of_model(
    session: AsyncSession, model_id: str
) -> Sequence[ModelCertification]:
    """A model's certifications, newest first."""
    result = await session.scalars(
        sa.select(ModelCertification)
        .where(ModelCertification.model_id == model_id)
        .order_by(ModelCertification.created_at.desc(), ModelCertification.id)
    )
    return result.all()


async def certifications_in_region(
    session: AsyncSession,
    region: str,
    status: CertificationStatus | None = CertificationStatus.COMPLETED,
    *,
    with_provider: bool = False,
) -> Sequence[ModelCertification]:
    """Certifications in a region (optionally of one status) with their model loaded."""
    load = selectinload(ModelCertification.model)
    if with_provider:
        load = load.selectinload(AIModel.provider)
    query = sa.select(ModelCertification).where(ModelCertification.region == region).options(load)
    if status is not None:
        query = query.where(ModelCertification.status == status)
    result = await session.scalars(query.order_by(ModelCertification.created_at.desc()))
    return result.all()


async def certification_for(
    session: AsyncSession, model_id: str, region: str
) -> ModelCertification | None:
    """The unique certification of (model, region), if any."""
    return await session.scalar(
        sa.select(ModelCertification).where(
            ModelCertification.model_id == model_id, ModelCertification.region == region
        )
    )


async def create_certification(
    session: AsyncSession,
    model_id: str,
    region: str,
    *,
    status: CertificationStatus = CertificationStatus.PENDING,
    job_id: str | None = None,
    created_by: str | None = None,
) -> ModelCertification:
    """Insert a new certification; a second one for the same (model, region) is refused."""
    certification = ModelCertification(
        model_id=model_id, region=region, status=status, job_id=job_id, created_by=created_by
    )
    session.add(certification)
    await session.flush()
    return certification


async def upsert_certifications(
    session: AsyncSession,
    units: Sequence[tuple[str, str]],
    *,
    status: CertificationStatus = CertificationStatus.QUEUED,
    job_id: str | None = None,
    created_by: str | None = None,
) -> None:
    """Queue (model, region) units, re-certifying the existing row of each (one statement)."""
    if not units:
        return
    now = utcnow()
    table = ModelCertification.__table__
    rows = [
        {
            "id": new_id(),
            "modelId": model_id,
            "region": region,
            "status": status,
            "jobId": job_id,
            "createdBy": created_by,
            "createdAt": now,
            "updatedAt": now,
        }
        for model_id, region in units
    ]
    insert = dialect_insert(session, table)
    reset = {name: sa.null() for name in RESULT_FIELDS}
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.modelId, table.c.region],
        set_={
            "status": insert.excluded.status,
            "jobId": insert.excluded.jobId,
            "createdBy": insert.excluded.createdBy,
            "updatedAt": insert.excluded.updatedAt,
            **reset,
        },
    )
    await session.execute(statement, rows)


async def update_certification_status(
    session: AsyncSession,
    certification_id: str,
    status: CertificationStatus,
    **results: Any,
) -> None:
    """Move a certification to ``status`` (checked against SPEC §2.3) and store its results.

    ``results`` takes the model's attribute names: passed, score, rating, test_results,
    error_message, error_category, started_at, completed_at, duration.
    """
    current = await session.scalar(
        sa.select(ModelCertification.status).where(ModelCertification.id == certification_id)
    )
    if current is None:
        raise LookupError(f"no certification {certification_id}")
    check_certification_transition(current, status)
    values = {"status": status, "updated_at": utcnow(), **results}
    updated = await session.execute(
        sa.update(ModelCertification)
        .where(ModelCertification.id == certification_id, ModelCertification.status == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != 1:
        raise StaleStatus(f"certification {certification_id} changed while updating it")


async def create_job(
    session: AsyncSession,
    job_type: CertificationJobType,
    regions: Sequence[str],
    model_ids: Sequence[str],
    *,
    total_models: int = 0,
    status: JobStatus = JobStatus.PENDING,
    created_by: str | None = None,
    config: dict[str, Any] | None = None,
) -> CertificationJob:
    """Insert a certification job."""
    job = CertificationJob(
        type=job_type,
        regions=list(regions),
        model_ids=list(model_ids),
        status=status,
        total_models=total_models,
        created_by=created_by,
        config=config,
    )
    session.add(job)
    await session.flush()
    return job


async def increment_job_progress(
    session: AsyncSession, job_id: str, *, succeeded: int = 0, failed: int = 0
) -> None:
    """Count finished units atomically in the database (never read-modify-write)."""
    table = CertificationJob.__table__
    await session.execute(
        sa.update(table)
        .where(table.c.id == job_id)
        .values(
            {
                table.c.processedModels: table.c.processedModels + succeeded + failed,
                table.c.successCount: table.c.successCount + succeeded,
                table.c.failureCount: table.c.failureCount + failed,
                table.c.updatedAt: utcnow(),
            }
        )
    )


async def active_jobs(session: AsyncSession) -> Sequence[CertificationJob]:
    """Jobs that are PENDING, QUEUED or PROCESSING, newest first."""
    result = await session.scalars(
        sa.select(CertificationJob)
        .where(CertificationJob.status.in_(ACTIVE_JOB_STATUSES))
        .order_by(CertificationJob.created_at.desc(), CertificationJob.id)
    )
    return result.all()


async def certified_models_in_region(
    session: AsyncSession, region: str
) -> Sequence[ModelCertification]:
    """Passed certifications of a region, best score first, with model and provider loaded."""
    result = await session.scalars(
        sa.select(ModelCertification)
        .where(
            ModelCertification.region == region,
            ModelCertification.status == CertificationStatus.COMPLETED,
            ModelCertification.passed.is_(True),
        )
        .options(selectinload(ModelCertification.model).selectinload(AIModel.provider))
        .order_by(ModelCertification.score.desc().nulls_last(), ModelCertification.id)
    )
    return result.all()


async def plan_single_model_job(
    session: AsyncSession,
    model_id: str,
    regions: Sequence[str],
    *,
    created_by: str | None = None,
) -> CertificationJob:
    """The seed's "certify one model in several regions": a job and a PENDING unit per region."""
    job = await create_job(
        session,
        CertificationJobType.SINGLE_MODEL,
        regions,
        [model_id],
        total_models=len(regions),
        created_by=created_by,
    )
    await upsert_certifications(
        session,
        [(model_id, region) for region in regions],
        status=CertificationStatus.PENDING,
        job_id=job.id,
        created_by=created_by,
    )
    return job


def is_certified(certification: ModelCertification | None) -> bool:
    """The seed's check: COMPLETED and passed."""
    return bool(
        certification is not None
        and certification.status == CertificationStatus.COMPLETED
        and certification.passed
    )
