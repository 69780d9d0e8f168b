"""The shared validation helpers: the line of a key in TOML text, and key paths."""

from __future__ import annotations

import tomllib

import pytest

from certtui.validation import key_lines, key_path, line_of

TEXT = '''\
title = "x"  # a comment with [brackets] and key = value
notes = """
[not.a.table]
fake = 1
"""
literal = \'\'\'
[[nor.this]]
\'\'\'
"quoted key" = 1
a.b.c = 2

[[tests]]
id = "first"

[[tests]]
id = "second"
checks = [
  { kind = "contains", value = "]" },
  { kind = "regex", pattern = '\\[' },
]

[tests.inference]
max_tokens = 5

[[tests.tools]]
name = "t"

[tests.tools.input_schema]
type = "object"
'''


def test_the_text_is_valid_toml() -> None:
    assert tomllib.loads(TEXT)["tests"][1]["tools"][0]["input_schema"] == {"type": "object"}


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("title",), 1),
        (("notes",), 2),
        (("literal",), 6),
        (("quoted key",), 9),
        (("a", "b", "c"), 10),
        (("tests", 0, "id"), 13),
        (("tests", 1), 15),
        (("tests", 1, "checks", 1, "pattern"), 19),
        (("tests", 1, "checks", 0, "value"), 18),
        (("tests", 1, "inference", "max_tokens"), 23),
        (("tests", 1, "tools", 0, "name"), 26),
        (("tests", 1, "tools", 0, "input_schema", "type"), 29),
        # A key that is absent: the line of the nearest table that holds it.
        (("tests", 0, "weight"), 12),
        (("tests", 1, "tools", 0, "description"), 25),
        (("missing",), None),
    ],
)
def test_line_of_a_key(path: tuple[str | int, ...], line: int | None) -> None:
    assert line_of(TEXT, path) == line


def test_strings_hide_what_looks_like_keys() -> None:
    paths = set(key_lines(TEXT))
    assert ("not",) not in paths and ("fake",) not in paths and ("nor",) not in paths


def test_key_path_quotes_what_is_not_a_bare_key() -> None:
    assert key_path(("tests", 2, "checks", 0, "keys")) == "tests[2].checks[0].keys"
    assert key_path(("region_profiles", "us-east-1")) == "region_profiles.us-east-1"
    assert key_path(("profiles", "a b\x1b[31m")) == 'profiles."a b\\u001b[31m"'
