"""The ``job_log`` table: a job's engine events, appended by its writer, read by the screens."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certtui.domain.joblog import LogEntry
from certtui.store.models import JobLogEntry, new_id


async def append(session: AsyncSession, job_id: str, entries: Sequence[LogEntry]) -> None:
    """Append log lines to a job's log (in the caller's transaction)."""
    if not entries:
        return
    await session.execute(
        sa.insert(JobLogEntry),
        [
            {
                "id": new_id(), "job_id": job_id, "at": e.at, "level": e.level, "kind": e.kind,
                "api_model_id": e.api_model_id, "region": e.region, "message": e.message,
            }
            for e in entries
        ],
    )  # fmt: skip
