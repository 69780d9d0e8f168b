"""Each check kind passes and fails where it should; evaluate's rules for errors."""

from __future__ import annotations

from typing import Any

import pytest

from certtui.bedrock.errors import MalformedModelOutput
from certtui.bedrock.results import parse_stream_event
from certtui.suites import (
    Answer,
    InferenceSettings,
    TestKind,
    TestSpec,
    Turn,
    evaluate,
)
from certtui.suites.checks import (
    Contains,
    Equals,
    JsonKeys,
    NonEmpty,
    NotContains,
    OutputTokensGt,
    Regex,
    StopReason,
    StreamValid,
    ToolCall,
    parse_json_reply,
)
from support.answers import failure, reply, stream, tool_use

CASES = [
    # (check, outcome, passes)
    (Contains("heron"), reply("Your codename is HERON."), True),
    (Contains("heron", ignore_case=False), reply("Your codename is HERON."), False),
    (Contains("HERON"), reply("I don't remember."), False),
    (NotContains("sorry"), reply("Here you go."), True),
    (NotContains("sorry"), reply("Sorry, I can't."), False),
    (NotContains("Sorry", ignore_case=False), reply("sorry, I can't."), True),
    (Regex(r"^\[CERT-OK\]"), reply("[CERT-OK] Blue"), True),
    (Regex(r"^\[cert-ok\]", ignore_case=False), reply("[CERT-OK] Blue"), False),
    (Regex(r"\d{3}"), reply("no digits"), False),
    (Equals("42"), reply("  42\n"), True),
    (Equals("42"), reply("42."), False),
    (Equals("42"), reply("The answer is 42"), False),
    (Equals("Heron"), reply("HERON"), True),
    (Equals("Heron", ignore_case=False), reply("HERON"), False),
    (JsonKeys(("name", "age")), reply('{"name": "Ana", "age": 31}'), True),
    (JsonKeys(("name", "age")), reply('```json\n{"name": "Ana", "age": 31}\n```'), True),
    (JsonKeys(("name",)), reply('```\n{"name": "Ana"}\n```'), True),
    (JsonKeys(("name", "age")), reply('{"name": "Ana"}'), False),
    (JsonKeys(("name",)), reply('["name"]'), False),
    (JsonKeys(("name",)), reply("name: Ana"), False),
    (JsonKeys(("name",)), reply('Sure! ```json\n{"name": "Ana"}\n```'), False),
    (StopReason("max_tokens"), reply("The", stop_reason="max_tokens"), True),
    (StopReason("max_tokens"), reply("The end.", stop_reason="end_turn"), False),
    (StopReason("max_tokens"), reply("The end."), False),
    (NonEmpty(), reply("hi"), True),
    (NonEmpty(), reply(" \n\t"), False),
    (OutputTokensGt(0), reply("hi", output_tokens=1), True),
    (OutputTokensGt(0), reply("hi", output_tokens=0), False),
    # A stream that ended without its metadata event reported no usage.
    (
        OutputTokensGt(0),
        stream(
            [
                {"messageStart": {"role": "assistant"}},
                {"contentBlockDelta": {"delta": {"text": "hi"}, "contentBlockIndex": 0}},
                {"contentBlockStop": {"contentBlockIndex": 0}},
                {"messageStop": {"stopReason": "end_turn"}},
            ]
        ),
        False,
    ),
    (OutputTokensGt(10), reply("hi", output_tokens=10), False),
]


@pytest.mark.parametrize(("check", "outcome", "passes"), CASES)
def test_check(check: Any, outcome: Answer, passes: bool) -> None:
    result = check.evaluate(outcome)
    assert result.passed is passes
    assert result.reason


def test_every_check_kind_has_cases() -> None:
    from certtui.suites import CHECK_TYPES

    covered = {type(check).kind for check, _, _ in CASES} | {"tool_call", "stream_valid"}
    assert covered == set(CHECK_TYPES)


def weather(**tool_input: Any) -> Answer:
    return reply(tool_uses=(tool_use("get_weather", tool_input),), stop_reason="tool_use")


@pytest.mark.parametrize(
    ("check", "outcome", "passes"),
    [
        (ToolCall("get_weather"), weather(), True),
        (ToolCall("get_weather", "city"), weather(city="Lisbon"), True),
        (ToolCall("get_weather", "city", contains="lisbon"), weather(city="Lisbon, PT"), True),
        (ToolCall("get_weather", "city", contains="Porto"), weather(city="Lisbon"), False),
        (ToolCall("get_weather", "city"), weather(town="Lisbon"), False),
        (ToolCall("get_weather", "city", equals="lisbon"), weather(city=" Lisbon "), True),
        (ToolCall("get_weather", "city", equals="Lisbon"), weather(city="Lisbon, PT"), False),
        (ToolCall("get_weather", "days", equals=3), weather(days=3), True),
        (ToolCall("get_weather", "days", equals=3), weather(days="3"), False),
        (ToolCall("get_weather", "days", contains="3"), weather(days=3), True),
        (ToolCall("get_time"), weather(city="Lisbon"), False),
        (ToolCall("get_weather"), reply("It is sunny in Lisbon."), False),
        (
            ToolCall("get_weather", "city"),
            reply(tool_uses=(tool_use("get_weather", '{"city": "Lis'),)),
            False,
        ),
        (
            # One good call among several is enough.
            ToolCall("get_weather", "city", contains="Lisbon"),
            reply(
                tool_uses=(
                    tool_use("get_weather", {"city": "Madrid"}),
                    tool_use("get_weather", {"city": "Lisbon"}),
                )
            ),
            True,
        ),
    ],
)
def test_tool_call(check: ToolCall, outcome: Answer, passes: bool) -> None:
    result = check.evaluate(outcome)
    assert result.passed is passes, result.reason


def test_tool_call_reasons_say_what_went_wrong() -> None:
    assert "not called (tools called: none)" in ToolCall("t").evaluate(reply("x")).reason
    missing = ToolCall("get_weather", "city").evaluate(weather(town="x")).reason
    assert "without argument 'city'" in missing
    bad_input = ToolCall("get_weather").evaluate(reply(tool_uses=(tool_use("get_weather", "[1"),)))
    assert "not a JSON object" in bad_input.reason


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',
        ' \n{"a": 1}\n',
        '```json\n{"a": 1}\n```',
        '```JSON\n{"a": 1}```',
        "```\n[1]\n```",
    ],
)
def test_parse_json_reply_accepts_plain_and_fenced(text: str) -> None:
    parse_json_reply(text)


def _test_spec(*checks: Any, patterns: tuple[str, ...] = ()) -> TestSpec:
    return TestSpec(
        id="t",
        weight=1,
        kind=TestKind.CONVERSE,
        turns=(Turn("hi"),),
        checks=checks,
        inference=InferenceSettings(),
        unsupported_error_patterns=patterns,
    )


def test_evaluate_needs_every_check_and_reports_every_failure() -> None:
    spec = _test_spec(NonEmpty(), Contains("cat"), Contains("dog"))
    assert evaluate(spec, reply("cat and dog")).passed
    result = evaluate(spec, reply("a cow"))
    assert not result.passed
    assert "'cat'" in result.reason and "'dog'" in result.reason


def test_evaluate_passed_reason_counts_checks() -> None:
    assert evaluate(_test_spec(NonEmpty()), reply("x")).reason == "1 check passed"
    assert evaluate(_test_spec(NonEmpty(), NonEmpty()), reply("x")).reason == "2 checks passed"


def test_evaluate_failed_call_is_a_failed_test_with_the_error() -> None:
    spec = _test_spec(NonEmpty(), patterns=("tool use",))
    result = evaluate(spec, failure("modelErrorException", "boom"))
    assert not result.passed
    assert result.reason == "ModelErrorException: boom"


def test_evaluate_unsupported_pattern_matches_ignoring_case_and_in_stream_form() -> None:
    spec = _test_spec(NonEmpty(), patterns=("tool use",))
    result = evaluate(spec, failure("validationException", "No TOOL USE here"))
    assert not result.passed
    assert result.reason == "not supported by the model: No TOOL USE here"


START = {"messageStart": {"role": "assistant"}}
STOP = {"messageStop": {"stopReason": "end_turn"}}
META = {
    "metadata": {
        "usage": {"inputTokens": 5, "outputTokens": 3, "totalTokens": 8},
        "metrics": {"latencyMs": 120},
    }
}


def delta(text: str, index: int = 0) -> dict[str, Any]:
    return {"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": index}}


def block_stop(index: int = 0) -> dict[str, Any]:
    return {"contentBlockStop": {"contentBlockIndex": index}}


TOOL_START = {
    "contentBlockStart": {
        "start": {"toolUse": {"toolUseId": "t1", "name": "get_weather"}},
        "contentBlockIndex": 1,
    }
}
TOOL_DELTA = {
    "contentBlockDelta": {"delta": {"toolUse": {"input": '{"city"'}}, "contentBlockIndex": 1}
}
TOOL_DELTA2 = {
    "contentBlockDelta": {"delta": {"toolUse": {"input": ': "Lisbon"}'}}, "contentBlockIndex": 1}
}

VALID_STREAM = [START, delta("Hel"), delta("lo"), block_stop(), STOP, META]


@pytest.mark.parametrize(
    "events",
    [
        VALID_STREAM,
        [
            START,
            delta("a"),
            block_stop(),
            TOOL_START,
            TOOL_DELTA,
            TOOL_DELTA2,
            block_stop(1),
            STOP,
            META,
        ],
        [START, delta(""), delta("x"), block_stop(), STOP, META],
    ],
)
def test_stream_valid_accepts_the_grammar(events: list[dict[str, Any]]) -> None:
    result = StreamValid().evaluate(stream(events))
    assert result.passed, result.reason


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        ([delta("a"), START, block_stop(), STOP, META], "before messageStart"),
        ([START, START, delta("a"), block_stop(), STOP, META], "second messageStart"),
        ([START, delta("a"), STOP, META], "still open"),
        ([START, delta("a"), block_stop(), STOP], "no metadata"),
        ([START, delta("a"), block_stop(), META, STOP], "before messageStop"),
        ([START, delta("a"), block_stop(), STOP, META, delta("b")], "after metadata"),
        ([START, delta("a"), block_stop(), delta("b"), STOP, META], "after its contentBlockStop"),
        ([START, delta("a"), block_stop(), STOP, STOP, META], "second messageStop"),
        ([START, block_stop(), STOP, META], "stopped before any start"),
        ([START, TOOL_START, TOOL_DELTA, block_stop(1), STOP, META], "no text delta"),
        ([START, delta("a"), {"throttlingException": {"message": "slow down"}}], "slow down"),
        ([START, delta("a"), block_stop(), {"bogus": {}}, STOP, META], "unknown event"),
        ([START, delta("a"), block_stop()], "no messageStop"),
        ([], "no messageStart"),
    ],
)
def test_stream_valid_names_the_violation(events: list[dict[str, Any]], problem: str) -> None:
    result = StreamValid().evaluate(stream(events))
    assert not result.passed
    assert problem in result.reason


def test_stream_valid_without_events_fails() -> None:
    result = StreamValid().evaluate(reply("hi"))
    assert not result.passed and "no stream events" in result.reason


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"contentBlockDelta": {"delta": {"text": "a"}}}, "contentBlockIndex"),
        ({"metadata": {"metrics": {}}}, "usage"),
    ],
)
def test_events_the_api_never_sends_are_malformed_output(
    event: dict[str, Any], problem: str
) -> None:
    # The parser rejects them before any check runs (a MODEL_ERROR, as malformed output is).
    with pytest.raises(MalformedModelOutput, match=problem):
        parse_stream_event(event, elapsed_ms=1.0)
