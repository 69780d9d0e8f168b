"""The catalog and unit queries planning a job needs."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only, selectinload

from certtui.domain.enums import CertificationStatus
from certtui.store.jobs import LIVE
from certtui.store.models import (
    AIModel,
    CertificationJob,
    ModelCertification,
    ModelRegionAvailability,
)


async def active_models(session: AsyncSession) -> list[AIModel]:
    """Every active model, with its availability loaded."""
    return list(
        await session.scalars(
            sa.select(AIModel)
            .options(selectinload(AIModel.availability))
            .where(AIModel.is_active.is_(True))
        )
    )


async def models_by_api_id(session: AsyncSession, api_model_ids: Iterable[str]) -> list[AIModel]:
    """The models with these Bedrock ids, with their availability loaded."""
    return list(
        await session.scalars(
            sa.select(AIModel)
            .options(selectinload(AIModel.availability))
            .where(AIModel.api_model_id.in_(list(api_model_ids)))
        )
    )


async def count_models(session: AsyncSession) -> int:
    """How many models the catalog holds."""
    return await session.scalar(sa.select(sa.func.count()).select_from(AIModel)) or 0


async def discovered_regions(session: AsyncSession) -> set[str]:
    """Regions discovery has listed models in."""
    return set(await session.scalars(sa.select(ModelRegionAvailability.region).distinct()))


async def catalog_dates(session: AsyncSession) -> dict[str, str]:
    """Each discovered region → the date (YYYY-MM-DD) its catalog was last read."""
    rows = await session.execute(
        sa.select(
            ModelRegionAvailability.region, sa.func.max(ModelRegionAvailability.discovered_at)
        ).group_by(ModelRegionAvailability.region)
    )
    return {region: _date(when) for region, when in rows}


def _date(when: object) -> str:
    # SQLite hands back text for an aggregate over a DateTime column.
    return when.date().isoformat() if hasattr(when, "date") else str(when)[:10]


async def current_units(
    session: AsyncSession, units: Collection[tuple[str, str]]
) -> dict[tuple[str, str], ModelCertification]:
    """The existing certification of each (model, region) unit, with the columns planning reads."""
    model_ids = {m for m, _ in units}
    # Only the columns planning reads: the evidence (testResults) can be megabytes in all.
    rows = await session.scalars(
        sa.select(ModelCertification)
        .where(ModelCertification.model_id.in_(model_ids))
        .options(
            load_only(
                ModelCertification.model_id, ModelCertification.region,
                ModelCertification.status, ModelCertification.passed, ModelCertification.job_id,
            )
        )
    )  # fmt: skip
    wanted = set(units)
    return {(r.model_id, r.region): r for r in rows if (r.model_id, r.region) in wanted}


async def live_job_ids(session: AsyncSession, job_ids: Iterable[str | None]) -> set[str]:
    """Those of ``job_ids`` that are not over (PENDING, QUEUED, PROCESSING, PAUSED)."""
    ids = {j for j in job_ids if j}
    if not ids:
        return set()
    rows = await session.scalars(
        sa.select(CertificationJob.id).where(
            CertificationJob.id.in_(ids), CertificationJob.status.in_(list(LIVE))
        )
    )
    return set(rows)


async def units_to_run(
    session: AsyncSession,
    job_id: str,
    statuses: Sequence[CertificationStatus],
    unit_ids: Collection[str] | None = None,
) -> list[ModelCertification]:
    """A job's units in ``statuses`` (only ``unit_ids`` if given), with model and availability
    loaded, by region."""
    only = () if unit_ids is None else (ModelCertification.id.in_(list(unit_ids)),)
    rows = await session.scalars(
        sa.select(ModelCertification)
        .where(
            ModelCertification.job_id == job_id,
            ModelCertification.status.in_(list(statuses)),
            *only,
        )
        .options(selectinload(ModelCertification.model).selectinload(AIModel.availability))
        .order_by(ModelCertification.region, ModelCertification.id)
    )
    return list(rows)
