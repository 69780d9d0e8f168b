"""TestRecords and the testResults document."""

from __future__ import annotations

import json

from certtui.suites import (
    CheckResult,
    TestRecord,
    TestStatus,
    build_test_results,
    default_suite,
    estimated_cost,
    evaluate,
    excerpt,
)
from support.answers import failure, reply, stream, tool_use


def test_excerpt_caps_at_300_characters() -> None:
    assert excerpt("  short  ") == "short"
    long = excerpt("x" * 1000)
    assert len(long) == 300 and long.endswith("…")
    assert excerpt("y" * 300) == "y" * 300


def test_record_from_outcome_carries_the_evidence() -> None:
    test = default_suite().test("instruction")
    outcome = reply("42", stop_reason="end_turn", input_tokens=18, output_tokens=2, latency_ms=230)
    record = TestRecord.from_outcome(
        test, outcome, evaluate(test, outcome), client_latency_ms=260, attempts=2
    )
    assert record == TestRecord(
        id="instruction",
        weight=2,
        required=False,
        status=TestStatus.PASSED,
        reason="1 check passed",
        client_latency_ms=260,
        server_latency_ms=230,
        input_tokens=18,
        output_tokens=2,
        stop_reason="end_turn",
        answer_excerpt="42",
        attempts=2,
    )


def test_record_of_a_tool_answer_shows_the_call() -> None:
    test = default_suite().test("tool_use")
    outcome = reply(tool_uses=(tool_use("get_weather", {"city": "Lisbon"}),))
    record = TestRecord.from_outcome(test, outcome, evaluate(test, outcome))
    assert record.answer_excerpt == 'get_weather({"city": "Lisbon"})'


def test_record_of_a_failed_call_keeps_code_and_message() -> None:
    test = default_suite().test("system_prompt")
    outcome = failure("ValidationException", "This model doesn't support system messages.")
    record = TestRecord.from_outcome(test, outcome, evaluate(test, outcome))
    assert record.status is TestStatus.FAILED
    assert record.error_code == "ValidationException"
    assert record.error_message == "This model doesn't support system messages."
    assert record.reason.startswith("not supported by the model")


def test_record_of_a_stream_takes_its_time_to_first_token() -> None:
    test = default_suite().test("streaming")
    outcome = stream(
        [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"delta": {"text": "1 2 3"}, "contentBlockIndex": 0}},
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
    record = TestRecord.from_outcome(test, outcome, evaluate(test, outcome))
    assert record.ttft_ms == 20  # the first delta, the second event at 10 ms each
    assert (record.input_tokens, record.output_tokens, record.server_latency_ms) == (12, 20, 300)
    assert record.answer_excerpt == "1 2 3"


def test_record_of_a_broken_tool_call_shows_what_the_model_sent() -> None:
    test = default_suite().test("tool_use")
    outcome = reply(tool_uses=(tool_use("get_weather", '{"city": "Lis'),))
    record = TestRecord.from_outcome(test, outcome, evaluate(test, outcome))
    assert record.answer_excerpt == 'get_weather({"city": "Lis)'
    assert record.status is TestStatus.FAILED


def test_skipped_record() -> None:
    test = default_suite().test("image_input")
    record = TestRecord.skipped(test, "no images")
    assert record.status is TestStatus.SKIPPED and record.attempts == 0
    assert record.to_json()["passed"] is None and record.to_json()["skipped"] is True


def test_estimated_cost_needs_both_prices() -> None:
    assert estimated_cost(1000, 2000, 0.25, 1.25) == 2.75
    assert estimated_cost(1000, 2000, None, 1.25) is None
    assert estimated_cost(0, 0, 0.0, 0.0) == 0.0


def test_build_test_results_document() -> None:
    suite = default_suite()
    records = [
        TestRecord(
            "respond",
            3,
            True,
            TestStatus.PASSED,
            "ok",
            300,
            250,
            None,
            10,
            5,
            "end_turn",
            "Hi",
            attempts=1,
        ),
        TestRecord(
            "streaming",
            2,
            False,
            TestStatus.PASSED,
            "ok",
            400,
            350,
            120,
            12,
            20,
            "end_turn",
            "1 2 3",
            attempts=1,
        ),
        TestRecord(
            "tool_use",
            2,
            False,
            TestStatus.FAILED,
            "not supported",
            100,
            None,
            None,
            None,
            None,
            None,
            "",
            "ValidationException",
            "no tools",
            attempts=1,
        ),
        TestRecord.skipped(suite.test("image_input"), "no image input"),
    ]
    document = build_test_results(
        records,
        invoke_id="us.amazon.nova-lite-v1:0",
        suite=suite,
        cost_per_1k_input=0.06,
        cost_per_1k_output=0.24,
        extra={"simulated": True, "invokeId": "overridden?"},
    )
    assert json.loads(json.dumps(document)) == document  # plain JSON all the way down
    assert document["invokeId"] == "us.amazon.nova-lite-v1:0"
    assert document["simulated"] is True
    assert document["suite"] == {"name": "default", "version": suite.version}
    assert document["passThreshold"] == 75
    assert (document["score"], document["rating"], document["passed"]) == (71.4, "C", False)
    assert document["totalTokens"] == {"input": 22, "output": 25, "total": 47}
    assert document["estimatedCostUsd"] == round(22 / 1000 * 0.06 + 25 / 1000 * 0.24, 6)
    assert [t["id"] for t in document["tests"]] == [
        "respond",
        "streaming",
        "tool_use",
        "image_input",
    ]
    assert document["tests"][1] == {
        "id": "streaming",
        "status": "passed",
        "passed": True,
        "skipped": False,
        "weight": 2,
        "required": False,
        "reason": "ok",
        "clientLatencyMs": 400,
        "serverLatencyMs": 350,
        "ttftMs": 120,
        "inputTokens": 12,
        "outputTokens": 20,
        "stopReason": "end_turn",
        "answerExcerpt": "1 2 3",
        "errorCode": None,
        "errorMessage": None,
        "attempts": 1,
    }
    assert document["tests"][2]["passed"] is False
    assert document["tests"][2]["errorCode"] == "ValidationException"


def test_build_test_results_without_prices_and_with_a_threshold() -> None:
    suite = default_suite()
    records = [TestRecord("respond", 3, True, TestStatus.PASSED, "ok")]
    document = build_test_results(records, invoke_id="m", suite=suite, pass_threshold=90)
    assert document["estimatedCostUsd"] is None
    assert document["passThreshold"] == 90
    assert document["totalTokens"] == {"input": 0, "output": 0, "total": 0}
    assert document["passed"] is True


def test_check_result_is_plain() -> None:
    assert CheckResult(True, "ok") == CheckResult(True, "ok")
