"""The job writer's batches: closing writes what is queued at once, and log lines keep their order.

A writer gathers a batch for ``interval`` seconds after the first thing queued. A worker's slice
writer (``close_at_once``) must not wait out that gathering when it closes: the slice ends (and
the worker's next slice is taken) only once its writer has closed. Log lines of the same time
(PostgreSQL keeps milliseconds; a throttle and the retry it causes share one) are read back in
the order the engine logged them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.joblog import LogEntry
from certtui.engine.persistence import JobWriter
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store.views import load_job_log
from certtui.suites import default_suite
from support.engine import REGIONS, healthy_scenario
from support.engine import sync as sync_catalog

ALL = JobRequest(regions=REGIONS, all_models=True, created_by="test@ci")
AN_HOUR = 3600.0


async def _job(sessions: async_sessionmaker) -> str:
    async with serve(healthy_scenario(2)) as server:
        await sync_catalog(sessions, server.url)
    return (await plan_job(sessions, ALL, default_suite())).job_id


async def test_close_writes_what_is_queued_without_waiting_out_the_gathering(
    sessions: async_sessionmaker,
) -> None:
    job_id = await _job(sessions)
    writer = JobWriter(sessions, job_id, interval=AN_HOUR, close_at_once=True)
    writer.start()
    at = datetime(2026, 12, 3, 12, 0, 0)
    writer.log(LogEntry(at, "info", "log", "queued while the batch gathers"))
    await asyncio.sleep(0)  # the loop is now gathering, for an hour
    # Liveness bound, not a figure: waiting out the interval would take an hour.
    unwritten = await asyncio.wait_for(writer.close(), 60)
    assert unwritten == []
    async with sessions() as session:
        log = await load_job_log(session, job_id)
    assert [line.message for line in log] == ["queued while the batch gathers"]


async def test_lines_of_the_same_time_are_read_back_in_the_order_logged(
    sessions: async_sessionmaker,
) -> None:
    job_id = await _job(sessions)
    writer = JobWriter(sessions, job_id)
    writer.start()
    at = datetime(2026, 12, 3, 12, 0, 0)
    messages = [f"line {n}" for n in range(20)]
    for message in messages:
        writer.log(LogEntry(at, "info", "log", message))
    later = LogEntry(datetime(2026, 12, 3, 12, 0, 1), "info", "log", "a second later")
    writer.log(later)
    await writer.close()
    async with sessions() as session:
        log = await load_job_log(session, job_id)
    assert [line.message for line in log] == [*messages, "a second later"]
    assert log[-1].at == later.at  # a line after the tie keeps its own time
