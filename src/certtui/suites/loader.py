"""Read a suite from TOML, validating every field so a bad file fails with a precise message.

Errors read like ``suite.toml:12: tests[2] (json_output): checks[0].keys: expected a list of
strings``: the file and line, the test (index and id) and the dotted field path. The schema
lives in certtui.suites.schema (pydantic), imported on the first load.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from certtui.suites.schema import SuiteSchema, TestSchema

DEFAULT_SUITE_RESOURCE = "default.toml"
_LABEL_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def parse_suite(text: str, source: str = "<suite>") -> Suite:
    """Parse and validate suite TOML text; `source` names it in error messages."""
    from pydantic import ValidationError

    from certtui.suites.schema import SuiteSchema, is_check_tag
    from certtui.validation import first_problem, key_path, locate

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{source}: invalid TOML: {exc}") from None
    try:
        schema = SuiteSchema.model_validate(data)
    except ValidationError as exc:
        invalid = first_problem(exc, hidden=is_check_tag)
        where = _where(invalid.at, data, key_path)
        raise SuiteError(locate(source, text, invalid.at, invalid.message, where)) from None
    return _suite(schema)


def _where(at: Sequence[str | int], data: dict[str, Any], key_path: Any) -> str:
    """The key path, with a test named by its index and, when it has a usable one, its id."""
    if len(at) < 2 or at[0] != "tests" or not isinstance(at[1], int):
        return key_path(at)
    label = f"tests[{at[1]}]"
    test_id = data["tests"][at[1]].get("id")
    if isinstance(test_id, str) and _LABEL_ID.fullmatch(test_id):
        label += f" ({test_id})"
    rest = key_path(at[2:])
    return f"{label}: {rest}" if rest else label


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


def _suite(schema: SuiteSchema) -> Suite:
    """The Suite a validated file describes; a repeat test gets the conversation it repeats."""
    tests = {test.id: _test(test) for test in schema.tests}
    for test_id, test in tests.items():
        if test.kind is TestKind.REPEAT:
            target = tests[test.repeat_of or ""]
            tests[test_id] = dataclasses.replace(
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
    return Suite(
        name=schema.name,
        version=schema.version,
        tests=tuple(tests.values()),
        pass_threshold=float(schema.pass_threshold),
        description=schema.description,
    )


def _test(test: TestSchema) -> TestSpec:
    inference = test.inference
    return TestSpec(
        id=test.id,
        weight=test.weight,
        kind=TestKind(test.kind),
        turns=tuple(
            Turn(
                text=turn.text,
                image=None if turn.image is None else ImageSpec(turn.image.colour, turn.image.size),
            )
            for turn in test.turns or ()
        ),
        checks=tuple(check.to_check() for check in test.checks or ()),
        required=test.required,
        description=test.description,
        requires=frozenset(Capability(name) for name in test.requires),
        system=test.system,
        tools=tuple(
            ToolSpec(tool.name, tool.description, tool.input_schema) for tool in test.tools
        ),
        inference=InferenceSettings()
        if inference is None
        else InferenceSettings(
            max_tokens=inference.max_tokens,
            temperature=inference.temperature,
            top_p=inference.top_p,
            stop_sequences=tuple(inference.stop_sequences),
        ),
        unsupported_error_patterns=tuple(test.unsupported_error_patterns),
        repeat_of=test.repeat_of,
        delay_seconds=float(test.delay_seconds) if test.kind == TestKind.REPEAT else 0.0,
    )
