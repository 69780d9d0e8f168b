"""Every error category of SPEC §3.3 reached end to end: aioboto3 over HTTP to the stand-in."""

from __future__ import annotations

import pytest

from certtui.bedrock.catalog import DiscoveryResult
from certtui.bedrock.clients import BedrockClients
from certtui.bedrock.errors import BedrockError
from certtui.bedrock.invoke import choose_invoke_id
from certtui.bedrock.operations import converse, converse_stream, discover
from certtui.domain.errors import ErrorCategory

from .conftest import user

C = ErrorCategory
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA_300K = "amazon.nova-pro-v1:0:300k"


async def call(clients: BedrockClients, kind: str, region: str, model_id: str) -> None:
    """One Converse or ConverseStream call, read to its end."""
    messages = user("Count from 1 to 5.")
    if kind == "converse":
        await converse(clients, region, model_id, messages=messages)
        return
    async with converse_stream(clients, region, model_id, messages=messages) as stream:
        await stream.collect()


CASES = [
    ("eu-west-1", HAIKU, C.PERMISSION_ERROR, "AccessDeniedException", False),
    ("eu-central-2", HAIKU, C.AUTHENTICATION_ERROR, "UnrecognizedClientException", False),
    ("us-east-1", "anthropic.claude-v2:1", C.UNAVAILABLE, "ResourceNotFoundException", False),
    ("us-east-1", NOVA_300K, C.PROVISIONING_REQUIRED, "ValidationException", False),
    ("us-east-1", "acme.strict-v1", C.CONFIGURATION_ERROR, "ValidationException", False),
    ("us-east-1", "acme.embed-v1", C.CONFIGURATION_ERROR, "ValidationException", False),
    ("us-east-1", "acme.no-such-model-v1", C.CONFIGURATION_ERROR, "ValidationException", False),
    ("us-east-1", "acme.throttled-v1", C.RATE_LIMIT, "ThrottlingException", True),
    ("us-west-2", HAIKU, C.QUOTA_EXCEEDED, "ServiceQuotaExceededException", False),
    ("us-east-1", "acme.timing-out-v1", C.TIMEOUT, "ModelTimeoutException", True),
    ("af-south-1", HAIKU, C.NETWORK_ERROR, "EndpointConnectionError", True),
    ("us-east-1", "acme.broken-v1", C.MODEL_ERROR, "ModelErrorException", False),
    ("us-east-1", "acme.internal-v1", C.UNKNOWN_ERROR, "InternalServerException", True),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["converse", "stream"])
@pytest.mark.parametrize(
    ("region", "model_id", "category", "code", "retryable"),
    CASES,
    ids=[f"{case[2]}-{case[1]}" for case in CASES],
)
async def test_category_end_to_end(
    clients: BedrockClients,
    kind: str,
    region: str,
    model_id: str,
    category: ErrorCategory,
    code: str,
    retryable: bool,
) -> None:
    with pytest.raises(BedrockError) as caught:
        await call(clients, kind, region, model_id)
    classified = caught.value.classified
    assert (classified.category, classified.code, classified.retryable) == (
        category,
        code,
        retryable,
    )
    assert classified.message
    assert (caught.value.region, caught.value.model_id) == (region, model_id)


async def test_every_failure_category_is_covered() -> None:
    failures = set(C) - {C.QUALITY_ISSUE}  # QUALITY_ISSUE is the battery's verdict, not an error
    assert {case[2] for case in CASES} == failures


async def engine_path_category(
    clients: BedrockClients, discovered: DiscoveryResult, region: str, model_id: str
) -> ErrorCategory | None:
    """The category the engine would record: region error, non-invocable choice, or the call's."""
    if region in discovered.errors:
        return discovered.errors[region].category
    choice = choose_invoke_id(model_id, region, discovered.availability(model_id, region))
    if choice.invoke_id is None:
        return choice.category
    try:
        await converse(clients, region, choice.invoke_id, messages=user("Hello"))
    except BedrockError as exc:
        return exc.classified.category
    return None


# The failure modes the default scenario advertises in its header, in the engine's order:
# discovery, then invoke-id resolution, then the call through the chosen id.
DEFAULT_SCENARIO_CASES = [
    ("sa-east-1", "anthropic.claude-3-5-sonnet-20240620-v1:0", C.PERMISSION_ERROR),
    ("eu-central-2", HAIKU, C.AUTHENTICATION_ERROR),
    ("us-east-1", "anthropic.claude-v2:1", C.UNAVAILABLE),
    ("sa-east-1", "anthropic.claude-3-5-sonnet-20241022-v2:0", C.PROVISIONING_REQUIRED),
    ("us-east-1", NOVA_300K, C.PROVISIONING_REQUIRED),
    ("us-east-1", "mistral.mistral-small-2402-v1:0", C.CONFIGURATION_ERROR),
    ("us-east-2", "deepseek.r1-v1:0", C.RATE_LIMIT),
    ("eu-north-1", "anthropic.claude-3-7-sonnet-20250219-v1:0", C.QUOTA_EXCEEDED),
    ("us-east-1", "ai21.jamba-1-5-large-v1:0", C.TIMEOUT),
    ("ap-east-1", HAIKU, C.NETWORK_ERROR),
    ("us-west-2", "writer.palmyra-x4-v1:0", C.MODEL_ERROR),
]


async def test_default_scenario_failure_modes_through_the_engine_path(
    default_clients: BedrockClients,
) -> None:
    regions = sorted({case[0] for case in DEFAULT_SCENARIO_CASES})
    discovered = await discover(default_clients, regions)
    seen = {
        (region, model_id): await engine_path_category(
            default_clients, discovered, region, model_id
        )
        for region, model_id, _ in DEFAULT_SCENARIO_CASES
    }
    assert seen == {(r, m): expected for r, m, expected in DEFAULT_SCENARIO_CASES}
