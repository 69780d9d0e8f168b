"""The pydantic schema of a suite file: every key, its type and range, and the rules across keys.

The loader imports this module only when it reads a suite, so `certtui --help` does not pay for
pydantic. Error wording and locations come from certtui.validation, shared with the config file
and the stand-in's scenarios.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, create_model, model_validator

from certtui.suites.checks import CHECK_TYPES, Check
from certtui.suites.images import MAX_IMAGE_SIZE, NAMED_COLOURS
from certtui.suites.model import Capability, TestKind
from certtui.validation import (
    KeyPath,
    Schema,
    StringList,
    Text,
    choice,
    choices,
    integer,
    matching,
    number,
    one_of,
    problem,
    reader,
    string_list,
    tables,
)

DEFAULT_REPEAT_DELAY_SECONDS = 1.0
MAX_REPEAT_DELAY_SECONDS = 300.0

_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # botocore's ToolName shape
# A repeat test sends another test's request unchanged, so it may not describe one of its own.
_CONVERSATION_KEYS = ("requires", "system", "turns", "tools", "inference")

# Numbers stay as written (int | float), as the model's dataclasses received them before.
# TOML has no null: a key that may be absent defaults to None without its type admitting None,
# so a wrong value gets one clear error instead of one per member of a union.


def _pattern(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


def _patterns(value: Any) -> list[str]:
    for position, pattern in enumerate(string_list(value)):
        try:
            _pattern(pattern)
        except ValueError as exc:
            raise problem(str(exc), position) from None
    return value


def _stop_sequences(value: Any) -> list[str]:
    # Whitespace is a fair stop sequence ("\n\n"); only the empty string is meaningless.
    if not all(string_list(value)):
        raise ValueError("expected a list of non-empty strings")
    return value


def _version(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f'expected a string (quote it: version = "{value}")')
    if not value.strip():
        raise ValueError("expected a non-empty string")
    return value


class ImageSchema(Schema):
    """An image attached to a turn."""

    colour: Annotated[str, choice(NAMED_COLOURS)]
    size: Annotated[int, integer(1, MAX_IMAGE_SIZE, unit="pixels")] = 64


class TurnSchema(Schema):
    """One user turn."""

    text: Text
    image: ImageSchema = None  # type: ignore[assignment]


class ToolSchema(Schema):
    """A tool offered to the model."""

    name: Annotated[
        str,
        matching(
            _TOOL_NAME, "expected 1–64 letters, digits, '_' or '-' (Bedrock's tool name rule)"
        ),
    ]
    description: str = ""
    input_schema: dict[str, Any]


class InferenceSchema(Schema):
    """A test's inferenceConfig."""

    max_tokens: Annotated[int, integer(1)] = None  # type: ignore[assignment]
    temperature: Annotated[int | float, number(0, 1)] = None  # type: ignore[assignment]
    top_p: Annotated[int | float, number(0, 1)] = None  # type: ignore[assignment]
    stop_sequences: Annotated[list[str], reader(_stop_sequences)] = Field(default_factory=list)


class CheckSchema(Schema):
    """Base of the schema of each check kind: the rules that span a check's fields."""

    kind: str

    @model_validator(mode="after")
    def _rules(self) -> CheckSchema:
        if getattr(self, "keys", None) == []:
            raise problem("expected at least one key", "keys")
        if self.kind == "regex":
            try:
                _pattern(self.pattern)  # type: ignore[attr-defined]
            except ValueError as exc:
                raise problem(str(exc), "pattern") from None
        if self.kind == "tool_call":
            contains, equals = self.contains, self.equals  # type: ignore[attr-defined]
            if contains is not None and equals is not None:
                raise problem("give either contains or equals, not both", "equals")
            if (contains is not None or equals is not None) and self.argument is None:  # type: ignore[attr-defined]
                key = "contains" if contains is not None else "equals"
                raise problem("needs argument = the input field it applies to", key)
        return self

    def to_check(self) -> Check:
        """The check this table describes."""
        check_type = CHECK_TYPES[self.kind]
        hints = typing.get_type_hints(check_type)
        values = {}
        for spec in dataclasses.fields(check_type):
            value = getattr(self, spec.name)
            # A list of strings becomes the dataclass's tuple; an `Any` value stays as written.
            values[spec.name] = tuple(value) if hints[spec.name] == tuple[str, ...] else value
        return check_type(**values)


# Field annotations of the check dataclasses, mapped to the schema types that validate them.
_CHECK_FIELD_TYPES: dict[Any, Any] = {
    str: Text,
    str | None: Text,
    bool: bool,
    int: Annotated[int, integer(0)],
    tuple[str, ...]: StringList,
    Any: Any,
}


def _check_schema(check_type: type[Check]) -> type[CheckSchema]:
    """A schema from a check dataclass, so adding a check in checks.py is all it takes."""
    hints = typing.get_type_hints(check_type)
    fields: dict[str, Any] = {"kind": (Literal[check_type.kind], ...)}
    for spec in dataclasses.fields(check_type):
        required = spec.default is dataclasses.MISSING
        fields[spec.name] = (
            _CHECK_FIELD_TYPES[hints[spec.name]],
            ... if required else spec.default,
        )
    return create_model(f"{check_type.__name__}Schema", __base__=CheckSchema, **fields)


def _check_kind(value: Any) -> Any:
    if isinstance(value, dict):
        if "kind" not in value:
            raise problem(f"missing (required; one of: {', '.join(CHECK_TYPES)})", "kind")
        try:
            one_of(value["kind"], tuple(CHECK_TYPES))
        except ValueError as exc:
            raise problem(str(exc), "kind") from None
    return value


_CHECK_SCHEMAS = tuple(_check_schema(check_type) for check_type in CHECK_TYPES.values())
# The kind is checked first, so an unknown or missing one reads like any other key's error.
AnyCheck = Annotated[
    typing.Union[_CHECK_SCHEMAS],  # noqa: UP007
    Field(discriminator="kind"),
    BeforeValidator(_check_kind),
]


def is_check_tag(loc: KeyPath, index: int) -> bool:
    """Whether a segment of pydantic's location is the check kind it adds after checks[n]."""
    return (
        index >= 2
        and loc[index] in CHECK_TYPES
        and isinstance(loc[index - 1], int)
        and loc[index - 2] == "checks"
    )


class TestSchema(Schema):
    """One [[tests]] table."""

    __test__ = False  # not a pytest test class, whatever its name says

    id: Annotated[str, matching(_ID, "expected 1–64 letters, digits, '_', '-' or '.'")]
    description: str = ""
    weight: Annotated[int | float, number(0, math.inf, low_open=True)]
    required: bool = False
    kind: Annotated[str, choice(TestKind)] = TestKind.CONVERSE.value
    requires: Annotated[list[str], choices(Capability, noun="capability")] = Field(
        default_factory=list
    )
    system: Text = None  # type: ignore[assignment]
    turns: tables(TurnSchema) = None  # type: ignore[valid-type]
    tools: tables(ToolSchema) = Field(default_factory=list)  # type: ignore[valid-type]
    inference: InferenceSchema = None  # type: ignore[assignment]
    checks: tables(AnyCheck) = None  # type: ignore[valid-type]
    unsupported_error_patterns: Annotated[list[str], reader(_patterns)] = Field(
        default_factory=list
    )
    repeat_of: Text = None  # type: ignore[assignment]
    delay_seconds: Annotated[float, number(0, MAX_REPEAT_DELAY_SECONDS)] = (
        DEFAULT_REPEAT_DELAY_SECONDS
    )

    @model_validator(mode="after")
    def _rules(self) -> TestSchema:
        given = self.model_fields_set
        if self.kind == TestKind.REPEAT:
            for key in _CONVERSATION_KEYS:
                if key in given:
                    raise problem(
                        "not allowed in a repeat test (it sends the repeated test's request)", key
                    )
            if self.repeat_of is None:
                raise problem("missing (required)", "repeat_of")
        else:
            for key in ("repeat_of", "delay_seconds"):
                if key in given:
                    raise problem('only a kind = "repeat" test takes this key', key)
            if self.turns is None:
                raise problem("missing (required)", "turns")
            if self.kind == TestKind.MULTI_TURN and len(self.turns) < 2:
                raise problem("a multi_turn test needs at least two turns", "turns")
            if self.kind != TestKind.MULTI_TURN and len(self.turns) != 1:
                raise problem(
                    f'a {self.kind} test has exactly one turn (use kind = "multi_turn" for more)',
                    "turns",
                )
            if self.checks is None:
                raise problem("missing (required)", "checks")
            names = set()
            for position, tool in enumerate(self.tools):
                if tool.name in names:
                    raise problem(f"duplicate tool name {tool.name!r}", "tools", position, "name")
                names.add(tool.name)
        if self.checks == []:
            raise problem("expected at least one check", "checks")
        for position, check in enumerate(self.checks or ()):
            if CHECK_TYPES[check.kind].stream_only and self.kind != TestKind.STREAM:
                raise problem(
                    f'{check.kind} applies only to kind = "stream" tests',
                    "checks",
                    position,
                    "kind",
                )
        if self.kind != TestKind.REPEAT:  # a repeat test's tools come from the repeated test
            self.refuse_unknown_tools(self.tools, ())
        return self

    def refuse_unknown_tools(self, tools: list[ToolSchema], at: KeyPath) -> None:
        """Raise when a tool_call check names a tool that is not among `tools`."""
        names = [tool.name for tool in tools]
        for position, check in enumerate(self.checks or ()):
            if check.kind == "tool_call" and check.tool not in names:  # type: ignore[attr-defined]
                offered = ", ".join(names) or "none"
                raise problem(
                    f"{check.tool!r} is not a tool of this test ({offered})",  # type: ignore[attr-defined]
                    *at,
                    "checks",
                    position,
                    "tool",
                )


class SuiteSchema(Schema):
    """A suite file."""

    name: Text
    version: Annotated[str, reader(_version)]
    description: str = ""
    pass_threshold: Annotated[float, number(0, 100)] = 75.0
    tests: tables(TestSchema)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _rules(self) -> SuiteSchema:
        if not self.tests:
            raise problem("a suite needs at least one [[tests]] table", "tests")
        first_index: dict[str, int] = {}
        for index, test in enumerate(self.tests):
            if test.id in first_index:
                raise problem(f"duplicate of tests[{first_index[test.id]}]", "tests", index, "id")
            first_index[test.id] = index
        for index, test in enumerate(self.tests):
            if test.kind != TestKind.REPEAT:
                continue
            target = (
                self.tests[first_index[test.repeat_of]] if test.repeat_of in first_index else None
            )
            if target is None:
                raise problem(f"no test has id {test.repeat_of!r}", "tests", index, "repeat_of")
            if target.kind != TestKind.CONVERSE:
                raise problem(
                    f"{target.id!r} is a {target.kind} test; only converse tests repeat",
                    "tests",
                    index,
                    "repeat_of",
                )
            test.refuse_unknown_tools(target.tools, ("tests", index))
        return self
