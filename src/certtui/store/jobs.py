"""Writes and lookups of certification jobs; every status write is checked by SPEC §2.3's table.

A status write names its target and asks ``job_sources`` which states may move there (all of
them, or the ones the caller names, each of which must be allowed): those are its UPDATE's
WHERE. A write that applied returns the ``JobStateChanged`` the caller publishes after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.domain.events import JobStateChanged, UnitStateChanged
from certtui.domain.transitions import job_sources
from certtui.errors import UsageError
from certtui.store.certifications import cancel_units
from certtui.store.models import CertificationJob
from certtui.store.notify import note_jobs
from certtui.store.types import utcnow

J = JobStatus
JOBS = CertificationJob.__table__
LIVE = (J.PENDING, J.QUEUED, J.PROCESSING, J.PAUSED)
COUNTERS = (JOBS.c.totalModels, JOBS.c.processedModels, JOBS.c.successCount, JOBS.c.failureCount)


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
    note_jobs(session, (job.id,))
    return job


def job_created(job: CertificationJob) -> JobStateChanged:
    """The event a freshly created job stands for."""
    return JobStateChanged(
        job.id, job.status, job.total_models, job.processed_models or 0,
        job.success_count or 0, job.failure_count or 0,
    )  # fmt: skip


async def find_job(session: AsyncSession, job_ref: str) -> CertificationJob:
    """A job by id or unique id prefix, or a UsageError naming the problem."""
    ref = job_ref.strip()
    if len(ref) < 4:
        raise UsageError(f"job id {job_ref!r} is too short: give at least 4 characters")
    rows = list(
        await session.scalars(
            sa.select(CertificationJob).where(CertificationJob.id.startswith(ref)).limit(2)
        )
    )
    if not rows:
        raise UsageError(f"no job {job_ref!r}: see `certtui jobs list`")
    if len(rows) > 1:
        raise UsageError(f"job id {job_ref!r} is ambiguous: give more characters")
    return rows[0]


async def get_job(session: AsyncSession, job_id: str) -> CertificationJob | None:
    """A job by its exact id."""
    return await session.get(CertificationJob, job_id)


async def jobs_in(
    session: AsyncSession, status: JobStatus, *, lock: bool = False
) -> list[CertificationJob]:
    """Every job in ``status``; ``lock`` holds their rows until the transaction ends.

    On PostgreSQL a locked read waits for a transaction writing those rows and reads what it
    committed, so a decision taken on it (recovery) cannot undo a concurrent claim.
    """
    statement = sa.select(CertificationJob).where(JOBS.c.status == status)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return list(await session.scalars(statement))


async def lock_job(
    session: AsyncSession, job_id: str
) -> tuple[JobStatus, dict[str, Any] | None] | None:
    """A job's status and config, its row locked until the transaction ends (None: no job).

    SQLite has no row locks; its write transactions begin IMMEDIATE, which serialises them.
    """
    row = (
        await session.execute(
            sa.select(JOBS.c.status, JOBS.c.config).where(JOBS.c.id == job_id).with_for_update()
        )
    ).first()
    return None if row is None else (J(row[0]), row[1])


async def job_progress(session: AsyncSession, job_id: str) -> tuple[int, int]:
    """A job's (total, processed) counters as the database holds them now."""
    row = (
        await session.execute(
            sa.select(JOBS.c.totalModels, JOBS.c.processedModels).where(JOBS.c.id == job_id)
        )
    ).first()
    return (0, 0) if row is None else (row[0] or 0, row[1] or 0)


async def set_job_scope(
    session: AsyncSession, job_id: str, total: int, model_ids: Sequence[str]
) -> None:
    """Set how many units a job has and which models (planning, once it knows what it got)."""
    await session.execute(
        JOBS.update()
        .where(JOBS.c.id == job_id)
        .values(totalModels=total, modelIds=list(model_ids), updatedAt=utcnow())
    )
    note_jobs(session, (job_id,))


async def job_status(session: AsyncSession, job_id: str) -> JobStatus | None:
    """A job's status as the database holds it now."""
    return await session.scalar(sa.select(JOBS.c.status).where(JOBS.c.id == job_id))


async def job_started_at(session: AsyncSession, job_id: str) -> datetime | None:
    """When a job first started."""
    return await session.scalar(sa.select(JOBS.c.startedAt).where(JOBS.c.id == job_id))


async def write_config(
    session: AsyncSession,
    job_id: str,
    config: dict[str, Any],
    *,
    if_status: JobStatus | None = None,
) -> bool:
    """Replace a job's config (its lease lives there), only in ``if_status`` if given."""
    statement = JOBS.update().where(JOBS.c.id == job_id)
    if if_status is not None:
        statement = statement.where(JOBS.c.status == if_status)
    result = await session.execute(statement.values(config=config))
    return result.rowcount == 1


async def set_job_status(
    session: AsyncSession,
    job_id: str,
    status: JobStatus,
    *,
    only_from: Iterable[JobStatus] | None = None,
    message: str | None = None,
    **values: Any,
) -> JobStateChanged | None:
    """Compare-and-set a job's status from the allowed states; the change, or None.

    ``only_from`` narrows the table's sources; naming a state the table does not let move to
    ``status`` raises IllegalTransition. ``values`` takes column names (config, startedAt, ...).
    """
    sources = job_sources(status, only_from)
    row = (
        await session.execute(
            JOBS.update()
            .where(JOBS.c.id == job_id, sa.or_(*(JOBS.c.status == s for s in sorted(sources))))
            .values(status=status, **{"updatedAt": utcnow(), **values})
            .returning(*COUNTERS)
        )
    ).first()
    if row is None:
        return None
    note_jobs(session, (job_id,))
    total, processed, succeeded, failed = row
    return JobStateChanged(job_id, J(status), total, processed, succeeded, failed, message)


async def finish_job(
    session: AsyncSession,
    job_id: str,
    status: JobStatus,
    started_at: datetime | None,
    config: dict[str, Any],
) -> JobStateChanged | None:
    """Give a job its final status, completion time and duration (ms); the change, or None.

    A job paused meanwhile passes through PROCESSING where the table asks it to. A job another
    process already moved to ``status`` (``certtui jobs cancel`` while this one
    ran it) gets its completion recorded here, and that change is returned.
    """
    now = utcnow()
    values = {
        "completedAt": now,
        "updatedAt": now,
        "config": config,
        "duration": int((now - started_at).total_seconds() * 1000) if started_at else None,
    }
    change = await set_job_status(session, job_id, status, **values)
    # Paused while its last units finished: nothing is left to resume, so it takes the
    # table's way to the end (PAUSED → PROCESSING → COMPLETED) in this transaction.
    if (
        change is None
        and J.PAUSED not in job_sources(status)
        and await set_job_status(session, job_id, J.PROCESSING, only_from=(J.PAUSED,))
    ):
        change = await set_job_status(session, job_id, status, **values)
    if change is not None:
        return change
    row = (
        await session.execute(
            JOBS.update()
            .where(JOBS.c.id == job_id, JOBS.c.status == status)
            .values(**values)
            .returning(*COUNTERS)
        )
    ).first()
    if row is None:
        return None
    note_jobs(session, (job_id,))
    return JobStateChanged(job_id, J(status), *row)


async def increment_counters(
    session: AsyncSession, job_id: str, succeeded: int, failed: int, now: datetime | None = None
) -> None:
    """Move a job's counters in the database itself (no read-modify-write)."""
    await session.execute(
        JOBS.update()
        .where(JOBS.c.id == job_id)
        .values(
            processedModels=JOBS.c.processedModels + succeeded + failed,
            successCount=JOBS.c.successCount + succeeded,
            failureCount=JOBS.c.failureCount + failed,
            updatedAt=now or utcnow(),
        )
    )
    note_jobs(session, (job_id,))


async def cancel_unfinished(session: AsyncSession, job_id: str) -> list[UnitStateChanged]:
    """Make every unfinished unit of a job CANCELLED and count them as failures.

    The events also hold the cells that show their last verdict again (``cancel_units``).
    """
    events = await cancel_units(session, job_id)
    cancelled = sum(1 for event in events if event.status is CertificationStatus.CANCELLED)
    if cancelled:
        await increment_counters(session, job_id, 0, cancelled)
    return events
