"""Discovery into the catalog: every chosen region at once, failing regions reported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from certtui.bedrock.catalog import DiscoveryResult
from certtui.bedrock.clients import BedrockClients
from certtui.bedrock.errors import ClassifiedError
from certtui.bedrock.operations import discover
from certtui.store.catalog import ModelObservation, SyncReport, apply_discovery

if TYPE_CHECKING:
    from certtui.store.sessions import Sessions


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync changed, which regions answered, and why the others did not."""

    report: SyncReport
    regions_synced: tuple[str, ...]
    failed: dict[str, ClassifiedError]
    models_seen: int


def observations(discovery: DiscoveryResult) -> list[ModelObservation]:
    """Flatten a discovery into one observation per (model, region) it found."""
    found = []
    for region, listing in discovery.regions.items():
        for model in listing.models:
            profiles = listing.profiles_by_model.get(model.model_id, ())
            destinations = listing.profile_destinations
            found.append(
                ModelObservation(
                    api_model_id=model.model_id,
                    name=model.model_name,
                    provider_name=model.provider_name,
                    region=region,
                    on_demand=model.on_demand,
                    inference_profile_id=profiles[0] if profiles else None,
                    inference_profiles=tuple(
                        (profile, destinations.get(profile, ())) for profile in profiles
                    ),
                    lifecycle_status=model.lifecycle_status,
                    legacy_at=model.legacy_time,
                    end_of_life_at=model.end_of_life_time,
                    input_modalities=model.input_modalities,
                    output_modalities=model.output_modalities,
                    streaming_supported=bool(model.streaming_supported),
                )
            )
    return found


async def sync_catalog(
    sessions: Sessions,
    clients: BedrockClients,
    regions: Sequence[str],
    on_region: Callable[[str, bool], None] | None = None,
) -> SyncOutcome:
    """Discover ``regions`` concurrently and record what answered in one transaction.

    ``on_region(region, answered)`` hears each region as it finishes.
    """
    discovery = await discover(clients, regions, on_region)
    seen = observations(discovery)
    async with sessions.begin() as session:
        report = await apply_discovery(session, discovery.regions.keys(), seen)
    return SyncOutcome(
        report=report,
        regions_synced=tuple(r for r in regions if r in discovery.regions),
        failed=dict(discovery.errors),
        models_seen=len({o.api_model_id for o in seen}),
    )
