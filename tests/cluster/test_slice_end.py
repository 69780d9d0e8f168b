"""A job on the workers ends with its last slice, not with its last unit counted: while another
worker still holds a slice of it (its units counted, its own end not yet recorded), the job
stays PROCESSING; two slices ending at once still end the job, exactly once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import JobStateChanged
from certtui.engine.job import EngineConfig
from certtui.store import jobs
from certtui.store import workers as queue_store
from certtui.workers.slice import SliceEnd, SliceRunner
from cluster.conftest import Cluster
from support.engine import REGIONS

pytestmark = pytest.mark.cluster


def _runner(cluster: Cluster) -> SliceRunner:
    """The part of a worker that records a slice's end: only the database is used there."""
    return SliceRunner(
        sessions=cluster.sessions, clients=None, config=EngineConfig(), suite_for=None,  # type: ignore[arg-type]
        worker_id="test", limiter=None, breaker=None, watch=None,  # type: ignore[arg-type]
    )  # fmt: skip


async def _claimed_slices(cluster: Cluster) -> tuple[str, list[tuple[queue_store.Slice, str]]]:
    """Submit a job (no worker runs it), claim each of its slices, count every unit finished."""
    submitted = await asyncio.to_thread(
        cluster.cli, "run", "--submit", "--model", "acme.model-00-v1:0",
        "--regions", ",".join(REGIONS),
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    claimed = []
    async with cluster.sessions.begin() as session:
        ids = (
            await session.scalars(sa.select(queue_store.SLICES.c.id).where(
                queue_store.SLICES.c.jobId == job_id))
        ).all()  # fmt: skip
        assert len(ids) == len(REGIONS)
        for slice_id in ids:
            token = uuid.uuid4().hex
            piece, _ = await queue_store.claim_slice(session, slice_id, "test", token)
            assert piece is not None
            claimed.append((piece, token))
        await jobs.set_job_status(session, job_id, JobStatus.PROCESSING)
        # Every unit counted, as the slices' writers leave them before each slice's end.
        await session.execute(
            queue_store.CERTS.update()
            .where(queue_store.CERTS.c.jobId == job_id)
            .values(status=CertificationStatus.COMPLETED.value)
        )
        await session.execute(
            queue_store.JOBS.update()
            .where(queue_store.JOBS.c.id == job_id)
            .values(processedModels=queue_store.JOBS.c.totalModels)
        )
    return job_id, claimed


async def _status(cluster: Cluster, job_id: str) -> JobStatus:
    async with cluster.sessions() as session:
        return (await queue_store.job_statuses(session, [job_id]))[job_id]


async def test_the_job_ends_with_its_last_slice(cluster: Cluster) -> None:
    job_id, claimed = await _claimed_slices(cluster)
    runner = _runner(cluster)
    for piece, token in claimed[:-1]:
        assert await runner._end(piece, token, False, [], []) is SliceEnd.DONE
        assert await _status(cluster, job_id) is JobStatus.PROCESSING  # a slice is still held
    piece, token = claimed[-1]
    assert await runner._end(piece, token, False, [], []) is SliceEnd.DONE
    assert await _status(cluster, job_id) is JobStatus.COMPLETED


async def test_slices_ending_at_once_end_the_job_once(cluster: Cluster) -> None:
    job_id, claimed = await _claimed_slices(cluster)
    runner = _runner(cluster)  # one worker's bus, shared: it hears every slice's end
    events: list[object] = []
    runner.bus.subscribe(events.append)
    ends = await asyncio.gather(
        *(runner._end(piece, token, False, [], []) for piece, token in claimed)
    )
    assert ends == [SliceEnd.DONE] * len(claimed)
    assert await _status(cluster, job_id) is JobStatus.COMPLETED
    async with cluster.sessions() as session:
        states = (
            await session.scalars(sa.select(queue_store.SLICES.c.state).where(
                queue_store.SLICES.c.jobId == job_id))
        ).all()  # fmt: skip
        job = await jobs.get_job(session, job_id)
    assert set(states) == {"done"}
    assert job is not None and job.completed_at is not None
    completed = [e for e in events if isinstance(e, JobStateChanged)]
    assert [e.status for e in completed] == [JobStatus.COMPLETED]
