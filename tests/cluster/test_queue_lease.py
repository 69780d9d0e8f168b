"""A submitted job's lease names the queue: live workers keep it, recovery takes it without."""

from __future__ import annotations

import asyncio
import time

import pytest

from certtui.domain.enums import JobStatus
from certtui.engine import leases
from certtui.engine.control import recover_interrupted
from certtui.store import jobs
from certtui.store import workers as queue_store
from cluster.conftest import Cluster
from support.engine import REGIONS

pytestmark = pytest.mark.cluster


async def _age_lease(cluster: Cluster, job_id: str, seconds: float) -> None:
    """Make the job's lease look last renewed ``seconds`` ago (no waiting in the test)."""
    async with cluster.sessions.begin() as session:
        job = await jobs.get_job(session, job_id)
        assert job is not None
        config = dict(job.config or {})
        config["lease"] = {**config["lease"], "heartbeat": time.time() - seconds}
        await jobs.write_config(session, job_id, config)


async def test_a_waiting_job_is_kept_by_a_live_worker_and_recovered_without_one(
    cluster: Cluster,
) -> None:
    submitted = [
        (await asyncio.to_thread(cluster.cli, "run", "--submit", "--model", model,
                                 "--regions", ",".join(REGIONS))).stdout.strip()
        for model in ("acme.model-00-v1:0", "acme.model-01-v1:0")
    ]  # fmt: skip
    kept, abandoned = submitted
    for job_id in submitted:
        await _age_lease(cluster, job_id, 120)
    # What a live worker's heartbeat does each second, for every job with a slice queued.
    async with cluster.sessions.begin() as session:
        assert await queue_store.renew_leases_of_queued_jobs(session, {"heartbeat": time.time()})
    # ...but the second job's worker is gone: its lease is old again.
    await _age_lease(cluster, abandoned, 120)

    recovered = await recover_interrupted(cluster.sessions)
    assert recovered == [abandoned]
    async with cluster.sessions() as session:
        kept_job = await jobs.get_job(session, kept)
        gone_job = await jobs.get_job(session, abandoned)
    assert kept_job.status is JobStatus.QUEUED and leases.running(kept_job.config)
    assert gone_job.status is JobStatus.PAUSED and gone_job.config.get("interrupted")

    # A worker started now runs the kept job; the paused one's slices are let go, not run.
    cluster.start_worker("late", "--concurrency", "4")
    deadline = time.monotonic() + 60
    while True:
        async with cluster.sessions() as session:
            statuses = await queue_store.job_statuses(session, submitted)
        if statuses[kept] is JobStatus.COMPLETED:
            break
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.1)
    assert statuses[abandoned] is JobStatus.PAUSED
