"""Converse / ConverseStream request arguments for a test's turns."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from certtui.suites.images import colour_png
from certtui.suites.model import TestSpec, ToolSpec, Turn
from certtui.suites.outcome import Answer

Message = dict[str, Any]

# Bedrock rejects a blank text block, so an empty reply still needs some text to keep the
# conversation well-formed for the next turn.
EMPTY_REPLY_PLACEHOLDER = "(no reply)"


def user_message(turn: Turn) -> Message:
    """The Converse user message of one turn."""
    content: list[dict[str, Any]] = []
    if turn.image is not None:
        # Vision models are documented to answer best with the image before the question.
        content.append(
            {
                "image": {
                    "format": "png",
                    "source": {"bytes": colour_png(turn.image.colour, turn.image.size)},
                }
            }
        )
    content.append({"text": turn.text})
    return {"role": "user", "content": content}


def assistant_message(answer: Answer) -> Message:
    """The assistant message that carries a reply into the next turn's history."""
    text = answer.text if answer.text.strip() else EMPTY_REPLY_PLACEHOLDER
    return {"role": "assistant", "content": [{"text": text}]}


def turn_index(history: Sequence[Mapping[str, Any]]) -> int:
    """Which user turn comes next after this history (one per assistant reply so far)."""
    return sum(1 for message in history if message.get("role") == "assistant")


def build_request(
    test: TestSpec, model_invoke_id: str, history: Sequence[Message] = ()
) -> dict[str, Any]:
    """Keyword arguments for converse() / converse_stream() for the next turn of a test.

    `history` holds the earlier turns' user and assistant messages (empty for the first turn);
    the turn sent is the one after the last assistant reply in it.
    """
    index = turn_index(history)
    if index >= len(test.turns):
        raise ValueError(
            f"test {test.id!r} has {len(test.turns)} turn(s); history already answers {index}"
        )
    request: dict[str, Any] = {
        "modelId": model_invoke_id,
        "messages": [*history, user_message(test.turns[index])],
    }
    if test.system is not None:
        request["system"] = [{"text": test.system}]
    inference = test.inference.as_converse()
    if inference:
        request["inferenceConfig"] = inference
    if test.tools:
        request["toolConfig"] = {"tools": [{"toolSpec": _tool_spec(tool)} for tool in test.tools]}
    return request


def _tool_spec(tool: ToolSpec) -> dict[str, Any]:
    """The Converse toolSpec of one tool; Bedrock rejects an empty description, so it is omitted."""
    spec: dict[str, Any] = {"name": tool.name}
    if tool.description:
        spec["description"] = tool.description
    # A copy, so a caller that edits the request cannot change the suite.
    spec["inputSchema"] = {"json": copy.deepcopy(tool.input_schema)}
    return spec


def next_history(request: Mapping[str, Any], answer: Answer) -> list[Message]:
    """The history for the following turn: this request's messages plus the model's reply."""
    return [*request["messages"], assistant_message(answer)]
