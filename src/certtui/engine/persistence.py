"""Batched persistence of a running job: terminal states and counters in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from certtui.domain.enums import CertificationStatus
from certtui.store import certifications, jobs
from certtui.store.sessions import SQLAlchemyError
from certtui.store.types import utcnow

if TYPE_CHECKING:
    from certtui.engine.unit import UnitResult
    from certtui.store.sessions import Session, Sessions


@dataclass(frozen=True)
class Finished:
    """A unit that reached its terminal state in a committed transaction."""

    certification_id: str
    result: UnitResult


@dataclass
class Commit:
    """What one transaction changed, handed to the commit listener."""

    started: list[str] = field(default_factory=list)
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
        sessions: Sessions,
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
        session: Session,
        started: dict[str, datetime],
        finished: list[Finished],
    ) -> Commit:
        # A unit finishing in this batch whose start is still queued (a later batch) starts
        # here first: a unit reaches its terminal state from PROCESSING only (SPEC §2.3).
        starts = {
            **{f.certification_id: self._started[f.certification_id] for f in finished
               if f.certification_id in self._started},
            **started,
        }  # fmt: skip
        commit = Commit(started=await certifications.start_units(session, self.job_id, starts))
        for item in finished:
            result = item.result
            applied = await certifications.finish_unit(
                session, self.job_id, item.certification_id, result.status,
                passed=result.passed, score=result.score, rating=result.rating,
                testResults=result.test_results, errorCategory=result.error_category,
                errorMessage=result.error_message, startedAt=result.started_at,
                completedAt=result.completed_at, duration=result.duration_ms,
            )  # fmt: skip
            if applied:
                commit.finished.append(item)
                if counts_as_success(result.status, result.passed):
                    commit.succeeded += 1
                else:
                    commit.failed += 1
        if commit.succeeded or commit.failed:
            await jobs.increment_counters(
                session, self.job_id, commit.succeeded, commit.failed, utcnow()
            )
        return commit
