"""Converse responses and ConverseStream events become outcomes; conversations fold into one."""

from __future__ import annotations

from typing import Any

from certtui.suites import (
    ConverseOutcome,
    ToolUse,
    combine_turns,
    outcome_from_response,
    outcome_from_stream,
)

RESPONSE: dict[str, Any] = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "thinking…"}}},
                {"text": "Let me check. "},
                {
                    "toolUse": {
                        "toolUseId": "tu1",
                        "name": "get_weather",
                        "input": {"city": "Lisbon"},
                    }
                },
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 40, "outputTokens": 12, "totalTokens": 52},
    "metrics": {"latencyMs": 420},
}


def test_response_fixture_is_a_real_converse_response(runtime_model: Any) -> None:
    from botocore.validate import ParamValidator

    shape = runtime_model.operation_model("Converse").output_shape
    report = ParamValidator().validate(RESPONSE, shape)
    assert not report.has_errors(), report.generate_report()


def test_outcome_from_response() -> None:
    outcome = outcome_from_response(RESPONSE)
    assert outcome == ConverseOutcome(
        text="Let me check. ",
        tool_uses=(ToolUse("get_weather", {"city": "Lisbon"}, "tu1"),),
        stop_reason="tool_use",
        input_tokens=40,
        output_tokens=12,
        latency_ms=420,
    )
    assert not outcome.failed


def test_outcome_from_stream_assembles_text_tools_and_usage(validate_shape) -> None:
    events = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "Checking"}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": "…"}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {
            "contentBlockStart": {
                "start": {"toolUse": {"toolUseId": "tu9", "name": "get_weather"}},
                "contentBlockIndex": 1,
            }
        },
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"ci'}}, "contentBlockIndex": 1}},
        {
            "contentBlockDelta": {
                "delta": {"toolUse": {"input": 'ty": "Lisbon"}'}},
                "contentBlockIndex": 1,
            }
        },
        {"contentBlockStop": {"contentBlockIndex": 1}},
        {"messageStop": {"stopReason": "tool_use"}},
        {
            "metadata": {
                "usage": {"inputTokens": 30, "outputTokens": 9, "totalTokens": 39},
                "metrics": {"latencyMs": 610},
            }
        },
    ]
    for event in events:
        validate_shape(event, "ConverseStreamOutput")
    outcome = outcome_from_stream(iter(events))
    assert outcome.text == "Checking…"
    assert outcome.tool_uses == (ToolUse("get_weather", {"city": "Lisbon"}, "tu9"),)
    assert outcome.stop_reason == "tool_use"
    assert (outcome.input_tokens, outcome.output_tokens, outcome.latency_ms) == (30, 9, 610)
    assert outcome.stream_events == tuple(events)


def test_outcome_from_stream_keeps_unparseable_tool_input_raw() -> None:
    events = [
        {
            "contentBlockStart": {
                "start": {"toolUse": {"toolUseId": "x", "name": "t"}},
                "contentBlockIndex": 0,
            }
        },
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"a": '}}, "contentBlockIndex": 0}},
    ]
    assert outcome_from_stream(events).tool_uses == (ToolUse("t", '{"a": ', "x"),)


def test_outcome_from_stream_records_an_in_stream_error() -> None:
    outcome = outcome_from_stream(
        [
            {"messageStart": {"role": "assistant"}},
            {"modelStreamErrorException": {"message": "model fell over"}},
        ]
    )
    assert outcome.failed
    assert outcome.error_code == "ModelStreamErrorException"
    assert outcome.error_message == "model fell over"


def test_failure_normalises_lower_camel_codes() -> None:
    assert ConverseOutcome.failure("throttlingException", "x").error_code == "ThrottlingException"
    assert ConverseOutcome.failure("ThrottlingException", "x").error_code == "ThrottlingException"


def test_combine_turns_sums_usage_and_keeps_the_last_reply() -> None:
    first = ConverseOutcome(text="Noted.", input_tokens=10, output_tokens=2, latency_ms=100)
    last = ConverseOutcome(text="HERON", stop_reason="end_turn", input_tokens=25, output_tokens=3)
    combined = combine_turns([first, last])
    assert combined.text == "HERON" and combined.stop_reason == "end_turn"
    assert (combined.input_tokens, combined.output_tokens, combined.latency_ms) == (35, 5, 100)


def test_combine_turns_stops_at_the_first_failure() -> None:
    failure = ConverseOutcome.failure("ValidationException", "bad")
    assert combine_turns([ConverseOutcome(text="ok"), failure]) is failure
