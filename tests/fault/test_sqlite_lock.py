"""Another process holds SQLite's write lock for 10 s in the middle of a job.

The job's writes wait their turn (or retry once the busy timeout runs out): the job goes on
when the lock is released, and ends with every unit processed once.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from certtui.domain.enums import JobStatus
from certtui.domain.events import UnitStateChanged
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.suites import default_suite
from support.engine import REGIONS, assert_consistent, clients_for, healthy_scenario, job_state
from support.engine import sync as sync_catalog

pytestmark = pytest.mark.fault

HOLD = 10.0
UNITS = 18

LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
    db.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("ROLLBACK")
    print("released", flush=True)
    """
)


async def test_sqlite_write_lock_held_10_s_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "certtui.db"
    engine = create_engine(parse_database_url(f"sqlite:///{path}"))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    try:
        async with (
            serve(healthy_scenario(6), latency_ms=150) as standin,
            clients_for(standin.url) as clients,
        ):
            await sync_catalog(sessions, standin.url)
            planned = await plan_job(
                sessions, JobRequest(regions=REGIONS, all_models=True), default_suite()
            )
            config = EngineConfig(concurrency=2, region_concurrency=1, heartbeat=0.2)
            runner = JobRunner(sessions, clients, default_suite(), planned.job_id, config)
            events: list[object] = []
            runner.bus.subscribe(events.append)
            task = asyncio.create_task(runner.run())
            async with asyncio.timeout(90):
                while sum(isinstance(e, UnitStateChanged) and e.status.is_terminal
                          for e in events) < 3:  # fmt: skip
                    await asyncio.sleep(0.05)

            locker = subprocess.Popen(
                [sys.executable, "-c", LOCKER, str(path), str(HOLD)],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                assert locker.stdout is not None
                assert await asyncio.to_thread(locker.stdout.readline) == "locked\n"
                assert not task.done()
                assert await asyncio.to_thread(locker.stdout.readline) == "released\n"
                assert await asyncio.to_thread(locker.wait, 30) == 0
            finally:
                if locker.poll() is None:
                    locker.kill()

            outcome = await asyncio.wait_for(task, 180)
            assert outcome.status is JobStatus.COMPLETED
            final = await job_state(sessions, planned.job_id)
            assert final.status == "COMPLETED"
            assert final.units == {"COMPLETED": UNITS} and final.processed == UNITS
            assert_consistent(final)
    finally:
        await engine.dispose()
