"""The history of verdicts (``certification_results``): appends, reads, retention and imports.

Every finished unit appends one row here in the transaction that finishes it; the row is never
changed afterwards. ``model_certifications`` shows the latest verdict of each cell (a
COMPLETED or FAILED row of the history); a cancelled unit is history too, but not a verdict.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certtui.domain.enums import TERMINAL_JOB_STATUSES, CertificationStatus, JobStatus
from certtui.store.models import (
    AIModel,
    CertificationJob,
    CertificationResult,
    ModelCertification,
    new_id,
)
from certtui.store.types import utcnow

C = CertificationStatus
HISTORY = CertificationResult.__table__
CERTS = ModelCertification.__table__
MODELS = AIModel.__table__
JOBS = CertificationJob.__table__
VERDICTS = (C.COMPLETED, C.FAILED)  # a cancelled unit says nothing about the model
TERMINAL = (C.COMPLETED, C.FAILED, C.CANCELLED)

# The columns a history row shares with ``model_certifications``.
SHARED = (
    "modelId", "region", "jobId", "status", "passed", "score", "rating", "errorCategory",
    "errorMessage", "testResults", "startedAt", "completedAt", "duration", "createdBy",
)  # fmt: skip
# What a verdict puts on the ``model_certifications`` row of its cell.
VERDICT_FIELDS = (
    "status", "jobId", "passed", "score", "rating", "testResults", "errorMessage",
    "errorCategory", "startedAt", "completedAt", "duration", "createdBy",
)  # fmt: skip


def history_row(values: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """A complete history row from column values (those of SHARED; the rest derived)."""
    results = values.get("testResults")
    document = results if isinstance(results, dict) else {}
    invoke_id = document.get("invokeId")
    row = {name: values.get(name) for name in SHARED}
    row["status"] = C(row["status"])
    return {
        **row,
        "id": values.get("id") or new_id(),
        "invokeId": invoke_id if isinstance(invoke_id, str) else None,
        "simulated": bool(document.get("simulated", False)),
        "createdAt": now or utcnow(),
    }


async def append(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append finished units to the history (rows as ``history_row`` makes them)."""
    if rows:
        await session.execute(HISTORY.insert(), [dict(row) for row in rows])


def _ranked(statuses: Collection[C], model_ids: Collection[str] | None = None) -> sa.Subquery:
    """History rows in ``statuses`` numbered per cell, newest first (``rank`` 1 is the latest)."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(HISTORY.c.modelId, HISTORY.c.region),
            order_by=(
                HISTORY.c.completedAt.desc().nulls_last(),
                HISTORY.c.createdAt.desc(),
                HISTORY.c.id.desc(),
            ),
        )
        .label("rank")
    )
    query = sa.select(HISTORY, rank).where(HISTORY.c.status.in_(list(statuses)))
    if model_ids is not None:
        query = query.where(HISTORY.c.modelId.in_(list(model_ids)))
    return query.subquery("ranked")


async def latest_verdicts(
    session: AsyncSession, cells: Collection[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The latest verdict (COMPLETED or FAILED history row) of each of ``cells`` that has one."""
    if not cells:
        return {}
    ranked = _ranked(VERDICTS, {model_id for model_id, _ in cells})
    rows = (await session.execute(sa.select(ranked).where(ranked.c.rank == 1))).mappings()
    wanted = set(cells)
    return {
        (row["modelId"], row["region"]): dict(row)
        for row in rows
        if (row["modelId"], row["region"]) in wanted
    }


# Reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One history row, without its evidence."""

    result_id: str
    model_id: str
    api_model_id: str
    region: str
    job_id: str | None
    status: str
    passed: bool | None
    score: float | None
    rating: str | None
    error_category: str | None
    duration_ms: int | None
    completed_at: datetime | None
    created_by: str | None
    simulated: bool


def _verdict_columns() -> tuple[Any, ...]:
    return (
        HISTORY.c.id, HISTORY.c.modelId, MODELS.c.apiModelId, HISTORY.c.region, HISTORY.c.jobId,
        HISTORY.c.status, HISTORY.c.passed, HISTORY.c.score, HISTORY.c.rating,
        HISTORY.c.errorCategory, HISTORY.c.duration, HISTORY.c.completedAt,
        HISTORY.c.createdBy, HISTORY.c.simulated,
    )  # fmt: skip


def _verdict(row: Sequence[Any]) -> Verdict:
    values = list(row)
    values[5] = C(values[5]).value
    return Verdict(*values)


async def cell_history(
    session: AsyncSession, model_id: str, region: str, limit: int = 200
) -> list[Verdict]:
    """A cell's history, newest first (read on demand: only the detail screen asks)."""
    rows = await session.execute(
        sa.select(*_verdict_columns())
        .join(MODELS, MODELS.c.id == HISTORY.c.modelId)
        .where(HISTORY.c.modelId == model_id, HISTORY.c.region == region)
        .order_by(
            HISTORY.c.completedAt.desc().nulls_last(), HISTORY.c.createdAt.desc(), HISTORY.c.id
        )
        .limit(limit)
    )
    return [_verdict(row) for row in rows]


async def job_history(session: AsyncSession, job_id: str) -> list[Verdict]:
    """The finished units of a job, as the history holds them."""
    rows = await session.execute(
        sa.select(*_verdict_columns())
        .join(MODELS, MODELS.c.id == HISTORY.c.modelId)
        .where(HISTORY.c.jobId == job_id)
    )
    return sorted((_verdict(row) for row in rows), key=lambda v: (v.api_model_id, v.region))


async def last_two_verdicts(
    session: AsyncSession, regions: Sequence[str] | None = None
) -> dict[tuple[str, str], list[Verdict]]:
    """The latest two verdicts of every cell (newest first), for "what changed"."""
    ranked = _ranked(VERDICTS)
    query = (
        sa.select(
            ranked.c.id,
            ranked.c.modelId,
            MODELS.c.apiModelId,
            ranked.c.region,
            ranked.c.jobId,
            ranked.c.status,
            ranked.c.passed,
            ranked.c.score,
            ranked.c.rating,
            ranked.c.errorCategory,
            ranked.c.duration,
            ranked.c.completedAt,
            ranked.c.createdBy,
            ranked.c.simulated,
        )
        .join(MODELS, MODELS.c.id == ranked.c.modelId)
        .where(ranked.c.rank <= 2)
    )
    if regions:
        query = query.where(ranked.c.region.in_(list(regions)))
    cells: dict[tuple[str, str], list[Verdict]] = {}
    for row in await session.execute(query.order_by(ranked.c.rank)):
        verdict = _verdict(row)
        cells.setdefault((verdict.model_id, verdict.region), []).append(verdict)
    return cells


@dataclass(frozen=True)
class FinishedJob:
    """A job that ended, with the cells it gave a verdict on."""

    job_id: str
    status: str
    created_at: datetime
    completed_at: datetime | None


async def completed_jobs(session: AsyncSession, limit: int = 50) -> list[FinishedJob]:
    """Jobs that COMPLETED, newest first."""
    rows = await session.execute(
        sa.select(JOBS.c.id, JOBS.c.status, JOBS.c.createdAt, JOBS.c.completedAt)
        .where(JOBS.c.status == JobStatus.COMPLETED)
        .order_by(JOBS.c.createdAt.desc(), JOBS.c.id.desc())
        .limit(limit)
    )
    return [FinishedJob(job_id, str(getattr(s, "value", s)), c, d) for job_id, s, c, d in rows]


async def result_evidence(session: AsyncSession, result_id: str) -> dict[str, Any] | None:
    """One history row with its evidence, as column name → value, or None."""
    row = (
        (
            await session.execute(
                sa.select(HISTORY, MODELS.c.apiModelId, MODELS.c.name)
                .join(MODELS, MODELS.c.id == HISTORY.c.modelId)
                .where(HISTORY.c.id == result_id)
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


async def count_history(session: AsyncSession) -> int:
    """How many rows the history holds."""
    return await session.scalar(sa.select(sa.func.count()).select_from(HISTORY)) or 0


def model_ids_of(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """The model ids of some rows."""
    return {row["modelId"] for row in rows}


async def job_verdicts(session: AsyncSession, job_id: str) -> dict[tuple[str, str], Verdict]:
    """A job's verdicts (its COMPLETED and FAILED units), by (model id, region)."""
    return {
        (v.model_id, v.region): v
        for v in await job_history(session, job_id)
        if v.status in (C.COMPLETED.value, C.FAILED.value)
    }


async def job_cells(
    session: AsyncSession, job_ids: Collection[str]
) -> dict[str, set[tuple[str, str]]]:
    """The cells each of some jobs gave a verdict on."""
    rows = await session.execute(
        sa.select(HISTORY.c.jobId, HISTORY.c.modelId, HISTORY.c.region).where(
            HISTORY.c.jobId.in_(list(job_ids)), HISTORY.c.status.in_(list(VERDICTS))
        )
    )
    cells: dict[str, set[tuple[str, str]]] = {job_id: set() for job_id in job_ids}
    for job_id, model_id, region in rows:
        cells[job_id].add((model_id, region))
    return cells


# Legacy import (SPEC §8.6) -------------------------------------------------------------------

LEGACY_COLUMNS = (
    "id", "modelId", "vendor", "status", "certifiedAt", "certifiedBy", "lastTestedAt",
    "testsPassed", "testsFailed", "successRate", "avgLatencyMs", "lastError", "errorCategory",
    "rating", "badge", "updatedAt",
)  # fmt: skip
CHUNK = 500  # ids per IN list: well under SQLite's bound-parameter limit


@dataclass
class LegacyPlan:
    """What a legacy import does in one region, decided before anything is written."""

    region: str
    rows: int = 0
    to_history: list[Any] = field(default_factory=list)  # LegacyVerdicts not imported yet
    already: int = 0
    cells_new: list[Any] = field(default_factory=list)
    cells_updated: list[Any] = field(default_factory=list)
    cells_kept: int = 0
    cells_held: int = 0
    unmappable: list[Any] = field(default_factory=list)

    @property
    def changes(self) -> int:
        """How many rows the import writes."""
        return len(self.to_history) + len(self.cells_new) + len(self.cells_updated)


async def plan_legacy_import(session: AsyncSession, region: str) -> LegacyPlan:
    """Map every legacy row to a verdict in ``region`` and decide what to write (reads only)."""
    from certtui.domain.legacy import LegacyVerdict, map_legacy
    from certtui.store.models import ModelCertificationLegacy

    legacy = ModelCertificationLegacy.__table__
    rows = (
        await session.execute(
            sa.select(*(legacy.c[name] for name in LEGACY_COLUMNS)).order_by(legacy.c.id)
        )
    ).mappings()
    known = set(await session.scalars(sa.select(MODELS.c.id)))
    plan = LegacyPlan(region)
    verdicts: list[LegacyVerdict] = []
    for row in rows:
        plan.rows += 1
        mapped = map_legacy(dict(row), region, known)
        if isinstance(mapped, LegacyVerdict):
            verdicts.append(mapped)
        else:
            plan.unmappable.append(mapped)
    ids = [v.result_id for v in verdicts]
    present: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        present |= set(
            await session.scalars(
                sa.select(HISTORY.c.id).where(HISTORY.c.id.in_(ids[start : start + CHUNK]))
            )
        )
    cells = {
        model_id: (status, completed_at)
        for model_id, status, completed_at in await session.execute(
            sa.select(CERTS.c.modelId, CERTS.c.status, CERTS.c.completedAt).where(
                CERTS.c.region == region
            )
        )
    }
    for verdict in verdicts:
        if verdict.result_id in present:
            plan.already += 1
        else:
            plan.to_history.append(verdict)
        cell = cells.get(verdict.model_id)
        if cell is None:
            plan.cells_new.append(verdict)
            cells[verdict.model_id] = (C.COMPLETED, verdict.completed_at)
        elif C(cell[0]) not in TERMINAL:
            plan.cells_held += 1  # a job holds the cell: its unit decides
        elif cell[1] is None or (verdict.completed_at and cell[1] < verdict.completed_at):
            plan.cells_updated.append(verdict)
            cells[verdict.model_id] = (C.COMPLETED, verdict.completed_at)
        else:
            plan.cells_kept += 1
    return plan


async def apply_legacy_import(session: AsyncSession, plan: LegacyPlan) -> None:
    """Write what ``plan_legacy_import`` decided, in the caller's transaction."""
    now = utcnow()

    def verdict_values(v: Any) -> dict[str, Any]:
        return {
            "modelId": v.model_id, "region": v.region, "jobId": None, "status": C.COMPLETED,
            "passed": v.passed, "score": v.score, "rating": v.rating,
            "errorCategory": v.error_category, "errorMessage": v.error_message,
            "testResults": v.test_results, "startedAt": None, "completedAt": v.completed_at,
            "duration": None, "createdBy": v.created_by,
        }  # fmt: skip

    await append(
        session,
        [history_row({**verdict_values(v), "id": v.result_id}, now=now) for v in plan.to_history],
    )
    if plan.cells_new:
        await session.execute(
            CERTS.insert(),
            [
                {**verdict_values(v), "id": new_id(), "createdAt": now, "updatedAt": now}
                for v in plan.cells_new
            ],
        )
    if plan.cells_updated:
        fields = VERDICT_FIELDS
        await session.execute(
            CERTS.update()
            .where(
                CERTS.c.modelId == sa.bindparam("m"),
                CERTS.c.region == plan.region,
                sa.or_(*(CERTS.c.status == s for s in TERMINAL)),
            )
            .values(updatedAt=now, **{name: sa.bindparam(f"v_{name}") for name in fields}),
            [
                {"m": v.model_id, **{f"v_{k}": val for k, val in verdict_values(v).items()
                                     if k in fields}}
                for v in plan.cells_updated
            ],
        )  # fmt: skip


# Retention -----------------------------------------------------------------------------------


async def prune(
    session: AsyncSession, older_than: datetime, keep_last: int = 0, *, dry_run: bool = False
) -> int:
    """Delete history rows finished before ``older_than``; how many (would) go.

    Never deleted: each cell's latest verdict (what its ``model_certifications`` row shows),
    the ``keep_last`` newest rows of each cell, and the rows of a job that is not over.
    """
    when = sa.func.coalesce(HISTORY.c.completedAt, HISTORY.c.createdAt)
    order = (when.desc(), HISTORY.c.createdAt.desc(), HISTORY.c.id.desc())
    is_verdict = HISTORY.c.status.in_(list(VERDICTS))
    ranked = sa.select(
        HISTORY.c.id,
        HISTORY.c.jobId,
        when.label("finished"),
        is_verdict.label("verdict"),
        sa.func.row_number()
        .over(partition_by=(HISTORY.c.modelId, HISTORY.c.region), order_by=order)
        .label("newest"),
        sa.func.row_number()
        .over(partition_by=(HISTORY.c.modelId, HISTORY.c.region, is_verdict), order_by=order)
        .label("newest_of_kind"),
    ).subquery("ranked")
    live_jobs = sa.select(JOBS.c.id).where(JOBS.c.status.not_in(sorted(TERMINAL_JOB_STATUSES)))
    doomed = sa.select(ranked.c.id).where(
        ranked.c.finished < older_than,
        ranked.c.newest > keep_last,
        sa.not_(sa.and_(ranked.c.verdict, ranked.c.newest_of_kind == 1)),
        sa.or_(ranked.c.jobId.is_(None), ranked.c.jobId.not_in(live_jobs)),
    )
    if dry_run:
        return await session.scalar(sa.select(sa.func.count()).select_from(doomed.subquery())) or 0
    result = await session.execute(HISTORY.delete().where(HISTORY.c.id.in_(doomed)))
    return result.rowcount


async def regressed_cells(session: AsyncSession) -> set[tuple[str, str]]:
    """Cells whose latest verdict did not pass where the one before it did."""
    ranked = _ranked(VERDICTS)
    rows = await session.execute(
        sa.select(ranked.c.modelId, ranked.c.region, ranked.c.rank, ranked.c.status,
                  ranked.c.passed).where(ranked.c.rank <= 2)
    )  # fmt: skip
    latest: dict[tuple[str, str], bool] = {}
    before: dict[tuple[str, str], bool] = {}
    for model_id, region, rank, status, passed in rows:
        ok = C(status) is C.COMPLETED and bool(passed)
        (latest if rank == 1 else before)[(model_id, region)] = ok
    return {cell for cell, ok in latest.items() if not ok and before.get(cell, False)}
