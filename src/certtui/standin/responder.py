"""The simulated model: a generic, deterministic answer to a Converse request.

It is not a lookup of known prompts. It reads the conversation the way a small instruction-tuned
model would: it evaluates arithmetic, follows "reply with …" instructions, recalls facts stated
earlier, obeys system-prompt rules, calls an offered tool, writes JSON when asked, names an
image's colour, and otherwise writes a plausible paragraph. Behaviour flaws degrade each skill.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from certtui.standin import skills
from certtui.standin.png import PngError, dominant_colour
from certtui.standin.scenario import Flaw

_COLOURS = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "brown")
_ID_ALPHABET = string.ascii_letters + string.digits
# Rough token costs of non-text input, in the spirit of the real tokenizers.
_IMAGE_TOKENS = 85
_TOOL_SPEC_TOKENS = 20


@dataclass(frozen=True)
class ToolCall:
    """A tool invocation the model decided to make."""

    tool_use_id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What the simulated model produced for one request."""

    text: str
    stop_reason: str
    input_tokens: int
    output_tokens: int
    tool_call: ToolCall | None = None
    reasoning: str = ""
    """The reasoningContent a reasoning model wrote before its answer (counted in output)."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens, as Bedrock reports them."""
        return self.input_tokens + self.output_tokens

    @property
    def has_text_block(self) -> bool:
        """True when the answer has a text block (a bare tool call, or reasoning that used up
        every token, has none)."""
        return bool(self.text) or (self.tool_call is None and not self.reasoning)

    def content(self) -> list[dict[str, Any]]:
        """The assistant message's content blocks in Converse wire form."""
        blocks: list[dict[str, Any]] = []
        if self.reasoning:
            blocks.append(
                {
                    "reasoningContent": {
                        "reasoningText": {"text": self.reasoning, "signature": REASONING_SIGNATURE}
                    }
                }
            )
        if self.has_text_block:
            blocks.append({"text": self.text})
        if self.tool_call is not None:
            call = self.tool_call
            blocks.append(
                {"toolUse": {"toolUseId": call.tool_use_id, "name": call.name, "input": call.input}}
            )
        return blocks


def count_tokens(text: str) -> int:
    """The simulated tokenizer: one token per whitespace-separated word."""
    return len(text.split())


def text_tokens(text: str) -> list[str]:
    """Split text into the tokens a stream delivers, each with its leading whitespace."""
    return re.findall(r"\s*\S+", text)


REASONING_SIGNATURE = "c2ltdWxhdGVkIHJlYXNvbmluZw=="
_THINKING = re.findall(
    r"\S+",
    "Let me think about what is being asked and work through it step by step before I "
    "answer, checking each part of the request and the constraints it sets.",
)


def respond(
    request: Mapping[str, Any],
    flaws: frozenset[Flaw],
    seed: str,
    *,
    reasoning_tokens: int = 0,
) -> Reply:
    """Answer a (validated) Converse request body as a model with these flaws would.

    A reasoning model (`reasoning_tokens` > 0) first writes that many tokens of reasoning out
    of the same maxTokens: with too small a budget it stops at max_tokens with no answer.
    """
    conversation = _Conversation.from_request(request)
    rng = random.Random(f"{seed}|{json.dumps(request, sort_keys=True, default=str)}")
    text, tool_call = _Drafter(conversation, flaws, rng).draft()
    if conversation.system and Flaw.IGNORES_SYSTEM_PROMPT not in flaws:
        text = skills.apply_system_rules(text, conversation.system)
    config = dict(request.get("inferenceConfig") or {})
    reasoning = ""
    if reasoning_tokens > 0:
        budget = config.get("maxTokens")
        spent = reasoning_tokens if budget is None else min(reasoning_tokens, budget)
        reasoning = " ".join(_THINKING[i % len(_THINKING)] for i in range(spent))
        if budget is not None:
            if budget <= reasoning_tokens:
                return Reply(
                    text="",
                    stop_reason="max_tokens",
                    input_tokens=conversation.input_tokens,
                    output_tokens=spent,
                    reasoning=reasoning,
                )
            config["maxTokens"] = budget - reasoning_tokens
    reply = _limit(text, tool_call, conversation.input_tokens, config)
    if not reasoning:
        return reply
    return replace(reply, reasoning=reasoning, output_tokens=reply.output_tokens + reasoning_tokens)


@dataclass(frozen=True)
class _Conversation:
    """The parts of a request the model reads."""

    prompt: str
    history: list[str]
    images: list[tuple[str, str]]
    tool_results: list[str]
    system: str
    tools: list[dict[str, Any]]
    tool_choice: dict[str, Any]
    input_tokens: int

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> _Conversation:
        messages = list(request.get("messages") or [])
        user_turns = [m for m in messages if m.get("role") == "user"]
        blocks = list(user_turns[-1].get("content") or []) if user_turns else []
        system = "\n".join(b["text"] for b in request.get("system") or [] if "text" in b)
        tool_config = request.get("toolConfig") or {}
        tools = [t["toolSpec"] for t in tool_config.get("tools") or [] if "toolSpec" in t]
        all_blocks = [b for m in messages for b in m.get("content") or []]
        words = count_tokens(system) + sum(count_tokens(b.get("text", "")) for b in all_blocks)
        images = sum(1 for b in all_blocks if "image" in b)
        return cls(
            prompt=" ".join(b["text"] for b in blocks if "text" in b).strip(),
            history=[b["text"] for m in user_turns[:-1] for b in m["content"] if "text" in b],
            images=[
                (b["image"].get("format", ""), b["image"].get("source", {}).get("bytes", ""))
                for b in blocks
                if "image" in b
            ],
            tool_results=[_tool_result_text(b["toolResult"]) for b in blocks if "toolResult" in b],
            system=system,
            tools=tools,
            tool_choice=tool_config.get("toolChoice") or {},
            input_tokens=max(1, words + _IMAGE_TOKENS * images + _TOOL_SPEC_TOKENS * len(tools)),
        )


def _tool_result_text(result: Mapping[str, Any]) -> str:
    parts = []
    for block in result.get("content") or []:
        if "text" in block:
            parts.append(block["text"])
        elif "json" in block:
            parts.append(json.dumps(block["json"]))
    return " ".join(parts)


_Draft = tuple[str, ToolCall | None]


class _Drafter:
    """Chooses what kind of answer the prompt calls for and writes it, flaws included."""

    def __init__(
        self, conversation: _Conversation, flaws: frozenset[Flaw], rng: random.Random
    ) -> None:
        self.conversation = conversation
        self.flaws = flaws
        self.rng = rng
        self.obeys = Flaw.IGNORES_INSTRUCTIONS not in flaws
        remembered = [] if Flaw.FORGETS_CONTEXT in flaws else conversation.history
        self.facts = skills.stated_facts([*remembered, conversation.prompt])

    def draft(self) -> _Draft:
        prompt = self.conversation.prompt
        skills_in_order: list[Callable[[str], _Draft | None]] = [
            self._tool_result,
            self._image,
            self._tool_call,
            self._json,
            self._arithmetic,
            self._recall,
            self._instruction,
            self._acknowledge,
            self._plain(skills.count_up),
            self._plain(skills.greeting),
        ]
        for skill in skills_in_order:
            drafted = skill(prompt)
            if drafted is not None:
                return drafted
        return skills.generic_answer(prompt, self.rng), None

    @staticmethod
    def _plain(skill: Callable[[str], str | None]) -> Callable[[str], _Draft | None]:
        def run(prompt: str) -> _Draft | None:
            text = skill(prompt)
            return None if text is None else (text, None)

        return run

    def _tool_result(self, prompt: str) -> _Draft | None:
        results = self.conversation.tool_results
        if not results:
            return None
        return f"According to the tool, the result is: {' '.join(results)}".strip(), None

    def _image(self, prompt: str) -> _Draft | None:
        if not self.conversation.images:
            return None
        colour = _image_colour(*self.conversation.images[0])
        if colour is None:
            return "I can see the image, but I cannot make out its colours clearly.", None
        if Flaw.MISREADS_IMAGES in self.flaws:
            shifted = (_COLOURS.index(colour) + 3) % len(_COLOURS) if colour in _COLOURS else 0
            colour = _COLOURS[shifted]
        if skills.ONE_WORD.search(prompt) and self.obeys:
            return colour, None
        return f"The image is mostly {colour}: its dominant colour is {colour}.", None

    def _tool_call(self, prompt: str) -> _Draft | None:
        tools = self.conversation.tools
        if not tools or Flaw.IGNORES_TOOLS in self.flaws:
            return None
        tool = skills.choose_tool(prompt, tools, self.conversation.tool_choice)
        if tool is None:
            return None
        call = ToolCall(
            tool_use_id="tooluse_" + "".join(self.rng.choices(_ID_ALPHABET, k=22)),
            name=tool["name"],
            input=skills.tool_arguments(prompt, tool),
        )
        return f"I'll use the {tool['name']} tool to answer that.", call

    def _json(self, prompt: str) -> _Draft | None:
        if not skills.wants_json(prompt):
            return None
        keys = skills.json_keys(prompt)
        obj = {key: skills.json_value(key, prompt, self.facts, self.rng) for key in keys}
        text = json.dumps(obj or {"answer": skills.topic_of(prompt) or "ok"})
        if Flaw.BROKEN_JSON in self.flaws:
            # A classic failure: the closing brace is lost and a trailing comma is left behind.
            text = text[:-1] + ","
        return text, None

    def _arithmetic(self, prompt: str) -> _Draft | None:
        found = skills.find_arithmetic(prompt)
        if found is None:
            return None
        expression, value = found
        if value is None:
            return "That expression divides by zero, so it has no numeric answer.", None
        if isinstance(value, skills.TooLarge):
            return (
                f"I can't work that out exactly: {value}. The result of {expression} would have "
                f"more than {skills.MAX_RESULT_DIGITS} digits, too many to write out.",
                None,
            )
        if Flaw.WRONG_ARITHMETIC in self.flaws:
            value += 1
        answer = skills.format_number(value)
        if skills.DIGITS_ONLY.search(prompt) and self.obeys:
            return answer, None
        return f"{expression} = {answer}. The answer is {answer}.", None

    def _recall(self, prompt: str) -> _Draft | None:
        asked = skills.recall_question(prompt)
        if asked is None:
            return None
        fact = skills.lookup_fact(self.facts, asked)
        if fact is None:
            return f"I'm sorry, I don't know your {asked}: you haven't told me yet.", None
        phrase, value = fact
        if skills.ONE_WORD.search(prompt) and self.obeys:
            return value, None
        return f"You told me that your {phrase} is {value}.", None

    def _instruction(self, prompt: str) -> _Draft | None:
        literal = skills.literal_reply(prompt) if self.obeys else None
        return None if literal is None else (literal, None)

    def _acknowledge(self, prompt: str) -> _Draft | None:
        stated = skills.stated_facts([prompt])
        if not stated or "?" in prompt:
            return None
        phrase, value = next(iter(stated.values()))
        return f"Got it. I'll remember that your {phrase} is {value}.", None


def _image_colour(image_format: str, encoded: str) -> str | None:
    if image_format != "png":
        return None
    try:
        return dominant_colour(base64.b64decode(encoded, validate=True))
    except (PngError, binascii.Error, ValueError):
        return None


def _limit(
    text: str, tool_call: ToolCall | None, input_tokens: int, config: Mapping[str, Any]
) -> Reply:
    """Apply stop sequences and maxTokens, and count tokens."""
    stop_reason = "tool_use" if tool_call else "end_turn"
    stops = [s for s in config.get("stopSequences") or [] if s]
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    if cut >= 0:
        text = text[:cut].rstrip()
        tool_call, stop_reason = None, "stop_sequence"
    max_tokens = config.get("maxTokens")
    tool_tokens = count_tokens(json.dumps(tool_call.input)) + 5 if tool_call else 0
    if max_tokens is not None and count_tokens(text) + tool_tokens > max_tokens:
        text = "".join(text_tokens(text)[:max_tokens]).strip()
        tool_call, tool_tokens, stop_reason = None, 0, "max_tokens"
    return Reply(
        text=text,
        tool_call=tool_call,
        stop_reason=stop_reason,
        input_tokens=input_tokens,
        output_tokens=max(1, count_tokens(text) + tool_tokens),
    )
