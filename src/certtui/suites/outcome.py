"""What came back from one test's call(s), in a shape the checks can read.

The engine builds a ConverseOutcome from a Converse response, from the events of a
ConverseStream call, or from the error a call ended with; the checks never see botocore.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

StreamEvent = Mapping[str, Any]
"""One ConverseStream event as botocore yields it: a one-key dict such as {"messageStop": {...}}."""


@dataclass(frozen=True)
class ToolUse:
    """One tool call the model made: the tool's name and the input it passed."""

    name: str
    input: Any
    tool_use_id: str = ""


@dataclass(frozen=True)
class ConverseOutcome:
    """The observable result of a test's call: reply, tool calls, usage, stream events or error."""

    text: str = ""
    tool_uses: tuple[ToolUse, ...] = ()
    stop_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: int | None = None
    stream_events: tuple[StreamEvent, ...] | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def failed(self) -> bool:
        """True when the call ended with an error instead of a reply."""
        return self.error_code is not None

    @classmethod
    def failure(cls, code: str, message: str) -> ConverseOutcome:
        """An outcome for a call that failed with an AWS error code and message."""
        return cls(error_code=normalise_error_code(code), error_message=message)


def normalise_error_code(code: str) -> str:
    """Turn an in-stream lower-camel code (throttlingException) into its API form."""
    return code[:1].upper() + code[1:]


def _usage(fields: dict[str, Any], usage: Mapping[str, Any] | None) -> None:
    """Copy a Converse usage block's token counts into outcome fields."""
    if usage:
        fields["input_tokens"] = usage.get("inputTokens")
        fields["output_tokens"] = usage.get("outputTokens")


def outcome_from_response(response: Mapping[str, Any]) -> ConverseOutcome:
    """Read a Converse response dict (as botocore returns it) into an outcome."""
    message = response.get("output", {}).get("message", {})
    texts: list[str] = []
    tool_uses: list[ToolUse] = []
    for block in message.get("content", ()):
        if "text" in block:
            texts.append(block["text"])
        elif "toolUse" in block:
            call = block["toolUse"]
            tool_uses.append(
                ToolUse(
                    name=call.get("name", ""),
                    input=call.get("input"),
                    tool_use_id=call.get("toolUseId", ""),
                )
            )
        # reasoningContent and other blocks are the model's working, not its answer.
    fields: dict[str, Any] = {
        "text": "".join(texts),
        "tool_uses": tuple(tool_uses),
        "stop_reason": response.get("stopReason"),
        "latency_ms": response.get("metrics", {}).get("latencyMs"),
    }
    _usage(fields, response.get("usage"))
    return ConverseOutcome(**fields)


def outcome_from_stream(events: Iterable[StreamEvent]) -> ConverseOutcome:
    """Assemble the reply, tool calls, usage and events of a ConverseStream call."""
    events = tuple(events)
    texts: list[str] = []
    tools: dict[int, dict[str, Any]] = {}
    fields: dict[str, Any] = {"stream_events": events}
    for event in events:
        for kind, body in event.items():
            if kind == "contentBlockStart":
                start = body.get("start", {}).get("toolUse")
                if start is not None:
                    tools[body.get("contentBlockIndex", -1)] = {
                        "name": start.get("name", ""),
                        "id": start.get("toolUseId", ""),
                        "input": [],
                    }
            elif kind == "contentBlockDelta":
                delta = body.get("delta", {})
                if "text" in delta:
                    texts.append(delta["text"])
                elif "toolUse" in delta:
                    index = body.get("contentBlockIndex", -1)
                    tool = tools.setdefault(index, {"name": "", "id": "", "input": []})
                    tool["input"].append(delta["toolUse"].get("input", ""))
            elif kind == "messageStop":
                fields["stop_reason"] = body.get("stopReason")
            elif kind == "metadata":
                _usage(fields, body.get("usage"))
                fields["latency_ms"] = body.get("metrics", {}).get("latencyMs")
            elif kind.endswith("Exception"):
                fields["error_code"] = normalise_error_code(kind)
                fields["error_message"] = body.get("message", "") if body else ""
    fields["text"] = "".join(texts)
    fields["tool_uses"] = tuple(
        ToolUse(
            name=tool["name"], input=_tool_input("".join(tool["input"])), tool_use_id=tool["id"]
        )
        for _, tool in sorted(tools.items())
    )
    return ConverseOutcome(**fields)


def _tool_input(raw: str) -> Any:
    """Streamed tool input arrives as JSON text; keep the raw text when it does not parse."""
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def combine_turns(outcomes: Sequence[ConverseOutcome]) -> ConverseOutcome:
    """Fold a multi-turn conversation into one outcome: the last reply, usage and latency summed.

    The first failed call ends the conversation, so its error is the test's outcome.
    """
    if not outcomes:
        raise ValueError("a conversation has at least one call")
    for outcome in outcomes:
        if outcome.failed:
            return outcome
    return replace(
        outcomes[-1],
        input_tokens=_sum(o.input_tokens for o in outcomes),
        output_tokens=_sum(o.output_tokens for o in outcomes),
        latency_ms=_sum(o.latency_ms for o in outcomes),
    )


def _sum(values: Iterable[int | None]) -> int | None:
    """Sum what is known; None only when nothing is."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None
