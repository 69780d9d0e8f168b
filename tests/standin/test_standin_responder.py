"""The simulated model answers generically: skills, instructions, limits and flaws."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certtui.standin import Flaw
from certtui.standin.png import PngError, colour_name, decode_png, dominant_colour
from certtui.standin.responder import Reply, respond
from standin.standin_support import assistant, png_bytes, solid_png, user

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
                "required": ["city"],
            }
        },
    }
}


def answer(*messages: dict[str, Any], flaws: set[Flaw] | None = None, **request: Any) -> Reply:
    return respond({"messages": list(messages), **request}, frozenset(flaws or ()), seed="1")


def image_message(text: str, png: bytes, image_format: str = "png") -> dict[str, Any]:
    source = {"bytes": base64.b64encode(png).decode()}
    return {
        "role": "user",
        "content": [{"text": text}, {"image": {"format": image_format, "source": source}}],
    }


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("What is 17 + 25? Answer with digits only.", "42"),
        ("What is 12 times 3? Reply with only the number.", "36"),
        ("Calculate (3 + 4) * 5. Digits only.", "35"),
        ("What is 100 divided by 8? Just the number.", "12.5"),
        ("What is the sum of 7 and 8? Answer with digits only.", "15"),
        ("Compute 2^10, digits only", "1024"),
    ],
)
def test_arithmetic_with_digits_only(prompt: str, expected: str) -> None:
    reply = answer(user(prompt))
    assert reply.text == expected
    assert reply.stop_reason == "end_turn"


@given(a=st.integers(0, 10_000), b=st.integers(0, 10_000))
def test_any_small_sum_is_right(a: int, b: int) -> None:
    assert answer(user(f"What is {a} + {b}? Answer with digits only.")).text == str(a + b)


def test_arithmetic_without_the_instruction_explains() -> None:
    assert "42" in answer(user("What is 17 + 25?")).text
    assert "42" not in answer(user("What is 17 + 25?"), flaws={Flaw.WRONG_ARITHMETIC}).text


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Reply with exactly PONG.", "PONG"),
        ("Respond with exactly the word 'banana' and nothing else.", "banana"),
        ("Reply with exactly: CERT-OK", "CERT-OK"),
        ('Say "hello world"', "hello world"),
        ("Please answer with only “ready”.", "ready"),
    ],
)
def test_literal_instructions_are_followed(prompt: str, expected: str) -> None:
    assert answer(user(prompt)).text == expected


def test_an_instruction_ignoring_model_does_not_follow_them() -> None:
    reply = answer(user("Reply with exactly PONG."), flaws={Flaw.IGNORES_INSTRUCTIONS})
    assert reply.text != "PONG"


def test_a_fact_from_turn_one_is_recalled_in_turn_three() -> None:
    conversation = [
        user("My favourite colour is teal. Please remember it."),
        assistant("Got it."),
        user("What is the capital of France?"),
        assistant("Paris."),
        user("What is my favorite color? Answer with one word."),
    ]
    assert answer(*conversation).text == "teal"
    assert "teal" not in answer(*conversation, flaws={Flaw.FORGETS_CONTEXT}).text


def test_a_stated_fact_is_acknowledged_and_an_unknown_one_is_admitted() -> None:
    assert "teal" in answer(user("My favourite colour is teal.")).text
    assert "don't know" in answer(user("What is my favourite colour?")).text


def test_recall_works_with_other_facts_and_phrasings() -> None:
    reply = answer(
        user("My dog is called Rex and my secret code is 4417."),
        assistant("Noted."),
        user("What was my secret code?"),
    )
    assert "4417" in reply.text


@pytest.mark.parametrize(
    ("system", "check"),
    [
        ("Always start your reply with [[CERT]].", lambda t: t.startswith("[[CERT]]")),
        ("Always end every answer with the word OVER.", lambda t: t.endswith("OVER")),
        ("You must include the word 'PINEAPPLE' in every answer.", lambda t: "PINEAPPLE" in t),
        ("Answer in ALL CAPS.", lambda t: t == t.upper()),
    ],
)
def test_system_prompt_rules_are_obeyed(system: str, check: Any) -> None:
    request = {"system": [{"text": system}]}
    assert check(answer(user("Say hello to the team."), **request).text)
    flawed = answer(user("Say hello to the team."), flaws={Flaw.IGNORES_SYSTEM_PROMPT}, **request)
    assert not check(flawed.text)


def test_a_matching_tool_is_called_with_the_argument_from_the_prompt() -> None:
    reply = answer(
        user("What's the weather like in Lisbon right now?"), toolConfig={"tools": [WEATHER_TOOL]}
    )
    assert reply.stop_reason == "tool_use"
    assert reply.tool_call is not None
    assert reply.tool_call.name == "get_weather"
    assert reply.tool_call.input["city"] == "Lisbon"
    assert reply.tool_call.tool_use_id.startswith("tooluse_")
    blocks = reply.content()
    assert blocks[-1]["toolUse"]["input"]["city"] == "Lisbon"


def test_tool_arguments_cover_numbers_and_several_strings() -> None:
    tool = {
        "toolSpec": {
            "name": "convert_currency",
            "description": "Convert an amount between currencies.",
            "inputSchema": {
                "json": {
                    "type": "object",
                    "properties": {
                        "amount": {"type": "number"},
                        "from_currency": {"type": "string"},
                        "to_currency": {"type": "string"},
                    },
                    "required": ["amount", "from_currency", "to_currency"],
                }
            },
        }
    }
    reply = answer(user("Please convert 100 USD to EUR."), toolConfig={"tools": [tool]})
    assert reply.tool_call.input == {"amount": 100, "from_currency": "USD", "to_currency": "EUR"}


def test_an_unrelated_prompt_does_not_call_the_tool_unless_forced() -> None:
    tools = {"tools": [WEATHER_TOOL]}
    assert answer(user("Tell me a joke about cats."), toolConfig=tools).tool_call is None
    forced = {"tools": [WEATHER_TOOL], "toolChoice": {"tool": {"name": "get_weather"}}}
    assert answer(user("Tell me a joke about cats."), toolConfig=forced).tool_call is not None


def test_a_tool_ignoring_model_answers_in_prose() -> None:
    reply = answer(
        user("What's the weather in Lisbon?"),
        toolConfig={"tools": [WEATHER_TOOL]},
        flaws={Flaw.IGNORES_TOOLS},
    )
    assert reply.tool_call is None
    assert reply.stop_reason == "end_turn"


def test_a_tool_result_is_used_in_the_next_answer() -> None:
    call = {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Lisbon"}}}
    result = {"toolResult": {"toolUseId": "t1", "content": [{"json": {"temperature": 21}}]}}
    reply = answer(
        user("Weather in Lisbon?"),
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [result]},
        toolConfig={"tools": [WEATHER_TOOL]},
    )
    assert "21" in reply.text
    assert reply.stop_reason == "end_turn"


def test_json_with_the_requested_keys() -> None:
    reply = answer(user('Return a JSON object with keys "name", "age" and "city". Only JSON.'))
    data = json.loads(reply.text)
    assert set(data) == {"name", "age", "city"}
    assert isinstance(data["age"], int)


def test_json_values_come_from_the_conversation_when_stated() -> None:
    reply = answer(user("My name is Ada. Give me a JSON object with the keys name and language."))
    assert json.loads(reply.text)["name"] == "Ada"


def test_broken_json_flaw_breaks_parsing() -> None:
    reply = answer(user("Give me JSON with keys a and b."), flaws={Flaw.BROKEN_JSON})
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.text)


def test_max_tokens_truncates_and_says_so() -> None:
    reply = answer(user("Explain what a load balancer does."), inferenceConfig={"maxTokens": 5})
    assert reply.stop_reason == "max_tokens"
    assert reply.output_tokens == 5
    assert len(reply.text.split()) == 5


@given(limit=st.integers(1, 60))
def test_output_never_exceeds_max_tokens(limit: int) -> None:
    reply = answer(user("Write a long essay about DNS."), inferenceConfig={"maxTokens": limit})
    assert reply.output_tokens <= limit
    assert reply.stop_reason == "max_tokens"


def test_a_short_answer_under_the_limit_ends_its_turn() -> None:
    reply = answer(user("What is 2 + 2? Digits only."), inferenceConfig={"maxTokens": 50})
    assert reply.stop_reason == "end_turn"


def test_stop_sequences_cut_the_answer() -> None:
    reply = answer(user("Count from 1 to 20."), inferenceConfig={"stopSequences": ["7"]})
    assert reply.text == "1 2 3 4 5 6"
    assert reply.stop_reason == "stop_sequence"


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((255, 0, 0), "red"),
        ((0, 200, 0), "green"),
        ((0, 0, 255), "blue"),
        ((255, 230, 0), "yellow"),
        ((250, 250, 250), "white"),
        ((10, 10, 10), "black"),
        ((128, 128, 128), "grey"),
        ((255, 140, 0), "orange"),
        ((128, 0, 160), "purple"),
    ],
)
def test_colour_names(rgb: tuple[int, int, int], name: str) -> None:
    assert colour_name(rgb) == name


@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_png_filters_decode(filter_type: int) -> None:
    width, height, pixels = decode_png(solid_png((10, 120, 240), size=5, filter_type=filter_type))
    assert (width, height) == (5, 5)
    assert set(pixels) == {(10, 120, 240)}


def test_palette_and_greyscale_pngs_decode() -> None:
    palette = struct.pack(">I", 6) + b"PLTE" + bytes([255, 0, 0, 0, 0, 255])
    palette += struct.pack(">I", zlib.crc32(b"PLTE" + bytes([255, 0, 0, 0, 0, 255])))
    indexed = png_bytes(2, 2, 3, b"\x00\x01\x01\x00\x01\x01", extra=palette)
    assert dominant_colour(indexed) == "blue"
    grey = png_bytes(2, 1, 0, b"\x00\x00\x00")
    assert dominant_colour(grey) == "black"


def test_not_a_png_is_rejected() -> None:
    with pytest.raises(PngError):
        decode_png(b"GIF89a")


def test_an_image_is_described_by_its_colour() -> None:
    png = solid_png((220, 20, 20))
    assert answer(image_message("What colour is this image? One word.", png)).text == "red"
    assert "red" in answer(image_message("Describe this image.", png)).text
    misread = answer(image_message("What colour? One word.", png), flaws={Flaw.MISREADS_IMAGES})
    assert misread.text != "red"


def test_an_undecodable_image_gets_a_plausible_answer() -> None:
    reply = answer(image_message("What colour is it?", b"\xff\xd8\xff", image_format="jpeg"))
    assert "image" in reply.text


def test_a_generic_prompt_gets_a_paragraph_with_usage() -> None:
    reply = answer(user("Explain how DNS resolution works."))
    assert len(reply.text.split()) > 30
    assert "DNS" in reply.text
    assert reply.input_tokens > 0
    assert reply.total_tokens == reply.input_tokens + reply.output_tokens


def test_answers_are_deterministic_for_a_seed() -> None:
    request = {"messages": [user("Describe the ocean in detail.")]}
    first = respond(request, frozenset(), seed="9")
    assert respond(request, frozenset(), seed="9") == first
    others = {respond(request, frozenset(), seed=str(seed)).text for seed in range(10)}
    assert len(others) > 1


def test_a_reasoning_model_thinks_out_of_the_same_max_tokens() -> None:
    """Reasoning eats maxTokens first: too little leaves no answer (#10 item 3)."""
    from certtui.standin.responder import respond

    request = {
        "messages": [{"role": "user", "content": [{"text": "What is 6 * 7?"}]}],
        "inferenceConfig": {"maxTokens": 50},
    }
    starved = respond(request, frozenset(), seed="1", reasoning_tokens=80)
    assert (starved.text, starved.stop_reason, starved.output_tokens) == ("", "max_tokens", 50)
    assert [next(iter(block)) for block in starved.content()] == ["reasoningContent"]
    roomy = respond(
        {**request, "inferenceConfig": {"maxTokens": 500}}, frozenset(), seed="1",
        reasoning_tokens=80,
    )  # fmt: skip
    assert "42" in roomy.text and roomy.stop_reason == "end_turn"
    assert roomy.output_tokens > 80
    assert [next(iter(block)) for block in roomy.content()] == ["reasoningContent", "text"]
