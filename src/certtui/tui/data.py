"""What the screens show, read from the store as plain data (no Textual here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.engine.leases import lease_is_fresh
from certtui.store.models import (
    AIModel,
    CertificationJob,
    ModelCertification,
    ModelRegionAvailability,
)

RATING_ORDER = "ABCDF"
READ_ERRORS = (SQLAlchemyError, OSError)  # what a read raises when the database goes away


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

    @property
    def applicable(self) -> bool:
        """Whether the chat suite applies (the model answers in text)."""
        return not self.output_modalities or "TEXT" in self.output_modalities


@dataclass
class Snapshot:
    """Everything the models and matrix screens show."""

    models: list[ModelRow] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], CellState] = field(default_factory=dict)

    def cell(self, model_id: str, region: str) -> CellState:
        """The cell of (model, region), untested when there is none."""
        return self.cells.get((model_id, region), CellState())


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
    certs = (
        await connection.execute(
            sa.select(
                ModelCertification.model_id, ModelCertification.region, ModelCertification.status,
                ModelCertification.passed, ModelCertification.rating, ModelCertification.score,
                ModelCertification.error_category, ModelCertification.id,
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
    for model_id, region, status, passed, rating, score, category, cert_id in certs:
        regions.add(region)
        cells[(model_id, region)] = CellState(
            status=status.value if hasattr(status, "value") else status,
            passed=passed, rating=rating, score=score, error_category=category,
            certification_id=cert_id, offered=offered.get((model_id, region)),
        )  # fmt: skip
    for (model_id, region), is_offered in offered.items():
        cells.setdefault((model_id, region), CellState(offered=is_offered))
    for model in models:
        for region in discovered:
            cells.setdefault((model.id, region), CellState(offered=False))
    passed_by_model: dict[str, int] = defaultdict(int)
    best: dict[str, str] = {}
    for (model_id, _), cell in cells.items():
        if cell.status == CertificationStatus.COMPLETED.value and cell.passed:
            passed_by_model[model_id] += 1
        if cell.rating and (model_id not in best or cell.rating < best[model_id]):
            best[model_id] = cell.rating
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
                regions_passed=passed_by_model[model.id], best_rating=best.get(model.id),
            )
        )  # fmt: skip
    rows.sort(key=lambda r: (r.vendor.lower(), r.api_model_id))
    return Snapshot(rows, sorted(regions), cells)


@dataclass(frozen=True)
class JobView:
    """One job as the jobs screen shows it."""

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
    live: bool


async def load_jobs(session: AsyncSession, limit: int = 200) -> list[JobView]:
    """Recent jobs, newest first."""
    rows = await session.scalars(
        sa.select(CertificationJob)
        .order_by(CertificationJob.created_at.desc(), CertificationJob.id)
        .limit(limit)
    )
    return [
        JobView(
            job_id=job.id, type=job.type.value, status=job.status.value, total=job.total_models,
            processed=job.processed_models, succeeded=job.success_count,
            failed=job.failure_count, regions=tuple(job.regions or ()),
            created_by=job.created_by, created_at=job.created_at, started_at=job.started_at,
            live=lease_is_fresh(job.config) and job.status == JobStatus.PROCESSING,
        )
        for job in rows
    ]  # fmt: skip


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
    """One certification with its model."""
    cert = await session.scalar(
        sa.select(ModelCertification)
        .where(ModelCertification.id == certification_id)
        .options(selectinload(ModelCertification.model))
    )
    if cert is None:
        return None
    return DetailView(
        certification_id=cert.id, model_id=cert.model_id, api_model_id=cert.model.api_model_id,
        model_name=cert.model.name, region=cert.region, status=cert.status.value,
        passed=cert.passed, score=cert.score, rating=cert.rating,
        error_category=cert.error_category, error_message=cert.error_message,
        duration_ms=cert.duration, started_at=cert.started_at, completed_at=cert.completed_at,
        created_by=cert.created_by, job_id=cert.job_id, test_results=cert.test_results,
    )  # fmt: skip


async def load_job_units(session: AsyncSession, job_id: str) -> list[tuple[str, str, CellState]]:
    """A job's units: (model id, region, cell), by model then region."""
    rows = (
        await session.execute(
            sa.select(ModelCertification, AIModel.api_model_id)
            .join(AIModel, AIModel.id == ModelCertification.model_id)
            .where(ModelCertification.job_id == job_id)
            .order_by(AIModel.api_model_id, ModelCertification.region)
        )
    ).all()
    return [
        (api_id, cert.region, CellState(
            status=cert.status.value, passed=cert.passed, rating=cert.rating, score=cert.score,
            error_category=cert.error_category, certification_id=cert.id, offered=True,
        ))
        for cert, api_id in rows
    ]  # fmt: skip
