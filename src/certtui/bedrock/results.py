"""What a Bedrock runtime call yields, as plain data: its typed answer or its classified error.

This module imports neither botocore nor aioboto3, so the suite checks (which consume these
types as they are) stay pure. `operations` builds the answers from the parsed wire responses;
`errors.classify` builds the ClassifiedError.

Text blocks are joined with nothing between them, in a Converse reply and in a stream alike: a
reply split into several text blocks (around a citation, a tool call, a reasoning block) is one
answer in pieces, and the model puts any line breaks it wants into the text itself. A separator
would add characters the model never wrote, which an `equals` or `json_keys` check (SPEC §3.1:
"answer with digits only", "parseable JSON") would then hold against it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from certtui.domain.errors import ErrorCategory


class MalformedResponse(Exception):
    """The service answered, but the answer lacks what the API promises."""


class MalformedModelOutput(MalformedResponse):
    """A runtime answer (Converse, ConverseStream) lacks what the API promises."""


SIMULATED_HEADER = "x-certtui-simulated"
"""The header certtui's Bedrock stand-in sets on every response; AWS never sends it."""

# Stop reasons that say the model itself failed the answer (boto3's Converse documentation lists
# them; https://github.com/UKGovernmentBEIS/inspect_ai/issues/2941).
MODEL_FAILURE_STOP_REASONS = frozenset(
    {"malformed_model_output", "malformed_tool_use", "model_context_window_exceeded"}
)


def is_simulated(response: Mapping[str, Any] | None) -> bool:
    """True when a parsed response (or error response) came from certtui's stand-in."""
    metadata = (response or {}).get("ResponseMetadata") or {}
    headers = metadata.get("HTTPHeaders") or {}
    return str(headers.get(SIMULATED_HEADER, "")).strip() == "1"


def estimate_tokens(text: str) -> int:
    """Tokens in a text, estimated (about four characters each): usage does not split them."""
    return (len(text) + 3) // 4


def normalize_code(code: str) -> str:
    """Return the Bedrock error code in its HTTP spelling (in-stream codes are lower-camel).

    Also drops a shape namespace (``com.amazon.bedrock#ValidationException``) and a trailing
    documentation URL (``ValidationException:http://…``).
    """
    code = code.strip().rsplit("#", 1)[-1].split(":", 1)[0]
    return code[:1].upper() + code[1:]


@dataclass(frozen=True, slots=True)
class ClassifiedError:
    """Why a Bedrock call failed: category, code (normalised), message, and whether to retry."""

    category: ErrorCategory
    code: str
    message: str
    retryable: bool
    hint: str | None = None
    """What to do about this particular error, when it says more than the category's hint."""
    rejected_parameter: str | None = None
    """The inference parameter the model refused (`temperature` …): the test is at fault."""

    @property
    def throttles(self) -> bool:
        """True when the error is the service shedding load: it slows the (region, model) limit."""
        return self.category is ErrorCategory.RATE_LIMIT


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call."""

    input_tokens: int
    output_tokens: int
    total_tokens: int

    @classmethod
    def from_wire(cls, usage: Mapping[str, Any]) -> Usage:
        """Build it from a `usage` member (TokenUsage)."""
        try:
            input_tokens = int(usage["inputTokens"])
            output_tokens = int(usage["outputTokens"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedModelOutput(f"usage without token counts: {usage!r}") from exc
        total = usage.get("totalTokens")
        return cls(input_tokens, output_tokens, int(total) if total is not None else 0)


@dataclass(frozen=True, slots=True)
class ToolUse:
    """A tool call the model asked for; `input` is None when `raw_input` is not valid JSON."""

    tool_use_id: str
    name: str
    input: Any
    raw_input: str


@dataclass(frozen=True, slots=True)
class ConverseResult:
    """The answer of one Converse call, with its timings.

    `text` joins the text blocks (see the module docstring); reasoning and other blocks are the
    model's working, not its answer, and stay in `content` only.
    """

    region: str
    invoke_id: str
    text: str
    content: tuple[Mapping[str, Any], ...]
    tool_uses: tuple[ToolUse, ...]
    stop_reason: str
    usage: Usage
    server_latency_ms: int | None
    client_latency_ms: float
    request_id: str | None = None
    simulated: bool = False

    @property
    def reasoning(self) -> str:
        """The text of the reasoning blocks (the model's working), joined."""
        return "".join(
            ((block.get("reasoningContent") or {}).get("reasoningText") or {}).get("text", "")
            for block in self.content
            if isinstance(block, Mapping) and "reasoningContent" in block
        )

    @property
    def has_reasoning(self) -> bool:
        """True when the reply carried reasoning blocks (reasoning text or redacted)."""
        return any(isinstance(b, Mapping) and "reasoningContent" in b for b in self.content)

    @classmethod
    def from_response(
        cls,
        response: Mapping[str, Any],
        *,
        region: str,
        invoke_id: str,
        client_latency_ms: float,
    ) -> ConverseResult:
        """Build it from a parsed Converse response, or raise MalformedModelOutput."""
        try:
            return cls._from_response(
                response, region=region, invoke_id=invoke_id, client_latency_ms=client_latency_ms
            )
        except MalformedModelOutput:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedModelOutput(f"malformed Converse response: {exc!r}") from exc

    @classmethod
    def _from_response(
        cls,
        response: Mapping[str, Any],
        *,
        region: str,
        invoke_id: str,
        client_latency_ms: float,
    ) -> ConverseResult:
        message = (response.get("output") or {}).get("message")
        if not isinstance(message, Mapping) or not isinstance(message.get("content"), list):
            raise MalformedModelOutput("Converse response without output.message.content")
        stop_reason = response.get("stopReason")
        if not stop_reason:
            raise MalformedModelOutput("Converse response without stopReason")
        if not isinstance(response.get("usage"), Mapping):
            raise MalformedModelOutput("Converse response without usage")
        content = tuple(message["content"])
        tool_uses = tuple(
            ToolUse(
                tool_use_id=block["toolUse"].get("toolUseId", ""),
                name=block["toolUse"].get("name", ""),
                input=block["toolUse"].get("input"),
                raw_input=json.dumps(block["toolUse"].get("input")),
            )
            for block in content
            if "toolUse" in block
        )
        return cls(
            region=region,
            invoke_id=invoke_id,
            text="".join(block["text"] for block in content if "text" in block),
            content=content,
            tool_uses=tool_uses,
            stop_reason=str(stop_reason),
            usage=Usage.from_wire(response["usage"]),
            server_latency_ms=(response.get("metrics") or {}).get("latencyMs"),
            client_latency_ms=client_latency_ms,
            request_id=(response.get("ResponseMetadata") or {}).get("RequestId"),
            simulated=is_simulated(response),
        )


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One ConverseStream event; `elapsed_ms` is measured from the start of the request."""

    kind: ClassVar[str] = ""
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class MessageStart(StreamEvent):
    """The model started its message."""

    kind: ClassVar[str] = "messageStart"
    role: str


@dataclass(frozen=True, slots=True)
class ContentBlockStart(StreamEvent):
    """A content block started; tool-use blocks name the tool here."""

    kind: ClassVar[str] = "contentBlockStart"
    index: int
    tool_use_id: str | None = None
    tool_name: str | None = None


@dataclass(frozen=True, slots=True)
class ContentBlockDelta(StreamEvent):
    """A piece of a content block: text, reasoning, or a fragment of a tool call's JSON input."""

    kind: ClassVar[str] = "contentBlockDelta"
    index: int
    text: str | None = None
    tool_input: str | None = None
    reasoning: str | None = None


@dataclass(frozen=True, slots=True)
class ContentBlockStop(StreamEvent):
    """A content block ended."""

    kind: ClassVar[str] = "contentBlockStop"
    index: int


@dataclass(frozen=True, slots=True)
class MessageStop(StreamEvent):
    """The model finished its message; `stop_reason` is the raw service value."""

    kind: ClassVar[str] = "messageStop"
    stop_reason: str


@dataclass(frozen=True, slots=True)
class Metadata(StreamEvent):
    """Usage and server latency, sent after the message."""

    kind: ClassVar[str] = "metadata"
    usage: Usage
    latency_ms: int | None


@dataclass(frozen=True, slots=True)
class OtherEvent(StreamEvent):
    """An event type this module does not know, passed through as sent."""

    name: str
    payload: Mapping[str, Any]


def parse_stream_event(raw: Mapping[str, Any], elapsed_ms: float) -> StreamEvent:
    """Turn one parsed ConverseStream event (a one-key dict) into its typed event."""
    try:
        return _parse_stream_event(raw, elapsed_ms)
    except MalformedModelOutput:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedModelOutput(f"malformed ConverseStream event {raw!r}: {exc!r}") from exc


def _parse_stream_event(raw: Mapping[str, Any], elapsed_ms: float) -> StreamEvent:
    ((name, body),) = raw.items()
    if name == "messageStart":
        return MessageStart(elapsed_ms, role=body.get("role", ""))
    if name == "contentBlockStart":
        tool = (body.get("start") or {}).get("toolUse") or {}
        return ContentBlockStart(
            elapsed_ms,
            index=_block_index(body),
            tool_use_id=tool.get("toolUseId"),
            tool_name=tool.get("name"),
        )
    if name == "contentBlockDelta":
        delta = body.get("delta") or {}
        return ContentBlockDelta(
            elapsed_ms,
            index=_block_index(body),
            text=delta.get("text"),
            tool_input=(delta.get("toolUse") or {}).get("input"),
            reasoning=_reasoning_delta(delta),
        )
    if name == "contentBlockStop":
        return ContentBlockStop(elapsed_ms, index=_block_index(body))
    if name == "messageStop":
        return MessageStop(elapsed_ms, stop_reason=str(body.get("stopReason", "")))
    if name == "metadata":
        return Metadata(
            elapsed_ms,
            usage=Usage.from_wire(body.get("usage") or {}),
            latency_ms=(body.get("metrics") or {}).get("latencyMs"),
        )
    return OtherEvent(elapsed_ms, name=name, payload=body)


def _reasoning_delta(delta: Mapping[str, Any]) -> str | None:
    reasoning = delta.get("reasoningContent")
    if not isinstance(reasoning, Mapping):
        return None
    # A redacted or signature-only delta is reasoning too, with no readable text.
    return str(reasoning.get("text") or "")


def _block_index(body: Mapping[str, Any]) -> int:
    # Required by the API: defaulting it would let a broken stream pass the grammar check.
    index = body.get("contentBlockIndex")
    if not isinstance(index, int) or isinstance(index, bool):
        raise MalformedModelOutput(f"content block event without a contentBlockIndex: {body!r}")
    return index


@dataclass
class StreamResult:
    """What a ConverseStream delivered so far; complete once the stream has ended."""

    region: str
    invoke_id: str
    request_id: str | None = None
    stop_reason: str | None = None
    usage: Usage | None = None
    server_latency_ms: int | None = None
    ttft_ms: float | None = None
    """Time from the start of the request to the first content delta (the first token)."""
    client_latency_ms: float | None = None
    """Time from the start of the request to the end of the stream."""
    events: list[StreamEvent] = field(default_factory=list, repr=False)
    """Every event in arrival order, for checks that judge the stream's grammar."""
    text_deltas: int = 0
    tool_uses: list[ToolUse] = field(default_factory=list)
    simulated: bool = False
    has_reasoning: bool = False
    _reasoning: list[str] = field(default_factory=list, repr=False)
    _text_blocks: dict[int, list[str]] = field(default_factory=dict, repr=False)
    _tools: dict[int, tuple[str, str, list[str]]] = field(default_factory=dict, repr=False)

    @property
    def text(self) -> str:
        """The text of all text blocks in block order, joined as a Converse reply's are."""
        return "".join("".join(parts) for _, parts in sorted(self._text_blocks.items()))

    @property
    def reasoning(self) -> str:
        """The reasoning text delivered, joined."""
        return "".join(self._reasoning)

    @property
    def event_kinds(self) -> list[str]:
        """The wire name of every event so far, in order."""
        return [e.name if isinstance(e, OtherEvent) else e.kind for e in self.events]

    @property
    def finished(self) -> bool:
        """True once the stream ended (client_latency_ms is then set)."""
        return self.client_latency_ms is not None

    def add(self, event: StreamEvent) -> None:
        """Fold one event into the result."""
        self.events.append(event)
        if isinstance(event, ContentBlockStart) and event.tool_use_id is not None:
            self._tools[event.index] = (event.tool_use_id, event.tool_name or "", [])
        elif isinstance(event, ContentBlockDelta):
            if self.ttft_ms is None:
                self.ttft_ms = event.elapsed_ms
            if event.text is not None:
                self.text_deltas += 1
                self._text_blocks.setdefault(event.index, []).append(event.text)
            if event.tool_input is not None:
                tool = self._tools.setdefault(event.index, ("", "", []))
                tool[2].append(event.tool_input)
            if event.reasoning is not None:
                self.has_reasoning = True
                self._reasoning.append(event.reasoning)
        elif isinstance(event, ContentBlockStop):
            self._finish_tool(event.index)
        elif isinstance(event, MessageStop):
            self.stop_reason = event.stop_reason
        elif isinstance(event, Metadata):
            self.usage = event.usage
            self.server_latency_ms = event.latency_ms

    def finish(self, elapsed_ms: float) -> None:
        """Mark the stream ended at `elapsed_ms`, keeping tool calls left open."""
        for index in sorted(self._tools):
            self._finish_tool(index)
        self.client_latency_ms = elapsed_ms

    def _finish_tool(self, index: int) -> None:
        tool = self._tools.pop(index, None)
        if tool is None:
            return
        tool_use_id, name, parts = tool
        raw_input = "".join(parts)
        try:
            parsed = json.loads(raw_input) if raw_input else {}
        except json.JSONDecodeError:
            parsed = None
        self.tool_uses.append(ToolUse(tool_use_id, name, parsed, raw_input))
