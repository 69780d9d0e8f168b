"""Which id to invoke a model by in a region (SPEC §3.2): its bare id, or an inference profile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from certtui.domain.errors import ErrorCategory

if TYPE_CHECKING:
    from certtui.bedrock.catalog import InferenceProfile

GEOGRAPHIC_PROFILE_PREFIXES: tuple[str, ...] = ("us.", "eu.", "apac.", "jp.", "au.", "ca.")
GLOBAL_PROFILE_PREFIX = "global."


class InvokeRoute(StrEnum):
    """How a model is reached in a region, or why it cannot be."""

    ON_DEMAND = "ON_DEMAND"
    INFERENCE_PROFILE = "INFERENCE_PROFILE"
    PROVISIONING_REQUIRED = "PROVISIONING_REQUIRED"
    NOT_OFFERED = "NOT_OFFERED"


@dataclass(frozen=True, slots=True)
class ModelAvailability:
    """What discovery found about one model in one region."""

    offered: bool
    on_demand: bool
    profile_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InvokeChoice:
    """The id to invoke a model by in a region (None when it cannot be invoked), and why."""

    model_id: str
    region: str
    route: InvokeRoute
    invoke_id: str | None
    reason: str

    @property
    def invocable(self) -> bool:
        """True when there is an id to call."""
        return self.invoke_id is not None

    @property
    def via_profile(self) -> bool:
        """True when the call goes through an inference profile."""
        return self.route is InvokeRoute.INFERENCE_PROFILE

    @property
    def category(self) -> ErrorCategory | None:
        """The error category of a model that cannot be invoked here, else None."""
        return _CATEGORY_BY_ROUTE.get(self.route)


_CATEGORY_BY_ROUTE = {
    InvokeRoute.PROVISIONING_REQUIRED: ErrorCategory.PROVISIONING_REQUIRED,
    InvokeRoute.NOT_OFFERED: ErrorCategory.UNAVAILABLE,
}


def profile_preference(profile_id: str) -> tuple[int, int, str]:
    """Sort key putting geographic profiles first, then global, then any other profile id."""
    prefix = profile_id.partition(".")[0] + "."
    if prefix in GEOGRAPHIC_PROFILE_PREFIXES:
        return (0, GEOGRAPHIC_PROFILE_PREFIXES.index(prefix), profile_id)
    if prefix == GLOBAL_PROFILE_PREFIX:
        return (1, 0, profile_id)
    return (2, 0, profile_id)


def profiles_by_model(
    profiles: Iterable[InferenceProfile], region: str | None = None
) -> dict[str, tuple[str, ...]]:
    """Map each foundation model id to the ids of the profiles routing to it, best first.

    With `region`, only profiles listed in that region count: a profile is invoked from the
    region it was listed in, whichever regions it routes to.
    """
    found: dict[str, set[str]] = {}
    for profile in profiles:
        if region is not None and profile.region != region:
            continue
        for model_id in profile.model_ids:
            found.setdefault(model_id, set()).add(profile.profile_id)
    return {model_id: tuple(sorted(ids, key=profile_preference)) for model_id, ids in found.items()}


def choose_invoke_id(model_id: str, region: str, availability: ModelAvailability) -> InvokeChoice:
    """Pick the id to invoke: the bare id on demand, else the best inference profile."""
    if availability.on_demand:
        return InvokeChoice(
            model_id, region, InvokeRoute.ON_DEMAND, model_id, f"offered on demand in {region}"
        )
    if availability.profile_ids:
        profile_id = min(availability.profile_ids, key=profile_preference)
        return InvokeChoice(
            model_id,
            region,
            InvokeRoute.INFERENCE_PROFILE,
            profile_id,
            f"not on demand in {region}; invoked through inference profile {profile_id}",
        )
    if availability.offered:
        return InvokeChoice(
            model_id,
            region,
            InvokeRoute.PROVISIONING_REQUIRED,
            None,
            f"offered in {region} but not on demand, and no inference profile routes to it there",
        )
    return InvokeChoice(model_id, region, InvokeRoute.NOT_OFFERED, None, f"not offered in {region}")


def fallback_profile(choice: InvokeChoice, availability: ModelAvailability) -> InvokeChoice | None:
    """The one retry through a profile after the bare id was refused on demand, if any.

    Returns None when the failed call already went through a profile or no profile exists; the
    caller then reports PROVISIONING_REQUIRED.
    """
    if choice.route is not InvokeRoute.ON_DEMAND or not availability.profile_ids:
        return None
    profile_id = min(availability.profile_ids, key=profile_preference)
    return InvokeChoice(
        choice.model_id,
        choice.region,
        InvokeRoute.INFERENCE_PROFILE,
        profile_id,
        f"on-demand throughput refused in {choice.region}; retried through inference profile "
        f"{profile_id}",
    )
