"""Answers the stand-in never gives: a tiny misbehaving HTTP server, the real aioboto3 client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from certtui.bedrock.clients import BedrockClients, BedrockSettings
from certtui.bedrock.errors import BedrockError
from certtui.bedrock.operations import (
    converse,
    converse_stream,
    list_foundation_models,
    list_inference_profiles,
)
from certtui.domain.errors import ErrorCategory
from certtui.standin.eventstream import CONTENT_TYPE, event_frame

from .conftest import user

PROFILE = {
    "inferenceProfileName": "US x",
    "inferenceProfileArn": "arn:aws:bedrock:us-east-1:1:inference-profile/us.a.b-v1",
    "inferenceProfileId": "us.a.b-v1",
    "status": "ACTIVE",
    "type": "SYSTEM_DEFINED",
    "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/a.b-v1"}],
}


async def same_page_forever(request: web.Request) -> web.Response:
    return web.json_response({"inferenceProfileSummaries": [PROFILE], "nextToken": "again"})


async def model_without_id(request: web.Request) -> web.Response:
    return web.json_response({"modelSummaries": [{"modelArn": "arn:x", "modelName": "?"}]})


async def answer_without_message(request: web.Request) -> web.Response:
    usage = {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}
    return web.json_response({"stopReason": "end_turn", "usage": usage, "metrics": {}})


async def stream_then_hang_up(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": CONTENT_TYPE})
    await response.prepare(request)
    await response.write(event_frame("messageStart", {"role": "assistant"}))
    delta = {"delta": {"text": "Hel"}, "contentBlockIndex": 0}
    await response.write(event_frame("contentBlockDelta", delta))
    await asyncio.sleep(0.05)
    assert request.transport is not None
    request.transport.abort()
    return response


@pytest.fixture
async def broken_clients() -> AsyncIterator[BedrockClients]:
    """Clients pointed at a server that breaks the API's promises."""
    app = web.Application()
    app.router.add_get("/inference-profiles", same_page_forever)
    app.router.add_get("/foundation-models", model_without_id)
    app.router.add_post("/model/{model_id}/converse", answer_without_message)
    app.router.add_post("/model/{model_id}/converse-stream", stream_then_hang_up)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        settings = BedrockSettings(endpoint_url=f"http://127.0.0.1:{port}")
        async with BedrockClients(settings) as clients:
            yield clients
    finally:
        await runner.cleanup()


async def test_a_repeated_page_token_stops_pagination(broken_clients: BedrockClients) -> None:
    with pytest.raises(BedrockError) as caught:
        await asyncio.wait_for(list_inference_profiles(broken_clients, "us-east-1"), 5)
    assert caught.value.classified.category is ErrorCategory.UNKNOWN_ERROR
    assert "repeated the page token" in caught.value.classified.message


async def test_a_listing_without_required_fields_is_malformed(
    broken_clients: BedrockClients,
) -> None:
    with pytest.raises(BedrockError) as caught:
        await list_foundation_models(broken_clients, "us-east-1")
    assert caught.value.classified.code == "MalformedResponse"


async def test_a_converse_answer_without_a_message_is_a_model_error(
    broken_clients: BedrockClients,
) -> None:
    with pytest.raises(BedrockError) as caught:
        await converse(broken_clients, "us-east-1", "a.b-v1", messages=user("hi"))
    classified = caught.value.classified
    assert (classified.category, classified.code) == (
        ErrorCategory.MODEL_ERROR,
        "MalformedModelOutput",
    )


async def test_a_connection_lost_mid_stream_is_a_network_error(
    broken_clients: BedrockClients,
) -> None:
    with pytest.raises(BedrockError) as caught:
        async with converse_stream(
            broken_clients, "us-east-1", "a.b-v1", messages=user("hi")
        ) as stream:
            await stream.collect()
    classified = caught.value.classified
    assert classified.category is ErrorCategory.NETWORK_ERROR
    assert classified.retryable
    assert stream.result.text == "Hel"
    assert stream.closed
