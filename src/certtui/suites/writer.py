"""Write a suite back as TOML that load_suite reads into an equal suite."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from certtui.suites.checks import Check
from certtui.suites.model import Suite, TestKind, TestSpec, Turn

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _string(text: str) -> str:
    """A TOML basic string; control characters (DEL included) become \\u escapes."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    """One TOML value; tables are written inline so any nesting fits on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write the number {value} to a suite file")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple | frozenset):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        pairs = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }"
    raise TypeError(f"cannot write {type(value).__name__} to a suite file")


def _check(check: Check) -> dict[str, Any]:
    """A check as its table: kind plus the fields that differ from their defaults."""
    table: dict[str, Any] = {"kind": check.kind}
    for spec in dataclasses.fields(check):
        value = getattr(check, spec.name)
        if spec.default is dataclasses.MISSING or value != spec.default:
            table[spec.name] = list(value) if isinstance(value, tuple) else value
    return table


def _turn(turn: Turn) -> dict[str, Any]:
    table: dict[str, Any] = {"text": turn.text}
    if turn.image is not None:
        table["image"] = {"colour": turn.image.colour, "size": turn.image.size}
    return table


def _test_lines(test: TestSpec) -> list[str]:
    items: dict[str, Any] = {
        "id": test.id,
        "weight": test.weight,
        "required": test.required,
        "kind": test.kind.value,
    }
    if test.description:
        items["description"] = test.description
    if test.kind is TestKind.REPEAT:
        # The loader copies the conversation from the repeated test, so it is not written here.
        items["repeat_of"] = test.repeat_of
        items["delay_seconds"] = test.delay_seconds
    else:
        if test.requires:
            items["requires"] = sorted(capability.value for capability in test.requires)
        if test.system is not None:
            items["system"] = test.system
        items["turns"] = [_turn(turn) for turn in test.turns]
        if test.tools:
            items["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.input_schema}
                for t in test.tools
            ]
        inference = {
            "max_tokens": test.inference.max_tokens,
            "temperature": test.inference.temperature,
            "top_p": test.inference.top_p,
            "stop_sequences": list(test.inference.stop_sequences) or None,
        }
        inference = {key: value for key, value in inference.items() if value is not None}
        if inference:
            items["inference"] = inference
    items["checks"] = [_check(check) for check in test.checks]
    if test.unsupported_error_patterns:
        items["unsupported_error_patterns"] = list(test.unsupported_error_patterns)
    return ["[[tests]]", *(f"{key} = {_value(value)}" for key, value in items.items())]


def dump_suite(suite: Suite) -> str:
    """The suite as TOML text in the suite file format."""
    lines = [
        f"name = {_value(suite.name)}",
        f"version = {_value(suite.version)}",
    ]
    if suite.description:
        lines.append(f"description = {_value(suite.description)}")
    lines.append(f"pass_threshold = {_value(suite.pass_threshold)}")
    for test in suite.tests:
        lines.append("")
        lines.extend(_test_lines(test))
    return "\n".join(lines) + "\n"
