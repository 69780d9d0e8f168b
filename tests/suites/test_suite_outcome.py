"""The checks read the Bedrock client's typed answers as they are; conversations fold into one."""

from __future__ import annotations

from typing import Any

import pytest

from certtui.bedrock.results import ConverseResult, OtherEvent, ToolUse, Usage
from certtui.suites import TestRecord, TestStatus, combine_turns, default_suite, evaluate
from certtui.suites.checks import Equals
from support.answers import failure, reply, stream

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


def test_converse_result_is_the_answer_the_checks_read() -> None:
    result = ConverseResult.from_response(
        RESPONSE, region="us-east-1", invoke_id="m", client_latency_ms=450.0
    )
    # The reasoning block is the model's working, not its answer.
    assert result.text == "Let me check. "
    assert result.tool_uses == (
        ToolUse("tu1", "get_weather", {"city": "Lisbon"}, '{"city": "Lisbon"}'),
    )
    assert result.stop_reason == "tool_use"
    assert result.usage == Usage(40, 12, 52)
    assert result.server_latency_ms == 420
    test = default_suite().test("tool_use")
    record = TestRecord.from_outcome(test, result, evaluate(test, result))
    assert record.status is TestStatus.PASSED, record.reason
    assert (record.input_tokens, record.output_tokens, record.server_latency_ms) == (40, 12, 420)
    assert record.stop_reason == "tool_use" and record.answer_excerpt == "Let me check."


def test_stream_result_assembles_text_tools_and_usage(validate_shape) -> None:
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
    result = stream(iter(events))
    assert result.text == "Checking…"
    assert [(t.tool_use_id, t.name, t.input) for t in result.tool_uses] == [
        ("tu9", "get_weather", {"city": "Lisbon"})
    ]
    assert result.stop_reason == "tool_use"
    assert result.usage == Usage(30, 9, 39) and result.server_latency_ms == 610
    assert result.event_kinds == [next(iter(event)) for event in events]


def test_stream_result_keeps_unparseable_tool_input_raw() -> None:
    events = [
        {
            "contentBlockStart": {
                "start": {"toolUse": {"toolUseId": "x", "name": "t"}},
                "contentBlockIndex": 0,
            }
        },
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"a": '}}, "contentBlockIndex": 0}},
    ]
    assert stream(events).tool_uses == [ToolUse("x", "t", None, '{"a": ')]


def test_an_in_stream_error_event_fails_the_stream_check_with_its_message() -> None:
    # botocore raises in-stream errors; one that reached the events all the same is named.
    result = stream(
        [
            {"messageStart": {"role": "assistant"}},
            {"modelStreamErrorException": {"message": "model fell over"}},
        ]
    )
    assert isinstance(result.events[-1], OtherEvent)
    verdict = evaluate(default_suite().test("streaming"), result)
    assert not verdict.passed
    assert "model fell over" in verdict.reason


def test_failure_codes_are_normalised_once_when_classified() -> None:
    assert failure("throttlingException", "x").code == "ThrottlingException"
    assert failure("ThrottlingException", "x").code == "ThrottlingException"


@pytest.mark.parametrize(
    "answer",
    [
        ConverseResult.from_response(
            {
                "output": {
                    "message": {"role": "assistant", "content": [{"text": "4"}, {"text": "2"}]}
                },
                "stopReason": "end_turn",
                "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
            },
            region="us-east-1",
            invoke_id="m",
            client_latency_ms=1.0,
        ),
        stream(
            [
                {"messageStart": {"role": "assistant"}},
                {"contentBlockDelta": {"delta": {"text": "4"}, "contentBlockIndex": 0}},
                {"contentBlockStop": {"contentBlockIndex": 0}},
                {"contentBlockDelta": {"delta": {"text": "2"}, "contentBlockIndex": 1}},
                {"contentBlockStop": {"contentBlockIndex": 1}},
                {"messageStop": {"stopReason": "end_turn"}},
            ]
        ),
    ],
    ids=["converse", "stream"],
)
def test_text_blocks_join_with_nothing_between(answer: Any) -> None:
    # Blocks are pieces of one reply: a separator would add text the model never wrote.
    assert answer.text == "42"
    assert Equals("42").evaluate(answer).passed


def test_combine_turns_sums_usage_and_keeps_the_last_reply() -> None:
    first = reply("Noted.", input_tokens=10, output_tokens=2, latency_ms=100)
    last = reply("HERON", stop_reason="end_turn", input_tokens=25, output_tokens=3)
    combined = combine_turns([first, last])
    assert combined.text == "HERON" and combined.stop_reason == "end_turn"
    assert combined.usage == Usage(35, 5, 40)
    assert combined.server_latency_ms == 100


def test_combine_turns_needs_a_reply() -> None:
    # A failed turn never reaches it: the engine ends the conversation on the failed call.
    only = reply("ok")
    assert combine_turns([only]) is only
    with pytest.raises(ValueError, match="at least one"):
        combine_turns([])
