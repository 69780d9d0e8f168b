"""Discovery with the real aioboto3 client over HTTP against the stand-in."""

from __future__ import annotations

import math

from certtui.bedrock.clients import BedrockClients
from certtui.bedrock.invoke import InvokeRoute, choose_invoke_id
from certtui.bedrock.operations import discover, list_foundation_models, list_inference_profiles
from certtui.domain.errors import ErrorCategory
from certtui.standin import catalog as standin_catalog
from certtui.standin.server import DEFAULT_PAGE_SIZE, StandinServer


async def test_inference_profiles_come_from_every_page(
    default_clients: BedrockClients, default_standin: StandinServer
) -> None:
    scenario = default_standin.scenario
    expected = standin_catalog.inference_profiles(scenario, scenario.region("us-east-1"))
    assert len(expected) > DEFAULT_PAGE_SIZE, "the default scenario should need several pages"

    profiles = await list_inference_profiles(default_clients, "us-east-1")

    assert [p.profile_id for p in profiles] == [p.id for p in expected]
    assert default_standin.stats.calls["ListInferenceProfiles"] == math.ceil(
        len(expected) / DEFAULT_PAGE_SIZE
    )
    assert all(p.region == "us-east-1" and p.model_ids for p in profiles)


async def test_foundation_models_match_the_region_listing(
    default_clients: BedrockClients, default_standin: StandinServer
) -> None:
    scenario = default_standin.scenario
    region = scenario.region("eu-west-1")
    expected = standin_catalog.list_foundation_models(scenario, region, {})

    models = await list_foundation_models(default_clients, "eu-west-1")

    assert [m.model_id for m in models] == [s["modelId"] for s in expected]
    by_id = {m.model_id: m for m in models}
    for summary in expected:
        model = by_id[summary["modelId"]]
        assert model.provider_name == summary["providerName"]
        assert list(model.inference_types) == summary["inferenceTypesSupported"]
        assert list(model.output_modalities) == summary["outputModalities"]
        assert model.lifecycle_status == summary["modelLifecycle"]["status"]


async def test_discovery_reports_failing_regions_without_failing(
    default_clients: BedrockClients, default_standin: StandinServer
) -> None:
    names = [region.name for region in default_standin.scenario.regions]

    result = await discover(default_clients, names)

    assert set(result.errors) == {"ap-east-1", "eu-central-2"}
    assert set(result.regions) == set(names) - set(result.errors)
    unreachable = result.errors["ap-east-1"]
    assert unreachable.category is ErrorCategory.NETWORK_ERROR and unreachable.retryable
    not_enabled = result.errors["eu-central-2"]
    assert not_enabled.category is ErrorCategory.AUTHENTICATION_ERROR
    assert "eu-central-2 is an opt-in region and may not be enabled" in not_enabled.message
    for found in result.regions.values():
        assert found.models and found.profiles_error is None
    assert "anthropic.claude-3-haiku-20240307-v1:0" in result.model_ids


async def test_unknown_enum_values_pass_through(clients: BedrockClients) -> None:
    # INFERENCE_PROFILE is newer than botocore's InferenceType enum: it must survive parsing.
    models = {m.model_id: m for m in await list_foundation_models(clients, "us-east-1")}
    sonnet = models["anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert sonnet.inference_types == ("INFERENCE_PROFILE",)
    assert not sonnet.on_demand
    assert models["anthropic.claude-v2:1"].legacy


async def test_discovery_drives_invoke_id_choice(clients: BedrockClients) -> None:
    result = await discover(clients, ["us-east-1", "ca-central-1"])
    haiku = "anthropic.claude-3-haiku-20240307-v1:0"
    sonnet = "anthropic.claude-3-5-sonnet-20241022-v2:0"
    llama = "meta.llama3-1-405b-instruct-v1:0"
    nova = "amazon.nova-pro-v1:0:300k"

    def choose(model_id: str, region: str):
        return choose_invoke_id(model_id, region, result.availability(model_id, region))

    assert choose(haiku, "us-east-1").invoke_id == haiku
    assert result.regions["us-east-1"].profiles_by_model[haiku] == (
        f"us.{haiku}",
        f"global.{haiku}",
    )
    assert choose(sonnet, "us-east-1").invoke_id == f"us.{sonnet}"
    assert choose(sonnet, "ca-central-1").route is InvokeRoute.NOT_OFFERED
    assert choose(llama, "ca-central-1").route is InvokeRoute.PROVISIONING_REQUIRED
    assert choose(nova, "us-east-1").route is InvokeRoute.PROVISIONING_REQUIRED
    assert choose(haiku, "ca-central-1").invoke_id == haiku


async def test_discovery_of_duplicate_region_names_queries_once(
    clients: BedrockClients, standin: StandinServer
) -> None:
    result = await discover(clients, ["us-east-1", "us-east-1"])
    assert list(result.regions) == ["us-east-1"]
    assert standin.stats.calls["ListFoundationModels"] == 1
