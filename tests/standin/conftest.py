"""A small test scenario, a running stand-in, and real aioboto3 clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aioboto3
import pytest

from certtui.standin import Scenario, StandinServer, parse_scenario, serve
from standin.standin_support import NO_RETRY

# Every latency is tiny so the whole directory runs in seconds; fault profiles hit every time.
TEST_SCENARIO = """
name = "test"
account_id = "111122223333"

[[regions]]
name = "us-east-1"

[[regions]]
name = "us-west-2"

[[regions]]
name = "eu-west-1"

[[regions]]
name = "sa-east-1"

[[regions]]
name = "ap-south-1"
throttle_rate = 1.0

[[regions]]
name = "eu-central-2"
enabled = false

[[regions]]
name = "af-south-1"
bedrock = false

[profiles.default]
first_token_ms = 1
per_token_ms = 0.2
jitter = 0

[profiles.paced]
first_token_ms = 40
per_token_ms = 4
jitter = 0

[profiles.flawed]
flaws = ["ignores_system_prompt", "broken_json", "wrong_arithmetic", "forgets_context",
         "ignores_tools", "misreads_images", "ignores_instructions"]
first_token_ms = 1
per_token_ms = 0.2

[profiles.no_system]
flaws = ["no_system_prompt", "no_tool_use"]
first_token_ms = 1

[profiles.strict]
flaws = ["rejects_requests"]

[profiles.throttled]
throttle_rate = 1.0

[profiles.not_ready]
not_ready_rate = 1.0

[profiles.internal]
internal_error_rate = 1.0

[profiles.unavailable]
unavailable_rate = 1.0

[profiles.timeout]
first_token_ms = 1
timeout_rate = 1.0

[profiles.hang]
timeout_rate = 1.0
timeout_style = "hang"
hang_ms = 3000

[profiles.model_error]
first_token_ms = 1
model_error_rate = 1.0

[profiles.stream_error]
first_token_ms = 1
per_token_ms = 0.2
stream_error_rate = 1.0

[profiles.stream_throttle]
first_token_ms = 1
stream_error_rate = 1.0
stream_error_type = "throttlingException"

[[models]]
id = "test.chat-v1"
name = "Test Chat"
provider = "Acme"
input = ["TEXT", "IMAGE"]
inference_profiles = ["us", "eu"]
on_demand = ["*"]

[[models]]
id = "test.text-only-v1"
name = "Test Text Only"
provider = "Acme"
on_demand = ["us-east-1"]

[[models]]
id = "test.paced-v1"
name = "Test Paced"
provider = "Acme"
profile = "paced"
on_demand = ["us-east-1"]

[[models]]
id = "test.profile-only-v1"
name = "Test Profile Only"
provider = "Globex"
inference_profiles = ["us"]
profile_only = ["us-east-1", "us-west-2", "sa-east-1"]

[[models]]
id = "test.provisioned-v1"
name = "Test Provisioned"
provider = "Globex"
provisioned_only = ["us-east-1"]

[[models]]
id = "test.regional-v1"
name = "Test Regional"
provider = "Globex"
on_demand = ["us-east-1", "us-west-2", "eu-west-1"]
access_denied = ["eu-west-1"]
quota_exceeded = ["us-west-2"]
region_profiles = { "us-east-1" = "model_error" }

[[models]]
id = "test.legacy-v1"
name = "Test Legacy"
provider = "Acme"
lifecycle = "LEGACY"
end_of_life = true
on_demand = ["us-east-1"]

[[models]]
id = "test.old-but-working-v1"
name = "Test Old"
provider = "Acme"
lifecycle = "LEGACY"
on_demand = ["us-east-1"]

[[models]]
id = "test.embed-v1"
name = "Test Embed"
provider = "Acme"
output = ["EMBEDDING"]
streaming = false
on_demand = ["us-east-1"]

[[models]]
id = "test.flawed-v1"
name = "Test Flawed"
provider = "Initech"
input = ["TEXT", "IMAGE"]
profile = "flawed"
on_demand = ["us-east-1"]

[[models]]
id = "test.no-system-v1"
name = "Test No System"
provider = "Initech"
profile = "no_system"
on_demand = ["us-east-1"]

[[models]]
id = "test.strict-v1"
name = "Test Strict"
provider = "Initech"
profile = "strict"
on_demand = ["us-east-1"]
"""

FAULT_PROFILES = (
    "throttled",
    "not_ready",
    "internal",
    "unavailable",
    "timeout",
    "hang",
    "model_error",
    "stream_error",
    "stream_throttle",
)
# One model per fault profile, offered on demand in us-east-1.
TEST_SCENARIO += "".join(
    f'\n[[models]]\nid = "test.{name.replace("_", "-")}-v1"\nprovider = "Faulty"\n'
    f'profile = "{name}"\non_demand = ["us-east-1"]\n'
    for name in FAULT_PROFILES
)

ClientFactory = Callable[..., AbstractAsyncContextManager[Any]]


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """The test scenario, parsed once."""
    return parse_scenario(TEST_SCENARIO, source="test scenario")


@pytest.fixture
async def standin(scenario: Scenario) -> AsyncIterator[StandinServer]:
    """A stand-in serving the test scenario on a free loopback port."""
    async with serve(scenario, seed=7) as server:
        yield server


@pytest.fixture(scope="session")
def aws_session() -> aioboto3.Session:
    """One aioboto3 session for the run, so service models are loaded once."""
    return aioboto3.Session()


@pytest.fixture
def client(standin: StandinServer, aws_session: aioboto3.Session) -> ClientFactory:
    """Make a real aioboto3 client for a service and region, pointed at the stand-in."""
    session = aws_session

    def make(service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        kwargs.setdefault("config", NO_RETRY)
        return session.client(service, region_name=region, endpoint_url=standin.url, **kwargs)

    return make
