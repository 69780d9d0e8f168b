"""Typed Bedrock answers and errors for tests of the checks, built as the client builds them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from certtui.bedrock.errors import classify
from certtui.bedrock.results import (
    ClassifiedError,
    ConverseResult,
    StreamResult,
    ToolUse,
    Usage,
    parse_stream_event,
)


def tool_use(name: str, value: Any = None, tool_use_id: str = "") -> ToolUse:
    """A tool call; a `str` value is the raw JSON text the model sent (kept when it is broken)."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        return ToolUse(tool_use_id, name, parsed, value)
    value = {} if value is None else value
    return ToolUse(tool_use_id, name, value, json.dumps(value))


def reply(
    text: str = "",
    *,
    tool_uses: Iterable[ToolUse] = (),
    stop_reason: str = "end_turn",
    input_tokens: int = 20,
    output_tokens: int = 8,
    latency_ms: int | None = None,
    client_latency_ms: float = 1.0,
) -> ConverseResult:
    """A Converse answer with this text (one text block) and these tool calls."""
    calls = tuple(tool_uses)
    content: list[Mapping[str, Any]] = [{"text": text}] if text else []
    content += [
        {"toolUse": {"toolUseId": c.tool_use_id, "name": c.name, "input": c.input}} for c in calls
    ]
    return ConverseResult(
        region="us-east-1",
        invoke_id="test.model-v1:0",
        text=text,
        content=tuple(content),
        tool_uses=calls,
        stop_reason=stop_reason,
        usage=Usage(input_tokens, output_tokens, input_tokens + output_tokens),
        server_latency_ms=latency_ms,
        client_latency_ms=client_latency_ms,
    )


def stream(events: Iterable[Mapping[str, Any]]) -> StreamResult:
    """The result of a ConverseStream whose wire delivered these events, in this order."""
    result = StreamResult(region="us-east-1", invoke_id="test.model-v1:0")
    elapsed = 0.0
    for raw in events:
        elapsed += 10.0
        result.add(parse_stream_event(raw, elapsed))
    result.finish(elapsed + 10.0)
    return result


def failure(code: str, message: str) -> ClassifiedError:
    """The classified error of a call that failed with this AWS error code and message."""
    return classify(ClientError({"Error": {"Code": code, "Message": message}}, "Converse"))
