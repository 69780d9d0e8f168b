"""Batched persistence of a running job: terminal states and counters in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from certtui.domain.enums import CertificationStatus
from certtui.domain.leases import describe_lease, job_lease
from certtui.store import certifications, joblog, jobs
from certtui.store.outage import is_database_outage, is_disk_full
from certtui.store.types import utcnow

if TYPE_CHECKING:
    from certtui.domain.joblog import LogEntry
    from certtui.engine.unit import UnitResult
    from certtui.store.sessions import Session, Sessions

T = TypeVar("T")


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


class DatabaseOutage(Exception):
    """One attempt at a transaction failed because the database is gone or busy for now."""


class LeaseLost(Exception):
    """Another process holds the job's lease now: this one must not write for the job."""


@dataclass(frozen=True)
class Outage:
    """A database outage as the writer saw it: ``begun``, past its ``limit``, or ``over``."""

    state: Literal["begun", "limit", "over"]
    seconds: float
    error: str
    disk_full: bool = False  # the database cannot grow: waiting will not help


LOG_LIMIT = 5000  # log lines a writer keeps for its job; a storm of retries stops there
BACKOFF_FIRST = 0.2
BACKOFF_CAP = 5.0


class JobWriter:
    """The single writer of a running job: batches unit updates into few transactions.

    A terminal update only applies to a unit of this job that is still unfinished, and the
    job's counters move by what was applied, in the same transaction: a unit is counted
    exactly once, whatever retries, crashes and resumptions happen around it.

    Every transaction of the job (the batches, the heartbeat, the final status) is one
    ``attempt``: it holds ``lock`` for that attempt only and gives up after
    ``attempt_timeout``, so a database that is gone never holds up the others. Batches are
    retried with backoff outside the lock; an outage is reported through ``on_outage`` when
    it begins, each time it has lasted another ``outage_limit`` seconds, and when it is over.
    """

    def __init__(
        self,
        sessions: Sessions,
        job_id: str,
        *,
        on_commit: Callable[[Commit], None] | None = None,
        on_outage: Callable[[Outage], None] | None = None,
        interval: float = 0.05,
        max_batch: int = 512,
        attempt_timeout: float = 15.0,
        outage_limit: float = 60.0,
        owner: str | None = None,
        close_at_once: bool = False,
    ) -> None:
        self.sessions = sessions
        # Whether close() cuts a gathering interval short. A worker's slice writer does (its
        # interval is 0.5 s, and the slice's end, and the next slice's claim, wait for it);
        # the in-process engine's writer (0.05 s) keeps waiting it out, as it always has.
        self.close_at_once = close_at_once
        self.job_id = job_id
        self.owner = owner  # every batch checks the job's lease still names it
        self.on_commit = on_commit
        self.on_outage = on_outage
        self.interval = interval
        self.max_batch = max_batch
        self.attempt_timeout = attempt_timeout
        self.outage_limit = outage_limit
        self.lock = asyncio.Lock()  # one transaction of this job at a time
        self._started: dict[str, datetime] = {}
        self._finished: list[Finished] = []
        self._log: list[LogEntry] = []
        self._logged = 0  # log lines queued so far (LOG_LIMIT)
        self._pending = asyncio.Event()
        self._closing_now = asyncio.Event()  # cuts a gathering or backoff sleep short
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._outage_since: float | None = None
        self._limits_told = 0
        self._answered_at = 0.0  # when the database last answered within this attempt
        self._abandoned: set[asyncio.Task[Any]] = set()  # timed-out attempts still ending

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

    async def requeue(self, certification_ids: list[str]) -> list[Any]:
        """Put units held back by a pause to QUEUED (their pending starts are dropped).

        Runs under the lock, so no batch is writing their start meanwhile; raises
        DatabaseOutage when the database is away (the units stay as they are).
        """

        async def work(session: Session) -> list[Any]:
            for certification_id in certification_ids:
                self._started.pop(certification_id, None)
            events = await certifications.requeue_units(session, self.job_id, certification_ids)
            await self.fence(session)
            return events

        return await self.attempt(work)

    def log(self, entry: LogEntry) -> None:
        """Queue a line of the job's log; it is written with the next batch."""
        self._logged += 1
        if self._logged > LOG_LIMIT:
            return
        if self._logged == LOG_LIMIT:
            entry = replace(
                entry, level="warning", kind="log", api_model_id=None, region=None,
                message=f"log full ({LOG_LIMIT} lines): further events are not recorded",
            )  # fmt: skip
        self._log.append(entry)
        self._pending.set()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The flush loop while it runs; it ends early only on an error that is not an outage."""
        return self._task

    @property
    def queued(self) -> int:
        """How many unit updates wait to be written."""
        return len(self._started) + len(self._finished)

    @property
    def results_held(self) -> int:
        """How many unit verdicts wait to be written."""
        return len(self._finished)

    @property
    def units_held(self) -> int:
        """How many distinct units have updates waiting to be written."""
        return len(set(self._started) | {f.certification_id for f in self._finished})

    @property
    def in_outage(self) -> bool:
        """Whether the last attempt failed (results cannot be saved now)."""
        return self._outage_since is not None

    @property
    def outage_seconds(self) -> float:
        """How long the current outage has lasted (0 while the database answers)."""
        if self._outage_since is None:
            return 0.0
        return time.monotonic() - self._outage_since

    async def attempt(
        self,
        work: Callable[[Session], Awaitable[T]],
        committed: Callable[[T], None] | None = None,
        *,
        exclusive: bool = True,
    ) -> T:
        """Run ``work`` in one transaction under the lock, bounded by the attempt timeout.

        ``committed`` runs after the commit, still under the lock. Raises DatabaseOutage when
        the database is gone or busy; other errors are bugs and propagate as they are.
        ``exclusive=False`` runs without the lock, on a connection of its own (the heartbeat:
        a writer stuck in a transaction must not keep the lease from being renewed).

        The timeout runs from the database's last answer (``statement_answered``), not the start:
        a batch of many statements on an event loop shared with a busy interface and many
        calls takes long because each statement waits its turn on the loop, and giving that
        up as an outage retried it with an even larger batch, never writing anything.
        """
        async with self.lock if exclusive else contextlib.nullcontext():
            self._answered_at = time.monotonic()
            transaction = asyncio.ensure_future(self._transaction(work))
            try:
                while True:
                    silent = time.monotonic() - self._answered_at
                    if silent >= self.attempt_timeout:
                        done = set()
                        break
                    done, _ = await asyncio.wait(
                        {transaction}, timeout=self.attempt_timeout - silent
                    )
                    if done:
                        break
            except asyncio.CancelledError:
                # The caller (the heartbeat, at the end of a run) is cancelled: the transaction
                # still ends in the background, and settle() waits for it, since the engine
                # must not be disposed (nor the loop closed) under its connection.
                self._abandon(transaction)
                raise
            if not done:
                # A connection that hangs may hang its rollback too: leave it to end on its own.
                self._abandon(transaction)
                failure: BaseException = TimeoutError(
                    f"no answer from the database within {self.attempt_timeout:g} s"
                )
            elif transaction.cancelled():
                failure = TimeoutError("the database transaction was cancelled")
            elif transaction.exception() is None:
                result = transaction.result()
                if committed is not None:
                    committed(result)
                self._answered()
                return result
            else:
                failure = transaction.exception()  # type: ignore[assignment]
                if not is_database_outage(failure):
                    raise failure
        self._failed(failure)
        raise DatabaseOutage(_describe(failure)) from failure

    async def settle(self, timeout: float | None = None) -> int:
        """Give abandoned attempts up to ``timeout`` s to end; returns how many still run.

        The runner calls this last: an abandoned transaction still holds a pooled connection,
        and an engine disposed under it (or an event loop closed under it) leaves a task that
        can never end, since the session's close is shielded from cancellation.
        """
        if self._abandoned:
            await asyncio.wait(set(self._abandoned), timeout=timeout or self.attempt_timeout)
        return len(self._abandoned)

    def _abandon(self, transaction: asyncio.Future[Any]) -> None:
        transaction.cancel()
        transaction.add_done_callback(_forget)
        self._abandoned.add(transaction)
        transaction.add_done_callback(self._abandoned.discard)

    def statement_answered(self) -> None:
        """The database answered a statement of the current attempt: its timeout starts again."""
        self._answered_at = time.monotonic()

    async def _transaction(self, work: Callable[[Session], Awaitable[T]]) -> T:
        async with self.sessions.begin() as session:
            return await work(session)

    def _answered(self) -> None:
        if self._outage_since is not None:
            seconds = self.outage_seconds
            self._outage_since = None
            self._limits_told = 0
            self._tell(Outage("over", seconds, ""))

    def _failed(self, error: BaseException) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            self._tell(Outage("begun", 0.0, _describe(error), is_disk_full(error)))
        elif self.outage_seconds >= self.outage_limit * (self._limits_told + 1):
            # Told again each further limit: a job resumed while it lasts pauses again.
            self._limits_told += 1
            self._tell(Outage("limit", self.outage_seconds, _describe(error)))

    def _tell(self, outage: Outage) -> None:
        if self.on_outage is not None:
            self.on_outage(outage)

    async def flush(self) -> None:
        """Commit everything queued so far, waiting out an outage."""
        await self._drain()

    async def close(self) -> list[str]:
        """Stop the loop and write what is queued; returns the units left unwritten.

        During an outage this makes one attempt and gives up: the units it could not write
        stay unfinished in the database (resuming the job runs them again).
        """
        self._closing = True
        self._pending.set()
        self._closing_now.set()
        task, self._task = self._task, None
        if task is not None:
            # A loop that stopped on a bug has stopped the job already (the runner saw it);
            # closing still tries what is queued, so the job can be left PAUSED, not PROCESSING.
            with contextlib.suppress(Exception):
                await task
        while self._started or self._finished or self._log:
            try:
                await self._write_batch()
            except Exception:  # an outage, or the bug again: leave the rest unfinished
                break
        unwritten = list(
            dict.fromkeys([*self._started, *(f.certification_id for f in self._finished)])
        )
        self._started.clear()
        self._finished.clear()
        self._log.clear()
        return unwritten

    async def _loop(self) -> None:
        while not self._closing:
            await self._pending.wait()
            if self.close_at_once:
                # Let a batch gather, unless the writer is closing: close() writes what is
                # queued at once rather than after the rest of an interval.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await self._closing_now.wait()
            elif not self._closing:
                await asyncio.sleep(self.interval)  # let a batch gather
            await self._drain()

    async def _drain(self) -> None:
        """Write queued batches, backing off outside the lock while the database is out."""
        self._pending.clear()
        delay = BACKOFF_FIRST
        while (self._started or self._finished or self._log) and not self._closing:
            try:
                await self._write_batch()
            except DatabaseOutage:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):  # not wait_for: see _heartbeat
                        await self._closing_now.wait()
                delay = min(delay * 2, BACKOFF_CAP)
            else:
                delay = BACKOFF_FIRST

    async def _write_batch(self) -> None:
        started: dict[str, datetime] = {}
        finished: list[Finished] = []
        logged: list[LogEntry] = []

        async def apply(session: Session) -> Commit:
            # Taken under the lock, so two flushers never write the same batch.
            started.update(list(self._started.items())[: self.max_batch])
            finished.extend(self._finished[: self.max_batch])
            logged.extend(self._log[: self.max_batch])
            if logged:
                await joblog.append(session, self.job_id, logged)
                self.statement_answered()
            return await self._apply(session, started, finished)

        def committed(commit: Commit) -> None:
            for key in started:
                self._started.pop(key, None)
            del self._finished[: len(finished)]
            del self._log[: len(logged)]
            if self.on_commit is not None:
                self.on_commit(commit)

        await self.attempt(apply, committed)

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
        self.statement_answered()
        for item in finished:
            result = item.result
            applied = await certifications.finish_unit(
                session, self.job_id, item.certification_id, result.status,
                passed=result.passed, score=result.score, rating=result.rating,
                testResults=result.test_results, errorCategory=result.error_category,
                errorMessage=result.error_message, startedAt=result.started_at,
                completedAt=result.completed_at, duration=result.duration_ms,
            )  # fmt: skip
            self.statement_answered()
            if applied:
                commit.finished.append(item)
                if counts_as_success(result.status, result.passed):
                    commit.succeeded += 1
                else:
                    commit.failed += 1
        # The job row is locked last, after the units (a claim takes them in the same order).
        await self.fence(session)
        if commit.succeeded or commit.failed:
            await jobs.increment_counters(
                session, self.job_id, commit.succeeded, commit.failed, utcnow()
            )
            self.statement_answered()
        return commit

    async def fence(self, session: Session) -> None:
        """Lock the job's row and raise LeaseLost unless its lease still names this owner.

        Every write of a running job passes here in its transaction, so a process that lost
        its lease (stalled past its time to live, then taken over) never overwrites the new
        owner's work: its transaction rolls back.
        """
        if self.owner is None:
            return
        locked = await jobs.lock_job(session, self.job_id)
        lease = job_lease(locked[1]) if locked is not None else None
        if lease is None or lease.get("owner") != self.owner:
            holder = f"held by {describe_lease(lease)}" if lease else "released"
            raise LeaseLost(
                f"job {self.job_id} was taken over: its lease is {holder}; this process "
                "stopped without writing for it"
            )


def _forget(task: asyncio.Task[Any]) -> None:
    # Retrieve the outcome of an abandoned attempt so asyncio does not log it as lost.
    if not task.cancelled():
        task.exception()


def _describe(error: BaseException) -> str:
    # The driver's own error says it best ("connection refused"); wrappers add SQL and noise.
    while True:
        inner = getattr(error, "orig", None) or error.__cause__
        if not isinstance(inner, BaseException):
            break
        error = inner
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
