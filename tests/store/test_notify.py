"""NOTIFY in the commit: a transition is told to other processes exactly when it commits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from certtui.domain.enums import CertificationJobType, JobStatus
from certtui.domain.events import JobStateChanged
from certtui.store import jobs, migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.store.notify import EVENTS_CHANNEL, MAX_PAYLOAD, ORIGIN, EventListener, payloads


async def _listen(url: str) -> tuple[Any, asyncio.Queue[str]]:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
    )
    queue: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener(EVENTS_CHANNEL, lambda *args: queue.put_nowait(args[-1]))
    return conn, queue


def test_payloads_stay_under_the_limit_and_keep_every_id() -> None:
    units = [f"unit-{i:06d}-{'x' * 20}" for i in range(2000)]
    jobs_ = ["job-1", "job-2"]
    out = payloads(units, jobs_)
    assert len(out) > 1
    assert all(len(p.encode()) < MAX_PAYLOAD for p in out)
    decoded = [json.loads(p) for p in out]
    assert [u for d in decoded for u in d["u"]] == units
    assert [j for d in decoded for j in d["j"]] == jobs_
    assert {d["o"] for d in decoded} == {ORIGIN}


async def test_a_committed_change_is_notified_and_a_rolled_back_one_is_not(pg_url: str) -> None:
    engine = create_engine(parse_database_url(pg_url))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    conn, queue = await _listen(pg_url)
    try:
        async with sessions.begin() as session:
            job = await jobs.create_job(session, CertificationJobType.ALL_MODELS, ["us-east-1"], [])
            job_id = job.id
        payload = json.loads(await asyncio.wait_for(queue.get(), 10))
        assert payload == {"o": ORIGIN, "u": [], "j": [job_id]}

        with pytest.raises(RuntimeError):
            async with sessions.begin() as session:
                await jobs.set_job_status(session, job_id, JobStatus.QUEUED)
                raise RuntimeError("rolled back")
        async with sessions.begin() as session:  # a later commit, to see nothing came before it
            await jobs.set_job_status(session, job_id, JobStatus.CANCELLED)
        payload = json.loads(await asyncio.wait_for(queue.get(), 10))
        assert payload["j"] == [job_id]
        assert queue.empty()
        async with sessions.begin() as session:
            assert await jobs.job_status(session, job_id) is JobStatus.CANCELLED
    finally:
        await conn.close()
        await engine.dispose()


async def test_the_listener_turns_another_process_notification_into_an_event(
    pg_url: str,
) -> None:
    engine = create_engine(parse_database_url(pg_url))
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    seen: list[Any] = []
    arrived = asyncio.Event()
    states: list[bool] = []

    def publish(event: Any) -> None:
        seen.append(event)
        arrived.set()

    listener = EventListener(
        parse_database_url(pg_url), sessions, publish, on_state=states.append, skip_own=False
    )
    try:
        listener.start()
        while not listener.connected:
            await asyncio.sleep(0.01)
        async with sessions.begin() as session:
            job = await jobs.create_job(session, CertificationJobType.ALL_MODELS, ["us-east-1"], [])
        await asyncio.wait_for(arrived.wait(), 10)
        assert seen == [JobStateChanged(job.id, JobStatus.PENDING, 0, 0, 0, 0)]
        assert states == [True]
    finally:
        await listener.close()
        await engine.dispose()
