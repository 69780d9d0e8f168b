"""Writes of model certifications (units); every status write is checked by SPEC §2.3's table.

Each write names its target state and asks ``certification_sources`` which states may move
there: those, and only those, are in its UPDATE's WHERE. Each returns what it changed, as the
events the caller publishes after the commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from certtui.domain.enums import CertificationStatus
from certtui.domain.events import UnitStateChanged
from certtui.domain.transitions import IllegalTransition, certification_sources
from certtui.store.models import AIModel, ModelCertification, new_id
from certtui.store.types import utcnow

C = CertificationStatus
CERTS = ModelCertification.__table__
MODELS = AIModel.__table__
UNFINISHED = frozenset({C.PENDING, C.QUEUED, C.PROCESSING})

# Fields that describe one run's outcome; re-certifying clears them.
RESULT_FIELDS = (
    "passed",
    "score",
    "rating",
    "testResults",
    "errorMessage",
    "errorCategory",
    "startedAt",
    "completedAt",
    "duration",
)


def status_in(states: Iterable[C]) -> sa.ColumnElement[bool]:
    """``status`` is one of ``states``, spelled as equalities so the statement caches once."""
    return sa.or_(*(CERTS.c.status == state for state in sorted(states)))


def _insert(session: AsyncSession, table: sa.Table):  # type: ignore[no-untyped-def]
    """An INSERT that supports ON CONFLICT on both PostgreSQL and SQLite."""
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


async def queue_units(
    session: AsyncSession,
    units: Sequence[tuple[str, str]],
    *,
    job_id: str,
    created_by: str | None = None,
    takeable_jobs: Collection[str] = (),
) -> list[UnitStateChanged]:
    """Claim (model, region) units for a new job: the ones it got, as QUEUED events.

    A cell has at most one live claim, and the database decides it: the upsert only takes a row
    that is finished, or unfinished under no job or under one of ``takeable_jobs`` (jobs the
    caller saw over: an ended job never lives again, so that read cannot go stale). On
    PostgreSQL a row another transaction is claiming is re-read once that one commits, so two
    plans at the same moment never both get a cell; SQLite serialises them. Rows go in one
    order, so two plans lock them in the same order.
    """
    if not units:
        return []
    sources = certification_sources(C.QUEUED) | {C.QUEUED}
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "modelId": model_id,
            "region": region,
            "status": C.QUEUED,
            "jobId": job_id,
            "createdBy": created_by,
            "createdAt": now,
            "updatedAt": now,
        }
        for model_id, region in sorted(set(units))
    ]
    free = sa.or_(
        sa.not_(status_in(UNFINISHED)),
        CERTS.c.jobId.is_(None),
        *([CERTS.c.jobId.in_(sorted(takeable_jobs))] if takeable_jobs else []),
    )
    insert = _insert(session, CERTS)
    statement = insert.on_conflict_do_update(
        index_elements=[CERTS.c.modelId, CERTS.c.region],
        set_={
            "status": insert.excluded.status,
            "jobId": insert.excluded.jobId,
            "createdBy": insert.excluded.createdBy,
            "updatedAt": insert.excluded.updatedAt,
            **{name: sa.null() for name in RESULT_FIELDS},
        },
        where=sa.and_(status_in(sources), free),
    )
    await session.execute(statement, rows)
    return await job_units(session, job_id, (C.QUEUED,))


async def cell_holders(
    session: AsyncSession, units: Collection[tuple[str, str]], job_id: str
) -> dict[str, int]:
    """Which other jobs hold these cells now, with how many of them each."""
    model_ids = sorted({model_id for model_id, _ in units})
    if not model_ids:
        return {}
    rows = await session.execute(
        sa.select(CERTS.c.modelId, CERTS.c.region, CERTS.c.jobId).where(
            CERTS.c.modelId.in_(model_ids), CERTS.c.jobId != job_id, status_in(UNFINISHED)
        )
    )
    wanted = set(units)
    holders: dict[str, int] = {}
    for model_id, region, holder in rows:
        if (model_id, region) in wanted and holder is not None:
            holders[holder] = holders.get(holder, 0) + 1
    return holders


async def job_units(
    session: AsyncSession, job_id: str, statuses: Collection[C]
) -> list[UnitStateChanged]:
    """A job's units in ``statuses``, as the state events they stand for."""
    rows = await session.execute(
        sa.select(CERTS.c.id, CERTS.c.modelId, MODELS.c.apiModelId, CERTS.c.region, CERTS.c.status)
        .join(MODELS, MODELS.c.id == CERTS.c.modelId)
        .where(CERTS.c.jobId == job_id, status_in(statuses))
        .order_by(CERTS.c.region, CERTS.c.id)
    )
    return [
        UnitStateChanged(job_id, cid, model_id, api_id, region, C(status))
        for cid, model_id, api_id, region, status in rows
    ]


async def start_units(
    session: AsyncSession, job_id: str, started: Mapping[str, datetime]
) -> list[str]:
    """QUEUED → PROCESSING for a job's units (id → start time); returns the ids it moved."""
    if not started:
        return []
    sources = certification_sources(C.PROCESSING)
    result = await session.execute(
        CERTS.update()
        .where(CERTS.c.id == sa.bindparam("cid"), CERTS.c.jobId == job_id, status_in(sources))
        .values(status=C.PROCESSING, startedAt=sa.bindparam("at"), updatedAt=utcnow()),
        [{"cid": cid, "at": at} for cid, at in started.items()],
    )
    ids = list(started)
    if session.get_bind().dialect.supports_sane_multi_rowcount and result.rowcount == len(ids):
        return ids
    # Some rows were not QUEUED (or the driver cannot count an executemany): ask.
    moved = set(
        await session.scalars(
            sa.select(CERTS.c.id).where(CERTS.c.id.in_(ids), CERTS.c.status == C.PROCESSING)
        )
    )
    return [cid for cid in ids if cid in moved]


async def finish_unit(
    session: AsyncSession, job_id: str, certification_id: str, status: C, **results: Any
) -> bool:
    """Give an unfinished unit of a job its terminal ``status`` and results; whether it applied.

    ``results`` takes column names: passed, score, rating, testResults, errorCategory,
    errorMessage, startedAt, completedAt, duration. A non-terminal ``status`` raises
    IllegalTransition, as does one no unfinished state may reach.
    """
    status = C(status)
    if not status.is_terminal:
        raise IllegalTransition("certification", "unfinished", str(status))
    sources = certification_sources(status, certification_sources(status) & UNFINISHED)
    applied = await session.execute(
        CERTS.update()
        .where(CERTS.c.id == certification_id, CERTS.c.jobId == job_id, status_in(sources))
        .values(status=status, updatedAt=utcnow(), **results)
    )
    return applied.rowcount == 1


async def cancel_units(session: AsyncSession, job_id: str) -> list[UnitStateChanged]:
    """Make every unfinished unit of a job CANCELLED; returns them."""
    sources = certification_sources(C.CANCELLED, UNFINISHED)
    now = utcnow()
    rows = await session.execute(
        CERTS.update()
        .where(CERTS.c.jobId == job_id, status_in(sources))
        .values(status=C.CANCELLED, passed=False, completedAt=now, updatedAt=now)
        .returning(CERTS.c.id, CERTS.c.modelId, CERTS.c.region)
    )
    return await _events(session, job_id, rows.all(), C.CANCELLED, passed=False)


async def requeue_units(
    session: AsyncSession, job_id: str, certification_ids: Sequence[str] | None = None
) -> list[UnitStateChanged]:
    """Put a job's PROCESSING units (all, or the given ones) back to QUEUED, uncounted."""
    if certification_ids is not None and not certification_ids:
        return []
    sources = certification_sources(C.QUEUED, (C.PROCESSING,))
    statement = CERTS.update().where(CERTS.c.jobId == job_id, status_in(sources))
    if certification_ids is not None:
        statement = statement.where(CERTS.c.id.in_(list(certification_ids)))
    rows = await session.execute(
        statement.values(status=C.QUEUED, updatedAt=utcnow()).returning(
            CERTS.c.id, CERTS.c.modelId, CERTS.c.region
        )
    )
    return await _events(session, job_id, rows.all(), C.QUEUED)


async def _events(
    session: AsyncSession,
    job_id: str,
    rows: Sequence[Any],
    status: C,
    passed: bool | None = None,
) -> list[UnitStateChanged]:
    if not rows:
        return []
    model_ids = {model_id for _, model_id, _ in rows}
    api_ids = dict(
        (
            await session.execute(
                sa.select(MODELS.c.id, MODELS.c.apiModelId).where(MODELS.c.id.in_(model_ids))
            )
        ).all()
    )
    return [
        UnitStateChanged(job_id, cid, model_id, api_ids[model_id], region, status, passed=passed)
        for cid, model_id, region in sorted(rows, key=lambda row: (row[2], row[0]))
    ]
