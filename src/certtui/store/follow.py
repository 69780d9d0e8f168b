"""Following jobs another process runs, incrementally: what changed since the last look.

An engine in another process (the TUI's detached engine, a cron ``certtui run``) publishes its
events on its own bus; a follower sees them only in the database. Each look reads the units
whose ``updatedAt`` moved since the last one and the jobs that are live or were live last time,
and turns what changed into the domain events an in-process engine would have published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import JobStateChanged, UnitStateChanged
from certtui.store.models import AIModel, CertificationJob, ModelCertification

# Rows are read again this far behind the newest ``updatedAt`` seen: a transaction that stamped
# its rows before another's and committed after it is still seen (what was already told is not
# told twice).
OVERLAP = timedelta(seconds=5)
ACTIVE = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING)
LIVE = (*ACTIVE, JobStatus.PAUSED)

UnitSignature = tuple[str, datetime]
JobSignature = tuple[str, int, int, int, int]


@dataclass
class FollowCursor:
    """Where a follower stands: the newest unit change seen, and what it already told."""

    since: datetime | None = None
    units: dict[str, UnitSignature] = field(default_factory=dict)
    jobs: dict[str, JobSignature] = field(default_factory=dict)

    def active_jobs(self) -> list[str]:
        """The jobs last seen running or about to (not paused, not ended)."""
        return [job_id for job_id, sig in self.jobs.items() if JobStatus(sig[0]) in ACTIVE]


@dataclass(frozen=True)
class Changes:
    """What changed since the cursor, as domain events."""

    units: list[UnitStateChanged]
    jobs: list[JobStateChanged]


async def start_cursor(session: AsyncSession) -> FollowCursor:
    """A cursor at the database's present: later changes are news, earlier ones are not."""
    newest = await session.scalar(sa.select(sa.func.max(ModelCertification.updated_at)))
    cursor = FollowCursor(since=newest)
    if newest is not None:  # what the overlap will read again is not news
        certs = ModelCertification
        rows = await session.execute(
            sa.select(certs.id, certs.status, certs.updated_at).where(
                certs.updated_at >= newest - OVERLAP
            )
        )
        cursor.units = {cid: (str(status), at) for cid, status, at in rows}
    for job in await _jobs(session, ()):
        cursor.jobs[job.id] = _job_signature(job)
    return cursor


async def changes_since(session: AsyncSession, cursor: FollowCursor) -> Changes:
    """The unit and job changes after ``cursor``, which moves past them."""
    units = await _unit_changes(session, cursor)
    jobs = []
    for job in await _jobs(session, list(cursor.jobs)):
        signature = _job_signature(job)
        if cursor.jobs.get(job.id) != signature:
            cursor.jobs[job.id] = signature
            counts = (job.total_models, job.processed_models, job.success_count, job.failure_count)
            jobs.append(JobStateChanged(job.id, job.status, *counts))
    for job_id in [j for j, sig in cursor.jobs.items() if JobStatus(sig[0]) not in LIVE]:
        del cursor.jobs[job_id]  # told it ended: no need to read it again
    return Changes(units, jobs)


async def _unit_changes(session: AsyncSession, cursor: FollowCursor) -> list[UnitStateChanged]:
    certs = ModelCertification
    columns = (
        certs.id, certs.job_id, certs.model_id, AIModel.api_model_id, certs.region,
        certs.status, certs.passed, certs.score, certs.rating, certs.error_category,
        certs.error_message, certs.test_results["simulated"].as_boolean(), certs.updated_at,
    )  # fmt: skip
    query = (
        sa.select(*columns).join(AIModel, AIModel.id == certs.model_id).order_by(certs.updated_at)
    )
    if cursor.since is not None:
        query = query.where(certs.updated_at >= cursor.since - OVERLAP)
    events = []
    newest = cursor.since
    for row in (await session.execute(query)).all():
        (cid, job_id, model_id, api_id, region, status, passed, score, rating, category,
         message, simulated, updated) = row  # fmt: skip
        signature = (str(status), updated)
        if cursor.units.get(cid) == signature:
            continue
        cursor.units[cid] = signature
        newest = updated if newest is None or updated > newest else newest
        event = UnitStateChanged(
            job_id or "", cid, model_id, api_id, region, CertificationStatus(status),
            passed=passed, score=score, rating=rating, error_category=category,
            error_message=message, simulated=bool(simulated),
        )  # fmt: skip
        events.append(event)
    cursor.since = newest
    if newest is not None:  # what fell out of the overlap cannot be read again: forget it
        horizon = newest - OVERLAP
        for cid in [c for c, (_, at) in cursor.units.items() if at < horizon]:
            del cursor.units[cid]
    return events


async def _jobs(session: AsyncSession, known: list[str]) -> list[CertificationJob]:
    jobs = CertificationJob
    condition = jobs.status.in_(LIVE)
    if known:
        condition = sa.or_(condition, jobs.id.in_(known))
    return list(await session.scalars(sa.select(jobs).where(condition)))


def _job_signature(job: CertificationJob) -> JobSignature:
    return (
        str(job.status), job.total_models, job.processed_models, job.success_count,
        job.failure_count,
    )  # fmt: skip
