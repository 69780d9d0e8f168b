"""Crash safety: SIGKILL ``certtui run`` mid-job, resume it, and count every unit exactly once."""

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
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.store.models import CertificationJob
from support.cli import run_certtui, simulate_process
from support.engine import REGIONS, assert_consistent, healthy_scenario_toml, job_state


@pytest.fixture
def simulate(tmp_path: Path) -> Iterator[str]:
    """``certtui simulate`` in its own process: every call takes a quarter of a second."""
    scenario = tmp_path / "healthy.toml"
    scenario.write_text(healthy_scenario_toml(6))
    with simulate_process("--latency-ms", "250", "--scenario", str(scenario)) as url:
        yield url


@pytest.fixture
def long_simulate(tmp_path: Path) -> Iterator[str]:
    """Like ``simulate`` with 60 models: a one-at-a-time job takes minutes, so a test's own
    commands (each a new process, slow on a busy machine) always land while it runs."""
    scenario = tmp_path / "long.toml"
    scenario.write_text(healthy_scenario_toml(60))
    with simulate_process("--latency-ms", "250", "--scenario", str(scenario)) as url:
        yield url


async def _job_row(sessions: async_sessionmaker) -> CertificationJob | None:
    async with sessions() as session:
        from sqlalchemy import select

        return await session.scalar(select(CertificationJob))


async def test_sigkill_mid_job_then_resume_counts_every_unit_once(
    database_url: str, sessions: async_sessionmaker, simulate: str
) -> None:
    env = {"CERTTUI_DATABASE_URL": database_url, "CERTTUI_LEASE_TTL": "1.5"}
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

    await asyncio.sleep(1.6)  # the dead owner's lease expires
    resumed = run_certtui("--endpoint-url", simulate, "jobs", "resume", job.id[:8], "--json",
                          env=env)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    final = await job_state(sessions, job.id)
    assert final.status == "COMPLETED"
    assert final.units == {"COMPLETED": final.total} and final.total == 18
    assert final.processed == final.succeeded == 18 and final.failed == 0
    assert_consistent(final)


async def test_resume_refuses_a_job_whose_owner_is_alive(
    database_url: str, sessions: async_sessionmaker, long_simulate: str
) -> None:
    env = {"CERTTUI_DATABASE_URL": database_url}
    assert run_certtui("--endpoint-url", long_simulate, "models", "sync", "--region=us-east-1",
                       env=env).returncode == 0  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-m", "certtui", "--endpoint-url", long_simulate, "run", "--all",
         "--region", "us-east-1", "--concurrency", "1"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        job = None
        while job is None or job.processed_models < 1:
            job = await _job_row(sessions)
            await asyncio.sleep(0.05)
        resumed = run_certtui("jobs", "resume", job.id, env=env)
        assert resumed.returncode == 2
        assert f"job {job.id} is running in another process (" in resumed.stderr
        assert f"`certtui jobs resume {job.id} --wait`" in resumed.stderr
        paused = run_certtui("jobs", "pause", job.id, env=env)
        assert paused.returncode == 0 and "PAUSING: its engine starts no new call" in paused.stdout
        assert run.wait(60) == 3  # the headless run stops once paused, and says so
        state = await job_state(sessions, job.id)
        assert state.status == "PAUSED" and "PROCESSING" not in state.units
        assert_consistent(state)
    finally:
        if run.poll() is None:
            run.kill()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
async def test_sigterm_and_sighup_pause_the_job_and_exit_cleanly(
    sqlite_url: str, tmp_path: Path, simulate: str, signum: signal.Signals
) -> None:
    from certtui.store import migrate
    from certtui.store.database import create_engine, parse_database_url, session_factory

    env = {"CERTTUI_DATABASE_URL": sqlite_url}
    assert run_certtui("--endpoint-url", simulate, "models", "sync", "--region=us-east-1",
                       env=env).returncode == 0  # fmt: skip
    engine = create_engine(parse_database_url(sqlite_url))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    run = subprocess.Popen(
        [sys.executable, "-m", "certtui", "--endpoint-url", simulate, "run", "--all",
         "--region", "us-east-1", "--concurrency", "2"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        job = None
        while job is None or job.processed_models < 1:
            job = await _job_row(sessions)
            await asyncio.sleep(0.05)
        run.send_signal(signum)
        code = run.wait(30)
        stderr = run.stderr.read() if run.stderr else ""
    finally:
        if run.poll() is None:
            run.kill()
    assert code == 3
    assert "Traceback" not in stderr
    assert f"job {job.id} interrupted by a signal; resume with `certtui jobs resume" in stderr
    state = await job_state(sessions, job.id)
    assert state.status == "PAUSED" and "PROCESSING" not in state.units
    assert_consistent(state)
    # Nobody runs it any more: cancelling it from the shell finishes it here.
    cancelled = run_certtui("jobs", "cancel", job.id, env=env)
    assert cancelled.returncode == 0 and "cancelled here" in cancelled.stdout
    final = await job_state(sessions, job.id)
    await engine.dispose()
    assert final.status == "CANCELLED" and set(final.units) <= {"COMPLETED", "CANCELLED"}
    assert final.processed == final.total
    assert_consistent(final)
