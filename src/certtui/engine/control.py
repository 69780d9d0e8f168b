"""Job control through the database: recover orphans, pause / resume / cancel from anywhere.

Each function takes an optional ``bus``: what it changed is published there after the commit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from certtui.domain.enums import JobStatus
from certtui.domain.leases import describe_lease, job_lease
from certtui.engine import leases
from certtui.errors import UsageError
from certtui.store import jobs
from certtui.store.certifications import requeue_units
from certtui.store.jobs import find_job
from certtui.store.views import load_job

if TYPE_CHECKING:
    from certtui.domain.events import EngineEvent
    from certtui.engine.events import EventBus
    from certtui.store.sessions import Sessions

__all__ = ["ControlResult", "cancel_job", "find_job", "pause_job", "recover_interrupted",
           "resume_request"]  # fmt: skip

J = JobStatus
LIVE = (J.PENDING, J.QUEUED, J.PROCESSING)


def _publish(bus: EventBus | None, events: Sequence[EngineEvent | None]) -> None:
    for event in events if bus is not None else ():
        if event is not None:
            bus.publish(event)  # type: ignore[union-attr]


async def recover_interrupted(
    sessions: Sessions, now: float | None = None, *, bus: EventBus | None = None
) -> list[str]:
    """Jobs whose holder is gone become PAUSED (and resumable); their running units requeue.

    A holder is gone when its lease expired, or at once when it was a process on this host that
    died. That covers a job left PROCESSING by a dead engine and one left QUEUED (or PENDING)
    by a creator that died before claiming it. Each decision is compare-and-set: the rows are
    read locked, so a concurrent claim is either seen or waits for this to commit.
    """
    now = time.time() if now is None else now
    recovered = []
    events: list[EngineEvent | None] = []
    async with sessions.begin() as session:
        for status in (J.PROCESSING, J.QUEUED, J.PENDING):
            for job in await jobs.jobs_in(session, status, lock=True):
                if leases.held(job.config, now):
                    continue
                config = {k: v for k, v in (job.config or {}).items() if k != "lease"}
                config["interrupted"] = True
                paused = await jobs.set_job_status(
                    session, job.id, J.PAUSED, only_from=(status,), config=config
                )
                if paused is not None:
                    events += await requeue_units(session, job.id)
                    events.append(paused)
                    recovered.append(job.id)
        # Cancelled from another process while its engine ran, and that engine died before
        # cancelling the units: finish the cancel here.
        for job in await jobs.jobs_in(session, J.CANCELLED, lock=True):
            if job_lease(job.config) is None or leases.held(job.config, now):
                continue
            events += await jobs.cancel_unfinished(session, job.id)
            config = {k: v for k, v in (job.config or {}).items() if k != "lease"}
            events.append(
                await jobs.finish_job(session, job.id, J.CANCELLED, job.started_at, config)
            )
    _publish(bus, events)
    return recovered


def running_elsewhere(job_id: str, config: dict | None) -> str:
    """Who runs a job and until when its lease holds, and what the operator can do."""
    lease = job_lease(config) or {}
    return (
        f"job {job_id} is running in another process ({describe_lease(lease)}); wait for it "
        f"with `certtui jobs resume {job_id} --wait`, or cancel it with "
        f"`certtui jobs cancel {job_id}`"
    )


class JobRunningElsewhere(UsageError):
    """A live engine in another process holds the job (resume ``--wait`` waits it out)."""

    def __init__(self, message: str, job_id: str) -> None:
        super().__init__(message)
        self.job_id = job_id


@dataclass(frozen=True)
class ControlResult:
    """What a control request did: ``live`` when a running engine will carry it out."""

    job_id: str
    status: JobStatus
    live: bool
    now: bool = False  # a pause asked again while pausing: calls in flight are cancelled


# In a job's config: asked again while pausing, its engine cancels the calls in flight.
PAUSE_NOW = "pauseNow"


async def pause_job(
    sessions: Sessions, job_ref: str, *, bus: EventBus | None = None
) -> ControlResult:
    """Pause a job; a running engine starts no new call from its next heartbeat on.

    Asked again while the job is pausing (PAUSED, units still PROCESSING, its engine alive),
    the engine cancels its calls in flight at its next heartbeat and requeues their units
    (``ControlResult.now``).
    """
    async with sessions.begin() as session:
        job = await find_job(session, job_ref)
        if job.status is J.PAUSED:
            view = await load_job(session, job.id)
            if view is not None and view.pausing and leases.running(job.config):
                config = {**(job.config or {}), PAUSE_NOW: True}
                await jobs.write_config(session, job.id, config, if_status=J.PAUSED)
                return ControlResult(job.id, J.PAUSED, True, now=True)
            raise UsageError(f"job {job.id} is already PAUSED")
        if job.status not in LIVE:
            raise UsageError(f"job {job.id} is {job.status}: only a running job can be paused")
        paused = await jobs.set_job_status(session, job.id, J.PAUSED, only_from=LIVE)
        result = ControlResult(job.id, J.PAUSED, leases.running(job.config))
    _publish(bus, [paused])
    return result


async def cancel_job(
    sessions: Sessions, job_ref: str, *, bus: EventBus | None = None
) -> ControlResult:
    """Cancel a job: a running engine cancels its calls; otherwise it is cancelled here."""
    events: list[EngineEvent | None] = []
    async with sessions.begin() as session:
        job = await find_job(session, job_ref)
        if job.status.is_terminal:
            raise UsageError(f"job {job.id} is already {job.status}")
        # A holder known dead (its pid on this host) cancels nothing: it is done here.
        live = leases.running(job.config)
        if live:
            events.append(await jobs.set_job_status(session, job.id, J.CANCELLED))
        else:
            events += await jobs.cancel_unfinished(session, job.id)
            config = {k: v for k, v in (job.config or {}).items() if k != "lease"}
            events.append(
                await jobs.finish_job(session, job.id, J.CANCELLED, job.started_at, config)
            )
        result = ControlResult(job.id, J.CANCELLED, live)
    _publish(bus, events)
    return result


async def resume_request(
    sessions: Sessions, job_ref: str, *, bus: EventBus | None = None
) -> ControlResult:
    """Resume a job held by a live engine, or say (``live`` false) that it must run here."""
    async with sessions.begin() as session:
        job = await find_job(session, job_ref)
        if job.status.is_terminal:
            raise UsageError(f"job {job.id} is {job.status}: nothing to resume")
        live = leases.running(job.config)
        if live and job.status is J.PAUSED:
            resumed = await jobs.set_job_status(
                session, job.id, J.PROCESSING, only_from=(J.PAUSED,)
            )
            result = ControlResult(job.id, J.PROCESSING, True)
        elif live:
            raise JobRunningElsewhere(running_elsewhere(job.id, job.config), job.id)
        else:
            return ControlResult(job.id, job.status, False)
    _publish(bus, [resumed])
    return result
