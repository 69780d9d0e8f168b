"""Fixtures for the real aioboto3 clients talking HTTP to the real Bedrock stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from certtui.bedrock.clients import BedrockClients, BedrockSettings
from certtui.standin.scenario import Scenario, parse_scenario
from certtui.standin.server import StandinServer, serve

# A small scenario where every failure is certain, so each test sees exactly one behaviour.
CLIENT_SCENARIO = """
name = "bedrock-client-tests"
expired_key_prefix = "AKIDEXPIRED"

[[regions]]
name = "us-east-1"

[[regions]]
name = "us-west-2"

[[regions]]
name = "eu-west-1"

[[regions]]
name = "ca-central-1"
geography = ""  # no cross-region geography here (so no profile reaches it)

[[regions]]
name = "eu-central-2"
enabled = false

[[regions]]
name = "af-south-1"
bedrock = false

[profiles.quick]
first_token_ms = 10
per_token_ms = 1
jitter = 0.0

[profiles.streamy]
first_token_ms = 60
per_token_ms = 15
jitter = 0.0

[profiles.throttled]
first_token_ms = 10
throttle_rate = 1.0

[profiles.broken]
first_token_ms = 10
model_error_rate = 1.0

[profiles.timing_out]
first_token_ms = 10
timeout_rate = 1.0

[profiles.hanging]
timeout_rate = 1.0
timeout_style = "hang"
hang_ms = 5000

[profiles.internal]
internal_error_rate = 1.0

[profiles.stream_broken]
first_token_ms = 10
per_token_ms = 5
stream_error_rate = 1.0
stream_error_type = "modelStreamErrorException"

[profiles.stream_throttled]
first_token_ms = 10
per_token_ms = 5
stream_error_rate = 1.0
stream_error_type = "throttlingException"

[profiles.strict]
flaws = ["rejects_requests"]

[[models]]
id = "anthropic.claude-3-haiku-20240307-v1:0"
provider = "Anthropic"
profile = "quick"
inference_profiles = ["us", "eu", "global"]
on_demand = ["*"]
access_denied = ["eu-west-1"]
quota_exceeded = ["us-west-2"]

[[models]]
id = "anthropic.claude-3-5-sonnet-20241022-v2:0"
provider = "Anthropic"
profile = "quick"
inference_profiles = ["us", "global"]
profile_only = ["us-east-1", "us-west-2"]

[[models]]
id = "meta.llama3-1-405b-instruct-v1:0"
provider = "Meta"
profile = "quick"
inference_profiles = ["us"]
profile_only = ["ca-central-1"]
on_demand = ["us-east-1"]

[[models]]
id = "amazon.nova-pro-v1:0:300k"
provider = "Amazon"
provisioned_only = ["us-east-1"]

[[models]]
id = "anthropic.claude-v2:1"
provider = "Anthropic"
lifecycle = "LEGACY"
end_of_life = true
on_demand = ["us-east-1"]

[[models]]
id = "amazon.nova-lite-v1:0"
provider = "Amazon"
input = ["TEXT", "IMAGE"]
profile = "streamy"
on_demand = ["us-east-1"]

[[models]]
id = "acme.throttled-v1"
provider = "Acme"
profile = "throttled"
on_demand = ["us-east-1"]

[[models]]
id = "acme.broken-v1"
provider = "Acme"
profile = "broken"
on_demand = ["us-east-1"]

[[models]]
id = "acme.timing-out-v1"
provider = "Acme"
profile = "timing_out"
on_demand = ["us-east-1"]

[[models]]
id = "acme.hanging-v1"
provider = "Acme"
profile = "hanging"
on_demand = ["us-east-1"]

[[models]]
id = "acme.internal-v1"
provider = "Acme"
profile = "internal"
on_demand = ["us-east-1"]

[[models]]
id = "acme.stream-broken-v1"
provider = "Acme"
profile = "stream_broken"
on_demand = ["us-east-1"]

[[models]]
id = "acme.stream-throttled-v1"
provider = "Acme"
profile = "stream_throttled"
on_demand = ["us-east-1"]

[[models]]
id = "acme.strict-v1"
provider = "Acme"
profile = "strict"
on_demand = ["us-east-1"]

[[models]]
id = "acme.embed-v1"
provider = "Acme"
output = ["EMBEDDING"]
streaming = false
on_demand = ["us-east-1"]
"""


def user(text: str) -> list[dict]:
    """A one-turn Converse conversation."""
    return [{"role": "user", "content": [{"text": text}]}]


@pytest.fixture
def client_scenario() -> Scenario:
    """The deterministic scenario above."""
    return parse_scenario(CLIENT_SCENARIO, source="tests/bedrock/conftest.py")


@pytest.fixture
async def standin(client_scenario: Scenario) -> AsyncIterator[StandinServer]:
    """The stand-in serving the deterministic scenario on loopback."""
    async with serve(client_scenario, seed=7) as server:
        yield server


@pytest.fixture
async def default_standin() -> AsyncIterator[StandinServer]:
    """The stand-in serving its built-in default scenario on loopback, answering quickly."""
    async with serve(seed=0, latency_ms=20) as server:
        yield server


@pytest.fixture
async def clients(standin: StandinServer) -> AsyncIterator[BedrockClients]:
    """Clients pointed at the deterministic stand-in."""
    async with BedrockClients(BedrockSettings(endpoint_url=standin.url)) as opened:
        yield opened


@pytest.fixture
async def default_clients(default_standin: StandinServer) -> AsyncIterator[BedrockClients]:
    """Clients pointed at the default-scenario stand-in."""
    async with BedrockClients(BedrockSettings(endpoint_url=default_standin.url)) as opened:
        yield opened
