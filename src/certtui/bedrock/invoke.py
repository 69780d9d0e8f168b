"""Which id to invoke a model by in a region (SPEC §3.2): its bare id, or an inference profile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from certtui.domain.errors import ErrorCategory
from certtui.domain.regions import GEOGRAPHIC_PROFILE_PREFIXES, geographies

if TYPE_CHECKING:
    from certtui.bedrock.catalog import InferenceProfile

GLOBAL_PROFILE_PREFIX = "global."


class InvokeRoute(StrEnum):
    """How a model is reached in a region, or why it cannot be."""

    ON_DEMAND = "ON_DEMAND"
    INFERENCE_PROFILE = "INFERENCE_PROFILE"
    PROVISIONING_REQUIRED = "PROVISIONING_REQUIRED"
    NOT_OFFERED = "NOT_OFFERED"


@dataclass(frozen=True, slots=True)
class ModelAvailability:
    """What discovery found about one model in one region.

    ``catalog_date`` is when the region's catalog was read (for messages); ``probe_unlisted``
    asks for one call to verify a model the catalog does not list there.
    """

    offered: bool
    on_demand: bool
    profile_ids: tuple[str, ...] = ()
    catalog_date: str | None = None
    probe_unlisted: bool = False

    def not_offered_reason(self, region: str) -> str:
        """ "not offered in REGION (catalog of DATE)"."""
        when = f" (catalog of {self.catalog_date})" if self.catalog_date else ""
        return f"not offered in {region}{when}"


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


def profile_preference(profile_id: str, region: str | None = None) -> tuple[int, int, str]:
    """Sort key: the region's own geographies first (home first), other geographic profiles,
    then global, then any other profile id (application profiles)."""
    prefix = profile_id.partition(".")[0]
    home = geographies(region) if region else ()
    if prefix in home:
        return (0, home.index(prefix), profile_id)
    if f"{prefix}." in GEOGRAPHIC_PROFILE_PREFIXES:
        return (1, GEOGRAPHIC_PROFILE_PREFIXES.index(f"{prefix}."), profile_id)
    if f"{prefix}." == GLOBAL_PROFILE_PREFIX:
        return (2, 0, profile_id)
    return (3, 0, profile_id)


def ranked_profiles(profile_ids: Iterable[str], region: str | None = None) -> tuple[str, ...]:
    """The profile ids best first for a call from ``region``."""
    return tuple(sorted(dict.fromkeys(profile_ids), key=lambda p: profile_preference(p, region)))


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
    return {model_id: ranked_profiles(ids, region) for model_id, ids in found.items()}


def choose_invoke_id(model_id: str, region: str, availability: ModelAvailability) -> InvokeChoice:
    """Pick the id to invoke: the bare id on demand, else the best inference profile.

    A model the region's catalog does not list is not called at all, unless the operator asked
    to probe unlisted models: then its bare id is tried once, and the reason says so.
    """
    if not availability.offered and not availability.profile_ids:
        reason = availability.not_offered_reason(region)
        if availability.probe_unlisted:
            return InvokeChoice(
                model_id, region, InvokeRoute.ON_DEMAND, model_id, f"{reason}; probed to verify"
            )
        return InvokeChoice(model_id, region, InvokeRoute.NOT_OFFERED, None, reason)
    if availability.on_demand:
        return InvokeChoice(
            model_id, region, InvokeRoute.ON_DEMAND, model_id, f"offered on demand in {region}"
        )
    if availability.profile_ids:
        profile_id = ranked_profiles(availability.profile_ids, region)[0]
        return InvokeChoice(
            model_id,
            region,
            InvokeRoute.INFERENCE_PROFILE,
            profile_id,
            f"not on demand in {region}; invoked through inference profile {profile_id}",
        )
    return InvokeChoice(
        model_id,
        region,
        InvokeRoute.PROVISIONING_REQUIRED,
        None,
        f"offered in {region} but not on demand, and no inference profile routes to it there",
    )


def fallback_profile(choice: InvokeChoice, availability: ModelAvailability) -> InvokeChoice | None:
    """The one retry through a profile after the bare id was refused on demand, if any.

    Returns None when the failed call already went through a profile or no profile exists; the
    caller then reports PROVISIONING_REQUIRED.
    """
    if choice.route is not InvokeRoute.ON_DEMAND or not availability.profile_ids:
        return None
    profile_id = ranked_profiles(availability.profile_ids, choice.region)[0]
    return InvokeChoice(
        choice.model_id,
        choice.region,
        InvokeRoute.INFERENCE_PROFILE,
        profile_id,
        f"on-demand throughput refused in {choice.region}; retried through inference profile "
        f"{profile_id}",
    )


def next_profile(choice: InvokeChoice, availability: ModelAvailability) -> InvokeChoice | None:
    """The next inference profile to try after ``choice``'s profile was denied, if any.

    An organisation may deny one geography (an SCP on ``global.``, say) while another works.
    """
    if choice.route is not InvokeRoute.INFERENCE_PROFILE:
        return None
    ranked = ranked_profiles(availability.profile_ids, choice.region)
    if choice.invoke_id not in ranked:
        return None
    rest = ranked[ranked.index(choice.invoke_id) + 1 :]
    if not rest:
        return None
    return InvokeChoice(
        choice.model_id,
        choice.region,
        InvokeRoute.INFERENCE_PROFILE,
        rest[0],
        f"inference profile {choice.invoke_id} was denied in {choice.region}; invoked through "
        f"{rest[0]}",
    )
