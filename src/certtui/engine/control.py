"""Job control through the database: recover orphans, pause / resume / cancel from anywhere."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certtui.domain.enums import JobStatus
from certtui.engine.leases import lease_is_fresh
from certtui.engine.persistence import (
    cancel_unfinished,
    finish_job,
    requeue_processing,
    set_job_status,
)
from certtui.errors import UsageError
from certtui.store.models import CertificationJob

J = JobStatus
LIVE = (J.PENDING, J.QUEUED, J.PROCESSING)


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


async def recover_interrupted(sessions: async_sessionmaker, now: float | None = None) -> list[str]:
    """Jobs left PROCESSING by a dead owner become PAUSED; their running units go back to QUEUED."""
    now = time.time() if now is None else now
    recovered = []
    async with sessions.begin() as session:
        jobs = await session.scalars(
            sa.select(CertificationJob).where(CertificationJob.status == J.PROCESSING)
        )
        for job in jobs:
            if lease_is_fresh(job.config, now):
                continue
            config = {k: v for k, v in (job.config or {}).items() if k != "lease"}
            config["interrupted"] = True
            if await set_job_status(
                session, job.id, J.PAUSED, only_from=(J.PROCESSING,), config=config
            ):
                await requeue_processing(session, job.id)
                recovered.append(job.id)
    return recovered


@dataclass(frozen=True)
class ControlResult:
    """What a control request did: ``live`` when a running engine will carry it out."""

    job_id: str
    status: JobStatus
    live: bool


async def pause_job(sessions: async_sessionmaker, job_ref: str) -> ControlResult:
    """Pause a job; a running engine stops dispatching within a heartbeat."""
    async with sessions.begin() as session:
        job = await find_job(session, job_ref)
        if job.status is J.PAUSED:
            raise UsageError(f"job {job.id} is already PAUSED")
        if job.status not in LIVE:
            raise UsageError(f"job {job.id} is {job.status}: only a running job can be paused")
        await set_job_status(session, job.id, J.PAUSED, only_from=LIVE)
        return ControlResult(job.id, J.PAUSED, lease_is_fresh(job.config))


async def cancel_job(sessions: async_sessionmaker, job_ref: str) -> ControlResult:
    """Cancel a job: a running engine cancels its calls; otherwise it is cancelled here."""
    async with sessions.begin() as session:
        job = await find_job(session, job_ref)
        if job.status.is_terminal:
            raise UsageError(f"job {job.id} is already {job.status}")
        live = lease_is_fresh(job.config)
        if live:
            await set_job_status(session, job.id, J.CANCELLED)
        else:
            await cancel_unfinished(session, job.id)
            config = {k: v for k, v in (job.config or {}).items() if k != "lease"}
            await finish_job(session, job.id, J.CANCELLED, job.started_at, config)
        return ControlResult(job.id, J.CANCELLED, live)


async def resume_request(sessions: async_sessionmaker, job_ref: str) -> ControlResult:
    """Resume a job held by a live engine, or say (``live`` false) that it must run here."""
    async with sessions.begin() as session:
        job = await find_job(session, job_ref)
        if job.status.is_terminal:
            raise UsageError(f"job {job.id} is {job.status}: nothing to resume")
        live = lease_is_fresh(job.config)
        if live and job.status is J.PAUSED:
            await set_job_status(session, job.id, J.PROCESSING, only_from=(J.PAUSED,))
            return ControlResult(job.id, J.PROCESSING, True)
        if live:
            raise UsageError(f"job {job.id} is already running ({job.status})")
        return ControlResult(job.id, job.status, False)
