"""Read a suite from TOML, validating every field so a bad file fails with a precise message.

Errors read like ``suite.toml: tests[2] (json_output): checks[0].keys: expected a list of
strings``: the file, the test (index and id) and the dotted field path.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
import typing
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from certtui.suites.checks import CHECK_TYPES, Check, Regex, ToolCall
from certtui.suites.images import MAX_IMAGE_SIZE, NAMED_COLOURS
from certtui.suites.model import (
    Capability,
    ImageSpec,
    InferenceSettings,
    Suite,
    SuiteError,
    TestKind,
    TestSpec,
    ToolSpec,
    Turn,
)

DEFAULT_SUITE_RESOURCE = "default.toml"
DEFAULT_REPEAT_DELAY_SECONDS = 1.0
MAX_REPEAT_DELAY_SECONDS = 300.0

_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # botocore's ToolName shape

_SUITE_KEYS = ("name", "version", "description", "pass_threshold", "tests")
_TEST_KEYS = (
    "id",
    "description",
    "weight",
    "required",
    "kind",
    "requires",
    "system",
    "turns",
    "tools",
    "inference",
    "checks",
    "unsupported_error_patterns",
    "repeat_of",
    "delay_seconds",
)
# A repeat test sends another test's request unchanged, so it may not describe one of its own.
_CONVERSATION_KEYS = ("requires", "system", "turns", "tools", "inference")


class _Invalid(Exception):
    """A value's problem, before it is placed at its file / test / field."""


_MISSING: Any = object()


# -- value readers: take a TOML value, return the model's value or raise _Invalid --------------


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("expected a string")
    return value


def _text(value: Any) -> str:
    if not _string(value).strip():
        raise _Invalid("expected a non-empty string")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("expected true or false")
    return value


def _integer(minimum: int) -> Callable[[Any], int]:
    def read(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid("expected an integer")
        if value < minimum:
            raise _Invalid(f"expected an integer ≥ {minimum}, not {value}")
        return value

    return read


def _number(low: float, high: float, *, low_open: bool = False) -> Callable[[Any], float]:
    def read(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid("expected a number")
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            bound = f"> {low:g}" if low_open else f"≥ {low:g}"
            upper = "" if math.isinf(high) else f" and ≤ {high:g}"
            raise _Invalid(f"expected a number {bound}{upper}, not {value}")
        return value

    return read


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Invalid("expected a list of strings")
    return tuple(value)


def _nonempty_list(value: Any) -> tuple[str, ...]:
    # Whitespace is a fair stop sequence ("\n\n"); only the empty string is meaningless.
    items = _string_list(value)
    if not all(items):
        raise _Invalid("expected a list of non-empty strings")
    return items


def _any(value: Any) -> Any:
    return value


def _pattern(value: Any) -> str:
    try:
        re.compile(_text(value))
    except re.error as exc:
        raise _Invalid(f"invalid regular expression: {exc}") from None
    return value


def _table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid("expected a table")
    return value


def _table_list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _Invalid("expected an array of tables")
    return value


def _choice(options: Iterable[str]) -> Callable[[Any], str]:
    known = tuple(options)

    def read(value: Any) -> str:
        if _string(value) not in known:
            raise _Invalid(f"unknown value {value!r} (expected one of: {', '.join(known)})")
        return value

    return read


# -- placing problems ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Place:
    """Where in a suite file a table sits: the file, the test label and a dotted prefix."""

    source: str
    test: str = ""
    prefix: str = ""

    def at(self, key: str | int) -> str:
        """The dotted path of a key (or [index]) inside this table."""
        step = f"[{key}]" if isinstance(key, int) else key
        if not self.prefix:
            return step
        return f"{self.prefix}{step}" if isinstance(key, int) else f"{self.prefix}.{step}"

    def inside(self, key: str | int) -> _Place:
        """The place of a nested table."""
        return dataclasses.replace(self, prefix=self.at(key))

    def error(self, key: str | int | None, problem: str) -> SuiteError:
        """A SuiteError naming the file, test and field."""
        field = self.prefix if key is None else self.at(key)
        parts = [self.source, self.test, field]
        return SuiteError(": ".join(part for part in parts if part) + f": {problem}")


class _Table:
    """A TOML table being read: unknown keys are refused up front, each value is validated."""

    def __init__(self, data: Mapping[str, Any], place: _Place, allowed: Iterable[str]) -> None:
        self.data = data
        self.place = place
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                raise place.error(key, f"unknown key (expected one of: {', '.join(allowed)})")

    def has(self, key: str) -> bool:
        """Whether the key is set."""
        return key in self.data

    def get(self, key: str, read: Callable[[Any], Any], default: Any = _MISSING) -> Any:
        """The validated value of a key, or the default when absent (required if none given)."""
        if key not in self.data:
            if default is _MISSING:
                raise self.place.error(key, "missing (required)")
            return default
        try:
            return read(self.data[key])
        except _Invalid as exc:
            raise self.place.error(key, str(exc)) from None


# -- suite structure ----------------------------------------------------------------------------


def parse_suite(text: str, source: str = "<suite>") -> Suite:
    """Parse and validate suite TOML text; `source` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{source}: invalid TOML: {exc}") from None
    top = _Table(data, _Place(source), _SUITE_KEYS)
    name = top.get("name", _text)
    version = top.get("version", _version)
    description = top.get("description", _string, "")
    threshold = top.get("pass_threshold", _number(0, 100), 75)
    entries = top.get("tests", _table_list)
    if not entries:
        raise _Place(source).error("tests", "a suite needs at least one [[tests]] table")
    tests = _resolve_repeats(
        [_test(entry, index, source) for index, entry in enumerate(entries)], source
    )
    return Suite(
        name=name,
        version=version,
        tests=tuple(tests),
        pass_threshold=float(threshold),
        description=description,
    )


def _version(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f'expected a string (quote it: version = "{value}")')
    return _text(value)


def load_suite(path: str | Path) -> Suite:
    """Load and validate a suite file; SuiteError if it is unreadable or invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read the suite file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SuiteError(f"{path}: not a UTF-8 text file") from None
    return parse_suite(text, source=str(path))


@lru_cache(maxsize=1)
def default_suite() -> Suite:
    """The built-in battery of SPEC §3.1, shipped as package data."""
    text = resources.files("certtui.suites").joinpath(DEFAULT_SUITE_RESOURCE).read_text("utf-8")
    return parse_suite(text, source=DEFAULT_SUITE_RESOURCE)


def _test(entry: Mapping[str, Any], index: int, source: str) -> TestSpec:
    """Read one [[tests]] table."""
    place = _Place(source, test=f"tests[{index}]")
    raw_id = entry.get("id")
    if isinstance(raw_id, str) and _ID.fullmatch(raw_id):
        place = dataclasses.replace(place, test=f"tests[{index}] ({raw_id})")
    table = _Table(entry, place, _TEST_KEYS)
    # Scalars first, then the conversation, then the checks that refer to it: the order
    # a reader fixes a file in.
    test_id = table.get("id", _test_id)
    weight = table.get("weight", _number(0, math.inf, low_open=True))
    required = table.get("required", _bool, False)
    description = table.get("description", _string, "")
    kind = TestKind(table.get("kind", _choice(TestKind), TestKind.CONVERSE.value))
    fields: dict[str, Any] = {}
    if kind is TestKind.REPEAT:
        for key in _CONVERSATION_KEYS:
            if table.has(key):
                raise place.error(
                    key, "not allowed in a repeat test (it sends the repeated test's request)"
                )
        fields["repeat_of"] = table.get("repeat_of", _text)
        fields["delay_seconds"] = float(
            table.get(
                "delay_seconds", _number(0, MAX_REPEAT_DELAY_SECONDS), DEFAULT_REPEAT_DELAY_SECONDS
            )
        )
        fields["turns"] = ()
        # Checks are read without the tools, which come with the repeated test later.
        checks = _checks(table, kind, None, required=False)
    else:
        for key in ("repeat_of", "delay_seconds"):
            if table.has(key):
                raise place.error(key, 'only a kind = "repeat" test takes this key')
        fields["requires"] = _requires(table)
        fields["system"] = table.get("system", _text, None)
        fields["turns"] = _turns(table)
        _check_turn_count(kind, fields["turns"], place)
        fields["tools"] = _tools(table)
        fields["inference"] = _inference(table)
        checks = _checks(table, kind, fields["tools"], required=True)
    return TestSpec(
        id=test_id,
        weight=weight,
        kind=kind,
        checks=checks,
        required=required,
        description=description,
        unsupported_error_patterns=_patterns(table),
        **fields,
    )


def _test_id(value: Any) -> str:
    if not _ID.fullmatch(_string(value)):
        raise _Invalid("expected 1–64 letters, digits, '_', '-' or '.'")
    return value


def _check_turn_count(kind: TestKind, turns: tuple[Turn, ...], place: _Place) -> None:
    if kind is TestKind.MULTI_TURN and len(turns) < 2:
        raise place.error("turns", "a multi_turn test needs at least two turns")
    if kind is not TestKind.MULTI_TURN and len(turns) != 1:
        raise place.error(
            "turns", f'a {kind.value} test has exactly one turn (use kind = "multi_turn" for more)'
        )


def _requires(table: _Table) -> frozenset[Capability]:
    names = table.get("requires", _string_list, ())
    for position, name in enumerate(names):
        if name not in tuple(Capability):
            known = ", ".join(Capability)
            raise table.place.inside("requires").error(
                position, f"unknown capability {name!r} (expected one of: {known})"
            )
    return frozenset(Capability(name) for name in names)


def _turns(table: _Table) -> tuple[Turn, ...]:
    turns = []
    for position, raw in enumerate(table.get("turns", _table_list)):
        turn = _Table(raw, table.place.inside("turns").inside(position), ("text", "image"))
        image = None
        if turn.has("image"):
            image = _image(
                _Table(turn.get("image", _table), turn.place.inside("image"), ("colour", "size"))
            )
        turns.append(Turn(text=turn.get("text", _text), image=image))
    return tuple(turns)


def _image(table: _Table) -> ImageSpec:
    colour = table.get("colour", _choice(NAMED_COLOURS))
    size = table.get("size", _integer(1), 64)
    if size > MAX_IMAGE_SIZE:
        raise table.place.error("size", f"expected at most {MAX_IMAGE_SIZE} pixels, not {size}")
    return ImageSpec(colour=colour, size=size)


def _tools(table: _Table) -> tuple[ToolSpec, ...]:
    tools: list[ToolSpec] = []
    for position, raw in enumerate(table.get("tools", _table_list, [])):
        tool = _Table(
            raw,
            table.place.inside("tools").inside(position),
            ("name", "description", "input_schema"),
        )
        name = tool.get("name", _tool_name)
        if any(existing.name == name for existing in tools):
            raise tool.place.error("name", f"duplicate tool name {name!r}")
        tools.append(
            ToolSpec(
                name=name,
                description=tool.get("description", _string, ""),
                input_schema=tool.get("input_schema", _table),
            )
        )
    return tuple(tools)


def _tool_name(value: Any) -> str:
    if not _TOOL_NAME.fullmatch(_string(value)):
        raise _Invalid("expected 1–64 letters, digits, '_' or '-' (Bedrock's tool name rule)")
    return value


def _inference(table: _Table) -> InferenceSettings:
    if not table.has("inference"):
        return InferenceSettings()
    settings = _Table(
        table.get("inference", _table),
        table.place.inside("inference"),
        ("max_tokens", "temperature", "top_p", "stop_sequences"),
    )
    return InferenceSettings(
        max_tokens=settings.get("max_tokens", _integer(1), None),
        temperature=settings.get("temperature", _number(0, 1), None),
        top_p=settings.get("top_p", _number(0, 1), None),
        stop_sequences=settings.get("stop_sequences", _nonempty_list, ()),
    )


def _patterns(table: _Table) -> tuple[str, ...]:
    patterns = table.get("unsupported_error_patterns", _string_list, ())
    place = table.place.inside("unsupported_error_patterns")
    for position, pattern in enumerate(patterns):
        try:
            _pattern(pattern)
        except _Invalid as exc:
            raise place.error(position, str(exc)) from None
    return patterns


# -- checks -------------------------------------------------------------------------------------

# Field type annotations of the check dataclasses, mapped to the readers that validate them.
_CHECK_FIELD_READERS: dict[Any, Callable[[Any], Any]] = {
    str: _text,
    str | None: _text,
    bool: _bool,
    int: _integer(0),
    tuple[str, ...]: _string_list,
    Any: _any,
}


def _checks(
    table: _Table, kind: TestKind, tools: tuple[ToolSpec, ...] | None, *, required: bool
) -> tuple[Check, ...]:
    """Read a test's checks; `tools` is None for a repeat test, whose tools come later."""
    if not required and not table.has("checks"):
        return ()
    raw_checks = table.get("checks", _table_list)
    if not raw_checks:
        raise table.place.error("checks", "expected at least one check")
    return tuple(
        _check(raw, table.place.inside("checks").inside(position), kind, tools)
        for position, raw in enumerate(raw_checks)
    )


def _check(
    raw: Mapping[str, Any], place: _Place, kind: TestKind, tools: tuple[ToolSpec, ...] | None
) -> Check:
    if "kind" not in raw:
        raise place.error("kind", f"missing (required; one of: {', '.join(CHECK_TYPES)})")
    try:
        check_type = CHECK_TYPES[_choice(CHECK_TYPES)(raw["kind"])]
    except _Invalid as exc:
        raise place.error("kind", str(exc)) from None
    fields = dataclasses.fields(check_type)
    hints = typing.get_type_hints(check_type)
    table = _Table(raw, place, ("kind", *(f.name for f in fields)))
    values = {}
    for spec in fields:
        if spec.default is dataclasses.MISSING or table.has(spec.name):
            values[spec.name] = table.get(spec.name, _CHECK_FIELD_READERS[hints[spec.name]])
    check = check_type(**values)
    _validate_check(check, table, kind, tools)
    return check


def _validate_check(
    check: Check, table: _Table, kind: TestKind, tools: tuple[ToolSpec, ...] | None
) -> None:
    """Rules that span fields, or the test around the check."""
    place = table.place
    if check.stream_only and kind is not TestKind.STREAM:
        raise place.error("kind", f'{check.kind} applies only to kind = "stream" tests')
    if isinstance(check, Regex):
        table.get("pattern", _pattern)
    if getattr(check, "keys", None) == ():
        raise place.error("keys", "expected at least one key")
    if isinstance(check, ToolCall):
        if tools is not None:
            _check_tool_offered(check, tools, place)
        if check.contains is not None and check.equals is not None:
            raise place.error("equals", "give either contains or equals, not both")
        expects_value = check.contains is not None or check.equals is not None
        if expects_value and check.argument is None:
            key = "contains" if check.contains is not None else "equals"
            raise place.error(key, "needs argument = the input field it applies to")


def _check_tool_offered(check: ToolCall, tools: tuple[ToolSpec, ...], place: _Place) -> None:
    names = [tool.name for tool in tools]
    if check.tool not in names:
        offered = ", ".join(names) or "none"
        raise place.error("tool", f"{check.tool!r} is not a tool of this test ({offered})")


def _resolve_repeats(tests: list[TestSpec], source: str) -> list[TestSpec]:
    """Check ids are unique, and give each repeat test the conversation of the test it repeats."""
    first_index: dict[str, int] = {}
    for index, test in enumerate(tests):
        if test.id in first_index:
            place = _Place(source, test=f"tests[{index}] ({test.id})")
            raise place.error("id", f"duplicate of tests[{first_index[test.id]}]")
        first_index[test.id] = index
    resolved = []
    for index, test in enumerate(tests):
        if test.kind is TestKind.REPEAT:
            place = _Place(source, test=f"tests[{index}] ({test.id})")
            target_index = first_index.get(test.repeat_of or "")
            if target_index is None:
                raise place.error("repeat_of", f"no test has id {test.repeat_of!r}")
            target = tests[target_index]
            if target.kind is not TestKind.CONVERSE:
                raise place.error(
                    "repeat_of",
                    f"{target.id!r} is a {target.kind.value} test; only converse tests repeat",
                )
            for position, check in enumerate(test.checks):
                if isinstance(check, ToolCall):
                    _check_tool_offered(
                        check, target.tools, place.inside("checks").inside(position)
                    )
            test = dataclasses.replace(
                test,
                turns=target.turns,
                system=target.system,
                tools=target.tools,
                inference=target.inference,
                requires=target.requires,
                checks=test.checks or target.checks,
                unsupported_error_patterns=(
                    test.unsupported_error_patterns or target.unsupported_error_patterns
                ),
            )
        resolved.append(test)
    return resolved
