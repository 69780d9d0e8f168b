"""Submitting a job to the workers: plan it as usual, cut it into slices, queue them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from certtui.engine.leases import this_process
from certtui.engine.planning import JobRequest, PlannedJob, plan_job
from certtui.errors import UsageError
from certtui.store import workers as queue_store
from certtui.store.jobs import lock_job, write_config

if TYPE_CHECKING:
    from certtui.engine.events import EventBus
    from certtui.store.sessions import Sessions
    from certtui.suites import Suite

NEEDS_POSTGRESQL = (
    "workers need PostgreSQL: set database_url to a postgresql:// URL (SQLite runs jobs "
    "in-process with `certtui run`)"
)
WORKERS_NEED_POSTGRESQL = (
    'execution = "workers" needs PostgreSQL: workers take jobs from its queue; set '
    'database_url to a postgresql:// URL, or execution = "auto" to run jobs here'
)
# A submitted job's lease names the queue, not a process: every worker running one of its
# slices renews it; nobody renewing it for this long means no worker is alive for it.
QUEUE_LEASE_TTL = 30.0


def queue_owner(job_id: str) -> str:
    """The lease owner of a job the workers run."""
    return f"queue:{job_id}"


def queue_lease(job_id: str) -> dict[str, Any]:
    """A fresh queue lease (no host or pid: no single process holds it)."""
    submitter = this_process()
    return {"owner": queue_owner(job_id), "queue": True, "heartbeat": time.time(),
            "ttl": QUEUE_LEASE_TTL, "submittedFrom": submitter["host"]}  # fmt: skip


def slice_entrypoint(region: str) -> str:
    """The queue entrypoint of a region's slices (a worker may take only some regions)."""
    return f"certtui.slice.{region}"


@dataclass(frozen=True)
class Submitted:
    """A job planned and queued for the workers."""

    planned: PlannedJob
    slices: int
    queue_job_id: str


async def runs_on_workers(sessions: Sessions, execution: str) -> bool:
    """Whether a job the TUI starts is queued for the workers (``execution`` as configured):
    "workers" always (refused on SQLite), "local" never, "auto" when a worker is alive now
    (on PostgreSQL; SQLite has none)."""
    async with sessions() as session:
        if not queue_store.on_postgresql(session):
            if execution == "workers":
                raise UsageError(WORKERS_NEED_POSTGRESQL)
            return False
        if execution != "auto":
            return execution == "workers"
        return await queue_store.workers_alive(session) > 0


async def submit_job(
    sessions: Sessions, request: JobRequest, suite: Suite, *, bus: EventBus | None = None
) -> Submitted:
    """Plan a job (as `certtui run` does) and queue its slices for the workers."""
    async with sessions() as session:
        if not queue_store.on_postgresql(session):
            raise UsageError(NEEDS_POSTGRESQL)
    planned = await plan_job(sessions, request, suite, bus=bus)
    slices, queue_job_id = await enqueue_job(sessions, planned.job_id)
    return Submitted(planned, slices, queue_job_id)


async def enqueue_job(sessions: Sessions, job_id: str) -> tuple[int, str]:
    """Cut a planned job's unfinished units into slices of at most ``SLICE_UNITS`` units of one
    region and queue them, in one transaction with the slices' rows and the job's queue lease.

    Returns how many slices, and the queue job id recorded in ``bullJobId`` (the first slice's).
    """
    from pgqueuer import AsyncpgDriver
    from pgqueuer.queries import Queries

    size = queue_store.SLICE_UNITS
    async with sessions.begin() as session:
        locked = await lock_job(session, job_id)
        if locked is None:
            raise UsageError(f"no job {job_id}")
        by_region = await queue_store.queued_units_by_region(session, job_id)
        cut = [
            (region, units[start : start + size])
            for region, units in sorted(by_region.items())
            for start in range(0, len(units), size)
        ]
        slice_ids = await queue_store.create_slices(session, job_id, cut)
        # The queue's rows are written on this transaction's connection: they commit (and
        # notify the workers) with the slices, or not at all.
        queries = Queries(AsyncpgDriver(await queue_store.driver_connection(session)))
        queue_ids = (
            await queries.enqueue(
                [slice_entrypoint(region) for region, _ in cut],
                [slice_id.encode() for slice_id in slice_ids],
                [0] * len(cut),
            )
            if cut
            else []
        )
        first = str(queue_ids[0]) if queue_ids else ""
        await queue_store.set_queue_ids(
            session, job_id, {s: int(q) for s, q in zip(slice_ids, queue_ids, strict=True)},
            bull_job_id=first,
        )  # fmt: skip
        config = {**(locked[1] or {}), "lease": queue_lease(job_id), "execution": "workers"}
        await write_config(session, job_id, config)
    return len(cut), first
