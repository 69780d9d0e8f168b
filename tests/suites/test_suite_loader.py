"""Suite files: a user's suite loads as written, and every mistake is named precisely."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certtui.suites import (
    Capability,
    ImageSpec,
    InferenceSettings,
    SuiteError,
    TestKind,
    ToolSpec,
    Turn,
    default_suite,
    dump_suite,
    load_suite,
    parse_suite,
)
from certtui.suites.checks import Contains, JsonKeys, NonEmpty, Regex, StreamValid, ToolCall

USER_SUITE = """\
name = "ops-smoke"
version = "2024.06"
description = "Our own quick battery."
pass_threshold = 60

[[tests]]
id = "hello"
weight = 2
required = true
turns = [{ text = "Say hello." }]
checks = [{ kind = "non_empty" }, { kind = "not_contains", value = "error" }]

[[tests]]
id = "sum.digits"
weight = 1.5
kind = "converse"
system = "You are terse."
turns = [{ text = "2+2? Digits only." }]
inference = { max_tokens = 20, temperature = 0.0, top_p = 1, stop_sequences = ["\\n\\n"] }
checks = [{ kind = "regex", pattern = "^\\\\s*4\\\\s*$", ignore_case = false }]

[[tests]]
id = "stream"
weight = 1
kind = "stream"
turns = [{ text = "Count to 3." }]
checks = [{ kind = "stream_valid" }]

[[tests]]
id = "lookup"
weight = 2
turns = [{ text = "Find order 17.", image = { colour = "blue", size = 32 } }]
requires = ["tools"]
checks = [{ kind = "tool_call", tool = "find_order", argument = "id", equals = 17 }]
unsupported_error_patterns = ["tools? (are )?not supported"]

[[tests.tools]]
name = "find_order"
description = "Look an order up."

[tests.tools.input_schema]
type = "object"
required = ["id"]

[tests.tools.input_schema.properties.id]
type = "integer"

[[tests]]
id = "json"
weight = 1
kind = "multi_turn"
turns = [{ text = "My name is Ana." }, { text = "Give my name as JSON with key name." }]
checks = [
  { kind = "json_keys", keys = ["name"] },
  { kind = "contains", value = "Ana", ignore_case = false },
]

[[tests]]
id = "again"
weight = 1
kind = "repeat"
repeat_of = "hello"
delay_seconds = 0.5
"""


@pytest.fixture
def user_suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "ops.toml"
    path.write_text(USER_SUITE, encoding="utf-8")
    return path


def test_user_suite_loads_as_written(user_suite_file: Path) -> None:
    suite = load_suite(user_suite_file)
    assert (suite.name, suite.version, suite.pass_threshold) == ("ops-smoke", "2024.06", 60)
    assert suite.ids == ("hello", "sum.digits", "stream", "lookup", "json", "again")
    hello, digits, stream, lookup, json_test, again = suite.tests
    assert hello.required and hello.kind is TestKind.CONVERSE and hello.weight == 2
    assert digits.weight == 1.5 and digits.system == "You are terse."
    assert digits.inference == InferenceSettings(20, 0.0, 1, ("\n\n",))
    assert digits.checks == (Regex(r"^\s*4\s*$", ignore_case=False),)
    assert stream.checks == (StreamValid(),)
    assert stream.needed_capabilities == {Capability.STREAMING}
    assert lookup.turns == (Turn("Find order 17.", ImageSpec("blue", 32)),)
    assert lookup.tools == (
        ToolSpec(
            "find_order",
            "Look an order up.",
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        ),
    )
    assert lookup.checks == (ToolCall("find_order", "id", equals=17),)
    assert lookup.needed_capabilities == {Capability.TOOLS, Capability.IMAGE_INPUT}
    assert json_test.kind is TestKind.MULTI_TURN and len(json_test.turns) == 2
    assert json_test.checks == (JsonKeys(("name",)), Contains("Ana", ignore_case=False))
    assert again.repeat_of == "hello" and again.delay_seconds == 0.5
    assert again.turns == hello.turns and again.checks == hello.checks
    assert hello.checks[0] == NonEmpty()


def test_user_suite_round_trips_through_dump(user_suite_file: Path, tmp_path: Path) -> None:
    suite = load_suite(user_suite_file)
    copy = tmp_path / "copy.toml"
    copy.write_text(dump_suite(suite), encoding="utf-8")
    assert load_suite(copy) == suite


def test_default_suite_round_trips_and_matches_its_file(tmp_path: Path) -> None:
    suite = default_suite()
    assert parse_suite(dump_suite(suite)) == suite
    from importlib import resources

    shipped = resources.files("certtui.suites").joinpath("default.toml").read_text("utf-8")
    path = tmp_path / "default.toml"
    path.write_text(shipped, encoding="utf-8")
    assert load_suite(path) == suite


_printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    prompt=_printable,
    system=_printable,
    description=st.text(max_size=30),
    value=_printable,
    test_id=st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True),
    weight=st.one_of(st.integers(1, 50), st.floats(0.01, 50, allow_nan=False)),
)
def test_any_text_round_trips(
    prompt: str, system: str, description: str, value: str, test_id: str, weight: float
) -> None:
    base = default_suite()
    test = dataclasses.replace(
        base.test("system_prompt"),
        id=test_id,
        weight=weight,
        system=system,
        description=description,
        turns=(Turn(prompt),),
        checks=(Contains(value), ToolCall("get_weather", "city", contains=value)),
        tools=base.test("tool_use").tools,
    )
    suite = dataclasses.replace(base, tests=(test,), description=description)
    assert parse_suite(dump_suite(suite)) == suite


VALID_TEST = """
[[tests]]
id = "{id}"
weight = 1
turns = [{{ text = "hi" }}]
checks = [{{ kind = "non_empty" }}]
"""


def suite_text(*tests: str, top: str = 'name = "s"\nversion = "1"') -> str:
    return top + "\n" + "\n".join(tests)


def a_test(body: str, test_id: str = "t") -> str:
    return f'\n[[tests]]\nid = "{test_id}"\n{body}\n'


def error_of(text: str) -> str:
    with pytest.raises(SuiteError) as raised:
        parse_suite(text, source="suite.toml")
    return str(raised.value)


def test_error_names_test_and_field_as_in_the_brief() -> None:
    text = suite_text(
        VALID_TEST.format(id="respond"),
        VALID_TEST.format(id="instruction"),
        a_test(
            'weight = 1\nturns = [{ text = "x" }]\nchecks = [{ kind = "json_keys", keys = "name" '
            "}]",
            "json_output",
        ),
    )
    assert error_of(text) == (
        "suite.toml:22: tests[2] (json_output): checks[0].keys: expected a list of strings"
    )


def test_toml_syntax_error_names_the_line() -> None:
    message = error_of('name = "s"\nversion = "1"\nweight = = 3\n')
    assert message.startswith("suite.toml: invalid TOML: ")
    assert "line 3" in message


BASE = 'weight = 1\nturns = [{ text = "hi" }]\n'
ONE_CHECK = 'checks = [{ kind = "non_empty" }]\n'

ERRORS = [
    # (suite text, line named after "suite.toml:" (None: the key is absent), expected message)
    ('name = "s"\nversion = "1"', None, "tests: missing (required)"),
    (
        'name = "s"\nversion = "1"\ntests = []',
        3,
        "tests: a suite needs at least one [[tests]] table",
    ),
    ('name = "s"\nversion = "1"\ntests = 3', 3, "tests: expected an array of tables"),
    ('version = "1"' + VALID_TEST.format(id="a"), None, "name: missing (required)"),
    (
        'name = "s"\nversion = 1' + VALID_TEST.format(id="a"),
        2,
        'version: expected a string (quote it: version = "1")',
    ),
    (
        suite_text(VALID_TEST.format(id="a"), top='name = "s"\nversion = "1"\nauthor = "me"'),
        3,
        "author: unknown key (expected one of: name, version, description, pass_threshold, tests)",
    ),
    (
        suite_text(
            VALID_TEST.format(id="a"), top='name = "s"\nversion = "1"\npass_threshold = 101'
        ),
        3,
        "pass_threshold: expected a number ≥ 0 and ≤ 100, not 101",
    ),
    (
        suite_text(VALID_TEST.format(id="a"), VALID_TEST.format(id="a")),
        12,
        "tests[1] (a): id: duplicate of tests[0]",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK, "bad id")),
        5,
        "tests[0]: id: expected 1–64 letters, digits, '_', '-' or '.'",
    ),
    (
        suite_text('[[tests]]\nweight = 1\nturns = [{ text = "hi" }]\n' + ONE_CHECK),
        3,
        "tests[0]: id: missing (required)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + "temperature = 0.5")),
        9,
        "tests[0] (t): temperature: unknown key (expected one of: id, description, weight, "
        "required, "
        "kind, requires, system, turns, tools, inference, checks, unsupported_error_patterns, "
        "repeat_of, delay_seconds)",
    ),
    (
        suite_text(a_test('weight = 0\nturns = [{ text = "hi" }]\n' + ONE_CHECK)),
        6,
        "tests[0] (t): weight: expected a number > 0, not 0",
    ),
    (
        suite_text(a_test('weight = "3"\nturns = [{ text = "hi" }]\n' + ONE_CHECK)),
        6,
        "tests[0] (t): weight: expected a number",
    ),
    (
        suite_text(a_test('weight = true\nturns = [{ text = "hi" }]\n' + ONE_CHECK)),
        6,
        "tests[0] (t): weight: expected a number",
    ),
    (
        suite_text(a_test('turns = [{ text = "hi" }]\n' + ONE_CHECK)),
        4,
        "tests[0] (t): weight: missing (required)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'required = "yes"')),
        9,
        "tests[0] (t): required: expected true or false",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'kind = "chat"')),
        9,
        "tests[0] (t): kind: unknown value 'chat' (expected one of: converse, stream, "
        "multi_turn, repeat)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'requires = ["streaming", "vision"]')),
        9,
        "tests[0] (t): requires[1]: unknown capability 'vision' (expected one of: streaming, "
        "tools, image_input)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'system = ""')),
        9,
        "tests[0] (t): system: expected a non-empty string",
    ),
    (suite_text(a_test("weight = 1\n" + ONE_CHECK)), 4, "tests[0] (t): turns: missing (required)"),
    (
        suite_text(a_test('weight = 1\nturns = [{ text = "a" }, { text = "b" }]\n' + ONE_CHECK)),
        7,
        'tests[0] (t): turns: a converse test has exactly one turn (use kind = "multi_turn" for '
        "more)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'kind = "multi_turn"')),
        7,
        "tests[0] (t): turns: a multi_turn test needs at least two turns",
    ),
    (
        suite_text(a_test('weight = 1\nturns = [{ txt = "a" }]\n' + ONE_CHECK)),
        7,
        "tests[0] (t): turns[0].txt: unknown key (expected one of: text, image)",
    ),
    (
        suite_text(a_test("weight = 1\nturns = [{ text = 5 }]\n" + ONE_CHECK)),
        7,
        "tests[0] (t): turns[0].text: expected a string",
    ),
    (
        suite_text(
            a_test(
                'weight = 1\nturns = [{ text = "a", image = { colour = "teal" } }]\n' + ONE_CHECK
            )
        ),
        7,
        "tests[0] (t): turns[0].image.colour: unknown value 'teal' (expected one of: red, green, "
        "blue, "
        "yellow, orange, purple, black, white)",
    ),
    (
        suite_text(
            a_test(
                'weight = 1\nturns = [{ text = "a", image = { colour = "red", size = 4096 } }]\n'
                + ONE_CHECK
            )
        ),
        7,
        "tests[0] (t): turns[0].image.size: expected at most 1024 pixels, not 4096",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + "inference = { max_tokens = 0 }")),
        9,
        "tests[0] (t): inference.max_tokens: expected an integer ≥ 1, not 0",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + "inference = { temperature = 1.5 }")),
        9,
        "tests[0] (t): inference.temperature: expected a number ≥ 0 and ≤ 1, not 1.5",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + "inference = { temprature = 0.5 }")),
        9,
        "tests[0] (t): inference.temprature: unknown key (expected one of: max_tokens, "
        "temperature, "
        "top_p, stop_sequences)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'inference = { stop_sequences = "END" }')),
        9,
        "tests[0] (t): inference.stop_sequences: expected a list of strings",
    ),
    (suite_text(a_test(BASE)), 4, "tests[0] (t): checks: missing (required)"),
    (
        suite_text(a_test(BASE + "checks = []")),
        8,
        "tests[0] (t): checks: expected at least one check",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ value = "x" }]')),
        8,
        "tests[0] (t): checks[0].kind: missing (required; one of: contains, not_contains, regex, "
        "equals, json_keys, stop_reason, tool_call, non_empty, output_tokens_gt, stream_valid)",
    ),
    (
        suite_text(
            a_test(BASE + 'checks = [{ kind = "non_empty" }, { kind = "startswith", value = "x" }]')
        ),
        8,
        "tests[0] (t): checks[1].kind: unknown value 'startswith' (expected one of: contains, "
        "not_contains, regex, equals, json_keys, stop_reason, tool_call, non_empty, "
        "output_tokens_gt, stream_valid)",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "contains" }]')),
        8,
        "tests[0] (t): checks[0].value: missing (required)",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "contains", value = "" }]')),
        8,
        "tests[0] (t): checks[0].value: expected a non-empty string",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "contains", value = "x", case = true }]')),
        8,
        "tests[0] (t): checks[0].case: unknown key (expected one of: kind, value, ignore_case)",
    ),
    (
        suite_text(
            a_test(BASE + 'checks = [{ kind = "contains", value = "x", ignore_case = "no" }]')
        ),
        8,
        "tests[0] (t): checks[0].ignore_case: expected true or false",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "regex", pattern = "(" }]')),
        8,
        "tests[0] (t): checks[0].pattern: invalid regular expression: missing ), unterminated "
        "subpattern at position 0",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "json_keys", keys = [] }]')),
        8,
        "tests[0] (t): checks[0].keys: expected at least one key",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "output_tokens_gt", value = -1 }]')),
        8,
        "tests[0] (t): checks[0].value: expected an integer ≥ 0, not -1",
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "stream_valid" }]')),
        8,
        'tests[0] (t): checks[0].kind: stream_valid applies only to kind = "stream" tests',
    ),
    (
        suite_text(a_test(BASE + 'checks = [{ kind = "tool_call", tool = "get_weather" }]')),
        8,
        "tests[0] (t): checks[0].tool: 'get_weather' is not a tool of this test (none)",
    ),
    (
        suite_text(
            a_test(
                BASE + 'tools = [{ name = "w", input_schema = {} }]\n'
                'checks = [{ kind = "tool_call", tool = "w", contains = "x" }]'
            )
        ),
        9,
        "tests[0] (t): checks[0].contains: needs argument = the input field it applies to",
    ),
    (
        suite_text(
            a_test(
                BASE + 'tools = [{ name = "w", input_schema = {} }]\n'
                'checks = [{ kind = "tool_call", tool = "w", argument = "a", contains = "x", '
                'equals = "x" }]'
            )
        ),
        9,
        "tests[0] (t): checks[0].equals: give either contains or equals, not both",
    ),
    (
        suite_text(
            a_test(BASE + ONE_CHECK + 'tools = [{ name = "get weather", input_schema = {} }]')
        ),
        9,
        "tests[0] (t): tools[0].name: expected 1–64 letters, digits, '_' or '-' (Bedrock's tool "
        "name rule)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'tools = [{ name = "w" }]')),
        9,
        "tests[0] (t): tools[0].input_schema: missing (required)",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'tools = [{ name = "w", input_schema = "{}" }]')),
        9,
        "tests[0] (t): tools[0].input_schema: expected a table",
    ),
    (
        suite_text(
            a_test(
                BASE
                + ONE_CHECK
                + 'tools = [{ name = "w", input_schema = {} }, { name = "w", input_schema = {} }]'
            )
        ),
        9,
        "tests[0] (t): tools[1].name: duplicate tool name 'w'",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'unsupported_error_patterns = ["ok", "[z-a]"]')),
        9,
        "tests[0] (t): unsupported_error_patterns[1]: invalid regular expression: bad character "
        "range z-a at position 1",
    ),
    (
        suite_text(a_test(BASE + ONE_CHECK + 'repeat_of = "x"')),
        9,
        'tests[0] (t): repeat_of: only a kind = "repeat" test takes this key',
    ),
    (
        suite_text(a_test('weight = 1\nkind = "repeat"')),
        4,
        "tests[0] (t): repeat_of: missing (required)",
    ),
    (
        suite_text(
            VALID_TEST.format(id="a"), a_test('weight = 1\nkind = "repeat"\nrepeat_of = "b"')
        ),
        15,
        "tests[1] (t): repeat_of: no test has id 'b'",
    ),
    (
        suite_text(
            VALID_TEST.format(id="a"),
            a_test('weight = 1\nkind = "repeat"\nrepeat_of = "a"\nturns = [{ text = "x" }]'),
        ),
        16,
        "tests[1] (t): turns: not allowed in a repeat test (it sends the repeated test's request)",
    ),
    (
        suite_text(
            a_test(
                'weight = 1\nkind = "stream"\nturns = [{ text = "x" }]\nchecks = [{ kind = '
                '"stream_valid" }]',
                "s",
            ),
            a_test('weight = 1\nkind = "repeat"\nrepeat_of = "s"'),
        ),
        16,
        "tests[1] (t): repeat_of: 's' is a stream test; only converse tests repeat",
    ),
    (
        suite_text(
            VALID_TEST.format(id="a"),
            a_test(
                'weight = 1\nkind = "repeat"\nrepeat_of = "a"\n'
                'checks = [{ kind = "tool_call", tool = "w" }]'
            ),
        ),
        16,
        "tests[1] (t): checks[0].tool: 'w' is not a tool of this test (none)",
    ),
    (
        suite_text(
            VALID_TEST.format(id="a"),
            a_test('weight = 1\nkind = "repeat"\nrepeat_of = "a"\ndelay_seconds = -1'),
        ),
        16,
        "tests[1] (t): delay_seconds: expected a number ≥ 0 and ≤ 300, not -1",
    ),
]


@pytest.mark.parametrize(("text", "line", "expected"), ERRORS)
def test_error_messages(text: str, line: int | None, expected: str) -> None:
    place = "suite.toml" if line is None else f"suite.toml:{line}"
    assert error_of(text) == f"{place}: {expected}"


def test_load_suite_names_an_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(SuiteError, match=re.escape(f"{missing}: cannot read the suite file")):
        load_suite(missing)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SuiteError, match="not a UTF-8 text file"):
        load_suite(binary)


def test_load_suite_errors_name_the_path_given(tmp_path: Path) -> None:
    path = tmp_path / "suite.toml"
    path.write_text('name = "s"\nversion = "1"\n[[tests]]\nid = "x"\nweight = -2\n')
    with pytest.raises(SuiteError, match=re.escape(f"{path}:5: tests[0] (x): weight: expected")):
        load_suite(path)


def test_nested_error_names_file_line_and_key_path(tmp_path: Path) -> None:
    path = tmp_path / "ops.toml"
    path.write_text(USER_SUITE.replace("max_tokens = 20", "max_tokens = 0"), encoding="utf-8")
    with pytest.raises(SuiteError) as raised:
        load_suite(path)
    assert str(raised.value) == (
        f"{path}:19: tests[1] (sum.digits): inference.max_tokens: expected an integer ≥ 1, not 0"
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # A key inside a multi-line array of inline tables: the line of that element.
        (
            ('{ kind = "contains", value = "Ana", ignore_case = false }', '{ kind = "contains" }'),
            "suite.toml:55: tests[4] (json): checks[1].value: missing (required)",
        ),
        # A key of a table under an array of tables ([tests.tools.input_schema] of tests[3]).
        (
            ('[[tests.tools]]\nname = "find_order"', '[[tests.tools]]\nname = "find order"'),
            "suite.toml:38: tests[3] (lookup): tools[0].name: expected 1–64 letters, digits, "
            "'_' or '-' (Bedrock's tool name rule)",
        ),
        (
            ("delay_seconds = 0.5", "delay_seconds = inf"),
            "suite.toml:63: tests[5] (again): delay_seconds: expected a number ≥ 0 and ≤ 300, "
            "not inf",
        ),
        (
            ("weight = 1.5", "weight = nan"),
            "suite.toml:15: tests[1] (sum.digits): weight: expected a number > 0, not nan",
        ),
    ],
)
def test_errors_deep_in_a_suite_name_their_line(edit: tuple[str, str], expected: str) -> None:
    assert error_of(USER_SUITE.replace(*edit)) == expected


def test_a_tool_call_list_value_stays_a_list() -> None:
    text = suite_text(
        a_test(
            BASE + 'tools = [{ name = "w", input_schema = {} }]\n'
            'checks = [{ kind = "tool_call", tool = "w", argument = "ids", equals = [1, 2] }]'
        )
    )
    assert parse_suite(text).tests[0].checks == (ToolCall("w", "ids", equals=[1, 2]),)


def test_suite_error_is_a_value_error() -> None:
    assert issubclass(SuiteError, ValueError)
