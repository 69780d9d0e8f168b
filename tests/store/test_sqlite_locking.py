"""SQLite writes wait their turn behind another process's writer instead of failing at once."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from certtui.domain.enums import CertificationJobType, JobStatus
from certtui.engine.control import pause_job
from certtui.store import jobs, migrate
from certtui.store.database import (
    create_engine,
    read_session_factory,
    session_factory,
    sqlite_target,
)


async def test_a_read_then_write_waits_for_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "certtui.db"
    engine = create_engine(sqlite_target(path))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        job = await jobs.create_job(
            session, CertificationJobType.ALL_MODELS, ["us-east-1"], [],
            status=JobStatus.PROCESSING,
        )  # fmt: skip

    # Another process's engine holds the write lock and commits a change a moment later: a
    # transaction that read before that commit could never write after it (SQLite's
    # BUSY_SNAPSHOT, "database is locked" at once); one that takes the lock first just waits.
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute('UPDATE certification_jobs SET "updatedAt" = "updatedAt"')
    holding = threading.Event()
    release = threading.Timer(1.0, lambda: (other.execute("COMMIT"), holding.set()))
    release.start()
    try:
        paused = await pause_job(sessions, job.id)
    finally:
        release.join()
        other.close()
    assert holding.is_set()
    assert paused.status is JobStatus.PAUSED
    async with sessions() as session:
        assert await jobs.job_status(session, job.id) is JobStatus.PAUSED
    await engine.dispose()


async def test_reads_do_not_take_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "certtui.db"
    engine = create_engine(sqlite_target(path))
    await migrate.upgrade(engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a writer mid-transaction
    try:
        async with read_session_factory(engine)() as session:
            # A read session begins deferred: WAL lets it read while the writer holds the lock.
            count = await asyncio.wait_for(jobs.job_status(session, "no-such-job"), timeout=60)
        assert count is None
    finally:
        other.execute("ROLLBACK")
        other.close()
        await engine.dispose()
