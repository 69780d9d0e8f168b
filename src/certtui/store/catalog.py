"""The catalog: the AWS Bedrock provider, its models, and what discovery found per region."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from certtui.store.models import AIModel, AIProvider, ModelRegionAvailability
from certtui.store.types import utcnow

BEDROCK_SLUG = "bedrock"
BEDROCK_NAME = "AWS Bedrock"


@dataclass(frozen=True)
class ModelObservation:
    """What discovery saw of one model in one region."""

    api_model_id: str
    name: str
    provider_name: str
    region: str
    on_demand: bool
    inference_profile_id: str | None
    lifecycle_status: str | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    streaming_supported: bool
    # Every profile callable from the region for the model, best first, with its destinations.
    inference_profiles: tuple[tuple[str, tuple[str, ...]], ...] = ()
    legacy_at: datetime | None = None
    end_of_life_at: datetime | None = None


@dataclass
class SyncReport:
    """What one sync changed."""

    models_added: list[str] = field(default_factory=list)
    models_updated: list[str] = field(default_factory=list)
    models_deactivated: list[str] = field(default_factory=list)
    models_reactivated: list[str] = field(default_factory=list)
    availability_changed: int = 0

    @property
    def changed(self) -> bool:
        """True when the sync wrote anything."""
        return bool(
            self.models_added
            or self.models_updated
            or self.models_deactivated
            or self.models_reactivated
            or self.availability_changed
        )


async def bedrock_provider(session: AsyncSession) -> AIProvider:
    """The AWS Bedrock provider row, created on first use."""
    provider = await session.scalar(sa.select(AIProvider).where(AIProvider.slug == BEDROCK_SLUG))
    if provider is None:
        provider = AIProvider(
            name=BEDROCK_NAME, slug=BEDROCK_SLUG, website_url="https://aws.amazon.com/bedrock/"
        )
        session.add(provider)
        await session.flush()
    return provider


async def apply_discovery(
    session: AsyncSession, regions: Iterable[str], observations: Sequence[ModelObservation]
) -> SyncReport:
    """Record what the given regions list now; rows change only where the facts changed.

    A model a synced region no longer lists is kept with ``offered = false`` there; a model
    offered in no region any more becomes inactive, never deleted (its certifications stay).
    """
    report = SyncReport()
    regions = set(regions)
    provider = await bedrock_provider(session)
    models = {
        m.api_model_id: m
        for m in await session.scalars(
            sa.select(AIModel)
            .where(AIModel.provider_id == provider.id)
            .options(selectinload(AIModel.availability))
        )
    }
    for observation in observations:
        model = models.get(observation.api_model_id)
        if model is None:
            model = AIModel(
                name=observation.name,
                api_model_id=observation.api_model_id,
                provider_id=provider.id,
                is_active=True,
                availability=[],
            )
            session.add(model)
            models[observation.api_model_id] = model
            report.models_added.append(observation.api_model_id)
        elif model.name != observation.name:
            model.name = observation.name
            report.models_updated.append(observation.api_model_id)
        if _record_availability(model, observation):
            report.availability_changed += 1

    seen = {(o.api_model_id, o.region) for o in observations}
    for model in models.values():
        for row in model.availability:
            gone = row.region in regions and (model.api_model_id, row.region) not in seen
            if gone and (row.offered or row.on_demand):
                row.offered = row.on_demand = False
                row.discovered_at = utcnow()
                report.availability_changed += 1
        offered_somewhere = any(row.offered for row in model.availability)
        if model.is_active and not offered_somewhere:
            model.is_active = False
            report.models_deactivated.append(model.api_model_id)
        elif not model.is_active and offered_somewhere:
            model.is_active = True
            report.models_reactivated.append(model.api_model_id)
    await session.flush()
    return report


def _record_availability(model: AIModel, seen: ModelObservation) -> bool:
    facts = {
        "provider_name": seen.provider_name,
        "offered": True,
        "on_demand": seen.on_demand,
        "inference_profile_id": seen.inference_profile_id,
        "inference_profiles": [
            {"id": profile, "destinations": list(destinations)}
            for profile, destinations in seen.inference_profiles
        ]
        or None,
        "lifecycle_status": seen.lifecycle_status,
        "legacy_at": _naive_utc(seen.legacy_at),
        "end_of_life_at": _naive_utc(seen.end_of_life_at),
        "input_modalities": list(seen.input_modalities),
        "output_modalities": list(seen.output_modalities),
        "streaming_supported": seen.streaming_supported,
    }
    row = next((r for r in model.availability if r.region == seen.region), None)
    if row is None:
        model.availability.append(ModelRegionAvailability(region=seen.region, **facts))
        return True
    if all(getattr(row, name) == value for name, value in facts.items()):
        return False
    for name, value in facts.items():
        setattr(row, name, value)
    row.discovered_at = utcnow()
    return True


def _naive_utc(moment: datetime | None) -> datetime | None:
    """Timestamps are stored as naive UTC, as utcnow() writes them."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class CatalogRow:
    """One model of the catalog with where it is offered."""

    model: AIModel
    provider_name: str
    regions_offered: tuple[str, ...]


async def catalog(session: AsyncSession, *, include_inactive: bool = False) -> list[CatalogRow]:
    """The Bedrock catalog, by vendor then model id."""
    query = sa.select(AIModel).options(selectinload(AIModel.availability))
    if not include_inactive:
        query = query.where(AIModel.is_active.is_(True))
    rows = []
    for model in await session.scalars(query):
        offered = sorted(a.region for a in model.availability if a.offered)
        vendor = next((a.provider_name for a in model.availability), "")
        rows.append(CatalogRow(model, vendor, tuple(offered)))
    rows.sort(key=lambda r: (r.provider_name.lower(), r.model.api_model_id))
    return rows
