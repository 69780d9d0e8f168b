"""Writes of model certifications (units); every status write is checked by SPEC §2.3's table.

Each write names its target state and asks ``certification_sources`` which states may move
there: those, and only those, are in its UPDATE's WHERE. Each returns what it changed, as the
events the caller publishes after the commit.

The row of a cell keeps its last verdict (the result fields of its latest COMPLETED or FAILED
unit) while a new unit is queued and running: only ``status``, ``jobId`` and ``startedAt`` say
that a job holds the cell. A unit that finishes appends its history row (``store.history``) in
the same transaction; a cancelled unit is history, and its row shows the last verdict again.
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
from certtui.store import history
from certtui.store.models import AIModel, ModelCertification, new_id
from certtui.store.notify import note_units
from certtui.store.types import utcnow

C = CertificationStatus
CERTS = ModelCertification.__table__
MODELS = AIModel.__table__
UNFINISHED = frozenset({C.PENDING, C.QUEUED, C.PROCESSING})

# Fields that describe one run's outcome: they keep the last verdict until the next one.
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
    The row's result fields keep its last verdict until the new unit finishes.
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
        },
        where=sa.and_(status_in(sources), free),
    )
    await session.execute(statement, rows)
    queued = await job_units(session, job_id, (C.QUEUED,))
    note_units(session, (event.certification_id for event in queued))
    return queued


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
        note_units(session, ids)
        return ids
    # Some rows were not QUEUED (or the driver cannot count an executemany): ask.
    moved = set(
        await session.scalars(
            sa.select(CERTS.c.id).where(CERTS.c.id.in_(ids), CERTS.c.status == C.PROCESSING)
        )
    )
    note_units(session, moved)
    return [cid for cid in ids if cid in moved]


async def finish_unit(
    session: AsyncSession, job_id: str, certification_id: str, status: C, **results: Any
) -> bool:
    """Give an unfinished unit of a job its terminal ``status`` and results; whether it applied.

    ``results`` takes column names: passed, score, rating, testResults, errorCategory,
    errorMessage, startedAt, completedAt, duration (those not given become null). The unit's
    history row is appended in the same transaction. A non-terminal ``status`` raises
    IllegalTransition, as does one no unfinished state may reach.
    """
    status = C(status)
    if not status.is_terminal:
        raise IllegalTransition("certification", "unfinished", str(status))
    sources = certification_sources(status, certification_sources(status) & UNFINISHED)
    values = {name: results.get(name) for name in RESULT_FIELDS}
    row = (
        await session.execute(
            CERTS.update()
            .where(CERTS.c.id == certification_id, CERTS.c.jobId == job_id, status_in(sources))
            .values(status=status, updatedAt=utcnow(), **values)
            .returning(CERTS.c.modelId, CERTS.c.region, CERTS.c.createdBy)
        )
    ).first()
    if row is None:
        return False
    note_units(session, (certification_id,))
    model_id, region, created_by = row
    await history.append(
        session,
        [
            history.history_row(
                {**values, "modelId": model_id, "region": region, "jobId": job_id,
                 "status": status, "createdBy": created_by}
            )
        ],
    )  # fmt: skip
    if status is C.CANCELLED:
        await _show_last_verdicts(session, job_id, [(certification_id, model_id, region)])
    return True


async def cancel_units(session: AsyncSession, job_id: str) -> list[UnitStateChanged]:
    """Make every unfinished unit of a job CANCELLED; returns them.

    Each cancelled unit is appended to the history; a cell with an earlier verdict shows it
    again, and the events for those cells (their verdict's status) follow the CANCELLED ones.
    """
    sources = certification_sources(C.CANCELLED, UNFINISHED)
    now = utcnow()
    rows = (
        await session.execute(
            CERTS.update()
            .where(CERTS.c.jobId == job_id, status_in(sources))
            .values(status=C.CANCELLED, passed=False, completedAt=now, updatedAt=now)
            .returning(
                CERTS.c.id, CERTS.c.modelId, CERTS.c.region, CERTS.c.createdBy,
                CERTS.c.startedAt,
            )
        )
    ).all()  # fmt: skip
    await history.append(
        session,
        [
            history.history_row(
                {"modelId": model_id, "region": region, "jobId": job_id, "status": C.CANCELLED,
                 "passed": False, "startedAt": started_at, "completedAt": now,
                 "createdBy": created_by},
                now=now,
            )
            for _, model_id, region, created_by, started_at in rows
        ],
    )  # fmt: skip
    units = [(cid, model_id, region) for cid, model_id, region, _, _ in rows]
    note_units(session, (cid for cid, _, _ in units))
    cancelled = await _events(session, job_id, units, C.CANCELLED, passed=False)
    return cancelled + await _show_last_verdicts(session, job_id, units)


async def _show_last_verdicts(
    session: AsyncSession, job_id: str, units: Sequence[tuple[str, str, str]]
) -> list[UnitStateChanged]:
    """Put each cancelled unit's cell back to its latest verdict, where it has one.

    Not a transition of the unit (its CANCELLED is in the history): the row goes back to
    showing what the cell last was. Returns the cells' state events, as of the verdicts.
    """
    verdicts = await history.latest_verdicts(session, {(m, r) for _, m, r in units})
    shown = [(cid, verdicts[(m, r)]) for cid, m, r in units if (m, r) in verdicts]
    if not shown:
        return []
    await session.execute(
        CERTS.update()
        .where(
            CERTS.c.id == sa.bindparam("cid"),
            CERTS.c.jobId == job_id,
            CERTS.c.status == C.CANCELLED,
        )
        .values(
            updatedAt=utcnow(),
            **{name: sa.bindparam(f"v_{name}") for name in history.VERDICT_FIELDS},
        ),
        [
            {"cid": cid, **{f"v_{name}": verdict[name] for name in history.VERDICT_FIELDS}}
            for cid, verdict in shown
        ],
    )
    api_ids = await _api_ids(session, {verdict["modelId"] for _, verdict in shown})
    return [
        UnitStateChanged(
            job_id, cid, verdict["modelId"], api_ids[verdict["modelId"]], verdict["region"],
            C(verdict["status"]), passed=verdict["passed"], score=verdict["score"],
            rating=verdict["rating"], error_category=verdict["errorCategory"],
            error_message=verdict["errorMessage"],
        )
        for cid, verdict in shown
    ]  # fmt: skip


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
    requeued = rows.all()
    note_units(session, (cid for cid, _, _ in requeued))
    return await _events(session, job_id, requeued, C.QUEUED)


async def _api_ids(session: AsyncSession, model_ids: Collection[str]) -> dict[str, str]:
    rows = await session.execute(
        sa.select(MODELS.c.id, MODELS.c.apiModelId).where(MODELS.c.id.in_(list(model_ids)))
    )
    return dict(rows.all())


async def _events(
    session: AsyncSession,
    job_id: str,
    rows: Sequence[Any],
    status: C,
    passed: bool | None = None,
) -> list[UnitStateChanged]:
    if not rows:
        return []
    api_ids = await _api_ids(session, {model_id for _, model_id, _ in rows})
    return [
        UnitStateChanged(job_id, cid, model_id, api_ids[model_id], region, status, passed=passed)
        for cid, model_id, region in sorted(rows, key=lambda row: (row[2], row[0]))
    ]
