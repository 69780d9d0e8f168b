"""build_request produces Converse arguments in Bedrock's shape, turn by turn."""

from __future__ import annotations

import pytest

from certtui.suites import (
    ImageSpec,
    InferenceSettings,
    TestKind,
    TestSpec,
    ToolSpec,
    Turn,
    assistant_message,
    build_request,
    colour_png,
    next_history,
)
from certtui.suites.checks import NonEmpty
from support.answers import reply

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def spec(**fields) -> TestSpec:
    base = {
        "id": "t",
        "weight": 1,
        "kind": TestKind.CONVERSE,
        "turns": (Turn("hello"),),
        "checks": (NonEmpty(),),
    }
    return TestSpec(**{**base, **fields})


def test_minimal_request() -> None:
    assert build_request(spec(), "amazon.nova-micro-v1:0") == {
        "modelId": "amazon.nova-micro-v1:0",
        "messages": [{"role": "user", "content": [{"text": "hello"}]}],
    }


def test_full_request(validate_shape) -> None:
    test = spec(
        system="Be brief.",
        turns=(Turn("What colour?", ImageSpec("blue", 8)),),
        tools=(ToolSpec("get_weather", "Weather for a city.", SCHEMA),),
        inference=InferenceSettings(
            max_tokens=50, temperature=0.0, top_p=0.9, stop_sequences=("END",)
        ),
    )
    request = build_request(test, "us.anthropic.claude-3-5-sonnet-20241022-v2:0")
    assert request == {
        "modelId": "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": "png", "source": {"bytes": colour_png("blue", 8)}}},
                    {"text": "What colour?"},
                ],
            }
        ],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {
            "maxTokens": 50,
            "temperature": 0.0,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "description": "Weather for a city.",
                        "inputSchema": {"json": SCHEMA},
                    }
                }
            ]
        },
    }
    validate_shape(request, "Converse")
    validate_shape(request, "ConverseStream")


def test_tool_without_description_omits_it(validate_shape) -> None:
    request = build_request(spec(tools=(ToolSpec("t", "", SCHEMA),)), "m")
    assert "description" not in request["toolConfig"]["tools"][0]["toolSpec"]
    validate_shape(request, "Converse")


def test_editing_a_request_does_not_change_the_suite() -> None:
    test = spec(tools=(ToolSpec("t", "d", SCHEMA),))
    request = build_request(test, "m")
    request["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"].append("x")
    assert SCHEMA["required"] == ["city"]
    assert test.tools[0].input_schema["required"] == ["city"]


def test_multi_turn_walks_the_turns_with_the_replies_in_history(validate_shape) -> None:
    test = spec(
        kind=TestKind.MULTI_TURN,
        turns=(Turn("Remember: codename HERON."), Turn("Codename?"), Turn("Again?")),
    )
    first = build_request(test, "m")
    assert [m["role"] for m in first["messages"]] == ["user"]
    history = next_history(first, reply("Got it."))
    second = build_request(test, "m", history)
    assert second["messages"] == [
        {"role": "user", "content": [{"text": "Remember: codename HERON."}]},
        {"role": "assistant", "content": [{"text": "Got it."}]},
        {"role": "user", "content": [{"text": "Codename?"}]},
    ]
    validate_shape(second, "Converse")
    third = build_request(test, "m", next_history(second, reply("HERON")))
    assert third["messages"][-1] == {"role": "user", "content": [{"text": "Again?"}]}
    assert len(third["messages"]) == 5
    with pytest.raises(ValueError, match="3 turn"):
        build_request(test, "m", next_history(third, reply("HERON")))


def test_an_empty_reply_still_makes_a_valid_history_message(validate_shape) -> None:
    message = assistant_message(reply("  "))
    assert message["content"][0]["text"].strip()
    validate_shape([message], "Messages")
