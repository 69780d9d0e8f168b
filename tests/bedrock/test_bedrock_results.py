"""Typed discovery and runtime results built from parsed wire data (no network)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from certtui.bedrock.catalog import (
    DiscoveryResult,
    FoundationModel,
    InferenceProfile,
    RegionDiscovery,
    model_id_from_arn,
)
from certtui.bedrock.errors import MalformedModelOutput
from certtui.bedrock.results import (
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    ConverseResult,
    MessageStart,
    MessageStop,
    Metadata,
    OtherEvent,
    StreamResult,
    Usage,
    parse_stream_event,
)


def test_foundation_model_keeps_unknown_enum_values() -> None:
    model = FoundationModel.from_summary(
        "us-east-1",
        {
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/acme.future-v1:0",
            "modelId": "acme.future-v1:0",
            "modelName": "Future",
            "providerName": "Acme",
            "inputModalities": ["TEXT", "HOLOGRAM"],
            "outputModalities": ["TEXT"],
            "responseStreamingSupported": True,
            "inferenceTypesSupported": ["INFERENCE_PROFILE", "SOMETHING_NEW"],
            "modelLifecycle": {"status": "RETIRING"},
        },
    )
    assert model.input_modalities == ("TEXT", "HOLOGRAM")
    assert model.inference_types == ("INFERENCE_PROFILE", "SOMETHING_NEW")
    assert model.lifecycle_status == "RETIRING"
    assert not model.on_demand and not model.legacy
    assert model.streaming_supported is True


def test_foundation_model_minimal_summary() -> None:
    model = FoundationModel.from_summary("eu-west-1", {"modelId": "a.b-v1", "modelArn": "x"})
    assert model.model_name == "a.b-v1"
    assert model.streaming_supported is None
    assert model.lifecycle_status is None
    assert model.inference_types == ()


def test_inference_profile_model_ids() -> None:
    summary = {
        "inferenceProfileName": "US Claude",
        "inferenceProfileArn": "arn:aws:bedrock:us-east-1:1:inference-profile/us.a.b-v1",
        "inferenceProfileId": "us.a.b-v1",
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
        "models": [
            {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/a.b-v1"},
            {"modelArn": "arn:aws:bedrock:us-west-2::foundation-model/a.b-v1"},
            {"modelArn": "arn:aws:bedrock:us-west-2:1:custom-model/x"},
        ],
    }
    profile = InferenceProfile.from_summary("us-east-1", summary)
    assert profile.model_ids == ("a.b-v1",)
    assert len(profile.model_arns) == 3


@pytest.mark.parametrize(
    ("arn", "model_id"),
    [
        (
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
            "amazon.nova-pro-v1:0",
        ),
        ("arn:aws:bedrock:us-east-1::foundation-model/", None),
        ("arn:aws:bedrock:us-east-1:1:inference-profile/us.x", None),
    ],
)
def test_model_id_from_arn(arn: str, model_id: str | None) -> None:
    assert model_id_from_arn(arn) == model_id


def test_discovery_result_lookups() -> None:
    model = FoundationModel.from_summary(
        "us-east-1", {"modelId": "a.b-v1", "inferenceTypesSupported": ["ON_DEMAND"]}
    )
    result = DiscoveryResult(regions={"us-east-1": RegionDiscovery("us-east-1", (model,))})
    assert result.availability("a.b-v1", "us-east-1").on_demand
    assert not result.availability("c.d-v1", "us-east-1").offered
    assert result.model_ids == ("a.b-v1",)
    with pytest.raises(KeyError):
        result.availability("a.b-v1", "eu-west-1")


CONVERSE_RESPONSE = {
    "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200},
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"text": "Calling the tool."},
                {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Oslo"}}},
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 12, "outputTokens": 7, "totalTokens": 19},
    "metrics": {"latencyMs": 321},
}


def test_converse_result_from_response() -> None:
    result = ConverseResult.from_response(
        CONVERSE_RESPONSE, region="us-east-1", invoke_id="a.b-v1", client_latency_ms=400.0
    )
    assert result.text == "Calling the tool."
    assert result.stop_reason == "tool_use"
    assert result.usage == Usage(12, 7, 19)
    assert result.server_latency_ms == 321
    assert result.client_latency_ms == 400.0
    assert result.request_id == "req-1"
    (tool,) = result.tool_uses
    assert (tool.name, tool.input, tool.raw_input) == (
        "get_weather",
        {"city": "Oslo"},
        '{"city": "Oslo"}',
    )


@pytest.mark.parametrize(
    "broken",
    [
        {**CONVERSE_RESPONSE, "output": {}},
        {**CONVERSE_RESPONSE, "stopReason": None},
        {**CONVERSE_RESPONSE, "usage": None},
        {**CONVERSE_RESPONSE, "usage": {"inputTokens": 1}},
        {**CONVERSE_RESPONSE, "output": {"message": {"content": [{"toolUse": "nope"}]}}},
    ],
)
def test_malformed_converse_response(broken: dict) -> None:
    with pytest.raises(MalformedModelOutput):
        ConverseResult.from_response(
            broken, region="us-east-1", invoke_id="a.b-v1", client_latency_ms=1.0
        )


STREAM = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"delta": {"text": "Hel"}, "contentBlockIndex": 0}},
    {"contentBlockDelta": {"delta": {"text": "lo"}, "contentBlockIndex": 0}},
    {"contentBlockStop": {"contentBlockIndex": 0}},
    {
        "contentBlockStart": {
            "start": {"toolUse": {"toolUseId": "t1", "name": "lookup"}},
            "contentBlockIndex": 1,
        }
    },
    {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"q": '}}, "contentBlockIndex": 1}},
    {"contentBlockDelta": {"delta": {"toolUse": {"input": '"x"}'}}, "contentBlockIndex": 1}},
    {"contentBlockStop": {"contentBlockIndex": 1}},
    {"messageStop": {"stopReason": "tool_use"}},
    {
        "metadata": {
            "usage": {"inputTokens": 5, "outputTokens": 9, "totalTokens": 14},
            "metrics": {"latencyMs": 88},
        }
    },
]


def test_stream_events_are_typed_and_accumulated() -> None:
    result = StreamResult(region="us-east-1", invoke_id="a.b-v1")
    events = [parse_stream_event(raw, elapsed_ms=10.0 * (i + 1)) for i, raw in enumerate(STREAM)]
    for event in events:
        result.add(event)
    result.finish(elapsed_ms=200.0)
    assert [type(e) for e in events] == [
        MessageStart,
        ContentBlockDelta,
        ContentBlockDelta,
        ContentBlockStop,
        ContentBlockStart,
        ContentBlockDelta,
        ContentBlockDelta,
        ContentBlockStop,
        MessageStop,
        Metadata,
    ]
    assert result.event_kinds[0] == "messageStart" and result.event_kinds[-1] == "metadata"
    assert result.text == "Hello"
    assert result.text_deltas == 2
    assert result.ttft_ms == 20.0
    assert result.client_latency_ms == 200.0 and result.finished
    assert result.stop_reason == "tool_use"
    assert result.usage == Usage(5, 9, 14)
    assert result.server_latency_ms == 88
    (tool,) = result.tool_uses
    assert (tool.tool_use_id, tool.name, tool.input) == ("t1", "lookup", {"q": "x"})


def test_stream_tool_input_that_is_not_json_is_kept_raw() -> None:
    result = StreamResult(region="us-east-1", invoke_id="a.b-v1")
    result.add(ContentBlockStart(1.0, index=0, tool_use_id="t", tool_name="f"))
    result.add(ContentBlockDelta(2.0, index=0, tool_input="{broken"))
    result.finish(3.0)
    (tool,) = result.tool_uses
    assert tool.input is None and tool.raw_input == "{broken"


def test_unknown_stream_event_passes_through() -> None:
    event = parse_stream_event({"futureEvent": {"x": 1}}, elapsed_ms=1.0)
    assert event == OtherEvent(1.0, name="futureEvent", payload={"x": 1})
    result = StreamResult(region="us-east-1", invoke_id="a.b-v1")
    result.add(event)
    assert result.event_kinds == ["futureEvent"]


@pytest.mark.parametrize(
    "raw",
    [
        {"metadata": {"usage": {}}},
        {"contentBlockDelta": {"delta": {"text": "x"}, "contentBlockIndex": "first"}},
        {"contentBlockStop": {}},
        {},
    ],
)
def test_malformed_stream_event(raw: dict) -> None:
    with pytest.raises(MalformedModelOutput):
        parse_stream_event(raw, elapsed_ms=1.0)


def test_results_module_stays_pure() -> None:
    # The suite checks read these types; importing them must not pull botocore in.
    code = (
        "import sys, certtui.bedrock.results;"
        "print([m for m in ('botocore', 'aioboto3', 'aiohttp') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_errors_keeps_the_plain_types_importable_from_its_old_home() -> None:
    from certtui.bedrock import errors, results

    assert errors.ClassifiedError is results.ClassifiedError
    assert errors.MalformedModelOutput is results.MalformedModelOutput
    assert errors.normalize_code is results.normalize_code
