"""Pause and resume from another process reach every worker: no unit starts later than a
second after the pause committed (measured on the units' recorded start times) (#14)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from certtui.domain.enums import JobStatus
from certtui.engine.control import pause_job, resume_request
from certtui.store.models import CertificationJob, ModelCertification
from certtui.store.types import utcnow
from cluster.conftest import Cluster, sample_invariant
from support.engine import REGIONS, assert_consistent, healthy_scenario_toml, job_state
from support.probe import InvariantProbe

pytestmark = pytest.mark.cluster


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "healthy.toml"
    path.write_text(healthy_scenario_toml(18))  # 54 units, 15 slices: more than run at once
    return path


async def _job(cluster: Cluster, job_id: str) -> CertificationJob:
    async with cluster.sessions() as session:
        job = await session.get(CertificationJob, job_id)
        assert job is not None
        return job


async def test_a_pause_stops_dispatch_on_every_worker_within_a_second(cluster: Cluster) -> None:
    for index in range(2):  # each takes 2 slices at a time: 11 of 15 wait
        cluster.start_worker(f"w{index}", "--concurrency", "2", "--stall-timeout", "5")
    submitted = await asyncio.to_thread(
        cluster.cli, "run", "--submit", "--all", "--regions", ",".join(REGIONS)
    )
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    probe, stop = InvariantProbe(), asyncio.Event()
    sampler = asyncio.create_task(sample_invariant(cluster.engine, probe, stop))
    try:
        deadline = time.monotonic() + 60
        while (await _job(cluster, job_id)).processed_models < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        # What the TUI's pause key does for a job another process runs.
        result = await pause_job(cluster.sessions, job_id)
        paused_at = utcnow()  # the pause has committed
        assert result.live  # the workers hold the job
        await asyncio.sleep(3)
        async with cluster.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(ModelCertification.status, ModelCertification.started_at).where(
                        ModelCertification.job_id == job_id
                    )
                )
            ).all()
        started = [at for _, at in rows if at is not None]
        waiting = [status for status, _ in rows if status.value == "QUEUED"]
        assert waiting, "the pause came too late to stop anything"
        late = [at for at in started if at > paused_at + timedelta(seconds=1)]
        assert late == [], f"{len(late)} units started more than 1 s after the pause"
        assert (await _job(cluster, job_id)).status is JobStatus.PAUSED

        resumed = await resume_request(cluster.sessions, job_id)
        assert resumed.live and resumed.status is JobStatus.PROCESSING  # the workers go on
        deadline = time.monotonic() + 120
        while not (await _job(cluster, job_id)).status.is_terminal:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await sampler
    state = await job_state(cluster.sessions, job_id)
    assert state.status == "COMPLETED" and state.processed == state.total == 54
    assert_consistent(state)
    assert probe.commits > 0 and probe.violations == []


async def test_a_cancel_from_the_cli_ends_the_job_on_every_worker(cluster: Cluster) -> None:
    for index in range(2):
        cluster.start_worker(f"w{index}", "--concurrency", "2")
    submitted = await asyncio.to_thread(
        cluster.cli, "run", "--submit", "--all", "--regions", ",".join(REGIONS)
    )
    job_id = submitted.stdout.strip()
    probe, stop = InvariantProbe(), asyncio.Event()
    sampler = asyncio.create_task(sample_invariant(cluster.engine, probe, stop))
    try:
        deadline = time.monotonic() + 60
        while (await _job(cluster, job_id)).processed_models < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        cancelled = await asyncio.to_thread(cluster.cli, "jobs", "cancel", job_id[:8])
        assert cancelled.returncode == 0, cancelled.stderr
        deadline = time.monotonic() + 30
        while True:  # the workers cancel their units and end the job
            state = await job_state(cluster.sessions, job_id)
            job = await _job(cluster, job_id)
            if job.completed_at is not None and not state.units.get("PROCESSING"):
                break
            assert time.monotonic() < deadline, state
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await sampler
    state = await job_state(cluster.sessions, job_id)
    assert state.status == "CANCELLED" and state.units.get("CANCELLED", 0) > 0
    assert state.processed == state.total  # every unit ended: run, or cancelled
    assert_consistent(state)
    assert probe.commits > 0 and probe.violations == []
