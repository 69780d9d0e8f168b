"""Scenario files: the built-in default, the test scenario, and errors that name line or key."""

from __future__ import annotations

from pathlib import Path

import pytest

from certtui.bedrock.regions import all_regions
from certtui.standin import Flaw, Scenario, ScenarioError, default_scenario, load_scenario
from certtui.standin.catalog import inference_profiles, inference_types
from certtui.standin.faults import Fault
from certtui.standin.scenario import (
    FAULT_NAMES,
    Availability,
    geographies_of,
    geography_of,
    parse_scenario,
)

MINIMAL = """
[[regions]]
name = "us-east-1"

[[models]]
id = "acme.model-v1"
provider = "Acme"
on_demand = ["*"]
"""


def test_the_default_scenario_is_realistic() -> None:
    scenario = default_scenario()
    assert 50 <= len(scenario.models) <= 80
    working = [r for r in scenario.regions if r.bedrock and r.enabled]
    assert len(working) >= 12
    assert all(region.name in all_regions() for region in scenario.regions)
    ids = {model.id for model in scenario.models}
    for expected in (
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "amazon.nova-pro-v1:0",
        "amazon.nova-lite-v1:0",
        "amazon.nova-micro-v1:0",
        "amazon.titan-text-express-v1",
        "amazon.titan-embed-text-v2:0",
        "amazon.titan-image-generator-v2:0",
        "meta.llama3-1-70b-instruct-v1:0",
        "meta.llama3-2-11b-instruct-v1:0",
        "mistral.mistral-large-2407-v1:0",
        "mistral.mixtral-8x7b-instruct-v0:1",
        "cohere.command-r-plus-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        "deepseek.r1-v1:0",
        "anthropic.claude-v2:1",
    ):
        assert expected in ids
    assert scenario.model("amazon.titan-embed-text-v2:0").output_modalities == ("EMBEDDING",)
    assert scenario.model("amazon.titan-image-generator-v2:0").output_modalities == ("IMAGE",)
    assert "IMAGE" in scenario.model("meta.llama3-2-11b-instruct-v1:0").input_modalities


def test_most_chat_models_answer_in_the_main_regions() -> None:
    scenario = default_scenario()
    main = ("us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1")
    cells = working = 0
    for model in scenario.models:
        for region in main:
            standing = model.regions.get(region)
            if standing is None or not model.is_chat:
                continue
            cells += 1
            behaviour = scenario.profiles[standing.profile]
            if (
                not model.end_of_life
                and not standing.access_denied
                and not standing.quota_exceeded
                and standing.availability is not Availability.PROVISIONED_ONLY
                and all(getattr(behaviour.faults, name) < 0.1 for name in FAULT_NAMES)
                and Flaw.REJECTS_REQUESTS not in behaviour.flaws
            ):
                working += 1
    assert working / cells > 0.85


def _reachable_categories(scenario: Scenario) -> set[str]:
    """Every SPEC §3.3 category the scenario can produce, judged from its data."""
    found = set()
    for region in scenario.regions:
        if not region.bedrock:
            found.add("NETWORK_ERROR")
        elif not region.enabled:
            found.add("AUTHENTICATION_ERROR")
    for model in scenario.models:
        if model.end_of_life:
            found.add("UNAVAILABLE")
        for name, standing in model.regions.items():
            region = scenario.region(name)
            if not (region.bedrock and region.enabled):
                continue
            behaviour = scenario.profiles[standing.profile]
            found |= {"PERMISSION_ERROR"} if standing.access_denied else set()
            found |= {"QUOTA_EXCEEDED"} if standing.quota_exceeded else set()
            if "ON_DEMAND" not in inference_types(scenario, model, region) and not any(
                profile.model is model for profile in inference_profiles(scenario, region)
            ):
                found.add("PROVISIONING_REQUIRED")
            if Flaw.REJECTS_REQUESTS in behaviour.flaws:
                found.add("CONFIGURATION_ERROR")
            if behaviour.faults.throttle == 1.0:
                found.add("RATE_LIMIT")
            if behaviour.faults.timeout == 1.0:
                found.add("TIMEOUT")
            if behaviour.faults.model_error == 1.0:
                found.add("MODEL_ERROR")
            if model.is_chat and len(behaviour.flaws - {Flaw.REJECTS_REQUESTS}) >= 3:
                found.add("QUALITY_ISSUE")
    return found


def test_every_error_category_is_reachable_in_the_default_scenario() -> None:
    assert _reachable_categories(default_scenario()) == {
        "PERMISSION_ERROR",
        "AUTHENTICATION_ERROR",
        "UNAVAILABLE",
        "PROVISIONING_REQUIRED",
        "CONFIGURATION_ERROR",
        "RATE_LIMIT",
        "QUOTA_EXCEEDED",
        "TIMEOUT",
        "NETWORK_ERROR",
        "MODEL_ERROR",
        "QUALITY_ISSUE",
    }


def test_the_default_scenario_has_profile_only_models_and_a_legacy_one() -> None:
    scenario = default_scenario()
    sonnet_v2 = scenario.model("anthropic.claude-3-5-sonnet-20241022-v2:0")
    assert sonnet_v2.regions["us-east-1"].availability is Availability.PROFILE_ONLY
    assert scenario.model("anthropic.claude-v2:1").lifecycle == "LEGACY"
    assert scenario.model("anthropic.claude-v2:1").end_of_life


def test_wildcard_covers_every_bedrock_region_not_listed_elsewhere(scenario: Scenario) -> None:
    chat = scenario.model("test.chat-v1")
    assert set(chat.regions) == {r.name for r in scenario.regions if r.bedrock}
    assert "af-south-1" not in chat.regions


def test_geographies_follow_region_prefixes(scenario: Scenario) -> None:
    assert geography_of(scenario.region("us-east-1")) == "us"
    assert geography_of(scenario.region("eu-west-1")) == "eu"
    assert geography_of(scenario.region("ap-south-1")) == "in"
    assert geographies_of(scenario.region("ap-south-1")) == ("in", "apac")
    assert geography_of(scenario.region("sa-east-1")) is None


def test_fault_kinds_mirror_the_fault_rate_fields() -> None:
    assert tuple(fault.value for fault in Fault) == FAULT_NAMES


def test_region_and_model_rates_combine_as_independent_sources(scenario: Scenario) -> None:
    region = scenario.region("ap-south-1").faults
    assert region.throttle == 1.0
    assert region.combined(scenario.profiles["default"].faults).throttle == 1.0


def test_a_minimal_scenario_gets_defaults() -> None:
    scenario = parse_scenario(MINIMAL)
    model = scenario.model("acme.model-v1")
    assert model.name == "acme.model-v1"
    assert model.input_modalities == ("TEXT",)
    assert model.regions["us-east-1"].profile == "default"
    assert scenario.profiles["default"].flaws == frozenset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", r"invalid TOML: .*line 1"),
        ("[[regions]]\nname = 'us-east-1'\n[[regions]\n", r"invalid TOML: .*line 3"),
        ("name = 'x'", r"regions: missing"),
        ("[[regions]]\nname = 'us-east-9'", r"regions\[0\]\.name: unknown AWS region 'us-east-9'"),
        ("[[regions]]\nname = 'us-east-1'\nthrottle_rate = 2", r"regions\[0\]\.throttle_rate: "),
        ("[[regions]]\nname = 'us-east-1'\nbedrock = 'yes'", r"regions\[0\]\.bedrock: expected"),
        ("[[regions]]\nname = 'us-east-1'\ncolour = 1", r"regions\[0\]\.colour: unknown key"),
        (
            MINIMAL.replace('on_demand = ["*"]', 'profile = "fast"'),
            r"models\[0\]\.profile: unknown profile 'fast'",
        ),
        (MINIMAL + "[profiles.x]\nflaws = ['sloppy']", r"profiles\.x\.flaws\[0\]: unknown value"),
        (MINIMAL + "[profiles.x]\njitter = true", r"profiles\.x\.jitter: expected a number"),
        (MINIMAL.replace('"*"', '"eu-west-1"'), r"models\[0\]\.on_demand: unknown region"),
        (MINIMAL.replace("acme.model-v1", "Bad Id"), r"models\[0\]\.id: not a Bedrock model id"),
        (MINIMAL + MINIMAL.split("\n\n", 1)[1], r"models\[1\]\.id: .* listed twice"),
        (
            MINIMAL + 'access_denied = ["eu-west-1"]',
            r"models\[0\]\.access_denied: the model is not offered in 'eu-west-1'",
        ),
        (
            MINIMAL + 'profile_only = ["*"]',
            r"models\[0\]\.profile_only: only one list may hold '\*'",
        ),
        (
            MINIMAL.replace('"*"', '"us-east-1"') + 'profile_only = ["us-east-1"]',
            r"models\[0\]\.profile_only: region 'us-east-1' is also in on_demand",
        ),
        (MINIMAL + "input = ['SOUND']", r"models\[0\]\.input\[0\]: unknown value 'SOUND'"),
        (
            MINIMAL + 'region_profiles = { "us-east-1" = "nope" }',
            r"models\[0\]\.region_profiles\.us-east-1: unknown profile 'nope'",
        ),
    ],
)
def test_a_bad_scenario_names_the_line_or_the_key(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text, source="bad.toml")


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text("[[regions]]\nname = 'nowhere-1'\n")
    with pytest.raises(ScenarioError, match=rf"^{path}:2: regions\[0\]\.name"):
        load_scenario(path)


NESTED = """
name = "nested"

[[regions]]
name = "us-east-1"

[[regions]]
name = "eu-west-1"
throttle_rate = 0.5

[profiles.slow]
first_token_ms = 900
jitter = 0.1

[[models]]
id = "acme.model-v1"
provider = "Acme"
on_demand = ["*"]

[[models]]
id = "acme.model-v2"
provider = "Acme"
profile_only = [
  "us-east-1",
  "eu-west-1",
]
region_profiles = { "eu-west-1" = "slow" }
"""


def test_the_nested_scenario_is_valid() -> None:
    scenario = parse_scenario(NESTED)
    assert scenario.model("acme.model-v2").regions["eu-west-1"].profile == "slow"
    assert scenario.region("eu-west-1").faults.throttle == 0.5


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("throttle_rate = 0.5", "throttle_rate = 1.5"),
            "bad.toml:9: regions[1].throttle_rate: expected a number ≥ 0 and ≤ 1, not 1.5",
        ),
        (
            ("throttle_rate = 0.5", "throttle_rate = nan"),
            "bad.toml:9: regions[1].throttle_rate: expected a number ≥ 0 and ≤ 1, not nan",
        ),
        (
            ("first_token_ms = 900", "first_token_ms = -inf"),
            "bad.toml:12: profiles.slow.first_token_ms: expected a number ≥ 0, not -inf",
        ),
        (
            ('  "eu-west-1",\n]', '  "eu-west-1",\n  3,\n]'),
            "bad.toml:23: models[1].profile_only: expected a list of strings",
        ),
        (
            ('"eu-west-1" = "slow"', '"eu-west-1" = "fast"'),
            "bad.toml:27: models[1].region_profiles.eu-west-1: unknown profile 'fast'",
        ),
        (
            ('id = "acme.model-v2"', 'id = "acme.model-v1"'),
            "bad.toml:21: models[1].id: model 'acme.model-v1' is listed twice",
        ),
    ],
)
def test_nested_errors_name_file_line_and_key_path(edit: tuple[str, str], expected: str) -> None:
    assert NESTED.count(edit[0]) == 1
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(NESTED.replace(*edit), source="bad.toml")
    assert str(raised.value) == expected


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"cannot read scenario file .*No such file"):
        load_scenario(tmp_path / "absent.toml")


def test_issue_10_traits_are_read_and_checked() -> None:
    """Error injection and reasoning traits (#10): read when valid, refused with the key."""
    from certtui.standin.scenario import ScenarioError, parse_scenario

    base = """
[[regions]]
name = "us-east-1"

[profiles.p]
error = "ThrottlingException"
error_in_stream = "modelTimeoutException"
stop_reason = "malformed_tool_use"
rejects_parameters = ["temperature"]

[[models]]
id = "deepseek.r1-v1:0"
provider = "DeepSeek"
profile = "p"
reasoning = true
reasoning_tokens = 300
on_demand = ["*"]
"""
    scenario = parse_scenario(base)
    behaviour = scenario.profiles["p"]
    assert (behaviour.error, behaviour.error_in_stream, behaviour.stop_reason) == (
        "ThrottlingException",
        "modelTimeoutException",
        "malformed_tool_use",
    )
    assert behaviour.rejects_parameters == frozenset({"temperature"})
    model = scenario.models[0]
    assert model.reasoning and model.reasoning_tokens == 300
    for bad, key in (
        ('error = "NoSuchException"', "error"),
        ('stop_reason = "tired"', "stop_reason"),
        ('error_in_stream = "ModelTimeout"', "error_in_stream"),
        ('rejects_parameters = ["warmth"]', "rejects_parameters"),
    ):
        text = "\n".join(bad if line.startswith(f"{key} =") else line for line in base.splitlines())
        assert bad in text
        try:
            parse_scenario(text)
        except ScenarioError as exc:
            assert key in str(exc)
        else:
            raise AssertionError(f"{bad} was accepted")
