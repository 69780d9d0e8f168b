"""The certification battery as data: a suite of tests, each a conversation plus checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from certtui.suites.checks import Check


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file, test and field."""


class TestKind(StrEnum):
    """How the engine runs a test."""

    __test__ = False  # not a pytest test class, whatever its name says

    CONVERSE = "converse"
    """One Converse call with the test's single turn."""
    STREAM = "stream"
    """One ConverseStream call; the checks see the collected events."""
    MULTI_TURN = "multi_turn"
    """One Converse call per user turn, each reply appended to the history before the next."""
    REPEAT = "repeat"
    """The request of another test (repeat_of) sent again, delay_seconds after that test ended."""


class Capability(StrEnum):
    """What a test may need from a model; a model lacking it gets the test skipped."""

    STREAMING = "streaming"
    TOOLS = "tools"
    IMAGE_INPUT = "image_input"


_CAPABILITY_WORDING: dict[Capability, str] = {
    Capability.STREAMING: "the model does not support streaming",
    Capability.TOOLS: "the model does not support tool use",
    Capability.IMAGE_INPUT: "the model does not take image input (IMAGE is not an input modality)",
}


def capabilities_for(
    input_modalities: Iterable[str],
    streaming_supported: bool,
    tools_supported: bool | None = None,
) -> frozenset[Capability]:
    """The capabilities discovery vouches for; tool support, unknown to discovery, is assumed.

    Bedrock's catalog does not say which models take tools, so by default a tool test runs and
    a "tool use not supported" error fails it, as SPEC §3.1 asks.
    """
    found: set[Capability] = set()
    if streaming_supported:
        found.add(Capability.STREAMING)
    if any(modality.upper() == "IMAGE" for modality in input_modalities):
        found.add(Capability.IMAGE_INPUT)
    if tools_supported is None or tools_supported:
        found.add(Capability.TOOLS)
    return frozenset(found)


@dataclass(frozen=True)
class ImageSpec:
    """A solid-colour PNG generated in code and attached to a user turn."""

    colour: str
    size: int = 64


@dataclass(frozen=True)
class Turn:
    """One user message: its text and an optional image."""

    text: str
    image: ImageSpec | None = None


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: name, description and JSON schema of its input."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class InferenceSettings:
    """The Converse inferenceConfig of a test; unset values are left to the model's defaults."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: tuple[str, ...] = ()

    def as_converse(self) -> dict[str, Any]:
        """The inferenceConfig dict, holding only what is set."""
        config: dict[str, Any] = {}
        if self.max_tokens is not None:
            config["maxTokens"] = self.max_tokens
        if self.temperature is not None:
            config["temperature"] = self.temperature
        if self.top_p is not None:
            config["topP"] = self.top_p
        if self.stop_sequences:
            config["stopSequences"] = list(self.stop_sequences)
        return config


@dataclass(frozen=True)
class TestSpec:
    """One test of a suite: how it is scored, what it sends and what the reply must satisfy.

    A repeat test carries a copy of the conversation of the test it repeats (repeat_of), so
    every test can build its own request without looking at the rest of the suite.
    """

    __test__ = False  # not a pytest test class, whatever its name says

    id: str
    weight: float
    kind: TestKind
    turns: tuple[Turn, ...]
    checks: tuple[Check, ...]
    required: bool = False
    description: str = ""
    requires: frozenset[Capability] = frozenset()
    system: str | None = None
    tools: tuple[ToolSpec, ...] = ()
    inference: InferenceSettings = field(default_factory=InferenceSettings)
    unsupported_error_patterns: tuple[str, ...] = ()
    repeat_of: str | None = None
    delay_seconds: float = 0.0

    @property
    def needed_capabilities(self) -> frozenset[Capability]:
        """Declared requirements plus those the test's shape implies (streaming, images)."""
        implied: set[Capability] = set()
        if self.kind is TestKind.STREAM:
            implied.add(Capability.STREAMING)
        if any(turn.image is not None for turn in self.turns):
            implied.add(Capability.IMAGE_INPUT)
        return self.requires | implied

    def skip_reason(self, capabilities: Iterable[Capability]) -> str | None:
        """Why the test is skipped for a model with these capabilities, or None if it runs."""
        missing = sorted(self.needed_capabilities - frozenset(capabilities))
        if not missing:
            return None
        return "; ".join(_CAPABILITY_WORDING[capability] for capability in missing)


@dataclass(frozen=True)
class Suite:
    """A named, versioned battery of tests with the score a model needs to pass."""

    name: str
    version: str
    tests: tuple[TestSpec, ...]
    pass_threshold: float = 75.0
    description: str = ""

    def test(self, test_id: str) -> TestSpec:
        """The test with this id; KeyError if there is none."""
        for test in self.tests:
            if test.id == test_id:
                return test
        raise KeyError(test_id)

    @property
    def ids(self) -> tuple[str, ...]:
        """The test ids, in suite order."""
        return tuple(test.id for test in self.tests)
