"""Per-test records and the `testResults` JSON document stored with a certification (SPEC §3.1).

The document's shape (camelCase, like the rest of the seed's JSON)::

    {"invokeId": "us.anthropic…", "suite": {"name": "default", "version": "1.0"},
     "passThreshold": 75.0, "score": 91.5, "rating": "A", "passed": true,
     "totalTokens": {"input": 812, "output": 240, "total": 1052},
     "estimatedCostUsd": 0.000503 | null,
     "tests": [{"id", "status": "passed|failed|skipped", "passed": bool | null, "skipped",
                "weight", "required", "reason", "clientLatencyMs", "serverLatencyMs", "ttftMs",
                "inputTokens", "outputTokens", "stopReason", "answerExcerpt", "errorCode",
                "errorMessage", "attempts"}, …],
     …extra keys the engine adds}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from certtui.bedrock.results import ClassifiedError, StreamResult, estimate_tokens
from certtui.suites.checks import CheckResult
from certtui.suites.model import Suite, TestSpec
from certtui.suites.outcome import Answer, Outcome
from certtui.suites.scoring import Score, TestStatus, score_tests

ANSWER_EXCERPT_CHARS = 300
ERROR_MESSAGE_CHARS = 2000  # keeps one runaway error body from bloating the JSONB column


def excerpt(text: str, limit: int = ANSWER_EXCERPT_CHARS) -> str:
    """The text cut to at most `limit` characters, marked with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class TestRecord:
    """Everything recorded about one test of one certification."""

    __test__ = False  # not a pytest test class, whatever its name says

    id: str
    weight: float
    required: bool
    status: TestStatus
    reason: str = ""
    client_latency_ms: int | None = None
    server_latency_ms: int | None = None
    ttft_ms: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    answer_excerpt: str = ""
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0
    error_category: str | None = None
    reasoning_tokens: int | None = None
    """Tokens the model spent reasoning, estimated from its reasoning text (usage lumps them in
    outputTokens); None when the reply had no reasoning blocks."""
    reasoning_budget: int | None = None
    """The extra maxTokens the engine gave a reasoning model for this test, if any."""

    @classmethod
    def skipped(cls, test: TestSpec, reason: str) -> TestRecord:
        """The record of a test that did not run, and why."""
        return cls(
            id=test.id,
            weight=test.weight,
            required=test.required,
            status=TestStatus.SKIPPED,
            reason=reason,
        )

    @classmethod
    def from_outcome(
        cls,
        test: TestSpec,
        outcome: Outcome,
        result: CheckResult,
        *,
        client_latency_ms: int | None = None,
        attempts: int = 1,
        reasoning_budget: int | None = None,
    ) -> TestRecord:
        """The record of a test that ran: its verdict plus the evidence from the outcome.

        `client_latency_ms` is the engine's, around every call and retry of the test; the time
        to first token comes from a stream's own result.
        """
        status = TestStatus.PASSED if result.passed else TestStatus.FAILED
        if isinstance(outcome, ClassifiedError):
            return cls(
                id=test.id,
                weight=test.weight,
                required=test.required,
                status=status,
                reason=result.reason,
                client_latency_ms=client_latency_ms,
                error_code=outcome.code,
                error_message=excerpt(outcome.message, ERROR_MESSAGE_CHARS),
                attempts=attempts,
                error_category=outcome.category.value,
            )
        usage = outcome.usage
        ttft = outcome.ttft_ms if isinstance(outcome, StreamResult) else None
        return cls(
            id=test.id,
            weight=test.weight,
            required=test.required,
            status=status,
            reason=result.reason,
            client_latency_ms=client_latency_ms,
            server_latency_ms=outcome.server_latency_ms,
            ttft_ms=None if ttft is None else int(ttft),
            input_tokens=None if usage is None else usage.input_tokens,
            output_tokens=None if usage is None else usage.output_tokens,
            stop_reason=outcome.stop_reason,
            answer_excerpt=excerpt(_answer_text(outcome)),
            attempts=attempts,
            reasoning_tokens=estimate_tokens(outcome.reasoning) if outcome.has_reasoning else None,
            reasoning_budget=reasoning_budget,
        )

    def to_json(self) -> dict[str, Any]:
        """The record as it appears in the `tests` list of testResults."""
        skipped = self.status is TestStatus.SKIPPED
        return {
            "id": self.id,
            "status": self.status.value,
            "passed": None if skipped else self.status is TestStatus.PASSED,
            "skipped": skipped,
            "weight": self.weight,
            "required": self.required,
            "reason": self.reason,
            "clientLatencyMs": self.client_latency_ms,
            "serverLatencyMs": self.server_latency_ms,
            "ttftMs": self.ttft_ms,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "stopReason": self.stop_reason,
            "answerExcerpt": self.answer_excerpt,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "attempts": self.attempts,
            **({"errorCategory": self.error_category} if self.error_category else {}),
            **(
                {"reasoningTokens": self.reasoning_tokens}
                if self.reasoning_tokens is not None
                else {}
            ),
            **({"reasoningBudget": self.reasoning_budget} if self.reasoning_budget else {}),
        }


def _answer_text(answer: Answer) -> str:
    """The reply as evidence: its text, or the tool calls when the model answered with tools."""
    text = answer.text
    if text.strip() or not answer.tool_uses:
        return text
    return "; ".join(
        f"{use.name}("
        + (
            use.raw_input  # not JSON: show what the model sent
            if use.input is None
            else json.dumps(use.input, ensure_ascii=False, default=str)
        )
        + ")"
        for use in answer.tool_uses
    )


def estimated_cost(
    input_tokens: int,
    output_tokens: int,
    cost_per_1k_input: float | None,
    cost_per_1k_output: float | None,
) -> float | None:
    """The USD cost of the tokens at per-1k prices, or None unless both prices are known."""
    if cost_per_1k_input is None or cost_per_1k_output is None:
        return None
    cost = input_tokens / 1000 * cost_per_1k_input + output_tokens / 1000 * cost_per_1k_output
    return round(cost, 6)


def build_test_results(
    records: Sequence[TestRecord],
    *,
    invoke_id: str,
    suite: Suite,
    pass_threshold: float | None = None,
    cost_per_1k_input: float | None = None,
    cost_per_1k_output: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the testResults document: per-test records, score and the run's totals.

    `pass_threshold` defaults to the suite's; `extra` adds engine facts (retries, the profile
    fallback, "simulated") without overriding the keys built here.
    """
    threshold = suite.pass_threshold if pass_threshold is None else pass_threshold
    score: Score = score_tests(records, threshold)
    input_tokens = _total(r.input_tokens for r in records)
    output_tokens = _total(r.output_tokens for r in records)
    reasoning = [r.reasoning_tokens for r in records if r.reasoning_tokens is not None]
    document: dict[str, Any] = dict(extra or {})
    document.update(
        {
            "invokeId": invoke_id,
            "suite": {"name": suite.name, "version": suite.version},
            "passThreshold": threshold,
            "score": score.score,
            "rating": score.rating,
            "passed": score.passed,
            "totalTokens": {
                "input": input_tokens,
                "output": output_tokens,
                "total": input_tokens + output_tokens,
                **({"reasoningEstimated": sum(reasoning)} if reasoning else {}),
            },
            "estimatedCostUsd": estimated_cost(
                input_tokens, output_tokens, cost_per_1k_input, cost_per_1k_output
            ),
            "tests": [record.to_json() for record in records],
        }
    )
    return document


def _total(values: Iterable[int | None]) -> int:
    return sum(value for value in values if value is not None)
