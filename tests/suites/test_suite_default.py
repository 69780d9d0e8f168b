"""The built-in battery is SPEC §3.1's, and every request it builds is one Bedrock accepts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from certtui.suites import (
    Answer,
    Capability,
    TestKind,
    build_request,
    capabilities_for,
    default_suite,
    evaluate,
    is_unsupported_error,
    next_history,
)
from support.answers import failure, reply, stream, tool_use

# SPEC §3.1, copied by hand: id, weight, required.
SPEC_BATTERY = [
    ("respond", 3, True),
    ("instruction", 2, False),
    ("system_prompt", 2, False),
    ("multi_turn", 2, False),
    ("streaming", 2, False),
    ("max_tokens", 1, False),
    ("tool_use", 2, False),
    ("json_output", 1, False),
    ("image_input", 1, False),
    ("repeatability", 1, False),
]


def test_default_suite_is_the_spec_battery() -> None:
    suite = default_suite()
    assert [(t.id, t.weight, t.required) for t in suite.tests] == SPEC_BATTERY
    assert suite.pass_threshold == 75
    assert suite.name == "default"
    assert suite.version


def test_default_suite_kinds_and_capabilities() -> None:
    suite = default_suite()
    kinds = {t.id: t.kind for t in suite.tests}
    assert kinds["streaming"] is TestKind.STREAM
    assert kinds["multi_turn"] is TestKind.MULTI_TURN
    assert kinds["repeatability"] is TestKind.REPEAT
    needed = {t.id: t.needed_capabilities for t in suite.tests if t.needed_capabilities}
    assert needed == {
        "streaming": {Capability.STREAMING},
        "image_input": {Capability.IMAGE_INPUT},
    }


def test_repeatability_repeats_respond_exactly() -> None:
    suite = default_suite()
    repeat, respond = suite.test("repeatability"), suite.test("respond")
    assert repeat.repeat_of == "respond"
    assert repeat.delay_seconds > 0
    assert build_request(repeat, "m") == build_request(respond, "m")
    assert repeat.checks == respond.checks


def test_text_only_model_skips_streaming_and_image() -> None:
    caps = capabilities_for(["TEXT"], streaming_supported=False)
    skipped = {t.id: t.skip_reason(caps) for t in default_suite().tests if t.skip_reason(caps)}
    assert set(skipped) == {"streaming", "image_input"}
    assert "streaming" in skipped["streaming"]
    assert "IMAGE" in skipped["image_input"]


def test_multimodal_streaming_model_runs_everything() -> None:
    caps = capabilities_for(["TEXT", "IMAGE"], streaming_supported=True)
    assert all(t.skip_reason(caps) is None for t in default_suite().tests)


@pytest.mark.parametrize("test_id", [t[0] for t in SPEC_BATTERY])
def test_every_default_request_is_valid_for_botocore(test_id: str, validate_shape) -> None:
    test = default_suite().test(test_id)
    operation = "ConverseStream" if test.kind is TestKind.STREAM else "Converse"
    history: list[dict] = []
    for _ in test.turns:
        request = build_request(test, "anthropic.claude-3-haiku-20240307-v1:0", history)
        validate_shape(request, operation)
        history = next_history(request, reply("Noted."))


def _good_outcome(test_id: str) -> Answer:
    """What a well-behaved model sends back to each default test."""
    usage = {"input_tokens": 20, "output_tokens": 8}
    if test_id == "streaming":
        return stream(
            [
                {"messageStart": {"role": "assistant"}},
                {"contentBlockDelta": {"delta": {"text": "1 2 3 4 5 "}, "contentBlockIndex": 0}},
                {"contentBlockDelta": {"delta": {"text": "6 7 8 9 10"}, "contentBlockIndex": 0}},
                {"contentBlockStop": {"contentBlockIndex": 0}},
                {"messageStop": {"stopReason": "end_turn"}},
                {
                    "metadata": {
                        "usage": {"inputTokens": 12, "outputTokens": 20, "totalTokens": 32},
                        "metrics": {"latencyMs": 300},
                    }
                },
            ]
        )
    replies = {
        "respond": reply("Hi, I am an assistant.", **usage),
        "repeatability": reply("Hello there.", **usage),
        "instruction": reply("42\n", **usage),
        "system_prompt": reply("[CERT-OK] Violet.", **usage),
        "multi_turn": reply("Heron", **usage),
        "max_tokens": reply("The printing", stop_reason="max_tokens"),
        "tool_use": reply(
            tool_uses=(tool_use("get_weather", {"city": "Lisbon, Portugal"}),),
            stop_reason="tool_use",
        ),
        "json_output": reply('```json\n{"name": "Ana", "age": 31}\n```'),
        "image_input": reply("Red."),
    }
    return replies[test_id]


@pytest.mark.parametrize("test_id", [t[0] for t in SPEC_BATTERY])
def test_a_good_model_passes_every_default_test(test_id: str) -> None:
    result = evaluate(default_suite().test(test_id), _good_outcome(test_id))
    assert result.passed, result.reason


@pytest.mark.parametrize(
    ("test_id", "message"),
    [
        ("system_prompt", "This model doesn't support system messages."),
        ("system_prompt", "System messages are not supported by this model."),
        ("tool_use", "This model doesn’t support tool use."),
        ("tool_use", "The model does not support tool use in this configuration."),
        ("tool_use", "toolConfig is not supported for this model"),
        ("image_input", "This model doesn't support image content blocks."),
        ("streaming", "The model is unsupported for streaming"),
    ],
)
def test_real_unsupported_messages_fail_the_test_with_that_reason(
    test_id: str, message: str
) -> None:
    test = default_suite().test(test_id)
    assert is_unsupported_error(test, "ValidationException", message)
    result = evaluate(test, failure("ValidationException", message))
    assert not result.passed
    assert "not supported" in result.reason and message in result.reason


@pytest.mark.parametrize(
    ("test_id", "code", "message"),
    [
        # Same words, but not a ValidationException: the engine's error, not a failed feature.
        ("tool_use", "AccessDeniedException", "You don't have access; tool use not supported"),
        ("system_prompt", "ValidationException", "The provided model identifier is invalid."),
        (
            "tool_use",
            "ValidationException",
            "Invocation of model ID x with on-demand throughput isn’t supported. Retry your "
            "request with the ID or ARN of an inference profile that contains this model.",
        ),
        ("respond", "ValidationException", "This model doesn't support system messages."),
    ],
)
def test_other_errors_are_not_unsupported_features(test_id: str, code: str, message: str) -> None:
    assert not is_unsupported_error(default_suite().test(test_id), code, message)


def test_suites_package_stays_pure() -> None:
    # A fresh interpreter: the suites package must not pull network, database or UI libraries.
    code = (
        "import sys, certtui.suites as s; s.default_suite();"
        "bad = [m for m in ('botocore', 'aioboto3', 'aiohttp', 'sqlalchemy', 'textual')"
        " if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
