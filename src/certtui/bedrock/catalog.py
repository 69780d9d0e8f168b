"""What discovery finds: foundation models and inference profiles, per region.

Enum-like fields (modalities, inference types, lifecycle, profile status and type) stay the raw
strings the service sent, so values AWS adds later pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from certtui.bedrock.errors import ClassifiedError
from certtui.bedrock.invoke import ModelAvailability, profiles_by_model

_FOUNDATION_MODEL_ARN_MARKER = ":foundation-model/"


@dataclass(frozen=True, slots=True)
class FoundationModel:
    """One entry of ListFoundationModels in one region."""

    region: str
    model_id: str
    model_arn: str
    model_name: str
    provider_name: str
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    inference_types: tuple[str, ...]
    customizations: tuple[str, ...]
    streaming_supported: bool | None
    lifecycle_status: str | None
    legacy_time: datetime | None = None
    end_of_life_time: datetime | None = None

    @property
    def on_demand(self) -> bool:
        """True when the bare model id can be invoked on demand in this region."""
        return "ON_DEMAND" in self.inference_types

    @property
    def legacy(self) -> bool:
        """True when the service marks this model version as legacy."""
        return (self.lifecycle_status or "").upper() == "LEGACY"

    @classmethod
    def from_summary(cls, region: str, summary: Mapping[str, Any]) -> FoundationModel:
        """Build it from a `modelSummaries` item of the ListFoundationModels response."""
        lifecycle = summary.get("modelLifecycle") or {}
        streaming = summary.get("responseStreamingSupported")
        return cls(
            region=region,
            model_id=summary["modelId"],
            model_arn=summary.get("modelArn", ""),
            model_name=summary.get("modelName") or summary["modelId"],
            provider_name=summary.get("providerName", ""),
            input_modalities=tuple(summary.get("inputModalities") or ()),
            output_modalities=tuple(summary.get("outputModalities") or ()),
            inference_types=tuple(summary.get("inferenceTypesSupported") or ()),
            customizations=tuple(summary.get("customizationsSupported") or ()),
            streaming_supported=None if streaming is None else bool(streaming),
            lifecycle_status=lifecycle.get("status"),
            legacy_time=_timestamp(lifecycle.get("legacyTime")),
            end_of_life_time=_timestamp(lifecycle.get("endOfLifeTime")),
        )


def _timestamp(value: Any) -> datetime | None:
    """A lifecycle date as botocore parsed it (datetime), or from ISO text; None otherwise."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class InferenceProfile:
    """One entry of ListInferenceProfiles in one region."""

    region: str
    profile_id: str
    profile_arn: str
    name: str
    status: str
    type: str
    model_arns: tuple[str, ...]
    description: str | None = None

    @property
    def destination_regions(self) -> tuple[str, ...]:
        """The regions the profile routes to (from its models' ARNs), in order."""
        regions = (arn.split(":")[3] for arn in self.model_arns if arn.count(":") >= 4)
        return tuple(dict.fromkeys(region for region in regions if region))

    @property
    def model_ids(self) -> tuple[str, ...]:
        """The foundation model ids the profile routes to, de-duplicated in order."""
        ids = (model_id_from_arn(arn) for arn in self.model_arns)
        return tuple(dict.fromkeys(model_id for model_id in ids if model_id))

    @classmethod
    def from_summary(cls, region: str, summary: Mapping[str, Any]) -> InferenceProfile:
        """Build it from an `inferenceProfileSummaries` item of ListInferenceProfiles."""
        return cls(
            region=region,
            profile_id=summary["inferenceProfileId"],
            profile_arn=summary.get("inferenceProfileArn", ""),
            name=summary.get("inferenceProfileName", summary["inferenceProfileId"]),
            status=summary.get("status", ""),
            type=summary.get("type", ""),
            model_arns=tuple(m["modelArn"] for m in summary.get("models") or () if "modelArn" in m),
            description=summary.get("description"),
        )


def model_id_from_arn(arn: str) -> str | None:
    """Return the foundation model id named by a foundation-model ARN, or None for other ARNs."""
    _, marker, model_id = arn.partition(_FOUNDATION_MODEL_ARN_MARKER)
    if not marker:
        return None
    return model_id or None


@dataclass(frozen=True)
class RegionDiscovery:
    """The catalog of one region; `profiles_error` says why its profiles could not be listed."""

    region: str
    models: tuple[FoundationModel, ...]
    profiles: tuple[InferenceProfile, ...] = ()
    profiles_error: ClassifiedError | None = None

    @cached_property
    def _models_by_id(self) -> dict[str, FoundationModel]:
        return {model.model_id: model for model in self.models}

    @cached_property
    def profiles_by_model(self) -> dict[str, tuple[str, ...]]:
        """Foundation model id → the profile ids that route to it, best first."""
        return profiles_by_model(self.profiles, self.region)

    @cached_property
    def profile_destinations(self) -> dict[str, tuple[str, ...]]:
        """Profile id → the regions it routes to, for the profiles listed in this region."""
        return {
            p.profile_id: p.destination_regions for p in self.profiles if p.region == self.region
        }

    def model(self, model_id: str) -> FoundationModel | None:
        """The model's entry in this region, or None when the region does not list it."""
        return self._models_by_id.get(model_id)

    def availability(self, model_id: str) -> ModelAvailability:
        """What invoke-id resolution needs to know about the model in this region."""
        model = self.model(model_id)
        return ModelAvailability(
            offered=model is not None,
            on_demand=model is not None and model.on_demand,
            profile_ids=self.profiles_by_model.get(model_id, ()),
        )


@dataclass(frozen=True)
class DiscoveryResult:
    """Discovery across regions: the regions that answered, and why the others failed."""

    regions: Mapping[str, RegionDiscovery] = field(default_factory=dict)
    errors: Mapping[str, ClassifiedError] = field(default_factory=dict)

    def availability(self, model_id: str, region: str) -> ModelAvailability:
        """The model's availability in a discovered region (KeyError for a failed region)."""
        return self.regions[region].availability(model_id)

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Every model id listed in any region, in first-seen order."""
        ids = (m.model_id for found in self.regions.values() for m in found.models)
        return tuple(dict.fromkeys(ids))
