"""The built-in scenario over the wire: healthy cells answer, and each failure mode shows up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aioboto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from certtui.standin import StandinServer, serve
from standin.standin_support import NO_RETRY, user


@pytest.fixture
async def default_standin() -> AsyncIterator[StandinServer]:
    """The default scenario, paced at 1 ms a call so the test stays quick."""
    async with serve(seed=0, latency_ms=1) as server:
        yield server


async def call(server: StandinServer, session: aioboto3.Session, model: str, region: str) -> dict:
    async with session.client(
        "bedrock-runtime", region_name=region, endpoint_url=server.url, config=NO_RETRY
    ) as runtime:
        return await runtime.converse(modelId=model, messages=[user("Hello there")])


@pytest.mark.parametrize(
    ("model", "region", "code"),
    [
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", "sa-east-1", "AccessDeniedException"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "eu-central-2", "UnrecognizedClientException"),
        ("anthropic.claude-v2:1", "us-east-1", "ResourceNotFoundException"),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "sa-east-1", "ValidationException"),
        ("amazon.nova-pro-v1:0:300k", "us-east-1", "ValidationException"),
        ("mistral.mistral-small-2402-v1:0", "us-east-1", "ValidationException"),
        ("us.deepseek.r1-v1:0", "us-east-2", "ThrottlingException"),
        (
            "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "eu-north-1",
            "ServiceQuotaExceededException",
        ),
        ("ai21.jamba-1-5-large-v1:0", "us-east-1", "ModelTimeoutException"),
        ("us.writer.palmyra-x4-v1:0", "us-west-2", "ModelErrorException"),
    ],
)
async def test_each_failure_mode_is_reachable(
    default_standin: StandinServer,
    aws_session: aioboto3.Session,
    model: str,
    region: str,
    code: str,
) -> None:
    with pytest.raises(ClientError) as caught:
        await call(default_standin, aws_session, model, region)
    assert caught.value.response["Error"]["Code"] == code


async def test_a_region_without_bedrock_is_unreachable(
    default_standin: StandinServer, aws_session: aioboto3.Session
) -> None:
    with pytest.raises(EndpointConnectionError):
        await call(
            default_standin, aws_session, "anthropic.claude-3-haiku-20240307-v1:0", "ap-east-1"
        )


async def test_no_profile_reaches_a_profile_only_model_in_sa_east_1(
    default_standin: StandinServer, aws_session: aioboto3.Session
) -> None:
    async with aws_session.client(
        "bedrock", region_name="sa-east-1", endpoint_url=default_standin.url, config=NO_RETRY
    ) as bedrock:
        paginator = bedrock.get_paginator("list_inference_profiles")
        ids = [
            profile["inferenceProfileId"]
            async for page in paginator.paginate()
            for profile in page["inferenceProfileSummaries"]
        ]
        models = (await bedrock.list_foundation_models())["modelSummaries"]
    sonnet_v2 = "anthropic.claude-3-5-sonnet-20241022-v2:0"
    assert not any(profile.endswith(sonnet_v2) for profile in ids)
    summary = next(m for m in models if m["modelId"] == sonnet_v2)
    assert summary["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]


@pytest.mark.parametrize(
    ("model", "region"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1"),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "us-west-2"),
        ("eu.amazon.nova-lite-v1:0", "eu-central-1"),
        ("apac.anthropic.claude-3-5-sonnet-20241022-v2:0", "ap-northeast-1"),
        ("global.anthropic.claude-sonnet-4-20250514-v1:0", "eu-west-1"),
        ("mistral.mistral-large-2402-v1:0", "eu-west-3"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "ca-central-1"),
        ("jp.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-northeast-3"),
        ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-southeast-4"),
        ("global.amazon.nova-2-lite-v1:0", "eu-west-1"),
        ("openai.gpt-oss-120b-1:0", "sa-east-1"),
    ],
)
async def test_healthy_cells_answer(
    default_standin: StandinServer, aws_session: aioboto3.Session, model: str, region: str
) -> None:
    response = await call(default_standin, aws_session, model, region)
    assert response["output"]["message"]["content"][0]["text"]
