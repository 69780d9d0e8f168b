"""Several `certtui worker` processes (standing in for hosts) on the test PostgreSQL and the
stand-in: helpers to start them, submit, watch the invariant, and read what happened."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from certtui.store.database import create_engine, parse_database_url, session_factory
from support.cli import run_certtui, simulate_process
from support.engine import REGIONS, healthy_scenario_toml
from support.probe import InvariantProbe


@dataclass
class Cluster:
    """A migrated PostgreSQL with a synced catalog, the stand-in, and the test's own engine."""

    url: str
    endpoint: str
    engine: AsyncEngine
    sessions: async_sessionmaker
    tmp: Path
    workers: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {"CERTTUI_DATABASE_URL": self.url}

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_certtui("--endpoint-url", self.endpoint, *args, env=self.env, timeout=timeout)

    def start_worker(self, name: str, *args: str) -> subprocess.Popen[str]:
        """`certtui worker` in its own process, once it says it is ready."""
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - the process writes it
        process = subprocess.Popen(
            [sys.executable, "-m", "certtui", "--endpoint-url", self.endpoint, "worker",
             "--name", name, *args],
            env={**os.environ, **self.env}, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "ready" in first, (first, (self.tmp / f"{name}.log").read_text())
        self.workers.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "healthy.toml"
    path.write_text(healthy_scenario_toml(6))
    return path


@pytest.fixture
def standin(scenario: Path) -> Iterator[str]:
    with simulate_process("--latency-ms", "30", "--scenario", str(scenario)) as url:
        yield url


@pytest.fixture
async def cluster(pg_url: str, standin: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    engine = create_engine(parse_database_url(pg_url))
    found = Cluster(pg_url, standin, engine, session_factory(engine), tmp_path)
    assert found.cli("db", "upgrade").returncode == 0
    synced = found.cli("models", "sync", *(f"--region={r}" for r in REGIONS))
    assert synced.returncode == 0, synced.stderr
    try:
        yield found
    finally:
        for process in found.workers:
            if process.poll() is None:
                process.kill()
            process.wait(10)
        await engine.dispose()


async def sample_invariant(engine: AsyncEngine, probe: InvariantProbe, stop: asyncio.Event) -> None:
    """Check SPEC §2.3's invariant on consistent snapshots until ``stop`` (the workers are other
    processes: their commits are seen from here, each snapshot one REPEATABLE READ transaction)."""
    while not stop.is_set():
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await conn.run_sync(probe.check)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.05):
                await stop.wait()
