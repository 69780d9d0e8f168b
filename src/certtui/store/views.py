"""Every read the screens, the command line and the exports make, as plain data.

The view dataclasses here are pure (no SQLAlchemy in them); the functions that fill them are
the only queries the user interfaces run. A job is "live" in one sense everywhere:
``certtui.domain.leases.job_is_live``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from certtui.domain.applicability import not_applicable_reason
from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.joblog import LogEntry
from certtui.domain.leases import HolderGone, job_is_live
from certtui.store import history
from certtui.store.models import (
    AIModel,
    CertificationJob,
    CertificationResult,
    JobLogEntry,
    ModelCertification,
    ModelRegionAvailability,
)
from certtui.store.types import utcnow

READ_ERRORS = (SQLAlchemyError, OSError)  # what a read raises when the database goes away


# Cells and the catalog ------------------------------------------------------------------------


@dataclass(frozen=True)
class CellState:
    """One (model, region) cell of the matrix."""

    status: str | None = None  # a CertificationStatus value; None: never certified
    passed: bool | None = None
    rating: str | None = None
    score: float | None = None
    error_category: str | None = None
    certification_id: str | None = None
    offered: bool | None = None  # None: discovery knows nothing of this region
    regressed: bool = False  # its latest verdict did not pass, the one before did
    simulated: bool = False  # the result came from certtui's Bedrock stand-in


def cell_from_unit(
    status: CertificationStatus | str | None,
    *,
    passed: bool | None = None,
    rating: str | None = None,
    score: float | None = None,
    error_category: str | None = None,
    certification_id: str | None = None,
    offered: bool | None = None,
    simulated: bool = False,
) -> CellState:
    """The cell of a unit in ``status`` with its result fields: the one place cells are made."""
    return CellState(
        status=None if status is None else CertificationStatus(status).value,
        passed=passed, rating=rating, score=score, error_category=error_category,
        certification_id=certification_id, offered=offered, simulated=simulated,
    )  # fmt: skip


@dataclass(frozen=True)
class ModelRow:
    """One model of the catalog with its certification summary."""

    model_id: str
    api_model_id: str
    name: str
    vendor: str
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    streaming: bool
    active: bool
    regions_offered: tuple[str, ...]
    regions_passed: int
    best_rating: str | None
    lifecycle: str | None = None
    end_of_life_at: datetime | None = None

    @property
    def not_applicable_reason(self) -> str | None:
        """Why the chat suite does not apply to this model (domain rule), or None."""
        if not self.input_modalities and not self.output_modalities:
            return None
        return not_applicable_reason(
            self.api_model_id, self.input_modalities or ("TEXT",),
            self.output_modalities or ("TEXT",),
        )  # fmt: skip

    @property
    def applicable(self) -> bool:
        """Whether the chat suite applies."""
        return self.not_applicable_reason is None

    def end_of_life_within(self, days: int, now: datetime | None = None) -> bool:
        """True when the model reaches its end of life within ``days`` (or has reached it)."""
        if self.end_of_life_at is None:
            return False
        return self.end_of_life_at - (now or utcnow()) <= timedelta(days=days)


def counts_as_passed(cell: CellState) -> bool:
    """Whether a cell counts as a region the model passed."""
    return cell.status == CertificationStatus.COMPLETED.value and bool(cell.passed)


def better_rating(best: str | None, rating: str | None) -> str | None:
    """The better of two rating letters (A beats F); None when neither is set."""
    if not rating:
        return best
    return rating if best is None or rating < best else best


@dataclass
class Snapshot:
    """Everything the models and matrix screens show."""

    models: list[ModelRow] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], CellState] = field(default_factory=dict)

    def cell(self, model_id: str, region: str) -> CellState:
        """The cell of (model, region), untested when there is none."""
        return self.cells.get((model_id, region), CellState())

    def summarize(self, model_ids: set[str]) -> None:
        """Recount the regions passed and the best rating of these models from their cells."""
        summaries: dict[str, tuple[int, str | None]] = {}
        for model_id in model_ids:
            passed, best = 0, None
            for region in self.regions:
                cell = self.cells.get((model_id, region))
                if cell is not None:
                    passed += counts_as_passed(cell)
                    best = better_rating(best, cell.rating)
            summaries[model_id] = (passed, best)
        self.models = [
            replace(row, regions_passed=summaries[row.model_id][0],
                    best_rating=summaries[row.model_id][1])
            if row.model_id in summaries
            else row
            for row in self.models
        ]  # fmt: skip


def _as_datetime(value: Any) -> datetime | None:
    # Core reads through SQLite may hand back text for a timestamp column.
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


async def load_snapshot(session: AsyncSession) -> Snapshot:
    """The catalog, the regions seen anywhere, and every certification."""
    # Plain column reads through Core, not ORM objects: this runs on every refresh of a
    # monitor, and reads tens of thousands of rows on a big catalog.
    connection = await session.connection()
    mra = ModelRegionAvailability

    def labelled(*attributes: Any) -> sa.Select[Any]:
        # Core names a result column as the database does ("modelId"): name it as Python does.
        return sa.select(*(a.label(a.key) for a in attributes))

    models = (
        await connection.execute(
            labelled(AIModel.id, AIModel.api_model_id, AIModel.name, AIModel.is_active)
        )
    ).all()
    availability: dict[str, list[Any]] = defaultdict(list)
    for row in await connection.execute(
        labelled(mra.model_id, mra.region, mra.offered, mra.streaming_supported)
    ):
        availability[row.model_id].append(row)
    # What a model is (vendor, modalities) is the same in most regions: read each once.
    kinds: dict[str, list[Any]] = defaultdict(list)
    for row in await connection.execute(
        labelled(
            mra.model_id, mra.provider_name, mra.input_modalities, mra.output_modalities
        ).distinct()
    ):
        kinds[row.model_id].append(row)
    lifecycles: dict[str, tuple[str | None, datetime | None]] = {}
    for row in await connection.execute(
        labelled(mra.model_id, mra.lifecycle_status, mra.end_of_life_at).distinct()
    ):
        status, eol = lifecycles.get(row.model_id, (None, None))
        ends = [when for when in (eol, _as_datetime(row.end_of_life_at)) if when is not None]
        lifecycles[row.model_id] = (status or row.lifecycle_status, min(ends, default=None))
    certs = (
        await connection.execute(
            sa.select(
                ModelCertification.model_id, ModelCertification.region, ModelCertification.status,
                ModelCertification.passed, ModelCertification.rating, ModelCertification.score,
                ModelCertification.error_category, ModelCertification.id,
                # One flag out of the evidence document, not the document itself.
                ModelCertification.test_results["simulated"].as_boolean(),
            )
        )
    ).all()  # fmt: skip
    offered: dict[tuple[str, str], bool] = {}
    regions: set[str] = set()
    for model in models:
        for row in availability[model.id]:
            offered[(model.id, row.region)] = row.offered
            regions.add(row.region)
    discovered = set(regions)
    cells: dict[tuple[str, str], CellState] = {}
    for model_id, region, status, passed, rating, score, category, cert_id, sim in certs:
        regions.add(region)
        cells[(model_id, region)] = cell_from_unit(
            status, passed=passed, rating=rating, score=score, error_category=category,
            certification_id=cert_id, offered=offered.get((model_id, region)),
            simulated=bool(sim),
        )  # fmt: skip
    for (model_id, region), is_offered in offered.items():
        cells.setdefault((model_id, region), CellState(offered=is_offered))
    for model in models:
        for region in discovered:
            cells.setdefault((model.id, region), CellState(offered=False))
    rows = []
    for model in models:
        rows_of_model, kinds_of_model = availability[model.id], kinds[model.id]
        vendor = min((k.provider_name for k in kinds_of_model if k.provider_name), default="")
        inputs = sorted({m for k in kinds_of_model for m in (k.input_modalities or ())})
        outputs = sorted({m for k in kinds_of_model for m in (k.output_modalities or ())})
        rows.append(
            ModelRow(
                model_id=model.id, api_model_id=model.api_model_id, name=model.name,
                vendor=vendor, input_modalities=tuple(inputs), output_modalities=tuple(outputs),
                streaming=any(a.streaming_supported for a in rows_of_model),
                active=model.is_active,
                regions_offered=tuple(sorted(a.region for a in rows_of_model if a.offered)),
                regions_passed=0, best_rating=None,
                lifecycle=lifecycles.get(model.id, (None, None))[0],
                end_of_life_at=lifecycles.get(model.id, (None, None))[1],
            )
        )  # fmt: skip
    rows.sort(key=lambda r: (r.vendor.lower(), r.api_model_id))
    snapshot = Snapshot(rows, sorted(regions), cells)
    snapshot.summarize({row.model_id for row in rows})
    return snapshot


# Jobs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """One job as the jobs screen and ``certtui jobs`` show it."""

    job_id: str
    type: str
    status: str
    total: int
    processed: int
    succeeded: int
    failed: int
    regions: tuple[str, ...]
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    live: bool  # a process holds it now (``job_is_live``)
    duration_ms: int | None = None
    pausing: bool = False  # PAUSED, units still PROCESSING (domain.job_display)


def _job_view(
    job: CertificationJob,
    gone: HolderGone | None = None,
    pausing: frozenset[str] = frozenset(),
) -> JobView:
    return JobView(
        job_id=job.id, type=job.type.value, status=job.status.value, total=job.total_models,
        processed=job.processed_models, succeeded=job.success_count,
        failed=job.failure_count, regions=tuple(job.regions or ()),
        created_by=job.created_by, created_at=job.created_at, started_at=job.started_at,
        live=job_is_live(job.status, job.config, gone=gone), duration_ms=job.duration,
        pausing=job.id in pausing,
    )  # fmt: skip


async def _pausing(session: AsyncSession, jobs: Sequence[CertificationJob]) -> frozenset[str]:
    """The PAUSED jobs among ``jobs`` that still have units PROCESSING (they read PAUSING)."""
    paused = [job.id for job in jobs if job.status is JobStatus.PAUSED]
    if not paused:
        return frozenset()
    rows = await session.scalars(
        sa.select(ModelCertification.job_id)
        .where(
            ModelCertification.job_id.in_(paused),
            ModelCertification.status == CertificationStatus.PROCESSING,
        )
        .distinct()
    )
    return frozenset(rows)


async def load_jobs(
    session: AsyncSession, limit: int = 200, *, gone: HolderGone | None = None
) -> list[JobView]:
    """Recent jobs, newest first.

    ``gone`` tells whether a lease's holder is dead (the engine's ``holder_is_gone`` looks at
    this host's processes): a job whose holder died is not live, however fresh its lease.
    """
    rows = await session.scalars(
        sa.select(CertificationJob)
        .order_by(CertificationJob.created_at.desc(), CertificationJob.id)
        .limit(limit)
    )
    jobs = list(rows)
    pausing = await _pausing(session, jobs)
    return [_job_view(job, gone, pausing) for job in jobs]


async def load_job(
    session: AsyncSession, job_id: str, *, gone: HolderGone | None = None
) -> JobView | None:
    """One job by its full id, or None."""
    job = await session.get(CertificationJob, job_id)
    return None if job is None else _job_view(job, gone, await _pausing(session, [job]))


async def job_exists(session: AsyncSession, job_id: str) -> bool:
    """True when a certification job with this id exists."""
    found = await session.scalar(
        sa.select(CertificationJob.id).where(CertificationJob.id == job_id)
    )
    return found is not None


async def job_config(session: AsyncSession, job_id: str) -> dict[str, Any]:
    """A job's ``config`` document (empty when the job or its config is missing)."""
    config = await session.scalar(
        sa.select(CertificationJob.config).where(CertificationJob.id == job_id)
    )
    return dict(config or {})


async def load_job_log(session: AsyncSession, job_id: str, limit: int = 2000) -> list[LogEntry]:
    """A job's log (retries, throttles, warnings), oldest first; the newest ``limit`` lines."""
    newest = (
        sa.select(JobLogEntry)
        .where(JobLogEntry.job_id == job_id)
        .order_by(JobLogEntry.at.desc(), JobLogEntry.id.desc())  # ids: store.joblog.line_id
        .limit(limit)
    )
    rows = list(await session.scalars(newest))
    return [
        LogEntry(row.at, row.level, row.kind, row.message, row.api_model_id, row.region)
        for row in reversed(rows)
    ]


@dataclass(frozen=True)
class JobUnit:
    """One unit of a job, as ``certtui run`` / ``jobs show`` and the units screen show it."""

    certification_id: str
    api_model_id: str
    region: str
    status: str
    passed: bool | None
    score: float | None
    rating: str | None
    error_category: str | None
    error_message: str | None
    duration_ms: int | None
    simulated: bool = False

    @property
    def cell(self) -> CellState:
        """The unit as a matrix cell (a unit of a job was offered where it ran)."""
        return cell_from_unit(
            self.status, passed=self.passed, rating=self.rating, score=self.score,
            error_category=self.error_category, certification_id=self.certification_id,
            offered=True, simulated=self.simulated,
        )  # fmt: skip


UNFINISHED = (
    CertificationStatus.PENDING, CertificationStatus.QUEUED, CertificationStatus.PROCESSING
)  # fmt: skip


def _simulated(kind: str, row: Any) -> bool:
    """Whether a history row ("result") or a cell row's result came from the stand-in."""
    if kind == "result":
        return bool(row.simulated)
    return isinstance(row.test_results, dict) and row.test_results.get("simulated") is True


async def _job_rows(session: AsyncSession, job_id: str, *columns: Any) -> list[tuple[Any, ...]]:
    """A job's units as (kind, row, api model id, name, vendor): "result" rows, then "cell" rows.

    A job's finished units are its history rows; its unfinished units are the cells it holds
    now. A finished cell row of the job without a history row (written before there was a
    history) stands for its unit too.
    """
    results, certs, mra = CertificationResult, ModelCertification, ModelRegionAvailability

    def joined(entity: Any) -> sa.Select[Any]:
        return (
            sa.select(entity, AIModel.api_model_id, AIModel.name, mra.provider_name)
            .join(AIModel, AIModel.id == entity.model_id)
            .outerjoin(mra, sa.and_(mra.model_id == entity.model_id, mra.region == entity.region))
        )

    finished = (await session.execute(joined(results).where(results.job_id == job_id))).all()
    seen = {(row[0].model_id, row[0].region) for row in finished}
    cells = (await session.execute(joined(certs).where(certs.job_id == job_id))).all()
    rows: list[tuple[Any, ...]] = [("result", *row) for row in finished]
    rows += [("cell", *row) for row in cells if (row[0].model_id, row[0].region) not in seen]
    return rows


async def job_units(session: AsyncSession, job_id: str) -> list[JobUnit]:
    """A job's units, by model id then region: its history rows and its unfinished units.

    An unfinished unit's row still holds the cell's last verdict: that is not this job's
    result, so the unit shows only its state.
    """
    units = []
    for kind, row, api_id, _name, _vendor in await _job_rows(session, job_id):
        status = CertificationStatus(row.status)
        mine = kind == "result" or status not in UNFINISHED
        units.append(
            JobUnit(
                certification_id=row.id, api_model_id=api_id, region=row.region,
                status=status.value, passed=row.passed if mine else None,
                score=row.score if mine else None, rating=row.rating if mine else None,
                error_category=row.error_category if mine else None,
                error_message=row.error_message if mine else None,
                duration_ms=row.duration if mine else None,
                simulated=mine and _simulated(kind, row),
            )
        )  # fmt: skip
    units.sort(key=lambda unit: (unit.api_model_id, unit.region))
    return units


# One certification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailView:
    """A certification with its model, for the result detail screen."""

    certification_id: str
    model_id: str
    api_model_id: str
    model_name: str
    region: str
    status: str
    passed: bool | None
    score: float | None
    rating: str | None
    error_category: str | None
    error_message: str | None
    duration_ms: int | None
    started_at: datetime | None
    completed_at: datetime | None
    created_by: str | None
    job_id: str | None
    test_results: dict[str, Any] | None


async def load_detail(session: AsyncSession, certification_id: str) -> DetailView | None:
    """One certification (a cell's row, or one verdict of the history) with its model."""
    cert: Any = await session.scalar(
        sa.select(ModelCertification)
        .where(ModelCertification.id == certification_id)
        .options(selectinload(ModelCertification.model))
    )
    if cert is None:
        cert = await session.scalar(
            sa.select(CertificationResult).where(CertificationResult.id == certification_id)
        )
        if cert is None:
            return None
        model = await session.get(AIModel, cert.model_id)
    else:
        model = cert.model
    return DetailView(
        certification_id=cert.id, model_id=cert.model_id, api_model_id=model.api_model_id,
        model_name=model.name, region=cert.region, status=CertificationStatus(cert.status).value,
        passed=cert.passed, score=cert.score, rating=cert.rating,
        error_category=cert.error_category, error_message=cert.error_message,
        duration_ms=cert.duration, started_at=cert.started_at, completed_at=cert.completed_at,
        created_by=cert.created_by, job_id=cert.job_id, test_results=cert.test_results,
    )  # fmt: skip


# Exports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificationRecord:
    """A certification joined with its model and the vendor discovery found, for the exports."""

    api_model_id: str
    model_name: str
    vendor: str | None
    region: str
    status: CertificationStatus
    passed: bool | None
    score: float | None
    rating: str | None
    error_category: str | None
    error_message: str | None
    test_results: Any
    duration_ms: int | None
    completed_at: datetime | None
    created_by: str | None
    job_id: str | None


async def load_certifications(
    session: AsyncSession,
    regions: Sequence[str] | None = None,
    job_id: str | None = None,
) -> list[CertificationRecord]:
    """The certifications (optionally of some regions), by model id then region.

    Each cell shows its last verdict: a cell a job holds now (queued or running) is exported
    as its latest verdict in the history, if it has one. With ``job_id``: that job's units
    (its history rows, and the cells it holds now), whatever later jobs did to the cells.
    """
    if job_id is not None:
        rows = [(row, api, name, vendor) for _, row, api, name, vendor
                in await _job_rows(session, job_id)]  # fmt: skip
    else:
        availability = ModelRegionAvailability
        query = (
            sa.select(
                ModelCertification,
                AIModel.api_model_id,
                AIModel.name,
                availability.provider_name,
            )
            .join(AIModel, AIModel.id == ModelCertification.model_id)
            .outerjoin(
                availability,
                sa.and_(
                    availability.model_id == ModelCertification.model_id,
                    availability.region == ModelCertification.region,
                ),
            )
        )
        rows = list((await session.execute(query)).all())
        held = {(cert.model_id, cert.region) for cert, *_ in rows if cert.status in UNFINISHED}
        verdicts = await history.latest_verdicts(session, held)
        rows = [(_as_verdict(cert, verdicts), *rest) for cert, *rest in rows]
    if regions:
        wanted = set(regions)
        rows = [row for row in rows if row[0].region in wanted]
    keyed = [
        (
            (api_model_id, cert.region, cert.model_id),
            CertificationRecord(
                api_model_id=api_model_id, model_name=name, vendor=vendor, region=cert.region,
                status=CertificationStatus(cert.status), passed=cert.passed, score=cert.score,
                rating=cert.rating, error_category=cert.error_category,
                error_message=cert.error_message, test_results=cert.test_results,
                duration_ms=cert.duration, completed_at=cert.completed_at,
                created_by=cert.created_by, job_id=cert.job_id,
            ),
        )
        for cert, api_model_id, name, vendor in rows
    ]  # fmt: skip
    # Sorted here, not in SQL: PostgreSQL's locale collation and SQLite's byte order disagree.
    keyed.sort(key=lambda pair: pair[0])
    return [record for _, record in keyed]


@dataclass(frozen=True)
class _Shown:
    """A cell's last verdict in the shape of a row (the attributes the exports read)."""

    model_id: str
    region: str
    status: CertificationStatus
    passed: bool | None
    score: float | None
    rating: str | None
    error_category: str | None
    error_message: str | None
    test_results: Any
    duration: int | None
    completed_at: datetime | None
    created_by: str | None
    job_id: str | None


def _as_verdict(cert: ModelCertification, verdicts: dict[tuple[str, str], Any]) -> Any:
    verdict = verdicts.get((cert.model_id, cert.region))
    if verdict is None:
        return cert
    return _Shown(
        model_id=cert.model_id, region=cert.region, status=CertificationStatus(verdict["status"]),
        passed=verdict["passed"], score=verdict["score"], rating=verdict["rating"],
        error_category=verdict["errorCategory"], error_message=verdict["errorMessage"],
        test_results=verdict["testResults"], duration=verdict["duration"],
        completed_at=verdict["completedAt"], created_by=verdict["createdBy"],
        job_id=verdict["jobId"],
    )  # fmt: skip
