"""Converse and ConverseStream with the real aioboto3 client over HTTP against the stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from certtui.bedrock.clients import BedrockClients, BedrockSettings
from certtui.bedrock.errors import BedrockError, is_on_demand_unsupported
from certtui.bedrock.invoke import ModelAvailability, choose_invoke_id, fallback_profile
from certtui.bedrock.operations import ConverseStream, converse, converse_stream
from certtui.bedrock.results import (
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    MessageStart,
    MessageStop,
    Metadata,
)
from certtui.domain.errors import ErrorCategory
from certtui.standin.server import StandinServer

from .conftest import user

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"
STREAMY = "amazon.nova-lite-v1:0"
COUNT = user("Count from 1 to 12.")
WEATHER_TOOL = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Current weather of a city.",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    }
                },
            }
        }
    ]
}


async def wait_until_idle(standin: StandinServer, timeout: float = 3.0) -> None:
    """Wait until the stand-in has no runtime call in flight (it saw every connection end)."""
    async with asyncio.timeout(timeout):
        while standin.stats.in_flight_now:
            await asyncio.sleep(0.01)


async def test_converse_returns_text_usage_and_latencies(clients: BedrockClients) -> None:
    result = await converse(
        clients,
        "us-east-1",
        HAIKU,
        messages=user("What is 17 + 25? Answer with digits only."),
        inferenceConfig={"maxTokens": 50},
    )
    assert result.text == "42"
    assert result.stop_reason == "end_turn"
    assert result.usage.output_tokens > 0
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    assert result.server_latency_ms is not None and result.server_latency_ms >= 0
    assert result.client_latency_ms > 0
    assert result.request_id
    assert (result.region, result.invoke_id) == ("us-east-1", HAIKU)


async def test_converse_tool_use(clients: BedrockClients) -> None:
    result = await converse(
        clients,
        "us-east-1",
        HAIKU,
        messages=user("What is the weather in Lisbon? Use the tool."),
        toolConfig=WEATHER_TOOL,
    )
    assert result.stop_reason == "tool_use"
    (tool,) = result.tool_uses
    assert tool.name == "get_weather"
    assert tool.input == {"city": "Lisbon"}


async def test_profile_only_model_through_its_profile(clients: BedrockClients) -> None:
    result = await converse(clients, "us-east-1", f"us.{SONNET}", messages=user("hello"))
    assert result.invoke_id == f"us.{SONNET}"
    assert result.text


async def test_on_demand_refusal_then_one_retry_through_the_profile(
    clients: BedrockClients,
) -> None:
    # Discovery claims on demand (stale data): the bare id is refused, the profile works.
    availability = ModelAvailability(True, True, (f"global.{SONNET}", f"us.{SONNET}"))
    first = choose_invoke_id(SONNET, "us-east-1", availability)
    with pytest.raises(BedrockError) as caught:
        await converse(clients, "us-east-1", first.invoke_id, messages=user("hello"))
    assert is_on_demand_unsupported(caught.value)
    assert caught.value.classified.category is ErrorCategory.PROVISIONING_REQUIRED

    retry = fallback_profile(first, availability)
    assert retry is not None
    result = await converse(clients, "us-east-1", retry.invoke_id, messages=user("hello"))
    assert result.invoke_id == f"us.{SONNET}"


async def test_converse_stream_events_and_time_to_first_token(clients: BedrockClients) -> None:
    events = []
    async with converse_stream(clients, "us-east-1", STREAMY, messages=COUNT) as stream:
        async for event in stream:
            events.append(event)
    result = stream.result

    assert isinstance(events[0], MessageStart) and events[0].role == "assistant"
    assert isinstance(events[-2], MessageStop) and isinstance(events[-1], Metadata)
    deltas = [e for e in events if isinstance(e, ContentBlockDelta)]
    assert len(deltas) > 1
    assert isinstance(events[-3], ContentBlockStop)
    assert [e.elapsed_ms for e in events] == sorted(e.elapsed_ms for e in events)

    assert result.text == " ".join(str(n) for n in range(1, 13))
    assert result.text_deltas == len(deltas)
    assert result.ttft_ms == deltas[0].elapsed_ms
    assert result.ttft_ms is not None and result.client_latency_ms is not None
    assert 0 < result.ttft_ms < result.client_latency_ms
    assert result.stop_reason == "end_turn"
    assert result.usage is not None and result.usage.output_tokens > 0
    assert result.server_latency_ms is not None
    assert result.finished and stream.closed
    assert result.event_kinds[0] == "messageStart" and result.event_kinds[-1] == "metadata"
    assert result.events == events  # what the checks judge is what the iterator yielded


async def test_converse_stream_tool_use_input_is_assembled(clients: BedrockClients) -> None:
    async with converse_stream(
        clients,
        "us-east-1",
        HAIKU,
        messages=user("What is the weather in Lisbon? Use the tool."),
        toolConfig=WEATHER_TOOL,
    ) as stream:
        result = await stream.collect()
    starts = [k for k in result.event_kinds if k == "contentBlockStart"]
    assert starts, result.event_kinds
    assert result.stop_reason == "tool_use"
    (tool,) = result.tool_uses
    assert (tool.name, tool.input) == ("get_weather", {"city": "Lisbon"})


async def test_converse_stream_event_types_for_a_tool_block(clients: BedrockClients) -> None:
    async with converse_stream(
        clients,
        "us-east-1",
        HAIKU,
        messages=user("What is the weather in Lisbon? Use the tool."),
        toolConfig=WEATHER_TOOL,
    ) as stream:
        events = [event async for event in stream]
    start = next(e for e in events if isinstance(e, ContentBlockStart))
    assert start.tool_name == "get_weather" and start.tool_use_id
    assert any(isinstance(e, ContentBlockDelta) and e.tool_input for e in events)


@pytest.mark.parametrize(
    ("model_id", "category", "code", "retryable"),
    [
        ("acme.stream-broken-v1", ErrorCategory.MODEL_ERROR, "ModelStreamErrorException", True),
        ("acme.stream-throttled-v1", ErrorCategory.RATE_LIMIT, "ThrottlingException", True),
    ],
)
async def test_in_stream_error_is_classified(
    clients: BedrockClients,
    standin: StandinServer,
    model_id: str,
    category: ErrorCategory,
    code: str,
    retryable: bool,
) -> None:
    with pytest.raises(BedrockError) as caught:
        async with converse_stream(clients, "us-east-1", model_id, messages=COUNT) as stream:
            response = http_response(stream)
            await stream.collect()
    classified = caught.value.classified
    assert (classified.category, classified.code, classified.retryable) == (
        category,
        code,
        retryable,
    )
    assert caught.value.operation == "ConverseStream"
    # The error came after some content: what arrived before it is kept.
    assert stream.result.ttft_ms is not None
    assert not stream.result.finished
    assert stream.closed and response.closed
    await wait_until_idle(standin)


def http_response(stream: ConverseStream) -> Any:
    """The aiohttp response under a stream (botocore's EventStream keeps it).

    Holding it also keeps garbage collection from closing it, which would hide a missing close.
    """
    return stream._events._raw_stream


async def test_cancelled_consumer_closes_the_http_response(standin: StandinServer) -> None:
    # One pooled connection: a leaked half-read response would block the next call.
    settings = BedrockSettings(endpoint_url=standin.url, max_pool_connections=1)
    async with BedrockClients(settings) as clients:
        first_delta = asyncio.Event()
        opened = []

        async def consume() -> None:
            async with converse_stream(clients, "us-east-1", STREAMY, messages=COUNT) as stream:
                opened.append((stream, http_response(stream)))
                async for event in stream:
                    if isinstance(event, ContentBlockDelta):
                        first_delta.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first_delta.wait(), 5)
        assert standin.stats.in_flight_now == {"us-east-1": 1}
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        ((stream, response),) = opened
        assert stream.closed and response.closed
        assert not stream.result.finished
        await wait_until_idle(standin)
        result = await asyncio.wait_for(
            converse(clients, "us-east-1", HAIKU, messages=user("hi")), 5
        )
        assert result.text


async def test_leaving_a_stream_early_closes_it(
    clients: BedrockClients, standin: StandinServer
) -> None:
    async with converse_stream(clients, "us-east-1", STREAMY, messages=COUNT) as stream:
        response = http_response(stream)
        async for event in stream:
            if isinstance(event, ContentBlockDelta):
                break
    assert stream.closed and response.closed
    assert not stream.result.finished
    await wait_until_idle(standin)


async def test_stream_must_be_entered(clients: BedrockClients) -> None:
    stream = converse_stream(clients, "us-east-1", HAIKU, messages=user("hi"))
    with pytest.raises(RuntimeError, match="async with"):
        await anext(aiter(stream))


async def test_read_timeout_is_a_retryable_timeout(standin: StandinServer) -> None:
    settings = BedrockSettings(endpoint_url=standin.url, read_timeout=0.3)
    async with BedrockClients(settings) as clients:
        with pytest.raises(BedrockError) as caught:
            await converse(clients, "us-east-1", "acme.hanging-v1", messages=user("hi"))
    classified = caught.value.classified
    assert classified.category is ErrorCategory.TIMEOUT
    assert classified.code == "ReadTimeoutError"
    assert classified.retryable
