"""Running one slice (a few units of one job in one region) inside a worker, with the engine.

The engine's pieces are reused as they are: ``load_units`` plans the units, ``certify_unit``
runs each under the worker's call limiter and region breaker, and a ``JobWriter`` batches the
results, each unit counted exactly once (SPEC §2.3). What differs from an in-process run is the
fence: a job runs on many workers at once, so its lease names the queue, and each write of a
slice checks the slice's claim token instead. A worker that stalled past the queue's stall
timeout, and whose slice another worker took, writes nothing more for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import EngineEvent, UnitStateChanged
from certtui.engine.breaker import RegionBreaker
from certtui.engine.events import EventBus
from certtui.engine.job import EngineConfig
from certtui.engine.limits import CallLimiter
from certtui.engine.persistence import Commit, DatabaseOutage, JobWriter, LeaseLost
from certtui.engine.planning import load_units
from certtui.engine.unit import UnitContext, UnitPlan, certify_unit
from certtui.store import jobs
from certtui.store import workers as queue_store
from certtui.store.certifications import requeue_units
from certtui.store.types import utcnow
from certtui.workers.submit import QUEUE_LEASE_TTL, queue_owner

if TYPE_CHECKING:
    from certtui.bedrock.clients import BedrockClients
    from certtui.store.sessions import Session, Sessions
    from certtui.suites import Suite

J = JobStatus
C = CertificationStatus
# A slice's writer gathers results this long per transaction: every transaction also counts
# on the job's row, which all slices of the job on all workers share.
WRITE_INTERVAL = 0.5


class SliceEnd(enum.Enum):
    """How a slice run ended; the worker tells the queue accordingly."""

    DONE = "done"  # every unit finished: ack
    GONE = "gone"  # over already, taken by another worker, or the job runs elsewhere: ack
    CANCELLED = "cancelled"  # the job was cancelled: ack
    PAUSED = "paused"  # the job is paused: back to the queue, later
    HANDED_BACK = "handed back"  # stopping (SIGTERM) or the database is away: queue it again


class SliceWriter(JobWriter):
    """A job writer fenced by a slice's claim token (and the job's queue lease)."""

    def __init__(self, sessions: Sessions, job_id: str, slice_id: str, token: str, **kw: Any):
        super().__init__(sessions, job_id, owner=queue_owner(job_id), **kw)
        self.slice_id = slice_id
        self.token = token

    async def fence(self, session: Session) -> None:
        """Raise LeaseLost unless this worker still holds the slice and the queue the job."""
        holder = await queue_store.slice_token(session, self.slice_id)
        _, owner = await queue_store.job_lease_owner(session, self.job_id)
        if holder != self.token or owner != self.owner:
            why = "another worker took the slice" if holder != self.token else "job taken"
            raise LeaseLost(f"slice {self.slice_id} of job {self.job_id}: {why}")


class JobWatch:
    """The status of the jobs this worker runs slices of, read every ``interval`` seconds.

    A slice starts no unit of a job that is not PROCESSING (or QUEUED) as last read, and
    cancels its units as soon as it reads CANCELLED: a pause or cancel from any TUI or CLI
    reaches every worker within ``interval`` plus a transaction.
    """

    def __init__(self, sessions: Sessions, interval: float = 0.25) -> None:
        self.sessions = sessions
        self.interval = interval
        self.interest: Counter[str] = Counter()
        self.statuses: dict[str, JobStatus] = {}
        self.changed = asyncio.Event()

    def hold(self, job_id: str, status: JobStatus) -> None:
        self.interest[job_id] += 1
        self.statuses[job_id] = status

    def release(self, job_id: str) -> None:
        self.interest[job_id] -= 1
        if self.interest[job_id] <= 0:
            del self.interest[job_id]
            self.statuses.pop(job_id, None)

    def status(self, job_id: str) -> JobStatus | None:
        return self.statuses.get(job_id)

    async def refresh(self) -> None:
        if not self.interest:
            return
        async with self.sessions() as session:
            read = await queue_store.job_statuses(session, list(self.interest))
        moved = any(self.statuses.get(job_id) != status for job_id, status in read.items())
        for job_id, status in read.items():
            if job_id in self.interest:
                self.statuses[job_id] = status
        if moved:
            self.changed.set()
            self.changed = asyncio.Event()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(Exception):  # the database away: read again next time
                await self.refresh()
            await asyncio.sleep(self.interval)


@dataclass
class SliceRunner:
    """What every slice of a worker shares: clients, limits, breaker, watch, suites."""

    sessions: Sessions
    clients: BedrockClients
    config: EngineConfig
    suite_for: Callable[[dict[str, Any]], Suite]
    worker_id: str
    limiter: CallLimiter
    breaker: RegionBreaker
    watch: JobWatch
    bus: EventBus = field(default_factory=EventBus)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)  # SIGTERM: start nothing
    hard_stop: asyncio.Event = field(default_factory=asyncio.Event)  # grace over: cancel all
    units_in_flight: int = 0
    unit_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(64))
    _claiming: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run(self, slice_id: str) -> SliceEnd:
        """Claim the slice, run its units, record how it ended."""
        token = uuid.uuid4().hex
        # One claim at a time: the slices a worker takes at once (at a job's start) would
        # otherwise claim and load together, and the first unit would start only when the
        # last slice is loaded; one by one, the first slice's calls go out while the others
        # are claimed.
        async with self._claiming:
            if self.stopping.is_set():
                return SliceEnd.HANDED_BACK
            claimed = await self._claim(slice_id, token)
            if isinstance(claimed, SliceEnd):
                return claimed
            piece, job_config = claimed
            plans = await load_units(self.sessions, piece.job_id, piece.unit_ids)
        self.watch.hold(piece.job_id, J.PROCESSING)
        try:
            return await self._run(piece, token, job_config, plans)
        finally:
            self.watch.release(piece.job_id)

    async def _claim(
        self, slice_id: str, token: str
    ) -> SliceEnd | tuple[queue_store.Slice, dict[str, Any]]:
        events: list[EngineEvent | None] = []
        async with self.sessions.begin() as session:
            piece, requeued = await queue_store.claim_slice(
                session, slice_id, self.worker_id, token
            )
            if piece is None:
                return SliceEnd.GONE
            events += requeued
            status, owner = await queue_store.job_lease_owner(session, piece.job_id)
            job = await jobs.get_job(session, piece.job_id)
            config = dict(job.config or {}) if job is not None else {}
            if status is J.CANCELLED or owner != queue_owner(piece.job_id):
                # Cancelled (its units are cancelled by whoever ends the job) or run in-process.
                ended = "cancelled" if status is J.CANCELLED else "released"
                await queue_store.end_slice(session, slice_id, token, ended)
                events += await _finish_cancel(session, piece.job_id, status)
                self._publish(events)
                return SliceEnd.CANCELLED if status is J.CANCELLED else SliceEnd.GONE
            if status.is_terminal:
                await queue_store.end_slice(session, slice_id, token, "done")
                return SliceEnd.GONE
            if status is J.PAUSED:
                # Workers still hold a paused job (its slices come back every second): its
                # lease stays fresh, so a resume from anywhere reaches them, not a new engine.
                await queue_store.renew_queue_leases(
                    session,
                    {piece.job_id: owner},
                    {"heartbeat": time.time(), "ttl": QUEUE_LEASE_TTL},
                )
                await queue_store.end_slice(session, slice_id, token, "queued")
                self._publish(events)
                return SliceEnd.PAUSED
            starts_job = status in (J.QUEUED, J.PENDING)
            started_at = job.started_at if job is not None else None
        if starts_job:
            # Its own transaction: every slice claimed at a job's start reads it QUEUED, and
            # the first UPDATE holds the job's row until it commits; inside the claims, they
            # would all wait on each other.
            async with self.sessions.begin() as session:
                events.append(
                    await jobs.set_job_status(
                        session, piece.job_id, J.PROCESSING, only_from=(J.QUEUED, J.PENDING),
                        startedAt=started_at or utcnow(),
                    )
                )  # fmt: skip
        self._publish(events)
        return piece, config

    async def _run(
        self,
        piece: queue_store.Slice,
        token: str,
        job_config: dict[str, Any],
        plans: list[UnitPlan],
    ) -> SliceEnd:
        by_id = {plan.certification_id: plan for plan in plans}
        writer = SliceWriter(
            self.sessions, piece.job_id, piece.id, token,
            on_commit=lambda commit: self._committed(piece.job_id, by_id, commit),
            interval=WRITE_INTERVAL, close_at_once=True,
            attempt_timeout=self.config.db_attempt_timeout,
            outage_limit=self.config.db_outage_limit,
        )  # fmt: skip
        context = UnitContext(
            job_id=piece.job_id, clients=self.clients, limiter=self.limiter,
            suite=self.suite_for(job_config), policy=self.config.retry, bus=self.bus,
            pass_threshold=self.config.pass_threshold, breaker=self.breaker,
        )  # fmt: skip
        writer.start()
        tasks: dict[asyncio.Task[None], UnitPlan] = {}
        cancelled = lost = False

        async def unit(plan: UnitPlan) -> None:
            # The worker keeps 2 units per call slot going, as the engine does; a slice's unit
            # waits here for a free one (slices are taken ahead, so none is left idle while a
            # slice finishes its last unit).
            async with self.unit_slots:
                # Checked before each unit starts: a pause, cancel or stop read since holds it;
                # the unit stays QUEUED and its slice goes back to the queue.
                if self.watch.status(piece.job_id) not in (J.PROCESSING, J.QUEUED):
                    return
                if self.stopping.is_set():
                    return
                self.units_in_flight += 1
                try:
                    writer.mark_started(plan.certification_id)
                    result = await certify_unit(context, plan)
                    writer.mark_finished(plan.certification_id, result)
                finally:
                    self.units_in_flight -= 1

        try:
            for plan in plans:
                task = asyncio.create_task(unit(plan), name=f"unit-{plan.certification_id}")
                tasks[task] = plan
            pending = set(tasks)
            while pending:
                changed = asyncio.create_task(self.watch.changed.wait())
                stop = asyncio.create_task(self.hard_stop.wait())
                writer_task = [writer.task] if writer.task is not None else []
                done, pending = await asyncio.wait(
                    pending | {changed, stop, *writer_task}, return_when=asyncio.FIRST_COMPLETED
                )
                for helper in (changed, stop):
                    helper.cancel()
                pending -= {changed, stop, *writer_task}
                if writer_task and writer_task[0] in done:
                    lost = True
                    break
                if self.watch.status(piece.job_id) is J.CANCELLED:
                    cancelled = True
                    break
                if self.hard_stop.is_set():
                    break
        finally:
            unfinished = [tasks[t] for t in tasks if not t.done()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            unwritten = await writer.close()
            await writer.settle()
        if lost:
            return SliceEnd.GONE
        return await self._end(piece, token, cancelled, unfinished, unwritten)

    async def _end(
        self,
        piece: queue_store.Slice,
        token: str,
        cancelled: bool,
        unfinished: list[UnitPlan],
        unwritten: list[str],
    ) -> SliceEnd:
        requeue = [plan.certification_id for plan in unfinished] + unwritten

        async def record(session: Session) -> tuple[SliceEnd, list[EngineEvent | None]]:
            events: list[EngineEvent | None] = []
            await queue_store.serialize_slice_ends(session, piece.job_id)
            if await queue_store.slice_token(session, piece.id) != token:
                return SliceEnd.GONE, []
            events += await requeue_units(session, piece.job_id, requeue)
            status, _ = await queue_store.job_lease_owner(session, piece.job_id)
            if cancelled or status is J.CANCELLED:
                events += await _finish_cancel(session, piece.job_id, J.CANCELLED)
                await queue_store.end_slice(session, piece.id, token, "cancelled")
                return SliceEnd.CANCELLED, events
            left = await queue_store.unfinished_units(session, piece.job_id, piece.unit_ids)
            if left:
                await queue_store.end_slice(session, piece.id, token, "queued")
                ended = SliceEnd.PAUSED if status is J.PAUSED else SliceEnd.HANDED_BACK
                return ended, events
            await queue_store.end_slice(session, piece.id, token, "done")
            # The job ends with its last slice: one still held ends it when it ends (its
            # units may all be counted already, its own end not yet recorded).
            if not await queue_store.other_slices_running(session, piece.job_id, piece.id):
                events.append(await _complete_if_done(session, piece.job_id))
            return SliceEnd.DONE, events

        writer = JobWriter(self.sessions, piece.job_id,
                           attempt_timeout=self.config.db_attempt_timeout)  # fmt: skip
        try:
            ended, events = await writer.attempt(record)
        except DatabaseOutage:
            return SliceEnd.HANDED_BACK  # its units are still unfinished: run again later
        self._publish(events)
        return ended

    def _committed(self, job_id: str, by_id: dict[str, UnitPlan], commit: Commit) -> None:
        for certification_id in commit.started:
            plan = by_id.get(certification_id)
            if plan is not None:
                self.bus.publish(_unit_event(job_id, plan, C.PROCESSING))
        for item in commit.finished:
            plan = by_id.get(item.certification_id)
            if plan is not None:
                self.bus.publish(_unit_event(job_id, plan, item.result.status, item.result))

    def _publish(self, events: list[EngineEvent | None]) -> None:
        for event in events:
            if event is not None:
                self.bus.publish(event)


def _unit_event(job_id: str, plan: UnitPlan, status: C, result: Any = None) -> UnitStateChanged:
    return UnitStateChanged(
        job_id=job_id, certification_id=plan.certification_id, model_id=plan.model_id,
        api_model_id=plan.api_model_id, region=plan.region, status=status,
        passed=None if result is None else result.passed,
        score=None if result is None else result.score,
        rating=None if result is None else result.rating,
        error_category=None if result is None else result.error_category,
        error_message=None if result is None else result.error_message,
    )  # fmt: skip


async def _finish_cancel(
    session: Session, job_id: str, status: JobStatus
) -> list[EngineEvent | None]:
    """A cancelled job's unfinished units become CANCELLED and the job gets its end (once)."""
    if status is not J.CANCELLED:
        return []
    events: list[EngineEvent | None] = []
    events += await jobs.cancel_unfinished(session, job_id)
    job = await jobs.get_job(session, job_id)
    if job is not None and job.completed_at is None:
        config = {k: v for k, v in (job.config or {}).items() if k != "lease"}
        events.append(await jobs.finish_job(session, job_id, J.CANCELLED, job.started_at, config))
    return events


async def _complete_if_done(session: Session, job_id: str) -> EngineEvent | None:
    """The job's end once its last unit is counted: COMPLETED (the slice that sees it ends it)."""
    total, processed = await jobs.job_progress(session, job_id)
    if processed < total:
        return None
    job = await jobs.get_job(session, job_id)
    if job is None or job.status.is_terminal:
        return None
    config = {k: v for k, v in (job.config or {}).items() if k != "lease"}
    return await jobs.finish_job(session, job_id, J.COMPLETED, job.started_at, config)
