"""What a test's call(s) ended in, as the Bedrock client typed it; the checks read it as it is.

A Converse call gives a ConverseResult, a ConverseStream call a StreamResult (with its events),
and a call that failed in a way the engine lets through as a failed test its ClassifiedError.
These come from `certtui.bedrock.results`, which imports no botocore: the checks never see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from certtui.bedrock.results import ClassifiedError, ConverseResult, StreamResult, Usage

Answer = ConverseResult | StreamResult
"""What a model sent back: a Converse reply (or a conversation folded into one), or a stream."""

Outcome = Answer | ClassifiedError
"""What a test's call(s) ended in: an answer, or the error of the call that failed."""


def combine_turns(replies: Sequence[ConverseResult]) -> ConverseResult:
    """Fold a conversation into one answer: the last reply, with usage and latencies summed."""
    if not replies:
        raise ValueError("a conversation has at least one call")
    last = replies[-1]
    if len(replies) == 1:
        return last
    return replace(
        last,
        usage=Usage(
            input_tokens=sum(r.usage.input_tokens for r in replies),
            output_tokens=sum(r.usage.output_tokens for r in replies),
            total_tokens=sum(r.usage.total_tokens for r in replies),
        ),
        server_latency_ms=_sum(r.server_latency_ms for r in replies),
        client_latency_ms=sum(r.client_latency_ms for r in replies),
    )


def _sum(values: Iterable[int | None]) -> int | None:
    """Sum what is known; None only when nothing is."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None
