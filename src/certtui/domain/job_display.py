"""How a job's status reads on screen, where PAUSING is derived, not stored.

PAUSING is not a JobStatus: the database says PAUSED from the moment a pause is asked (no new
call starts), and while calls in flight finish the units they belong to are still PROCESSING.
So "PAUSED with units still PROCESSING" reads as PAUSING for every process that looks (the
engine running the job, a monitor, ``certtui jobs``), with no schema or enum change; once
those units are verdicted or requeued, the job reads PAUSED.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

PAUSING = "PAUSING"
RUNNING_STATUSES = frozenset({"PENDING", "QUEUED", "PROCESSING"})


def shown_status(status: str, *, pausing: bool) -> str:
    """The status a job reads as: PAUSING for a PAUSED job whose calls are still finishing."""
    return PAUSING if status == "PAUSED" and pausing else status


def job_counts(statuses: Iterable[str]) -> dict[str, int]:
    """How many jobs are running, pausing and paused, from the statuses they read as."""
    seen = Counter(statuses)
    return {
        "running": sum(seen[status] for status in RUNNING_STATUSES),
        "pausing": seen[PAUSING],
        "paused": seen["PAUSED"],
    }
