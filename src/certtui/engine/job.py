"""Running a job: dispatch under the limits, leases, pause / resume / cancel (SPEC §4)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from certtui.bedrock.clients import BedrockClients
from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import (
    EngineEvent,
    JobProgress,
    JobStateChanged,
    LogLine,
    UnitStateChanged,
)
from certtui.domain.joblog import log_entry
from certtui.engine import leases
from certtui.engine.breaker import RegionBreaker
from certtui.engine.control import PAUSE_NOW, running_elsewhere
from certtui.engine.events import EventBus
from certtui.engine.leases import new_lease, new_owner
from certtui.engine.limits import CallLimiter
from certtui.engine.persistence import Commit, DatabaseOutage, JobWriter, LeaseLost, Outage
from certtui.engine.planning import load_units
from certtui.engine.retry import RetryPolicy
from certtui.engine.unit import UnitContext, UnitPlan, UnitResult, certify_unit
from certtui.errors import CannotRunError, UsageError
from certtui.store import jobs
from certtui.store.certifications import requeue_units
from certtui.store.types import utcnow
from certtui.suites import Suite

if TYPE_CHECKING:
    from certtui.store.sessions import Session, Sessions

J = JobStatus
C = CertificationStatus
RUNNABLE = (J.PENDING, J.QUEUED, J.PROCESSING, J.PAUSED)
UNITS_PER_CALL_SLOT = 2
SETTLE_BEFORE_FINISH = 1.0  # seconds a stopped heartbeat's transaction may take to end


class JobBusy(RuntimeError):
    """Another live process holds the job's lease."""


class JobNotRunnable(RuntimeError):
    """The job is finished or does not exist."""


class DatabaseUnreachable(CannotRunError):
    """The run ended while the database was gone: its end could not be recorded."""


@dataclass(frozen=True)
class EngineConfig:
    """Limits, retries and timings of the engine."""

    concurrency: int = 32
    region_concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease_ttl: float = 15.0
    heartbeat: float = 1.0
    progress_interval: float = 0.5
    pass_threshold: float | None = None
    # One database transaction gives up after this long; a database gone for the whole
    # outage limit pauses the job (what it finished meanwhile is written when it is back).
    db_attempt_timeout: float = 15.0
    db_outage_limit: float = 60.0
    # A region with this many connection failures in a row fails fast, and is probed again
    # after the cool-down (doubling up to 30 s while it stays unreachable): engine/breaker.py.
    breaker_threshold: int = 3
    breaker_cooldown: float = 5.0
    # Where the global and region limits hold: "cluster" (every process on the PostgreSQL
    # database together), "process", or None: cluster on PostgreSQL, process on SQLite.
    limit_scope: str | None = None
    # While no region answers (the endpoint itself is down), calls wait this long for it to come
    # back before they fail fast too (0: at once).
    breaker_outage_wait: float = 120.0


@dataclass(frozen=True)
class JobOutcome:
    """How a run of a job ended."""

    job_id: str
    status: JobStatus
    total: int
    processed: int
    succeeded: int
    failed: int
    interrupted: bool = False


# How often a session holding results through an outage checks that they were written.
HOLDING_POLL_SECONDS = 0.2


class JobRunner:
    """Runs one job to a terminal state, a pause, or an interruption."""

    def __init__(
        self,
        sessions: Sessions,
        clients: BedrockClients,
        suite: Suite,
        job_id: str,
        config: EngineConfig | None = None,
        *,
        bus: EventBus | None = None,
        owner: str | None = None,
        exit_on_pause: bool = True,
        breaker: RegionBreaker | None = None,
        limiter: CallLimiter | None = None,
    ) -> None:
        self.sessions = sessions
        self.job_id = job_id
        self.config = config or EngineConfig()
        self.bus = bus or EventBus()
        self.owner = owner or new_owner()
        self.exit_on_pause = exit_on_pause
        # A limiter given is shared (a worker's slices, a session's jobs): its owner closes it.
        self._owns_limiter = limiter is None
        self.limiter = limiter or new_limiter(self.config, sessions)
        self.context = UnitContext(
            job_id=job_id,
            clients=clients,
            limiter=self.limiter,
            suite=suite,
            policy=self.config.retry,
            bus=self.bus,
            pass_threshold=self.config.pass_threshold,
            breaker=breaker or new_breaker(self.config),
        )
        self.writer = JobWriter(
            sessions, job_id, on_commit=self._committed, on_outage=self._outage,
            attempt_timeout=self.config.db_attempt_timeout,
            outage_limit=self.config.db_outage_limit, owner=self.owner,
        )  # fmt: skip
        self.status = J.QUEUED
        self.total = self.processed = self.succeeded = self.failed = 0
        self._paused = False
        self._pause_now = False
        self.pause_requested_at: float | None = None  # time.monotonic() of the last pause
        self.calls_in_flight_at_pause = 0
        self._requeue_later: list[str] = []  # held back by a pause, not yet written QUEUED
        self._cancelled = False
        self._interrupted = False
        self._wake = asyncio.Event()
        self._beat_now = asyncio.Event()
        self._desired: JobStatus | None = None
        self._control_version = 0
        self._tasks: dict[asyncio.Task[None], UnitPlan] = {}
        self._job_config: dict[str, Any] = {}
        self._started_clock = time.monotonic()
        self._processed_at_start = 0
        self._auth_failures = 0
        self._plans_by_id: dict[str, UnitPlan] = {}
        self._published_status: JobStatus | None = None
        self._lease_lost: LeaseLost | None = None
        self._disk_full = False
        self.limiter.on_drained = self._wake.set
        self._stop_logging: Callable[[], None] = lambda: None

    def _keep_in_log(self, event: EngineEvent) -> None:
        """Retries, throttles and log lines of this job go into its log (job_log)."""
        if getattr(event, "job_id", None) == self.job_id:
            entry = log_entry(event, utcnow())
            if entry is not None:
                self.writer.log(entry)

    # Control, from this process (TUI keys, signals) ------------------------------------

    def pause(self) -> None:
        """Start no call from now on; the calls in flight finish, then the job is PAUSED.

        Until they have (``pausing``), the units they belong to stay PROCESSING; then the
        units that still had calls to make are stopped and go back to QUEUED, unverdicted.
        """
        if not self._paused:
            self.pause_requested_at = time.monotonic()
            self.calls_in_flight_at_pause = self.limiter.calls_in_flight
        self._paused = True
        self.limiter.hold()
        self._record(J.PAUSED)
        self._publish_progress()

    def pause_now(self) -> None:
        """Pause without waiting: cancel the calls in flight and requeue their units."""
        if not self._paused:
            self.pause()
        self._pause_now = True
        self._wake.set()

    def resume(self) -> None:
        """Dispatch again."""
        self._paused = False
        self._pause_now = False
        self.limiter.release_hold()
        if self.status is J.PAUSED:
            self.status = J.PROCESSING
        self._record(J.PROCESSING)
        self._publish_progress()

    def _record(self, status: JobStatus) -> None:
        # The next heartbeat writes it before reading what other processes asked for.
        self._desired = status
        self._control_version += 1
        self._beat_now.set()
        self._wake.set()

    def cancel(self) -> None:
        """Cancel in-flight calls now; unfinished units become CANCELLED."""
        self._cancelled = True
        self._wake.set()

    def interrupt(self) -> None:
        """Stop now and leave the job PAUSED and resumable (SIGTERM / SIGHUP)."""
        self._interrupted = True
        self._wake.set()

    @property
    def paused(self) -> bool:
        """Whether dispatching is on hold (pausing or paused)."""
        return self._paused

    @property
    def pausing(self) -> bool:
        """Paused, while calls in flight finish (their units have not stopped yet)."""
        return self._paused and bool(self._tasks or self._requeue_later)

    # The run ------------------------------------------------------------------------------

    async def run(self) -> JobOutcome:
        """Claim the job, run its units, and leave it terminal, PAUSED or interrupted."""
        try:
            if self._owns_limiter:
                await self.limiter.start()
            return await self._run()
        finally:
            if self._owns_limiter:
                await self.limiter.aclose(self.config.db_attempt_timeout)
            self._stop_logging()
            # Transactions abandoned on a timeout still hold connections: let them end before
            # the caller disposes of the engine (bounded: a dead connection ends by timeout).
            await asyncio.shield(self.writer.settle())

    async def _run(self) -> JobOutcome:
        await self._claim()
        plans = await load_units(self.sessions, self.job_id)
        self._plans_by_id = {plan.certification_id: plan for plan in plans}
        queues: dict[str, deque[UnitPlan]] = {}
        for plan in plans:
            queues.setdefault(plan.region, deque()).append(plan)
        self.writer.start()
        self._stop_logging = self.bus.subscribe(self._keep_in_log)
        background = [
            asyncio.create_task(self._heartbeat(), name=f"job-heartbeat-{self.job_id}"),
            asyncio.create_task(self._report(), name=f"job-progress-{self.job_id}"),
        ]
        self._set_status(J.PROCESSING)
        try:
            await self._dispatch(queues)
        except LeaseLost as exc:
            # Another process owns the job now: stop, and write nothing more for it.
            await _stop(background)
            await self._abandon()
            raise JobBusy(str(exc)) from None
        except BaseException:
            # Cancelled from outside, or a bug: leave the job PAUSED and resumable, not
            # PROCESSING under a lease nobody renews. The heartbeat stops first, so it cannot
            # write the lease back after the finish let it go.
            self._interrupted = True
            await _stop(background)
            with contextlib.suppress(Exception):
                await asyncio.shield(self._finish(queues))
            raise
        finally:
            await _stop(background)
        return await self._finish(queues)

    async def _dispatch(self, queues: dict[str, deque[UnitPlan]]) -> None:
        per_region: dict[str, int] = {}
        regions = deque(sorted(queues))
        while True:
            if self._lease_lost is not None:
                raise self._lease_lost
            if self._cancelled or self._interrupted:
                return
            if self._requeue_later and not self.writer.in_outage:
                await self._requeue_held()  # the database is back: the pause can end
            if (
                self._paused
                and self._tasks
                and (self._pause_now or self.limiter.calls_in_flight == 0)
            ):
                # The calls a pause let finish are done (or a second press cancels them):
                # the units still running stop here, unverdicted, and go back to the queue.
                if self.exit_on_pause:
                    return  # _finish stops and requeues them
                await self._hold_back(queues, per_region)
            # While results cannot be saved (the database is away), no new calls start: what
            # is held in memory stays bounded by the units in flight.
            if not self._paused and not self.writer.in_outage:
                self._start_units(queues, regions, per_region)
            queued = any(queues.values())
            holding = False
            if not self._tasks:
                if self._paused and self.exit_on_pause:
                    return
                if not queued:
                    if self.exit_on_pause or not self.writer.queued:
                        return
                    # An interactive session whose work is done while the database is away
                    # keeps the results until it is back (the writer drains them), unless the
                    # operator quits or cancels first; a headless run ends and pauses instead.
                    holding = True
            self._wake.clear()
            waiter = asyncio.create_task(self._wake.wait())
            # A writer that stopped on an error (a bug, not an outage) stops the job too.
            writer = [self.writer.task] if self.writer.task is not None else []
            done, _ = await asyncio.wait(
                [waiter, *writer, *self._tasks],
                timeout=HOLDING_POLL_SECONDS if holding else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
            if writer and writer[0] in done:
                raise writer[0].exception() or RuntimeError("the job writer stopped")
            for task in done:
                plan = self._tasks.pop(task, None)  # type: ignore[call-overload]
                if plan is not None:
                    per_region[plan.region] -= 1
                    if not task.cancelled() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]

    def _start_units(
        self,
        queues: dict[str, deque[UnitPlan]],
        regions: deque[str],
        per_region: dict[str, int],
    ) -> None:
        # Limits count calls, not units: keep twice as many units going as calls may be in
        # flight, so a unit waiting between its calls never leaves a call slot idle.
        # Round-robin over regions so one big region cannot starve the others.
        unit_cap = UNITS_PER_CALL_SLOT * self.config.concurrency
        region_cap = UNITS_PER_CALL_SLOT * self.config.region_concurrency
        for _ in range(len(regions) * region_cap):
            if len(self._tasks) >= unit_cap or not regions:
                return
            region = regions[0]
            regions.rotate(-1)
            queue = queues[region]
            if not queue or per_region.get(region, 0) >= region_cap:
                continue
            plan = queue.popleft()
            per_region[region] = per_region.get(region, 0) + 1
            task = asyncio.create_task(self._unit(plan), name=f"unit-{plan.certification_id}")
            self._tasks[task] = plan

    async def _hold_back(
        self, queues: dict[str, deque[UnitPlan]], per_region: dict[str, int]
    ) -> None:
        """Stop the running units of a paused job and requeue them, first in line to resume."""
        # They stay in ``_tasks`` (the job reads "pausing") until they are requeued.
        held = dict(self._tasks)
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)
        stopped: list[UnitPlan] = []
        for task, plan in held.items():
            per_region[plan.region] -= 1
            if task.cancelled():
                stopped.append(plan)
            elif task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        for plan in reversed(stopped):
            queues[plan.region].appendleft(plan)
        self._requeue_later += [plan.certification_id for plan in stopped]
        self._tasks.clear()
        await self._requeue_held()

    async def _requeue_held(self) -> None:
        """Write the held-back units QUEUED; during an outage, once the database is back."""
        # Not during an outage: an attempt would hold the loop (and a cancel) for its timeout.
        if not self.writer.in_outage:
            with contextlib.suppress(DatabaseOutage):
                events = await self.writer.requeue(self._requeue_later)
                self._requeue_later = []
                self._publish(events)
        self._publish_progress()

    async def _unit(self, plan: UnitPlan) -> None:
        self.writer.mark_started(plan.certification_id)  # published once committed
        result = await certify_unit(self.context, plan)
        self.writer.mark_finished(plan.certification_id, result)

    async def _abandon(self) -> None:
        """Stop the units and the writer of a job this process no longer owns."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.writer.close()  # its batches are fenced: nothing more is written
        self.bus.publish(LogLine(self.job_id, "error", str(self._lease_lost or "lease lost")))

    async def _finish(self, queues: dict[str, deque[UnitPlan]]) -> JobOutcome:
        in_flight = list(self._tasks.values())
        if self._tasks:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks.clear()
        # A heartbeat stopped in the middle of its transaction ends it in the background: let
        # it roll back before the finish writes (on SQLite the two would meet on the file's
        # write lock). Bounded, so a quit during an outage stays prompt.
        await self.writer.settle(SETTLE_BEFORE_FINISH)
        # During an outage this gives up after one attempt: what it could not write stays
        # unfinished in the database, and resuming runs it again.
        unwritten = await self.writer.close()
        requeue = [p.certification_id for p in in_flight] + unwritten + self._requeue_later
        if self._cancelled:
            ending = J.CANCELLED
        elif self._interrupted or (self._paused and any(queues.values())) or unwritten:
            ending = J.PAUSED
        elif self.total > 0 and self._authentication_failed_everywhere:
            ending = J.FAILED
        else:
            ending = J.COMPLETED
        interrupted = ending is J.PAUSED and self._interrupted

        async def record(session: Session) -> tuple[JobStatus, list[EngineEvent | None]]:
            await self.writer.fence(session)  # a process that lost the job writes nothing
            # Cancelled by another process since the last beat: the cancel wins over a pause
            # or a finish here, so no unit is left unfinished under a terminal job.
            final = (
                J.CANCELLED
                if await jobs.job_status(session, self.job_id) is J.CANCELLED
                else ending
            )
            if final is J.COMPLETED:
                # COMPLETED means every unit was processed; a job whose units went elsewhere
                # (or were never run) did not complete, whatever this process saw.
                total, processed = await jobs.job_progress(session, self.job_id)
                if processed != total:
                    final = J.FAILED
            if final is J.CANCELLED:
                cancelled: list[EngineEvent | None] = []
                cancelled += await jobs.cancel_unfinished(session, self.job_id)
                change = await self._close_job(session, J.CANCELLED)
                return J.CANCELLED, [*cancelled, change]
            if final is J.PAUSED:
                events: list[EngineEvent | None] = []
                events += await requeue_units(session, self.job_id, requeue)
                config = self._config_without_lease(interrupted=interrupted)
                paused = await jobs.set_job_status(
                    session, self.job_id, J.PAUSED, only_from=(J.PROCESSING,), config=config
                )
                if paused is None and await jobs.write_config(
                    session, self.job_id, config, if_status=J.PAUSED
                ):
                    # The heartbeat wrote the pause already; only the lease goes now.
                    paused = self._unpublished(J.PAUSED)
                return await jobs.job_status(session, self.job_id) or J.PAUSED, [*events, paused]
            change = await self._close_job(session, final)
            return await jobs.job_status(session, self.job_id) or final, [change]

        try:
            final, events = await self.writer.attempt(record)
        except DatabaseOutage as exc:
            raise DatabaseUnreachable(self._unreachable(ending)) from exc
        except LeaseLost as exc:
            self._lease_lost = exc
            self.bus.publish(LogLine(self.job_id, "error", str(exc)))
            raise JobBusy(str(exc)) from None
        self.status = final
        if ending is J.COMPLETED and final is J.FAILED:
            self.bus.publish(LogLine(self.job_id, "error", (
                f"job {self.job_id} FAILED: {self.processed} of {self.total} units were "
                "processed; the others are no longer this job's (claimed by another job)"
            )))  # fmt: skip
        if final is J.CANCELLED:
            cancelled_units = sum(isinstance(event, UnitStateChanged) for event in events)
            self.processed += cancelled_units
            self.failed += cancelled_units
        self._publish(events)
        self._publish_progress()
        return JobOutcome(
            self.job_id, self.status, self.total, self.processed, self.succeeded, self.failed,
            interrupted and final is J.PAUSED,
        )  # fmt: skip

    def _unreachable(self, ending: JobStatus) -> str:
        seconds = max(1, math.ceil(self.writer.outage_seconds))
        gone = f"database unreachable for {seconds} s; job {self.job_id}"
        if self._disk_full:
            gone = f"disk full: the database cannot grow; job {self.job_id}"
        if ending is J.CANCELLED:
            return f"{gone} not cancelled, cancel it with `certtui jobs cancel {self.job_id}`"
        if ending is J.PAUSED:
            return f"{gone} paused, resume with `certtui jobs resume {self.job_id}`"
        return f"{gone} not finished, resume with `certtui jobs resume {self.job_id}`"

    async def _close_job(self, session: Session, status: JobStatus) -> JobStateChanged | None:
        started = await jobs.job_started_at(session, self.job_id)
        return await jobs.finish_job(
            session, self.job_id, status, started, self._config_without_lease()
        )

    def _publish(self, events: Sequence[EngineEvent | None]) -> None:
        """Publish what a transaction changed, once it has committed."""
        for event in events:
            if event is not None:
                if isinstance(event, JobStateChanged):
                    self._published_status = event.status
                self.bus.publish(event)

    def _unpublished(self, status: JobStatus) -> JobStateChanged | None:
        """The job's move to ``status`` if no event said so yet (its beat was cut short)."""
        if self._published_status is status:
            return None
        return JobStateChanged(
            self.job_id, status, self.total, self.processed, self.succeeded, self.failed
        )

    # Leases, heartbeats, control from other processes -------------------------------------

    async def _claim(self) -> None:
        async with self.writer.lock, self.sessions.begin() as session:
            job = await jobs.get_job(session, self.job_id)
            if job is None or job.status not in RUNNABLE:
                state = "does not exist" if job is None else f"is {job.status}"
                raise JobNotRunnable(f"job {self.job_id} {state}")
            seen = (job.status, job.config)
            config = dict(job.config or {})
            lease = config.get("lease") or {}
            if leases.running(config) and lease.get("owner") != self.owner:
                raise JobBusy(running_elsewhere(self.job_id, config))
            # Units a dead owner left running go back to the queue. Unit rows are locked before
            # the job row, the order the writer takes them in too (no deadlock with a batch).
            requeued = await requeue_units(session, self.job_id)
            # Compare-and-set: the job as read above, or someone claimed it meanwhile.
            if await jobs.lock_job(session, self.job_id) != seen:
                raise JobBusy(f"job {self.job_id} changed while claiming it; try again")
            config["lease"] = self._lease()
            config.pop("interrupted", None)
            config.pop(PAUSE_NOW, None)  # asked of an engine that is gone
            self._job_config = config
            # A job already PROCESSING (a dead owner's, its lease expired) just changes hands.
            if job.status is J.PROCESSING:
                await jobs.write_config(session, self.job_id, config, if_status=J.PROCESSING)
                claimed: JobStateChanged | None = None
            else:
                claimed = await jobs.set_job_status(
                    session, self.job_id, J.PROCESSING, only_from=(job.status,),
                    config=config, startedAt=job.started_at or utcnow(),
                )  # fmt: skip
            self.total = job.total_models
            self.processed = self._processed_at_start = job.processed_models
            self.succeeded, self.failed = job.success_count, job.failure_count
        self._publish([*requeued, claimed])

    def _lease(self) -> dict[str, Any]:
        return new_lease(self.owner, self.config.lease_ttl)

    def _config_without_lease(self, *, interrupted: bool = False) -> dict[str, Any]:
        config = {k: v for k, v in self._job_config.items() if k != "lease"}
        if interrupted:
            config["interrupted"] = True
        return config

    async def _heartbeat(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancel that lands
            # as the event is set, and the heartbeat then never stops.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.heartbeat):
                    await self._beat_now.wait()
            self._beat_now.clear()
            version = self._control_version
            desired, self._desired = self._desired, None

            async def beat(
                session: Session, desired: JobStatus | None = desired
            ) -> tuple[JobStatus | None, JobStateChanged | None, bool]:
                await self.writer.fence(session)
                # Asked to pause now by another process (engine/control.py); consumed here, as
                # the config written below does not carry it.
                locked = await jobs.lock_job(session, self.job_id)
                pause_now = bool(locked and (locked[1] or {}).get(PAUSE_NOW))
                change = None
                if desired is not None:
                    change = await jobs.set_job_status(
                        session, self.job_id, desired,
                        only_from=(J.PROCESSING,) if desired is J.PAUSED else (J.PAUSED,),
                    )  # fmt: skip
                self._job_config["lease"] = self._lease()
                status = await jobs.job_status(session, self.job_id)
                await jobs.write_config(session, self.job_id, self._job_config)
                return status, change, pause_now

            try:
                # One attempt, bounded: the writer reports an outage, and the next beat retries.
                # Not under the writer's lock: a stuck batch must not let the lease expire.
                status, change, pause_now = await self.writer.attempt(beat, exclusive=False)
            except LeaseLost as exc:
                self._lease_lost = exc
                self._wake.set()
                return
            except Exception as exc:
                if self._desired is None:
                    self._desired = desired  # not written: try again next beat
                if not isinstance(exc, DatabaseOutage):
                    self.bus.publish(LogLine(self.job_id, "warning", f"heartbeat failed: {exc}"))
                continue
            self._publish([change])
            # A read that raced with a local pause / resume is stale: the next beat rereads.
            if version == self._control_version:
                self._apply_external(status)
            if pause_now and self._paused and not self._pause_now:
                self.bus.publish(LogLine(self.job_id, "info", "paused now from another process"))
                self.pause_now()

    def _apply_external(self, status: JobStatus | None) -> None:
        """Obey a status another process wrote (certtui jobs pause / resume / cancel)."""
        if status is J.CANCELLED and not self._cancelled:
            self.bus.publish(LogLine(self.job_id, "info", "cancelled from another process"))
            self.cancel()
        elif status is J.PAUSED and not self._paused:
            self.bus.publish(LogLine(self.job_id, "info", "paused from another process"))
            self.pause()
        elif status is J.PROCESSING and self._paused:
            self.bus.publish(LogLine(self.job_id, "info", "resumed from another process"))
            self.resume()
        self.status = J.PAUSED if self._paused else self.status

    def _outage(self, outage: Outage) -> None:
        """Say what the database is doing, and pause the job once it has been gone too long."""
        seconds = max(1, math.ceil(outage.seconds))
        if outage.state == "begun" and outage.disk_full:
            # Waiting will not make room: pause now; what was saved stays, the rest reruns.
            self._disk_full = True
            text = (
                f"disk full: the database cannot grow ({outage.error}); job paused, free some "
                f"space then resume with `certtui jobs resume {self.job_id}`"
            )
            self.bus.publish(LogLine(self.job_id, "error", text))
            if not self._paused:
                self.pause()
        elif outage.state == "begun":
            limit = self.config.db_outage_limit
            text = (
                f"database unreachable ({outage.error}); retrying, the job pauses after {limit:g} s"
            )
            self.bus.publish(LogLine(self.job_id, "warning", text))
        elif outage.state == "limit":
            text = (
                f"database unreachable for {seconds} s; job paused, resume with "
                f"`certtui jobs resume {self.job_id}`"
            )
            self.bus.publish(LogLine(self.job_id, "error", text))
            if not self._paused:
                self.pause()  # the heartbeat records PAUSED once the database is back
        else:
            self.bus.publish(
                LogLine(self.job_id, "info", f"database reachable again after {seconds} s")
            )
            self._wake.set()  # calls start again

    def _set_status(self, status: JobStatus) -> None:
        self.status = status
        self._publish_progress()

    # Events -------------------------------------------------------------------------------

    def _committed(self, commit: Commit) -> None:
        for certification_id in commit.started:
            plan = self._plans_by_id.get(certification_id)
            if plan is not None:
                self._publish_unit(plan, C.PROCESSING)
        self.processed += commit.succeeded + commit.failed
        self.succeeded += commit.succeeded
        self.failed += commit.failed
        for item in commit.finished:
            plan = self._plans_by_id.get(item.certification_id)
            if plan is not None:
                self._publish_unit(plan, item.result.status, item.result)
            self._auth_failures += int(item.result.error_category == "AUTHENTICATION_ERROR")

    @property
    def _authentication_failed_everywhere(self) -> bool:
        return self._auth_failures == self.total and self.succeeded == 0

    def _publish_unit(
        self, plan: UnitPlan, status: CertificationStatus, result: UnitResult | None = None
    ) -> None:
        self.bus.publish(
            UnitStateChanged(
                job_id=self.job_id,
                certification_id=plan.certification_id,
                model_id=plan.model_id,
                api_model_id=plan.api_model_id,
                region=plan.region,
                status=status,
                passed=None if result is None else result.passed,
                score=None if result is None else result.score,
                rating=None if result is None else result.rating,
                error_category=None if result is None else result.error_category,
                error_message=None if result is None else result.error_message,
                simulated=result is not None and bool((result.test_results or {}).get("simulated")),
            )
        )

    async def _report(self) -> None:
        while True:
            self._publish_progress()
            await asyncio.sleep(self.config.progress_interval)

    def _publish_progress(self) -> None:
        elapsed = max(time.monotonic() - self._started_clock, 1e-6)
        done_here = self.processed - self._processed_at_start
        per_minute = done_here / elapsed * 60
        remaining = self.total - self.processed
        eta = remaining / (per_minute / 60) if per_minute > 0 else None
        stats = self.context.stats
        self.bus.publish(
            JobProgress(
                job_id=self.job_id,
                status=J.PAUSED if self._paused and self.status is J.PROCESSING else self.status,
                total=self.total,
                processed=self.processed,
                succeeded=self.succeeded,
                failed=self.failed,
                in_flight_calls=self.limiter.in_flight,
                call_limit=self.config.concurrency,
                retries=stats.retries,
                throttles=stats.throttles,
                units_per_minute=per_minute,
                eta_seconds=eta,
                pausing=self.pausing,
            )
        )


def new_limiter(config: EngineConfig, sessions: Sessions) -> CallLimiter:
    """The call limiter ``config`` asks for on the database of ``sessions`` (not started yet).

    Cluster scope needs PostgreSQL: asked for on SQLite it is a UsageError.
    """
    from certtui.store.slots import cluster_slots

    slots = None if config.limit_scope == "process" else cluster_slots(sessions)
    if config.limit_scope == "cluster" and slots is None:
        raise UsageError(
            'limit_scope = "cluster" needs PostgreSQL (SQLite has one writing process): '
            'use limit_scope = "process" or a postgresql:// database'
        )
    return CallLimiter(config.concurrency, config.region_concurrency, cluster=slots)


def new_breaker(config: EngineConfig) -> RegionBreaker:
    """The region breaker of a run, or of a session that runs several jobs."""
    cooldown = config.breaker_cooldown
    return RegionBreaker(
        threshold=config.breaker_threshold,
        cooldown=cooldown,
        max_cooldown=max(30.0, cooldown),
        outage_wait=config.breaker_outage_wait,
    )


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel background tasks and wait until they are gone (again is harmless)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
