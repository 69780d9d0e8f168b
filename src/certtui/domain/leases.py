"""A job's lease and the one meaning of a "live" job, pure (SPEC §2.3, §4).

The engine holds a lease on each job it runs (owner and heartbeat in the job's ``config``). A job
is *live* while a process holds it: its lease is fresh and the job has not ended. That covers a
job paused by its operator whose engine still holds it (in-flight units finish, and a resume is
obeyed within a heartbeat), and excludes a finished job whose last heartbeat is still recent.
"""

from __future__ import annotations

import time
from typing import Any

from certtui.domain.enums import JobStatus


def lease_is_fresh(config: dict[str, Any] | None, now: float | None = None) -> bool:
    """Whether a job's lease was renewed within its time to live."""
    lease = (config or {}).get("lease")
    if not lease:
        return False
    now = time.time() if now is None else now
    return now - float(lease.get("heartbeat", 0)) < float(lease.get("ttl", 0))


def job_is_live(
    status: JobStatus | str, config: dict[str, Any] | None, now: float | None = None
) -> bool:
    """Whether a process holds the job now: a fresh lease on a job that has not ended."""
    return not JobStatus(status).is_terminal and lease_is_fresh(config, now)
