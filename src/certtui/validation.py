"""How config, suite and scenario files are validated and how their mistakes are reported.

One library validates all three: pydantic v2. It walks nested tables and arrays for us, keeps
the location of every error as a key path (``tests[2].inference.max_tokens``), refuses unknown
keys, and is what posting, a Textual app we take after, uses for its settings. This module holds
the shared parts: the base of every schema, the readers whose wording our messages keep, the
translation of pydantic's errors into one line, and the line of a key in the TOML text (tomllib
reports no positions, so a small scan of the source finds where each key and table starts).

A message reads ``suite.toml:12: tests[2] (json_output): checks[0].keys: expected a list of
strings``: the file and line, the key path, the problem. Import this module lazily from code on
the start-up path: it imports pydantic.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from certtui.domain import glyphs

KeyPath = tuple[str | int, ...]

_PROBLEM = "certtui_problem"


def problem(message: str, *at: str | int) -> PydanticCustomError:
    """An error for a validator to raise; `at` is the key path below the validated value."""
    return PydanticCustomError(_PROBLEM, "{message}", {"message": message, "at": at})


class Schema(BaseModel):
    """Base of a TOML table's schema: strict types, finite numbers, unknown keys refused first."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise problem("expected a table")
        allowed = [field.alias or name for name, field in cls.model_fields.items()]
        for key in data:
            if key not in allowed:
                raise problem(f"unknown key (expected one of: {', '.join(allowed)})", key)
        return data


# -- readers whose wording the messages keep ---------------------------------------------------


def reader(check: Callable[[Any], Any]) -> BeforeValidator:
    """A before-validator from a function that returns the value or raises ValueError(message)."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except PydanticCustomError:
            raise
        except ValueError as exc:
            raise problem(str(exc)) from None

    return BeforeValidator(run)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    if not value.strip():
        raise ValueError("expected a non-empty string")
    return value


def string_list(value: Any) -> list[str]:
    """The value when it is a list of strings; ValueError otherwise."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("expected a list of strings")
    return value


def _table_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError("expected an array of tables")
    return value


def integer(minimum: int, maximum: int | None = None, *, unit: str = "") -> BeforeValidator:
    """An integer (not a boolean) in [minimum, maximum]; `unit` names what it counts."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected an integer")
        if value < minimum:
            raise ValueError(f"expected an integer {glyphs.current().ge} {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise ValueError(f"expected at most {maximum}{' ' + unit if unit else ''}, not {value}")
        return value

    return reader(check)


def number(
    low: float, high: float = math.inf, *, low_open: bool = False, unit: str = ""
) -> BeforeValidator:
    """A finite number (not a boolean) above `low` (or equal, unless low_open) and ≤ `high`."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("expected a number")
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            g = glyphs.current()
            bound = f"> {low:g}" if low_open else f"{g.ge} {low:g}"
            upper = "" if math.isinf(high) else f" and {g.le} {high:g}"
            what = f"{bound}{upper}{' ' + unit if unit else ''}"
            raise ValueError(f"expected a number {what}, not {value}")
        return value

    return reader(check)


def database_url() -> BeforeValidator:
    """A database URL that is not blank (the store parses the rest and names what is wrong)."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        if not value.strip():
            raise ValueError(
                "expected a database URL (sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/"
                "DBNAME), not an empty string; leave it out for the default database"
            )
        return value

    return reader(check)


def http_url() -> BeforeValidator:
    """An http(s) URL with a host and a valid port, such as ``http://127.0.0.1:8123``."""
    from urllib.parse import urlsplit

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        problem = None
        try:
            parts = urlsplit(value.strip())
            port = parts.port  # raises ValueError for a port that is not a number in range
        except ValueError:
            problem = "its port is not a number from 1 to 65535"
        else:
            if parts.scheme not in ("http", "https"):
                problem = "it does not start with http:// or https://"
            elif not parts.hostname:
                problem = "it names no host"
            elif port == 0:
                problem = "its port is not a number from 1 to 65535"
        if problem is not None:
            raise ValueError(
                f"malformed URL: {problem} (expected e.g. http://127.0.0.1:8123 or "
                "https://bedrock.us-east-1.amazonaws.com)"
            )
        return value.strip()

    return reader(check)


def one_of(value: Any, known: Sequence[str]) -> str:
    """The value when it is one of `known`; ValueError saying what was expected otherwise."""
    if not isinstance(value, str):
        raise ValueError("expected a string")
    if value not in known:
        raise ValueError(f"unknown value {value!r} (expected one of: {', '.join(known)})")
    return value


def choice(options: Iterable[str]) -> BeforeValidator:
    """One of a fixed set of strings."""
    known = tuple(options)
    return reader(lambda value: one_of(value, known))


def choices(options: Iterable[str], *, noun: str = "value") -> BeforeValidator:
    """A list of strings, each one of a fixed set; an error names the position of the stranger."""
    known = tuple(options)

    def check(value: Any) -> list[str]:
        for position, item in enumerate(string_list(value)):
            if item not in known:
                raise problem(
                    f"unknown {noun} {item!r} (expected one of: {', '.join(known)})", position
                )
        return value

    return reader(check)


def matching(pattern: re.Pattern[str], message: str) -> BeforeValidator:
    """A string that fully matches a pattern; `message` is the error when it does not."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        if not pattern.fullmatch(value):
            raise ValueError(message)
        return value

    return reader(check)


Text = Annotated[str, reader(_text)]
"""A string with something other than whitespace in it."""
StringList = Annotated[list[str], reader(string_list)]
"""A list of strings."""


def tables(item: Any) -> Any:
    """A list of `item` tables, reported as "expected an array of tables" when it is not one."""
    return Annotated[list[item], reader(_table_list)]


# -- one line per error ----------------------------------------------------------------------


class Invalid(ValueError):
    """A problem found at a key path, before it is placed in its file."""

    def __init__(self, at: KeyPath, message: str) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


_WORDING = {
    "missing": "missing (required)",
    "extra_forbidden": "unknown key",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "finite_number": "expected a finite number",
    "list_type": "expected a list",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}


def first_problem(
    exc: ValidationError, hidden: Callable[[KeyPath, int], bool] | None = None
) -> Invalid:
    """The first error of a pydantic ValidationError as an Invalid in our wording.

    `hidden(loc, index)` says which segments of pydantic's location are not keys of the file
    (the tag of a tagged union, for instance) and are left out of the key path.
    """
    error = exc.errors(include_url=False)[0]
    loc: KeyPath = tuple(error["loc"])
    if hidden is not None:
        loc = tuple(part for index, part in enumerate(loc) if not hidden(loc, index))
    ctx = error.get("ctx") or {}
    if error["type"] == _PROBLEM:
        return Invalid(loc + tuple(ctx.get("at", ())), str(ctx["message"]))
    wording = _WORDING.get(error["type"])
    if wording is None:
        message = error["msg"]
        wording = message[:1].lower() + message[1:]
    return Invalid(loc, wording)


def key_path(at: Sequence[str | int]) -> str:
    """``tests[2].checks[0].keys`` from ("tests", 2, "checks", 0, "keys").

    A key that is not a bare TOML key is quoted with its control characters escaped: it is text
    from the file, on its way to a terminal.
    """
    out = ""
    for part in at:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        step = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
        out += f".{step}" if out else step
    return out


def locate(
    source: str, text: str | None, at: Sequence[str | int], message: str, where: str = ""
) -> str:
    """The one-line message: ``source:line: where: message`` (no line when none is known)."""
    line = line_of(text, at) if text is not None else None
    place = f"{source}:{line}" if line is not None else source
    where = where or key_path(at)
    return f"{place}: {where}: {message}" if where else f"{place}: {message}"


# -- where a key is in the TOML text ---------------------------------------------------------


def line_of(text: str, at: Sequence[str | int]) -> int | None:
    """The line (1-based) of the deepest key of `at` that the text spells out, or None."""
    lines = key_lines(text)
    at = tuple(at)
    while at:
        if at in lines:
            return lines[at]
        at = at[:-1]
    return None


@lru_cache(maxsize=8)
def key_lines(text: str) -> Mapping[KeyPath, int]:
    """Each key path defined in valid TOML text, with the line where it starts."""
    scanner = _Scanner(text)
    with contextlib.suppress(IndexError, ValueError):  # text tomllib refuses: keep what was found
        scanner.document()
    return scanner.lines


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")


class _Scanner:
    """Just enough of a TOML reader to know where each key, table and array element starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines: dict[KeyPath, int] = {}
        self.arrays: dict[KeyPath, int] = {}  # array-of-tables path → index of its last table

    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def mark(self, path: KeyPath) -> None:
        self.lines.setdefault(path, self.line())

    def peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def skip_blank(self, *, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            else:
                return

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.peek(2) == "[[":
                self.pos += 2
                table = self.header(self.key(), array=True)
                self.expect("]]")
            elif self.peek() == "[":
                self.pos += 1
                table = self.header(self.key(), array=False)
                self.expect("]")
            else:
                self.pair(table)

    def expect(self, token: str) -> None:
        self.skip_blank(newlines=False)
        if not self.text.startswith(token, self.pos):
            raise ValueError(f"expected {token!r} at {self.pos}")
        self.pos += len(token)

    def header(self, keys: list[str], *, array: bool) -> KeyPath:
        path: KeyPath = ()
        for position, key in enumerate(keys):
            path += (key,)
            self.mark(path)
            last = position == len(keys) - 1
            if last and array:
                index = self.arrays.get(path, -1) + 1
                self.arrays[path] = index
                path += (index,)
                self.mark(path)
            elif path in self.arrays:
                path += (self.arrays[path],)
        return path

    def key(self) -> list[str]:
        keys = []
        while True:
            self.skip_blank(newlines=False)
            char = self.peek()
            if char in "\"'":
                start = self.pos
                self.string()
                keys.append(tomllib.loads(f"k = {self.text[start : self.pos]}")["k"])
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:
                    raise ValueError(f"expected a key at {self.pos}")
                keys.append(match.group())
                self.pos = match.end()
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return keys
            self.pos += 1

    def pair(self, table: KeyPath) -> None:
        path = table
        for key in self.key():
            path += (key,)
            self.mark(path)
        self.expect("=")
        self.value(path)

    def value(self, path: KeyPath) -> None:
        self.skip_blank(newlines=False)
        char = self.peek()
        if char in "\"'":
            self.string()
        elif char == "[":
            self.pos += 1
            index = 0
            while True:
                self.skip_blank(newlines=True)
                if self.peek() == "]":
                    self.pos += 1
                    return
                self.mark((*path, index))
                self.value((*path, index))
                self.skip_blank(newlines=True)
                if self.peek() == ",":
                    self.pos += 1
                    index += 1
        elif char == "{":
            self.pos += 1
            while True:
                self.skip_blank(newlines=True)
                if self.peek() == "}":
                    self.pos += 1
                    return
                self.pair(path)
                self.skip_blank(newlines=True)
                if self.peek() == ",":
                    self.pos += 1
        else:
            match = _SCALAR_END.search(self.text, self.pos)
            end = len(self.text) if match is None else match.start()
            if end == self.pos:
                raise ValueError(f"expected a value at {self.pos}")
            self.pos = end

    def string(self) -> None:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self.text.index(quote * 3, self.pos + 3)
            if quote == '"':
                while self.text[end - 1] == "\\" and not _even_backslashes(self.text, end):
                    end = self.text.index(quote * 3, end + 1)
            # Up to two quotes may close the string's content right before the delimiter.
            while self.text.startswith(quote, end + 3):
                end += 1
            self.pos = end + 3
            return
        index = self.pos + 1
        while True:
            char = self.text[index]
            if quote == '"' and char == "\\":
                index += 2
                continue
            if char == quote:
                self.pos = index + 1
                return
            index += 1


def _even_backslashes(text: str, end: int) -> bool:
    count = 0
    while text[end - 1 - count] == "\\":
        count += 1
    return count % 2 == 0
