"""Invoke-id resolution of SPEC §3.2 and the profile mapping from ListInferenceProfiles data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from certtui.bedrock.catalog import InferenceProfile, RegionDiscovery
from certtui.bedrock.invoke import (
    GEOGRAPHIC_PROFILE_PREFIXES,
    InvokeRoute,
    ModelAvailability,
    choose_invoke_id,
    fallback_profile,
    profile_preference,
    profiles_by_model,
)
from certtui.domain.errors import ErrorCategory

MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"


def arn(region: str, model_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def profile(region: str, profile_id: str, *model_arns: str) -> InferenceProfile:
    return InferenceProfile(
        region=region,
        profile_id=profile_id,
        profile_arn=f"arn:aws:bedrock:{region}:123456789012:inference-profile/{profile_id}",
        name=profile_id,
        status="ACTIVE",
        type="SYSTEM_DEFINED",
        model_arns=model_arns,
    )


def test_on_demand_uses_the_bare_id() -> None:
    choice = choose_invoke_id(
        MODEL, "us-east-1", ModelAvailability(True, True, (f"us.{MODEL}", f"global.{MODEL}"))
    )
    assert choice.route is InvokeRoute.ON_DEMAND
    assert choice.invoke_id == MODEL
    assert choice.invocable and not choice.via_profile
    assert choice.category is None


def test_profile_only_prefers_geographic_over_global() -> None:
    availability = ModelAvailability(True, False, (f"global.{MODEL}", f"eu.{MODEL}"))
    choice = choose_invoke_id(MODEL, "eu-west-1", availability)
    assert choice.route is InvokeRoute.INFERENCE_PROFILE
    assert choice.invoke_id == f"eu.{MODEL}"
    assert choice.via_profile
    assert f"eu.{MODEL}" in choice.reason


def test_global_profile_when_no_geographic_one() -> None:
    choice = choose_invoke_id(
        MODEL, "sa-east-1", ModelAvailability(True, False, (f"global.{MODEL}",))
    )
    assert choice.invoke_id == f"global.{MODEL}"


def test_profile_without_listing_still_invocable() -> None:
    choice = choose_invoke_id(MODEL, "us-east-2", ModelAvailability(False, False, (f"us.{MODEL}",)))
    assert choice.route is InvokeRoute.INFERENCE_PROFILE
    assert choice.invoke_id == f"us.{MODEL}"


def test_offered_without_on_demand_or_profile_needs_provisioning() -> None:
    choice = choose_invoke_id(MODEL, "us-west-1", ModelAvailability(True, False, ()))
    assert choice.route is InvokeRoute.PROVISIONING_REQUIRED
    assert choice.invoke_id is None and not choice.invocable
    assert choice.category is ErrorCategory.PROVISIONING_REQUIRED


def test_not_offered_is_unavailable() -> None:
    choice = choose_invoke_id(MODEL, "me-south-1", ModelAvailability(False, False, ()))
    assert choice.route is InvokeRoute.NOT_OFFERED
    assert choice.category is ErrorCategory.UNAVAILABLE
    assert "me-south-1" in choice.reason


def test_profile_preference_order() -> None:
    ids = ["zeta-app-profile", f"global.{MODEL}", f"jp.{MODEL}", f"apac.{MODEL}", f"us.{MODEL}"]
    assert sorted(ids, key=profile_preference) == [
        f"us.{MODEL}",
        f"apac.{MODEL}",
        f"jp.{MODEL}",
        f"global.{MODEL}",
        "zeta-app-profile",
    ]


@given(st.lists(st.sampled_from([*GEOGRAPHIC_PROFILE_PREFIXES, "global."]), min_size=1))
def test_a_geographic_profile_always_beats_global(prefixes: list[str]) -> None:
    availability = ModelAvailability(True, False, tuple(p + MODEL for p in prefixes))
    chosen = choose_invoke_id(MODEL, "us-east-1", availability).invoke_id
    assert chosen is not None
    geographic = [p for p in prefixes if p != "global."]
    assert chosen.startswith("global.") == (not geographic)


def test_fallback_after_on_demand_refusal_goes_through_the_profile() -> None:
    availability = ModelAvailability(True, True, (f"global.{MODEL}", f"us.{MODEL}"))
    first = choose_invoke_id(MODEL, "us-east-1", availability)
    retry = fallback_profile(first, availability)
    assert retry is not None
    assert retry.route is InvokeRoute.INFERENCE_PROFILE
    assert retry.invoke_id == f"us.{MODEL}"
    assert "refused" in retry.reason


def test_no_fallback_without_profile_or_after_a_profile_call() -> None:
    bare = ModelAvailability(True, True, ())
    assert fallback_profile(choose_invoke_id(MODEL, "us-east-1", bare), bare) is None
    profiled = ModelAvailability(True, False, (f"us.{MODEL}",))
    assert fallback_profile(choose_invoke_id(MODEL, "us-east-1", profiled), profiled) is None


def test_profiles_by_model_maps_foundation_ids_from_model_arns() -> None:
    other = "meta.llama3-1-70b-instruct-v1:0"
    profiles = [
        profile(
            "us-east-1",
            f"us.{MODEL}",
            arn("us-east-1", MODEL),
            arn("us-east-2", MODEL),
            arn("us-west-2", MODEL),
        ),
        profile("us-east-1", f"global.{MODEL}", arn("us-east-1", MODEL)),
        profile("us-east-1", f"us.{other}", arn("us-east-1", other)),
        profile("eu-west-1", f"eu.{MODEL}", arn("eu-west-1", MODEL)),
        profile(
            "us-east-1",
            "my-app-profile",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x",
        ),
    ]
    mapping = profiles_by_model(profiles, "us-east-1")
    assert mapping == {
        MODEL: (f"us.{MODEL}", f"global.{MODEL}"),
        other: (f"us.{other}",),
    }
    assert profiles_by_model(profiles)[MODEL] == (f"us.{MODEL}", f"eu.{MODEL}", f"global.{MODEL}")


def test_region_discovery_availability_feeds_the_choice() -> None:
    found = RegionDiscovery(
        "us-east-1",
        models=(),
        profiles=(profile("us-east-1", f"us.{MODEL}", arn("us-east-1", MODEL)),),
    )
    availability = found.availability(MODEL)
    assert availability == ModelAvailability(False, False, (f"us.{MODEL}",))
    assert choose_invoke_id(MODEL, "us-east-1", availability).invoke_id == f"us.{MODEL}"
