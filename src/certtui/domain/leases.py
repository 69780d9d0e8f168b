"""A job's lease and the one meaning of a "live" job, pure (SPEC §2.3, §4).

The engine holds a lease on each job it runs (owner and heartbeat in the job's ``config``). A job
is *live* while a process holds it: its lease is fresh and the job has not ended. That covers a
job paused by its operator whose engine still holds it (in-flight units finish, and a resume is
obeyed within a heartbeat), and excludes a finished job whose last heartbeat is still recent.

A lease names the process that holds it (host, pid and the process's start time). Whether that
process is gone is a question about the machine, not a rule: callers that can look (the engine,
on its own host) pass ``gone``, and a lease whose holder is gone is not live, fresh or not.
Planning writes a lease marked ``planned`` until the job is claimed: it keeps recovery from
taking a job whose creator is about to run it, and no more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from certtui.domain.enums import JobStatus

Lease = Mapping[str, Any]
HolderGone = Callable[[Lease], bool]


def job_lease(config: Mapping[str, Any] | None) -> Lease | None:
    """The lease in a job's config, or None."""
    lease = (config or {}).get("lease")
    return lease if isinstance(lease, Mapping) and lease else None


def lease_is_fresh(config: Mapping[str, Any] | None, now: float | None = None) -> bool:
    """Whether a job's lease was renewed within its time to live."""
    lease = job_lease(config)
    if not lease:
        return False
    now = time.time() if now is None else now
    return now - float(lease.get("heartbeat", 0)) < float(lease.get("ttl", 0))


def lease_is_held(
    config: Mapping[str, Any] | None, now: float | None = None, *, gone: HolderGone | None = None
) -> bool:
    """Whether a process holds the lease now: fresh, and its holder not known to be gone."""
    lease = job_lease(config)
    if lease is None or not lease_is_fresh(config, now):
        return False
    return not (gone is not None and gone(lease))


def lease_is_running(
    config: Mapping[str, Any] | None, now: float | None = None, *, gone: HolderGone | None = None
) -> bool:
    """Whether an engine runs the job now (a held lease that is not planning's)."""
    lease = job_lease(config)
    return bool(lease) and not lease.get("planned") and lease_is_held(config, now, gone=gone)  # type: ignore[union-attr]


def job_is_live(
    status: JobStatus | str,
    config: Mapping[str, Any] | None,
    now: float | None = None,
    *,
    gone: HolderGone | None = None,
) -> bool:
    """Whether an engine holds the job now: its lease on a job that has not ended.

    A planning lease does not count: a job planned and not yet claimed runs nowhere.
    """
    return not JobStatus(status).is_terminal and lease_is_running(config, now, gone=gone)


def describe_lease(lease: Lease) -> str:
    """Who holds a lease and until when, for a message: ``host pid 42 until 14:03:22 UTC``."""
    host = lease.get("host") or str(lease.get("owner", "?")).split(":")[0]
    pid = lease.get("pid")
    who = f"{host} pid {pid}" if pid is not None else str(lease.get("owner", "an unknown process"))
    until = float(lease.get("heartbeat", 0)) + float(lease.get("ttl", 0))
    when = datetime.fromtimestamp(until, UTC).strftime("%H:%M:%S UTC")
    return f"{who} until {when} unless renewed"
