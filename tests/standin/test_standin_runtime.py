"""Converse and ConverseStream through the real aioboto3 client: answers, errors, streams."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aioboto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    EventStreamError,
    ReadTimeoutError,
)

from certtui.standin import FaultRates, Scenario, StandinServer, serve
from certtui.standin.errors import ERROR_STATUS
from standin.standin_support import NO_RETRY, assistant, solid_png, user

ON_DEMAND_MESSAGE = (
    "Invocation of model ID {} with on-demand throughput isn’t supported. Retry your request "
    "with the ID or ARN of an inference profile that contains this model."
)
WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            }
        },
    }
}


async def converse(client, model: str, region: str = "us-east-1", **request: Any) -> dict:
    request.setdefault("messages", [user("Hello there")])
    async with client("bedrock-runtime", region) as runtime:
        return await runtime.converse(modelId=model, **request)


async def stream_events(client, model: str, region: str = "us-east-1", **request: Any) -> list:
    request.setdefault("messages", [user("Explain how DNS resolution works.")])
    async with client("bedrock-runtime", region) as runtime:
        response = await runtime.converse_stream(modelId=model, **request)
        return [event async for event in response["stream"]]


def streamed_text(events: list[dict]) -> str:
    return "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
    )


async def test_converse_answers_with_the_full_shape(client, standin: StandinServer) -> None:
    response = await converse(
        client, "test.chat-v1", messages=[user("What is 17 + 25? Answer with digits only.")]
    )
    assert response["output"]["message"] == {"role": "assistant", "content": [{"text": "42"}]}
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["outputTokens"] == 1
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert response["metrics"]["latencyMs"] >= 0
    assert response["ResponseMetadata"]["RequestId"]
    assert standin.stats.calls == {"Converse": 1}
    assert standin.stats.calls_by_region == {"us-east-1": 1}


@pytest.mark.parametrize(
    "model",
    [
        "us.test.profile-only-v1",
        "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.test.profile-only-v1",
        "arn:aws:bedrock:us-east-1::foundation-model/test.chat-v1",
        "us.test.chat-v1",
    ],
)
async def test_profiles_and_arns_are_accepted(client, model: str) -> None:
    response = await converse(client, model)
    assert response["output"]["message"]["content"][0]["text"]


ERROR_CASES = [
    # (model, region, code, message fragment)
    ("test.profile-only-v1", "us-east-1", "ValidationException", "on-demand throughput isn’t"),
    ("test.profile-only-v1", "sa-east-1", "ValidationException", "inference profile"),
    ("test.provisioned-v1", "us-east-1", "ValidationException", "on-demand throughput"),
    ("test.legacy-v1", "us-east-1", "ResourceNotFoundException", "reached the end of its life"),
    ("test.regional-v1", "eu-west-1", "AccessDeniedException", "don't have access to the model"),
    ("test.regional-v1", "us-west-2", "ServiceQuotaExceededException", "quota"),
    ("test.regional-v1", "us-east-1", "ModelErrorException", "model returned an error"),
    ("test.text-only-v1", "eu-west-1", "ValidationException", "model identifier is invalid"),
    ("unknown.model-v1", "us-east-1", "ValidationException", "model identifier is invalid"),
    ("eu.test.chat-v1", "us-east-1", "ValidationException", "model identifier is invalid"),
    ("test.embed-v1", "us-east-1", "ValidationException", "supported text or chat model"),
    ("test.strict-v1", "us-east-1", "ValidationException", "Malformed input request"),
    ("test.throttled-v1", "us-east-1", "ThrottlingException", "Too many requests"),
    ("test.not-ready-v1", "us-east-1", "ModelNotReadyException", "not ready"),
    ("test.internal-v1", "us-east-1", "InternalServerException", "unexpected error"),
    ("test.unavailable-v1", "us-east-1", "ServiceUnavailableException", "temporarily unable"),
    ("test.timeout-v1", "us-east-1", "ModelTimeoutException", "timed out"),
    ("test.model-error-v1", "us-east-1", "ModelErrorException", "model returned an error"),
    ("test.chat-v1", "ap-south-1", "ThrottlingException", "Too many requests"),
    ("test.chat-v1", "eu-central-2", "UnrecognizedClientException", "security token"),
]


@pytest.mark.parametrize(("model", "region", "code", "fragment"), ERROR_CASES)
async def test_each_error_is_parsed_by_botocore(
    client, standin: StandinServer, model: str, region: str, code: str, fragment: str
) -> None:
    with pytest.raises(ClientError) as caught:
        await converse(client, model, region)
    response = caught.value.response
    assert response["Error"]["Code"] == code
    assert fragment in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == ERROR_STATUS[code]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert standin.stats.errors == {code: 1}


async def test_on_demand_message_names_the_model_with_a_curly_apostrophe(client) -> None:
    with pytest.raises(ClientError) as caught:
        await converse(client, "test.profile-only-v1")
    expected = ON_DEMAND_MESSAGE.format("test.profile-only-v1")
    assert caught.value.response["Error"]["Message"] == expected


async def test_streams_fail_before_the_stream_with_the_same_errors(client) -> None:
    with pytest.raises(ClientError) as caught:
        await stream_events(client, "test.throttled-v1")
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"


async def test_the_expired_key_fails_runtime_calls_too(client) -> None:
    async with client(
        "bedrock-runtime", aws_access_key_id="AKIDEXPIREDX", aws_secret_access_key="s"
    ) as runtime:
        with pytest.raises(ClientError) as caught:
            await runtime.converse(modelId="test.chat-v1", messages=[user("hi")])
    assert caught.value.response["Error"]["Code"] == "ExpiredTokenException"


@pytest.mark.parametrize(
    ("model", "request_fields", "fragment"),
    [
        ("test.no-system-v1", {"system": [{"text": "Be brief."}]}, "support system messages"),
        ("test.no-system-v1", {"toolConfig": {"tools": [WEATHER_TOOL]}}, "support tool use"),
        ("test.chat-v1", {"messages": [assistant("Hi")]}, "must start with a user message"),
        ("test.chat-v1", {"messages": [user("a"), user("b")]}, "must alternate"),
        ("test.chat-v1", {"messages": [user(" ")]}, "is blank"),
    ],
)
async def test_requests_bedrock_would_reject(
    client, model: str, request_fields: dict, fragment: str
) -> None:
    with pytest.raises(ClientError) as caught:
        await converse(client, model, **request_fields)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in caught.value.response["Error"]["Message"]


async def test_an_image_for_a_text_only_model_is_rejected(client) -> None:
    content = [{"text": "What colour?"}, {"image": {"format": "png", "source": {"bytes": b"x"}}}]
    with pytest.raises(ClientError, match="image content block"):
        await converse(client, "test.text-only-v1", messages=[{"role": "user", "content": content}])


async def test_a_region_without_bedrock_fails_at_the_connection(
    client, standin: StandinServer
) -> None:
    with pytest.raises(EndpointConnectionError):
        await converse(client, "test.chat-v1", "af-south-1")
    assert standin.stats.errors == {"ConnectionReset": 1}


async def test_a_profile_works_only_where_its_geography_reaches(client) -> None:
    answered = await converse(client, "us.test.profile-only-v1", "us-west-2")
    assert answered["stopReason"] == "end_turn"
    # sa-east-1 offers the model only through profiles, and no profile reaches it there.
    with pytest.raises(ClientError, match="model identifier is invalid"):
        await converse(client, "us.test.profile-only-v1", "sa-east-1")


async def test_tool_use_over_converse(client) -> None:
    response = await converse(
        client,
        "test.chat-v1",
        messages=[user("What's the weather in Lisbon today?")],
        toolConfig={"tools": [WEATHER_TOOL]},
    )
    assert response["stopReason"] == "tool_use"
    tool_use = response["output"]["message"]["content"][-1]["toolUse"]
    assert tool_use["name"] == "get_weather"
    assert tool_use["input"] == {"city": "Lisbon"}


async def test_json_max_tokens_and_stop_sequences_over_converse(client) -> None:
    asked = await converse(
        client, "test.chat-v1", messages=[user('Reply with a JSON object with keys "a" and "b".')]
    )
    assert set(json.loads(asked["output"]["message"]["content"][0]["text"])) == {"a", "b"}
    limited = await converse(
        client,
        "test.chat-v1",
        messages=[user("Write a long essay about DNS.")],
        inferenceConfig={"maxTokens": 8},
    )
    assert limited["stopReason"] == "max_tokens"
    assert limited["usage"]["outputTokens"] == 8
    stopped = await converse(
        client,
        "test.chat-v1",
        messages=[user("Count from 1 to 10.")],
        inferenceConfig={"stopSequences": ["5"]},
    )
    assert stopped["stopReason"] == "stop_sequence"
    assert stopped["output"]["message"]["content"][0]["text"] == "1 2 3 4"


async def test_multi_turn_recall_over_converse(client) -> None:
    response = await converse(
        client,
        "test.chat-v1",
        messages=[
            user("My favourite colour is teal."),
            assistant("Noted."),
            user("What is 2 + 3?"),
            assistant("5"),
            user("What is my favourite colour? Answer with one word."),
        ],
    )
    assert response["output"]["message"]["content"][0]["text"] == "teal"


async def test_system_prompt_and_image_over_converse(client) -> None:
    image = {"image": {"format": "png", "source": {"bytes": solid_png((0, 0, 230))}}}
    response = await converse(
        client,
        "test.chat-v1",
        system=[{"text": "Always start your reply with [[OK]]."}],
        messages=[{"role": "user", "content": [{"text": "What colour is this?"}, image]}],
    )
    text = response["output"]["message"]["content"][0]["text"]
    assert text.startswith("[[OK]]")
    assert "blue" in text


async def test_converse_stream_events_arrive_in_order(client) -> None:
    events = await stream_events(client, "test.chat-v1")
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart"
    assert events[0]["messageStart"] == {"role": "assistant"}
    assert kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(kinds[1:-3]) == {"contentBlockDelta"}
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    metadata = events[-1]["metadata"]
    assert metadata["usage"]["outputTokens"] == kinds.count("contentBlockDelta")
    assert metadata["metrics"]["latencyMs"] >= 0


async def test_stream_and_converse_give_the_same_answer(client) -> None:
    messages = [user("Describe a lighthouse in detail.")]
    whole = await converse(client, "test.chat-v1", messages=messages)
    events = await stream_events(client, "test.chat-v1", messages=messages)
    assert streamed_text(events) == whole["output"]["message"]["content"][0]["text"]


async def test_stream_tool_use_blocks(client) -> None:
    events = await stream_events(
        client,
        "test.chat-v1",
        messages=[user("What's the weather in Porto?")],
        toolConfig={"tools": [WEATHER_TOOL]},
    )
    starts = [e["contentBlockStart"] for e in events if "contentBlockStart" in e]
    assert len(starts) == 1
    assert starts[0]["start"]["toolUse"]["name"] == "get_weather"
    tool_block = starts[0]["contentBlockIndex"]
    fragments = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "contentBlockDelta" in e and e["contentBlockDelta"]["contentBlockIndex"] == tool_block
    ]
    assert json.loads("".join(fragments)) == {"city": "Porto"}
    assert [e["messageStop"]["stopReason"] for e in events if "messageStop" in e] == ["tool_use"]


@pytest.mark.parametrize(
    ("model", "code"),
    [
        ("test.stream-error-v1", "modelStreamErrorException"),
        ("test.stream-throttle-v1", "throttlingException"),
    ],
)
async def test_a_mid_stream_error_arrives_after_some_deltas(
    client, standin: StandinServer, model: str, code: str
) -> None:
    received = []
    async with client("bedrock-runtime") as runtime:
        response = await runtime.converse_stream(
            modelId=model, messages=[user("Explain how DNS resolution works.")]
        )
        with pytest.raises(EventStreamError) as caught:
            async for event in response["stream"]:
                received.append(event)
    assert caught.value.response["Error"]["Code"] == code
    assert any("contentBlockDelta" in event for event in received)
    assert not any("messageStop" in event for event in received)
    assert standin.stats.errors == {code: 1}


async def test_stream_errors_do_not_touch_plain_converse(client) -> None:
    response = await converse(client, "test.stream-error-v1")
    assert response["stopReason"] == "end_turn"


async def test_time_to_first_token_is_shorter_than_the_stream(client) -> None:
    async with client("bedrock-runtime") as runtime:
        started = time.monotonic()
        response = await runtime.converse_stream(
            modelId="test.paced-v1", messages=[user("Explain how DNS resolution works.")]
        )
        first_token = None
        async for event in response["stream"]:
            if first_token is None and "contentBlockDelta" in event:
                first_token = time.monotonic() - started
        total = time.monotonic() - started
    assert first_token is not None
    assert first_token < total / 2


async def test_a_hanging_model_is_cut_off_by_the_client_read_timeout(
    client, standin: StandinServer
) -> None:
    config = Config(retries={"total_max_attempts": 1}, read_timeout=0.3)
    async with client("bedrock-runtime", config=config) as runtime:
        with pytest.raises(ReadTimeoutError):
            await runtime.converse(modelId="test.hang-v1", messages=[user("hi")])
    # The client hung up, so the server cancels the handler instead of sleeping on.
    for _ in range(100):
        if not standin.stats.in_flight_now:
            break
        await asyncio.sleep(0.01)
    assert standin.stats.in_flight_now == {}


async def test_peak_concurrency_is_measured_per_region(client, standin: StandinServer) -> None:
    async with client("bedrock-runtime", "us-east-1") as east:
        await asyncio.gather(
            *(east.converse(modelId="test.paced-v1", messages=[user("hi")]) for _ in range(5))
        )
    async with client("bedrock-runtime", "us-west-2") as west:
        await west.converse(modelId="test.chat-v1", messages=[user("hi")])
    assert standin.stats.max_in_flight == {"us-east-1": 5, "us-west-2": 1}
    assert standin.stats.max_in_flight_total == 5
    assert standin.stats.max_in_flight_by_model[("us-east-1", "test.paced-v1")] == 5
    assert standin.stats.in_flight_now == {}


async def _outcomes(scenario: Scenario, seed: int) -> list[str]:
    outcomes = []
    async with serve(scenario, seed=seed, faults=FaultRates(throttle=0.5)) as server:
        session = aioboto3.Session()
        async with session.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=server.url, config=NO_RETRY
        ) as runtime:
            for _ in range(16):
                try:
                    await runtime.converse(modelId="test.chat-v1", messages=[user("hi")])
                    outcomes.append("ok")
                except ClientError as exc:
                    outcomes.append(exc.response["Error"]["Code"])
    return outcomes


async def test_fault_overrides_are_reproducible_with_the_seed(scenario: Scenario) -> None:
    first = await _outcomes(scenario, seed=3)
    assert await _outcomes(scenario, seed=3) == first
    assert {"ok", "ThrottlingException"} == set(first)
    assert await _outcomes(scenario, seed=4) != first


async def test_latency_override_sets_the_pace(scenario: Scenario) -> None:
    async with serve(scenario, latency_ms=60) as server:
        session = aioboto3.Session()
        async with session.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=server.url, config=NO_RETRY
        ) as runtime:
            response = await runtime.converse(modelId="test.chat-v1", messages=[user("hi")])
    # The server sleeps until the deadline, so its own measure cannot fall short of it.
    assert response["metrics"]["latencyMs"] >= 59


async def test_a_one_token_stream_can_still_break(client) -> None:
    received = []
    async with client("bedrock-runtime") as runtime:
        response = await runtime.converse_stream(
            modelId="test.stream-error-v1", messages=[user("What is 1 + 1? Digits only.")]
        )
        with pytest.raises(EventStreamError, match="modelStreamErrorException"):
            async for event in response["stream"]:
                received.append(event)
    assert streamed_text(received) == "2"
