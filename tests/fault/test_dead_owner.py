"""A run SIGKILLed mid-job is dead at once on its own host: resume and cancel need no wait.

The lease's time to live is set far beyond the test, so only the lease's record of the holder
(host, pid and process start time) can tell that the owner is gone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.store.models import CertificationJob
from support.cli import run_certtui, simulate_process
from support.engine import REGIONS, assert_consistent, healthy_scenario_toml, job_state

pytestmark = pytest.mark.fault

LONG_LEASE = {"CERTTUI_LEASE_TTL": "600"}


@pytest.fixture
def simulate(tmp_path: Path) -> Iterator[str]:
    scenario = tmp_path / "healthy.toml"
    scenario.write_text(healthy_scenario_toml(6))
    with simulate_process("--latency-ms", "250", "--scenario", str(scenario)) as url:
        yield url


@pytest.fixture
def slow_simulate(tmp_path: Path) -> Iterator[str]:
    # Calls slow enough that the holder is still running after a waiter has started up, even on
    # a machine busy with other work (starting a Python process can take seconds there).
    scenario = tmp_path / "healthy.toml"
    scenario.write_text(healthy_scenario_toml(6))
    with simulate_process("--latency-ms", "1500", "--scenario", str(scenario)) as url:
        yield url


async def _job_row(sessions: async_sessionmaker) -> CertificationJob | None:
    async with sessions() as session:
        return await session.scalar(sa.select(CertificationJob))


async def _kill_mid_job(sessions: async_sessionmaker, simulate: str, env: dict[str, str]) -> str:
    synced = run_certtui("--endpoint-url", simulate, "models", "sync",
                         *(f"--region={r}" for r in REGIONS), env=env)  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    run = subprocess.Popen(
        [sys.executable, "-m", "certtui", "--endpoint-url", simulate, "run", "--all",
         "--regions", ",".join(REGIONS), "--concurrency", "4", "--region-concurrency", "2"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        job = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = await _job_row(sessions)
            if job is not None and job.processed_models >= 3:
                break
            assert run.poll() is None, run.stderr.read() if run.stderr else ""
            await asyncio.sleep(0.05)
        assert job is not None and 3 <= job.processed_models < job.total_models
        run.send_signal(signal.SIGKILL)
        run.wait(10)
    finally:
        if run.poll() is None:
            run.kill()
    killed = await job_state(sessions, job.id)
    assert killed.status == "PROCESSING"  # nobody had a chance to tidy up
    assert_consistent(killed)
    return job.id


async def test_sigkill_then_immediate_resume_runs_the_job_to_its_end(
    database_url: str, sessions: async_sessionmaker, simulate: str
) -> None:
    env = {"CERTTUI_DATABASE_URL": database_url, **LONG_LEASE}
    job_id = await _kill_mid_job(sessions, simulate, env)
    resumed = run_certtui("--endpoint-url", simulate, "jobs", "resume", job_id[:8], "--json",
                          env=env)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    final = await job_state(sessions, job_id)
    assert final.status == "COMPLETED"
    assert final.units == {"COMPLETED": final.total} and final.processed == final.total == 18
    assert_consistent(final)


async def test_sigkill_then_immediate_cancel_leaves_nothing_running(
    database_url: str, sessions: async_sessionmaker, simulate: str
) -> None:
    env = {"CERTTUI_DATABASE_URL": database_url, **LONG_LEASE}
    job_id = await _kill_mid_job(sessions, simulate, env)
    cancelled = run_certtui("jobs", "cancel", job_id, env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancelled here" in cancelled.stdout  # the dead owner is not waited for
    final = await job_state(sessions, job_id)
    assert final.status == "CANCELLED"
    assert "PROCESSING" not in final.units and "QUEUED" not in final.units
    assert final.processed == final.total
    assert_consistent(final)
    # Nothing is left to resume.
    again = run_certtui("jobs", "resume", job_id, env=env)
    assert again.returncode == 2 and "CANCELLED: nothing to resume" in again.stderr


PLAN_AND_DIE = """
import asyncio, sys
from certtui.engine.planning import JobRequest, plan_job
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.suites import default_suite

async def main():
    engine = create_engine(parse_database_url(sys.argv[1]))
    planned = await plan_job(session_factory(engine), JobRequest(
        regions=tuple(sys.argv[2].split(",")), all_models=True), default_suite())
    await engine.dispose()
    print(planned.job_id)

asyncio.run(main())
"""


async def test_a_job_orphaned_in_queued_is_recovered_and_named(
    database_url: str, sessions: async_sessionmaker, simulate: str
) -> None:
    env = {"CERTTUI_DATABASE_URL": database_url, **LONG_LEASE}
    synced = run_certtui("--endpoint-url", simulate, "models", "sync",
                         *(f"--region={r}" for r in REGIONS), env=env)  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    # Its creator plans it, then dies before claiming it (what a failure in between does).
    creator = subprocess.run(
        [sys.executable, "-c", PLAN_AND_DIE, database_url, ",".join(REGIONS)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert creator.returncode == 0, creator.stderr
    job_id = creator.stdout.strip()
    assert (await job_state(sessions, job_id)).status == "QUEUED"

    again = run_certtui("--endpoint-url", simulate, "run", "--all",
                        "--regions", ",".join(REGIONS), env=env)  # fmt: skip
    assert again.returncode == 2
    assert f"held by job {job_id[:8]}" in again.stderr
    assert f"`certtui jobs resume {job_id[:8]}`" in again.stderr
    assert f"`certtui jobs cancel {job_id[:8]}`" in again.stderr
    orphan = await job_state(sessions, job_id)
    assert orphan.status == "PAUSED"  # recovered like an expired lease: resumable

    resumed = run_certtui("--endpoint-url", simulate, "jobs", "resume", job_id[:8], env=env)
    assert resumed.returncode == 0, resumed.stderr
    final = await job_state(sessions, job_id)
    assert final.status == "COMPLETED" and final.processed == final.total == 18
    assert_consistent(final)


async def test_an_owner_that_stalled_past_its_lease_does_not_overwrite_the_new_owner(
    database_url: str, sessions: async_sessionmaker, simulate: str
) -> None:
    env = {"CERTTUI_DATABASE_URL": database_url, "CERTTUI_LEASE_TTL": "2"}
    synced = run_certtui("--endpoint-url", simulate, "models", "sync",
                         *(f"--region={r}" for r in REGIONS), env=env)  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    command = [sys.executable, "-m", "certtui", "--endpoint-url", simulate]
    old = subprocess.Popen(
        [*command, "run", "--all", "--regions", ",".join(REGIONS), "--concurrency", "2",
         "--region-concurrency", "1"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    new = None
    try:
        job = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = await _job_row(sessions)
            if job is not None and job.processed_models >= 3:
                break
            assert old.poll() is None, old.stderr.read() if old.stderr else ""
            await asyncio.sleep(0.05)
        assert job is not None and job.processed_models < job.total_models
        old.send_signal(signal.SIGSTOP)  # alive, silent: its lease runs out
        await asyncio.sleep(3)
        new = subprocess.Popen(
            [*command, "jobs", "resume", job.id],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = await _job_row(sessions)
            lease = (row.config or {}).get("lease") or {} if row else {}
            if lease.get("pid") == new.pid:
                break
            assert new.poll() is None, new.stderr.read() if new.stderr else ""
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the new owner never claimed the job")
        old.send_signal(signal.SIGCONT)  # the old owner wakes up and finds it lost the job
        old_code = await asyncio.to_thread(old.wait, 120)
        old_err = old.stderr.read() if old.stderr else ""
        assert old_code != 0 and "was taken over" in old_err, old_err
        assert await asyncio.to_thread(new.wait, 180) == 0, new.stderr.read() if new.stderr else ""
    finally:
        for process in (old, new):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
    final = await job_state(sessions, job.id)
    assert final.status == "COMPLETED"
    assert final.units == {"COMPLETED": 18} and final.processed == 18
    assert_consistent(final)


async def test_resume_wait_waits_for_the_holder_then_runs_the_job(
    sqlite_url: str, slow_simulate: str, tmp_path: Path
) -> None:
    simulate = slow_simulate
    from certtui.store import migrate
    from certtui.store.database import create_engine, parse_database_url, session_factory

    env = {"CERTTUI_DATABASE_URL": sqlite_url, **LONG_LEASE}
    engine = create_engine(parse_database_url(sqlite_url))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    synced = run_certtui("--endpoint-url", simulate, "models", "sync",
                         *(f"--region={r}" for r in REGIONS), env=env)  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    command = [sys.executable, "-m", "certtui", "--endpoint-url", simulate]
    holder = subprocess.Popen(
        [*command, "run", "--all", "--regions", ",".join(REGIONS), "--concurrency", "2",
         "--region-concurrency", "1"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    waiter = None
    waiter_err = tmp_path / "waiter.err"
    try:
        job = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = await _job_row(sessions)
            if job is not None and job.processed_models >= 1:
                break
            assert holder.poll() is None
            await asyncio.sleep(0.05)
        assert job is not None
        refused = run_certtui("jobs", "resume", job.id, env=env)
        assert refused.returncode == 2 and "--wait" in refused.stderr
        with waiter_err.open("w") as err:  # a file: progress lines never fill a pipe
            waiter = subprocess.Popen(
                [*command, "jobs", "resume", job.id, "--wait"],
                env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while "waiting" not in waiter_err.read_text() and time.monotonic() < deadline:
            assert waiter.poll() is None, waiter_err.read_text()
            await asyncio.sleep(0.1)
        assert holder.poll() is None, "the holder finished before the waiter started waiting"
        await asyncio.sleep(2)
        assert waiter.poll() is None  # waiting while the holder lives
        holder.kill()  # the holder dies: on this host that is seen at once
        assert await asyncio.to_thread(waiter.wait, 240) == 0
        told = waiter_err.read_text()
        assert f"job {job.id} is running in another process" in told and "waiting" in told
    finally:
        for process in (holder, waiter):
            if process is not None and process.poll() is None:
                process.kill()
    final = await job_state(sessions, job.id)
    assert final.status == "COMPLETED" and final.processed == final.total == 18
    assert_consistent(final)
    await engine.dispose()
