"""A transaction whose caller is cancelled still ends before the run lets its engine go.

At the end of a run the heartbeat is cancelled, often in the middle of its transaction. If the
runner returned while that transaction was still ending, the caller disposed of the engine (and
pytest closed the loop) under its connection: with aiosqlite 0.22, SQLAlchemy's shielded
graceful close then waits on a worker thread that has already stopped, and the loop's final
cancellation never ends (the teardown hang seen in CI). ``JobWriter.settle`` waits for it.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certtui.engine.persistence import JobWriter


async def test_settle_waits_for_a_transaction_whose_caller_was_cancelled(
    sessions: async_sessionmaker,
) -> None:
    writer = JobWriter(sessions, "no-job", attempt_timeout=30)
    inside = asyncio.Event()

    async def slow_work(session: AsyncSession) -> int:
        await session.execute(sa.text("SELECT 1"))
        inside.set()
        await asyncio.sleep(0.5)
        return 1

    caller = asyncio.create_task(writer.attempt(slow_work, exclusive=False))
    await inside.wait()
    caller.cancel()
    await asyncio.gather(caller, return_exceptions=True)

    still_running = await writer.settle()

    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert still_running == 0
    assert others == []
