"""Batched persistence of a running job: terminal states and counters in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.store.models import CertificationJob, ModelCertification
from certtui.store.types import utcnow

if TYPE_CHECKING:
    from certtui.engine.unit import UnitResult

C = CertificationStatus
CERTS = ModelCertification.__table__
JOBS = CertificationJob.__table__
UNFINISHED = (C.PENDING, C.QUEUED, C.PROCESSING)
# Spelled as equalities, not IN: the statement then compiles once and is reused from the cache.
IS_UNFINISHED = sa.or_(*(CERTS.c.status == status for status in UNFINISHED))


@dataclass(frozen=True)
class Finished:
    """A unit that reached its terminal state in a committed transaction."""

    certification_id: str
    result: UnitResult


@dataclass
class Commit:
    """What one transaction changed, handed to the commit listener."""

    finished: list[Finished] = field(default_factory=list)
    succeeded: int = 0
    failed: int = 0


def counts_as_success(status: CertificationStatus, passed: bool | None) -> bool:
    """SPEC §2.3: successCount counts units COMPLETED with passed = true."""
    return status is CertificationStatus.COMPLETED and bool(passed)


class JobWriter:
    """The single writer of a running job: batches unit updates into few transactions.

    A terminal update only applies to a unit of this job that is still unfinished, and the
    job's counters move by what was applied, in the same transaction: a unit is counted
    exactly once, whatever retries, crashes and resumptions happen around it.
    """

    def __init__(
        self,
        sessions: async_sessionmaker,
        job_id: str,
        *,
        on_commit: Callable[[Commit], None] | None = None,
        interval: float = 0.05,
        max_batch: int = 512,
    ) -> None:
        self.sessions = sessions
        self.job_id = job_id
        self.on_commit = on_commit
        self.interval = interval
        self.max_batch = max_batch
        self.lock = asyncio.Lock()  # also taken by the job's own status writes
        self._started: dict[str, datetime] = {}
        self._finished: list[Finished] = []
        self._pending = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start the background flush loop."""
        self._task = asyncio.create_task(self._loop(), name=f"job-writer-{self.job_id}")

    def mark_started(self, certification_id: str) -> None:
        """Queue QUEUED → PROCESSING for a unit."""
        self._started[certification_id] = utcnow()
        self._pending.set()

    def mark_finished(self, certification_id: str, result: UnitResult) -> None:
        """Queue a unit's terminal state."""
        self._finished.append(Finished(certification_id, result))
        self._pending.set()

    async def flush(self) -> None:
        """Commit everything queued so far."""
        async with self.lock:
            await self._flush_locked()

    async def close(self) -> None:
        """Flush and stop the loop."""
        self._closing = True
        self._pending.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()

    async def _loop(self) -> None:
        while not self._closing:
            await self._pending.wait()
            if not self._closing:
                await asyncio.sleep(self.interval)  # let a batch gather
            async with self.lock:
                await self._flush_locked()

    async def _flush_locked(self) -> None:
        self._pending.clear()
        delay = 0.2
        while self._started or self._finished:
            started = dict(list(self._started.items())[: self.max_batch])
            finished = self._finished[: self.max_batch]
            try:
                async with self.sessions.begin() as session:
                    commit = await self._apply(session, started, finished)
            except SQLAlchemyError:
                # The database went away: keep everything queued and try again shortly.
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            for key in started:
                self._started.pop(key, None)
            del self._finished[: len(finished)]
            if self.on_commit is not None:
                self.on_commit(commit)

    async def _apply(
        self,
        session: AsyncSession,
        started: dict[str, datetime],
        finished: list[Finished],
    ) -> Commit:
        now = utcnow()
        if started:
            await session.execute(
                CERTS.update()
                .where(
                    CERTS.c.id == sa.bindparam("cid"),
                    CERTS.c.jobId == self.job_id,
                    CERTS.c.status == C.QUEUED,
                )
                .values(status=C.PROCESSING, startedAt=sa.bindparam("at"), updatedAt=now),
                [{"cid": cid, "at": at} for cid, at in started.items()],
            )
        commit = Commit()
        for item in finished:
            result = item.result
            applied = await session.execute(
                CERTS.update()
                .where(
                    CERTS.c.id == item.certification_id,
                    CERTS.c.jobId == self.job_id,
                    IS_UNFINISHED,
                )
                .values(
                    status=result.status,
                    passed=result.passed,
                    score=result.score,
                    rating=result.rating,
                    testResults=result.test_results,
                    errorCategory=result.error_category,
                    errorMessage=result.error_message,
                    startedAt=result.started_at,
                    completedAt=result.completed_at,
                    duration=result.duration_ms,
                    updatedAt=now,
                )
            )
            if applied.rowcount == 1:
                commit.finished.append(item)
                if counts_as_success(result.status, result.passed):
                    commit.succeeded += 1
                else:
                    commit.failed += 1
        if commit.succeeded or commit.failed:
            await increment_counters(session, self.job_id, commit.succeeded, commit.failed, now)
        return commit


async def increment_counters(
    session: AsyncSession, job_id: str, succeeded: int, failed: int, now: datetime
) -> None:
    """Move a job's counters in the database itself (no read-modify-write)."""
    await session.execute(
        JOBS.update()
        .where(JOBS.c.id == job_id)
        .values(
            processedModels=JOBS.c.processedModels + succeeded + failed,
            successCount=JOBS.c.successCount + succeeded,
            failureCount=JOBS.c.failureCount + failed,
            updatedAt=now,
        )
    )


async def cancel_unfinished(session: AsyncSession, job_id: str) -> int:
    """Make every unfinished unit of a job CANCELLED and count them; returns how many."""
    now = utcnow()
    rows = await session.execute(
        CERTS.update()
        .where(CERTS.c.jobId == job_id, IS_UNFINISHED)
        .values(status=C.CANCELLED, passed=False, completedAt=now, updatedAt=now)
        .returning(CERTS.c.id)
    )
    cancelled = len(rows.all())
    if cancelled:
        await increment_counters(session, job_id, 0, cancelled, now)
    return cancelled


async def set_job_status(
    session: AsyncSession,
    job_id: str,
    status: JobStatus,
    *,
    only_from: Sequence[JobStatus] | None = None,
    **values: Any,
) -> bool:
    """Compare-and-set a job's status; returns whether it applied."""
    statement = JOBS.update().where(JOBS.c.id == job_id)
    if only_from is not None:
        statement = statement.where(JOBS.c.status.in_(list(only_from)))
    result = await session.execute(statement.values(status=status, updatedAt=utcnow(), **values))
    return result.rowcount == 1


async def requeue_processing(
    session: AsyncSession, job_id: str, certification_ids: Sequence[str] | None = None
) -> None:
    """Put a job's PROCESSING units (all, or the given ones) back to QUEUED, uncounted."""
    statement = CERTS.update().where(CERTS.c.jobId == job_id, CERTS.c.status == C.PROCESSING)
    if certification_ids is not None:
        if not certification_ids:
            return
        statement = statement.where(CERTS.c.id.in_(list(certification_ids)))
    await session.execute(statement.values(status=C.QUEUED, updatedAt=utcnow()))


async def finish_job(
    session: AsyncSession,
    job_id: str,
    status: JobStatus,
    started_at: datetime | None,
    config: dict[str, Any],
) -> None:
    """Give a job its final status, completion time and duration (ms)."""
    now = utcnow()
    duration = int((now - started_at).total_seconds() * 1000) if started_at else None
    await set_job_status(session, job_id, status, completedAt=now, duration=duration, config=config)
