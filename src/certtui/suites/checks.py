"""Declarative checks on a model's answer, and the rule that turns an outcome into a verdict.

Every check is a small frozen dataclass whose fields are exactly the keys a suite file may set
for that check kind; the loader reads them by introspection, so adding a check here is enough to
make it available in suite files.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from certtui.bedrock.results import (
    MODEL_FAILURE_STOP_REASONS,
    ClassifiedError,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    MessageStart,
    MessageStop,
    Metadata,
    OtherEvent,
    StreamEvent,
    StreamResult,
    ToolUse,
)
from certtui.suites.outcome import Answer, Outcome

if TYPE_CHECKING:
    from certtui.suites.model import TestSpec

_REASON_EXCERPT = 80


@dataclass(frozen=True)
class CheckResult:
    """A verdict: whether it passed and, in a sentence, why."""

    passed: bool
    reason: str


def _short(text: str) -> str:
    """A one-line excerpt of a reply for a failure reason."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _REASON_EXCERPT else flat[: _REASON_EXCERPT - 1] + "…"


def _fold(text: str, ignore_case: bool) -> str:
    return text.casefold() if ignore_case else text


@dataclass(frozen=True)
class Check(ABC):
    """Base of all checks: a kind name and an evaluation of one answer."""

    kind: ClassVar[str]
    stream_only: ClassVar[bool] = False

    @abstractmethod
    def evaluate(self, answer: Answer) -> CheckResult:
        """Judge the answer against this check."""

    def _ok(self) -> CheckResult:
        return CheckResult(True, f"{self.kind} passed")


@dataclass(frozen=True)
class Contains(Check):
    """The reply contains a text (case-insensitively unless ignore_case is false)."""

    kind: ClassVar[str] = "contains"
    value: str
    ignore_case: bool = True

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the value occurs in the reply."""
        if _fold(self.value, self.ignore_case) in _fold(answer.text, self.ignore_case):
            return self._ok()
        return CheckResult(False, f"reply does not contain {self.value!r}: {_short(answer.text)!r}")


@dataclass(frozen=True)
class NotContains(Check):
    """The reply does not contain a text."""

    kind: ClassVar[str] = "not_contains"
    value: str
    ignore_case: bool = True

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the value is absent from the reply."""
        if _fold(self.value, self.ignore_case) not in _fold(answer.text, self.ignore_case):
            return self._ok()
        return CheckResult(False, f"reply contains {self.value!r}: {_short(answer.text)!r}")


@lru_cache(maxsize=256)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


@dataclass(frozen=True)
class Regex(Check):
    """A regular expression (Python syntax) matches somewhere in the reply."""

    kind: ClassVar[str] = "regex"
    pattern: str
    ignore_case: bool = True

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the pattern is found in the reply."""
        if _compiled(self.pattern, self.ignore_case).search(answer.text):
            return self._ok()
        return CheckResult(False, f"reply does not match /{self.pattern}/: {_short(answer.text)!r}")


@dataclass(frozen=True)
class Equals(Check):
    """The reply, stripped of surrounding whitespace, is exactly a value."""

    kind: ClassVar[str] = "equals"
    value: str
    ignore_case: bool = True

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the stripped reply equals the stripped value."""
        want = _fold(self.value.strip(), self.ignore_case)
        if _fold(answer.text.strip(), self.ignore_case) == want:
            return self._ok()
        return CheckResult(
            False, f"reply is not exactly {self.value.strip()!r}: {_short(answer.text)!r}"
        )


_FENCED = re.compile(r"\A```[ \t]*(?:json)?[ \t]*\n(.*?)\n?[ \t]*```\Z", re.DOTALL | re.IGNORECASE)


def parse_json_reply(text: str) -> Any:
    """Parse a reply that is JSON, or a single ```json fenced block; raise ValueError if not."""
    stripped = text.strip()
    fenced = _FENCED.match(stripped)
    return json.loads(fenced.group(1) if fenced else stripped)


@dataclass(frozen=True)
class JsonKeys(Check):
    """The reply is a JSON object (optionally in a ```json fence) holding these keys."""

    kind: ClassVar[str] = "json_keys"
    keys: tuple[str, ...]

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the reply parses as an object that has every key."""
        try:
            value = parse_json_reply(answer.text)
        except ValueError as exc:
            return CheckResult(False, f"reply is not JSON ({exc}): {_short(answer.text)!r}")
        if not isinstance(value, dict):
            return CheckResult(False, f"reply is JSON but not an object: {_short(answer.text)!r}")
        missing = [key for key in self.keys if key not in value]
        if missing:
            return CheckResult(False, f"JSON object lacks keys {', '.join(missing)}")
        return self._ok()


@dataclass(frozen=True)
class StopReason(Check):
    """The call ended with a given stopReason (end_turn, max_tokens, tool_use, …)."""

    kind: ClassVar[str] = "stop_reason"
    value: str

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the stop reason is the expected one."""
        if answer.stop_reason == self.value:
            return self._ok()
        return CheckResult(False, f"stopReason is {answer.stop_reason!r}, expected {self.value!r}")


@dataclass(frozen=True)
class ToolCall(Check):
    """The model called a tool, optionally with an argument holding (or equal to) a value."""

    kind: ClassVar[str] = "tool_call"
    tool: str
    argument: str | None = None
    contains: str | None = None
    equals: Any = None
    ignore_case: bool = True

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when any call of the tool satisfies the argument condition."""
        calls = [use for use in answer.tool_uses if use.name == self.tool]
        if not calls:
            called = ", ".join(use.name for use in answer.tool_uses) or "none"
            return CheckResult(False, f"tool {self.tool!r} was not called (tools called: {called})")
        problems = [self._problem(call) for call in calls]
        if None in problems:
            return self._ok()
        return CheckResult(False, problems[0] or "")

    def _problem(self, call: ToolUse) -> str | None:
        """What is wrong with one call's input, or None if it satisfies the check."""
        tool_input = call.input
        if not isinstance(tool_input, Mapping):
            return f"tool {self.tool!r} input is not a JSON object: {_short(call.raw_input)!r}"
        if self.argument is None:
            return None
        if self.argument not in tool_input:
            return f"tool {self.tool!r} called without argument {self.argument!r}"
        actual = tool_input[self.argument]
        if self.contains is not None:
            text = actual if isinstance(actual, str) else json.dumps(actual)
            if _fold(self.contains, self.ignore_case) not in _fold(text, self.ignore_case):
                return (
                    f"{self.tool}.{self.argument} = {actual!r} does not contain {self.contains!r}"
                )
        if self.equals is not None and not self._same(actual, self.equals):
            return f"{self.tool}.{self.argument} = {actual!r}, expected {self.equals!r}"
        return None

    def _same(self, actual: Any, expected: Any) -> bool:
        if isinstance(actual, str) and isinstance(expected, str):
            return _fold(actual.strip(), self.ignore_case) == _fold(
                expected.strip(), self.ignore_case
            )
        return actual == expected


@dataclass(frozen=True)
class NonEmpty(Check):
    """The reply has some text besides whitespace."""

    kind: ClassVar[str] = "non_empty"

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the reply is not blank."""
        if answer.text.strip():
            return self._ok()
        return CheckResult(False, "reply is empty")


@dataclass(frozen=True)
class OutputTokensGt(Check):
    """usage.outputTokens is reported and greater than a value."""

    kind: ClassVar[str] = "output_tokens_gt"
    value: int = 0

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when the reported output tokens exceed the value."""
        if answer.usage is None:
            return CheckResult(False, "usage.outputTokens was not reported")
        if answer.usage.output_tokens > self.value:
            return self._ok()
        return CheckResult(
            False, f"usage.outputTokens is {answer.usage.output_tokens}, expected > {self.value}"
        )


@dataclass(frozen=True)
class StreamValid(Check):
    """A ConverseStream call's events came in the valid order, with text and usage."""

    kind: ClassVar[str] = "stream_valid"
    stream_only: ClassVar[bool] = True

    def evaluate(self, answer: Answer) -> CheckResult:
        """Pass when stream_problem finds nothing wrong with the events."""
        if not isinstance(answer, StreamResult):
            return CheckResult(False, "no stream events were recorded")
        problem = stream_problem(answer.events)
        return CheckResult(False, problem) if problem else self._ok()


def stream_problem(events: Iterable[StreamEvent]) -> str | None:
    """Describe the first violation of ConverseStream's event grammar, or None if it is valid.

    The grammar: messageStart; then per content block an optional contentBlockStart, its
    deltas and one contentBlockStop; then messageStop; then a metadata event, last. At least one
    non-empty text delta must arrive. (The parser already rejects a content block event without
    its index and a metadata event without usage.)
    """
    started_message = stopped_message = False
    metadata_seen = False
    open_blocks: set[int] = set()
    closed_blocks: set[int] = set()
    text_deltas = 0
    for position, event in enumerate(events):
        if isinstance(event, OtherEvent) and event.name.endswith("Exception"):
            payload = event.payload if isinstance(event.payload, Mapping) else {}
            message = payload.get("message", "")
            return f"{_where(position, event)}: stream error {message!r}"
        if metadata_seen:
            return f"{_where(position, event)} arrived after metadata"
        if isinstance(event, MessageStart):
            if started_message:
                return f"{_where(position, event)}: second messageStart"
            started_message = True
            continue
        if not started_message:
            return f"{_where(position, event)} before messageStart"
        if isinstance(event, (ContentBlockStart, ContentBlockDelta, ContentBlockStop)):
            if stopped_message:
                return f"{_where(position, event)} after messageStop"
            index = event.index
            if index in closed_blocks:
                return f"{_where(position, event)} for block {index} after its contentBlockStop"
            if isinstance(event, ContentBlockStart):
                if index in open_blocks:
                    return f"{_where(position, event)}: block {index} already started"
                open_blocks.add(index)
            elif isinstance(event, ContentBlockDelta):
                open_blocks.add(index)
                if event.text:
                    text_deltas += 1
            else:
                if index not in open_blocks:
                    where = _where(position, event)
                    return f"{where}: block {index} stopped before any start or delta"
                open_blocks.discard(index)
                closed_blocks.add(index)
        elif isinstance(event, MessageStop):
            if stopped_message:
                return f"{_where(position, event)}: second messageStop"
            if open_blocks:
                return f"{_where(position, event)} while block {min(open_blocks)} is still open"
            stopped_message = True
        elif isinstance(event, Metadata):
            if not stopped_message:
                return f"{_where(position, event)} before messageStop"
            metadata_seen = True
        else:
            return f"{_where(position, event)}: unknown event type"
    if not started_message:
        return "no messageStart event"
    if not stopped_message:
        return "no messageStop event"
    if not metadata_seen:
        return "no metadata event with usage"
    if not text_deltas:
        return "no text delta"
    return None


def _where(position: int, event: StreamEvent) -> str:
    kind = event.name if isinstance(event, OtherEvent) else event.kind
    return f"event {position} ({kind})"


CHECK_TYPES: dict[str, type[Check]] = {
    cls.kind: cls
    for cls in (
        Contains,
        NotContains,
        Regex,
        Equals,
        JsonKeys,
        StopReason,
        ToolCall,
        NonEmpty,
        OutputTokensGt,
        StreamValid,
    )
}
"""Every check kind a suite file may name."""


def is_unsupported_error(test: TestSpec, code: str | None, message: str | None) -> bool:
    """True when a call's error means "the model does not support this" for this test.

    Only a ValidationException qualifies (SPEC §3.1), and only when its message matches one of
    the test's unsupported_error_patterns; such an error is a failed test, not a failed unit.
    `code` is as `ClassifiedError.code` has it: normalised once, when the error was classified.
    """
    if code != "ValidationException":
        return False
    return any(
        _compiled(pattern, True).search(message or "")
        for pattern in test.unsupported_error_patterns
    )


def evaluate(test: TestSpec, outcome: Outcome) -> CheckResult:
    """Judge a test's outcome: every check must pass; a failed call fails the test.

    The engine decides beforehand whether an error ends the whole unit (access denied,
    throttled after every retry …); whatever error reaches this function fails the test, with
    "not supported" named when is_unsupported_error recognises it.
    """
    if isinstance(outcome, ClassifiedError):
        message = outcome.message
        if is_unsupported_error(test, outcome.code, message):
            return CheckResult(False, f"not supported by the model: {message}")
        if outcome.rejected_parameter:
            return CheckResult(
                False,
                f"{outcome.category}: the model rejects the inference parameter "
                f"{outcome.rejected_parameter!r} this test sets ({outcome.code}: {message})",
            )
        return CheckResult(False, f"{outcome.code}: {message}".rstrip(": "))
    if outcome.stop_reason in MODEL_FAILURE_STOP_REASONS:
        return CheckResult(
            False, f"stopReason {outcome.stop_reason}: the model failed to produce its answer"
        )
    failures = [
        r.reason for r in (check.evaluate(outcome) for check in test.checks) if not r.passed
    ]
    if failures:
        return CheckResult(False, "; ".join(failures))
    count = len(test.checks)
    return CheckResult(True, f"{count} check{'s' if count != 1 else ''} passed")
