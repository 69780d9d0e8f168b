"""What the screens show: the store's plain views, kept current by engine events (no Textual).

The reads themselves live in ``certtui.store.views``; this module adds what only the screens
need, and applies engine events to the views the app holds, so a screen changes without
reading the database again.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from certtui.domain.changes import CellChange, compare
from certtui.domain.enums import CertificationStatus
from certtui.domain.events import JobProgress, JobStateChanged, UnitStateChanged
from certtui.store.history import Verdict, cell_history, last_two_verdicts, regressed_cells
from certtui.store.types import utcnow
from certtui.store.views import (
    READ_ERRORS,
    CellState,
    DetailView,
    JobUnit,
    JobView,
    ModelRow,
    Snapshot,
    cell_from_unit,
    job_units,
    load_detail,
    load_job_log,
    load_snapshot,
)
from certtui.store.views import load_job as _load_job
from certtui.store.views import load_jobs as _load_jobs

if TYPE_CHECKING:
    from certtui.store.sessions import Session
    from certtui.store.workers import WorkerRow

__all__ = [
    "READ_ERRORS",
    "CellChange",
    "CellState",
    "DetailView",
    "JobUnit",
    "JobView",
    "ModelRow",
    "Snapshot",
    "Verdict",
    "add_job",
    "apply_job_event",
    "apply_unit_events",
    "cell_from_unit",
    "cell_history",
    "job_units",
    "load_changes",
    "load_detail",
    "load_job",
    "load_job_log",
    "load_job_units",
    "load_jobs",
    "load_snapshot",
    "load_unit_workers",
    "load_workers",
    "mark_regressed",
    "regressed_cells",
]

UNFINISHED = {"PENDING", "QUEUED", "PROCESSING"}


async def load_changes(session: Session) -> list[CellChange[tuple[str, str], Verdict]]:
    """What changed between the last two verdicts of each cell (read on demand)."""
    cells = await last_two_verdicts(session)
    before = {cell: verdicts[1] for cell, verdicts in cells.items() if len(verdicts) > 1}
    after = {cell: verdicts[0] for cell, verdicts in cells.items()}
    ordered = dict(sorted(after.items(), key=lambda item: (item[1].api_model_id, item[0][1])))
    changes = compare(before, ordered).changes
    order = {"regression": 0, "recovery": 1, "category": 2, "new": 3}
    return sorted(changes, key=lambda c: order[c.change.value])


def mark_regressed(snapshot: Snapshot, regressed: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Mark the regressed cells of ``snapshot`` (and unmark the others); the cells changed."""
    changed = set()
    for key, cell in snapshot.cells.items():
        flag = key in regressed
        if cell.regressed != flag:
            snapshot.cells[key] = replace(cell, regressed=flag)
            changed.add(key)
    return changed


async def load_job_units(session: Session, job_id: str) -> list[tuple[str, str, CellState]]:
    """A job's units: (model id, region, cell), by model then region."""
    return [
        (unit.api_model_id, unit.region, unit.cell) for unit in await job_units(session, job_id)
    ]


def apply_unit_events(
    snapshot: Snapshot, events: Iterable[UnitStateChanged]
) -> tuple[set[tuple[str, str]], bool]:
    """Apply unit events to ``snapshot`` in order: (cells that changed, whether a region is new).

    Each event replaces its cell (what discovery knows of the region stays); the models touched
    get their regions passed and best rating recounted, as a reload would have shown them.
    """
    changed: set[tuple[str, str]] = set()
    new_region = False
    for event in events:
        key = (event.model_id, event.region)
        old = snapshot.cell(*key)
        status = CertificationStatus(event.status).value
        if status in UNFINISHED:
            # Queued or running: the cell keeps its last verdict's result (as its row does).
            cell = replace(old, status=status, certification_id=event.certification_id)
        else:
            cell = cell_from_unit(
                event.status, passed=event.passed, rating=event.rating, score=event.score,
                error_category=event.error_category, certification_id=event.certification_id,
                offered=old.offered, simulated=event.simulated,
            )  # fmt: skip
            if status != "CANCELLED":
                was = old.passed and old.status != "CANCELLED"
                now = status == "COMPLETED" and bool(event.passed)
                cell = replace(cell, regressed=bool(was) and not now)
            else:
                cell = replace(cell, regressed=old.regressed)
        snapshot.cells[key] = cell
        changed.add(key)
        if event.region not in snapshot.regions:
            bisect.insort(snapshot.regions, event.region)
            new_region = True
    snapshot.summarize({model_id for model_id, _ in changed})
    return changed, new_region


def apply_job_event(
    jobs: list[JobView], event: JobStateChanged | JobProgress, now: datetime | None = None
) -> bool:
    """Bring the job's view up to date with ``event``; False when the job is not in ``jobs``.

    The start and the duration are the job row's; until the next read they are taken from
    when the event was applied (``now``, UTC): a job seen starting has started by then, and a
    job seen ending has run from its start until then.
    """
    now = now or utcnow()
    for index, job in enumerate(jobs):
        if job.job_id == event.job_id:
            started_at, duration_ms = job.started_at, job.duration_ms
            if started_at is None and event.status.value in ("PROCESSING", "PAUSED"):
                started_at = now
            if event.status.is_terminal and duration_ms is None and started_at is not None:
                duration_ms = max(0, int((now - started_at).total_seconds() * 1000))
            # A progress event says whether calls are still finishing; a status change to
            # PAUSED leaves that as the last progress (or the database) said.
            pausing = (
                event.pausing
                if isinstance(event, JobProgress)
                else job.pausing and event.status.value == "PAUSED"
            )
            jobs[index] = replace(
                job, status=event.status.value, total=event.total, processed=event.processed,
                succeeded=event.succeeded, failed=event.failed,
                live=job.live and not event.status.is_terminal, pausing=pausing,
                started_at=started_at, duration_ms=duration_ms,
            )  # fmt: skip
            return True
    return False


def add_job(jobs: list[JobView], job: JobView) -> None:
    """Put a job the list did not have in its place (newest first), or replace it."""
    jobs[:] = [j for j in jobs if j.job_id != job.job_id]
    jobs.append(job)
    jobs.sort(key=lambda j: j.job_id)
    jobs.sort(key=lambda j: j.created_at, reverse=True)


async def load_jobs(session: Session, limit: int = 200) -> list[JobView]:
    """Recent jobs, newest first; one whose holder died on this host is not live."""
    from certtui.engine.leases import holder_is_gone

    return await _load_jobs(session, limit, gone=holder_is_gone)


async def load_job(session: Session, job_id: str) -> JobView | None:
    """One job by its full id (live as ``load_jobs`` says), or None."""
    from certtui.engine.leases import holder_is_gone

    return await _load_job(session, job_id, gone=holder_is_gone)


async def load_workers(session: Session) -> list[WorkerRow] | None:
    """The `certtui worker` processes, the most recently heard from first; None on SQLite."""
    from certtui.store.workers import workers_view

    return await workers_view(session)


async def load_unit_workers(session: Session, job_id: str) -> dict[tuple[str, str], str] | None:
    """The worker that runs (or ran) each unit of a job, by (model id, region); None on SQLite."""
    from certtui.store.workers import unit_workers

    return await unit_workers(session, job_id)
