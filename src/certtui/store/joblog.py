"""The ``job_log`` table: a job's engine events, appended by its writer, read by the screens."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certtui.domain.joblog import LogEntry
from certtui.store.models import JobLogEntry

_appended = itertools.count()


def line_id() -> str:
    """A log line's id, increasing in the order lines are appended (the clock, then this
    process's count): the log's order among lines of the same time, which is common, as
    PostgreSQL keeps milliseconds and a throttle and the retry it causes share one."""
    return f"{time.time_ns():020d}-{next(_appended):010d}-{uuid.uuid4().hex[:12]}"


async def append(session: AsyncSession, job_id: str, entries: Sequence[LogEntry]) -> None:
    """Append log lines to a job's log (in the caller's transaction)."""
    if not entries:
        return
    await session.execute(
        sa.insert(JobLogEntry),
        [
            {
                "id": line_id(), "job_id": job_id, "at": e.at, "level": e.level, "kind": e.kind,
                "api_model_id": e.api_model_id, "region": e.region, "message": e.message,
            }
            for e in entries
        ],
    )  # fmt: skip
