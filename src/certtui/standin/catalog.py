"""The control plane's view of a scenario: foundation models and inference profiles per region."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from certtui.standin.scenario import (
    Availability,
    Model,
    Region,
    Scenario,
    geographies_of,
    routed_to,
)

GLOBAL = "global"
# A fixed timestamp keeps listings deterministic; it is when the simulated profiles "appeared".
_PROFILE_CREATED = "2024-08-27T00:00:00Z"
_ARN = re.compile(
    r"arn:aws(?:-[a-z-]+)?:bedrock:[a-z0-9-]*:\d*:(?:foundation-model|inference-profile)/(.+)"
)


@dataclass(frozen=True)
class InferenceProfile:
    """A system-defined cross-region inference profile as seen from one source region."""

    id: str
    geography: str
    model: Model
    source_region: str
    destination_regions: tuple[str, ...]


def model_arn(region: str, model_id: str) -> str:
    """The ARN of a foundation model in a region."""
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def bare_identifier(identifier: str) -> str:
    """A model or inference-profile id, with any ARN wrapping removed."""
    match = _ARN.fullmatch(identifier)
    return match.group(1) if match else identifier


def inference_profiles(scenario: Scenario, region: Region) -> list[InferenceProfile]:
    """The inference profiles callable from a region: its geography's and global ones."""
    callable_from = geographies_of(region)
    profiles = []
    for model in scenario.models:
        standing = model.regions.get(region.name)
        if standing is None or standing.availability is Availability.PROVISIONED_ONLY:
            continue
        for prefix in model.inference_profiles:
            if prefix != GLOBAL and prefix not in callable_from:
                continue
            destinations = tuple(
                other.name
                for other in scenario.regions
                if other.bedrock
                and _routable(model, other.name)
                and (prefix == GLOBAL or routed_to(other, prefix))
            )
            profiles.append(
                InferenceProfile(
                    id=f"{prefix}.{model.id}",
                    geography=prefix,
                    model=model,
                    source_region=region.name,
                    destination_regions=destinations,
                )
            )
    return profiles


def _routable(model: Model, region: str) -> bool:
    standing = model.regions.get(region)
    return standing is not None and standing.availability is not Availability.PROVISIONED_ONLY


def inference_types(scenario: Scenario, model: Model, region: Region) -> list[str]:
    """`inferenceTypesSupported` of a model in a region."""
    standing = model.regions[region.name]
    if standing.availability is Availability.PROVISIONED_ONLY:
        return ["PROVISIONED"]
    has_profile = any(profile.model is model for profile in inference_profiles(scenario, region))
    types = ["ON_DEMAND"] if standing.availability is Availability.ON_DEMAND else []
    if has_profile or standing.availability is Availability.PROFILE_ONLY:
        types.append("INFERENCE_PROFILE")
    return types


def foundation_model_summary(scenario: Scenario, model: Model, region: Region) -> dict[str, Any]:
    """One `FoundationModelSummary` as ListFoundationModels returns it."""
    return {
        "modelArn": model_arn(region.name, model.id),
        "modelId": model.id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": list(model.input_modalities),
        "outputModalities": list(model.output_modalities),
        "responseStreamingSupported": model.streaming,
        "customizationsSupported": list(model.customizations),
        "inferenceTypesSupported": inference_types(scenario, model, region),
        "modelLifecycle": _lifecycle(model),
    }


def _lifecycle(model: Model) -> dict[str, Any]:
    lifecycle: dict[str, Any] = {"status": model.lifecycle}
    if model.legacy_date:
        lifecycle["legacyTime"] = f"{model.legacy_date}T00:00:00Z"
    if model.end_of_life_date:
        lifecycle["endOfLifeTime"] = f"{model.end_of_life_date}T00:00:00Z"
    return lifecycle


def list_foundation_models(
    scenario: Scenario, region: Region, filters: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The models offered in a region, narrowed by the ListFoundationModels query filters."""
    summaries = []
    for model in scenario.models:
        if region.name not in model.regions:
            continue
        summary = foundation_model_summary(scenario, model, region)
        provider = filters.get("byProvider")
        if provider and provider.lower() != model.provider.lower():
            continue
        if filters.get("byOutputModality") not in (None, *model.output_modalities):
            continue
        if filters.get("byInferenceType") not in (None, *summary["inferenceTypesSupported"]):
            continue
        if filters.get("byCustomizationType") not in (None, *model.customizations):
            continue
        summaries.append(summary)
    return summaries


def inference_profile_summary(scenario: Scenario, profile: InferenceProfile) -> dict[str, Any]:
    """One `InferenceProfileSummary` as ListInferenceProfiles returns it."""
    label = "Global" if profile.geography == GLOBAL else profile.geography.upper()
    return {
        "inferenceProfileName": f"{label} {profile.model.provider} {profile.model.name}",
        "description": (
            f"Routes requests to {profile.model.name} in {', '.join(profile.destination_regions)}."
        ),
        "createdAt": _PROFILE_CREATED,
        "updatedAt": _PROFILE_CREATED,
        "inferenceProfileArn": (
            f"arn:aws:bedrock:{profile.source_region}:{scenario.account_id}"
            f":inference-profile/{profile.id}"
        ),
        "models": [
            {"modelArn": model_arn(region, profile.model.id)}
            for region in profile.destination_regions
        ],
        "inferenceProfileId": profile.id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }
