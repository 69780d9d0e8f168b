"""`certtui worker` processes on one PostgreSQL: a submitted job runs to its end on them, each
unit counted once, whatever happens to a worker (#14)."""

from __future__ import annotations

import asyncio
import math
import signal
import time

import pytest
import sqlalchemy as sa

from certtui.store.models import CertificationJob
from certtui.store.workers import SLICE_UNITS, SLICES, WORKERS, list_workers
from cluster.conftest import Cluster, sample_invariant
from support.engine import REGIONS, assert_consistent, job_state
from support.probe import InvariantProbe

pytestmark = pytest.mark.cluster

ALL = ("--all", "--regions", ",".join(REGIONS))


async def _slices(cluster: Cluster, job_id: str) -> list[sa.Row]:
    async with cluster.sessions() as session:
        rows = await session.execute(
            sa.select(SLICES.c.id, SLICES.c.state, SLICES.c.worker, SLICES.c.attempts,
                      SLICES.c.unitIds, SLICES.c.queueJobId).where(SLICES.c.jobId == job_id)
        )  # fmt: skip
        return list(rows)


async def _job(cluster: Cluster, job_id: str) -> CertificationJob:
    async with cluster.sessions() as session:
        job = await session.get(CertificationJob, job_id)
        assert job is not None
        return job


async def _history_per_unit(cluster: Cluster, job_id: str) -> list[int]:
    async with cluster.sessions() as session:
        rows = await session.execute(
            sa.text(
                'SELECT count(*) FROM certification_results WHERE "jobId" = :job '
                'GROUP BY "modelId", region'
            ),
            {"job": job_id},
        )
        return [count for (count,) in rows]


async def test_a_submitted_job_runs_on_several_workers_each_unit_once(cluster: Cluster) -> None:
    for index in range(3):
        cluster.start_worker(f"w{index}", "--concurrency", "4", "--stall-timeout", "3")
    probe, stop = InvariantProbe(), asyncio.Event()
    sampler = asyncio.create_task(sample_invariant(cluster.engine, probe, stop))
    try:
        result = await asyncio.to_thread(cluster.cli, "run", "--submit", "--wait", "--json", *ALL)
    finally:
        stop.set()
        await sampler
    assert result.returncode == 0, result.stderr
    job_id = result.stderr.split("job ", 1)[1].split(":", 1)[0]
    state = await job_state(cluster.sessions, job_id)
    assert state.status == "COMPLETED" and state.processed == state.total == 18
    assert_consistent(state)
    assert await _history_per_unit(cluster, job_id) == [1] * 18
    assert probe.commits > 0 and probe.violations == []
    slices = await _slices(cluster, job_id)
    # 6 units a region: two slices each (SLICE_UNITS = 4), all done.
    assert len(slices) == 3 * math.ceil(6 / SLICE_UNITS) and {s.state for s in slices} == {"done"}
    job = await _job(cluster, job_id)
    assert job.bull_job_id == str(min(s.queueJobId for s in slices))
    assert "lease" not in (job.config or {})


async def test_sigkill_of_a_worker_mid_job_another_finishes_its_units(cluster: Cluster) -> None:
    first = cluster.start_worker("doomed", "--concurrency", "2", "--stall-timeout", "2")
    submitted = await asyncio.to_thread(cluster.cli, "run", "--submit", *ALL)
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    probe, stop = InvariantProbe(), asyncio.Event()
    sampler = asyncio.create_task(sample_invariant(cluster.engine, probe, stop))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the doomed worker has done some, not all,
            held = await job_state(cluster.sessions, job_id)  # and holds some now
            if held.processed >= 2 and held.units.get("PROCESSING", 0) > 0:
                break
            await asyncio.sleep(0.02)
        assert 2 <= held.processed < held.total
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed = await job_state(cluster.sessions, job_id)
        assert killed.units.get("PROCESSING", 0) > 0  # it died holding units
        held = {s.id for s in await _slices(cluster, job_id) if s.state == "running"}
        assert held  # and the slices they belong to
        cluster.start_worker("heir", "--concurrency", "4", "--stall-timeout", "2")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (await _job(cluster, job_id)).status.is_terminal:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await sampler
    state = await job_state(cluster.sessions, job_id)
    assert state.status == "COMPLETED", cluster.log("heir")
    assert_consistent(state)
    assert await _history_per_unit(cluster, job_id) == [1] * state.total
    assert probe.commits > 0 and probe.violations == []
    slices = await _slices(cluster, job_id)
    async with cluster.sessions() as session:
        names = dict((await session.execute(sa.select(WORKERS.c.id, WORKERS.c.name))).all())
    assert {s.state for s in slices} == {"done"}
    # The heir ended every slice the dead worker held, each taken over (a second claim).
    taken_over = [s for s in slices if s.id in held]
    assert {names[s.worker] for s in taken_over} == {"heir"}
    assert all(s.attempts >= 2 for s in taken_over)


def test_workers_need_postgresql(sqlite_url: str) -> None:
    from support.cli import run_certtui

    expected = "certtui: error: workers need PostgreSQL"
    for args in (
        ("worker",),
        ("run", "--submit", "--model", "acme.model-00-v1:0", "--regions", "us-east-1"),
        ("schedule", "add", "0 3 * * *", "--all", "--regions", "us-east-1"),
        ("schedule", "remove", "abcd1234"),
    ):
        result = run_certtui("--db", sqlite_url, *args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected), (args, result.stderr)
    listed = run_certtui("--db", sqlite_url, "schedule", "list")
    assert listed.returncode == 0 and "need PostgreSQL" in listed.stderr


async def test_sigterm_hands_the_units_in_flight_back_and_exits_0(cluster: Cluster) -> None:
    leaving = cluster.start_worker("leaving", "--concurrency", "2", "--grace", "0")
    submitted = await asyncio.to_thread(cluster.cli, "run", "--submit", *ALL)
    job_id = submitted.stdout.strip()
    deadline = time.monotonic() + 60
    while (await _job(cluster, job_id)).processed_models < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    leaving.send_signal(signal.SIGTERM)
    assert leaving.wait(30) == 0, cluster.log("leaving")
    left = await job_state(cluster.sessions, job_id)
    assert left.units.get("PROCESSING", 0) == 0  # nothing left held by a worker that is gone
    assert_consistent(left)
    async with cluster.sessions() as session:
        [row] = await list_workers(session)
    assert (row.name, row.in_flight, row.pid) == ("leaving", 0, leaving.pid)
    assert row.stopped_at is not None and not row.alive()
    cluster.start_worker("next", "--concurrency", "4")  # takes the slices at once: no stall wait
    deadline = time.monotonic() + 60
    while not (await _job(cluster, job_id)).status.is_terminal:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    state = await job_state(cluster.sessions, job_id)
    assert state.status == "COMPLETED"
    assert_consistent(state)
    assert await _history_per_unit(cluster, job_id) == [1] * state.total
