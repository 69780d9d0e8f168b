"""Text from outside is data: the pure functions every output boundary passes it through."""

from __future__ import annotations

import json
import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from certtui.domain.text import csv_cell, escape_json_text, safe_text

JOINERS = {"\u200c", "\u200d"}
BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "LRM", "RLM", "ALM"}
HOSTILE = "x\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil\u2066\ud800\x7f\u2028\U000e0041="


def unsafe(char: str) -> bool:
    """Whether a character must never reach a terminal as itself."""
    if char in JOINERS:
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") or (
        unicodedata.bidirectional(char) in BIDI_CONTROLS
    )


# Text with plenty of the characters that matter, mixed with ordinary ones.
texts = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from([*HOSTILE, "\n", "\t", "\r", "\x85", "\u061c", "\ufeff"]),
    )
)


@given(texts)
def test_nothing_unsafe_survives(text: str) -> None:
    shown = safe_text(text)
    assert not [c for c in shown if unsafe(c)]
    shown.encode("utf-8")  # a lone surrogate would not even print


@given(texts)
def test_kept_layout_characters_stay_and_nothing_else_unsafe(text: str) -> None:
    shown = safe_text(text, keep="\n\t")
    assert shown.count("\n") == text.count("\n")
    assert shown.count("\t") == text.count("\t")
    assert not [c for c in shown if unsafe(c) and c not in "\n\t"]


@given(texts)
def test_escaping_is_a_fixed_point_and_keeps_safe_text_as_it_is(text: str) -> None:
    shown = safe_text(text)
    assert safe_text(shown) == shown
    if not any(unsafe(c) for c in text):
        assert shown == text


@given(texts)
def test_a_csv_cell_never_starts_a_formula(text: str) -> None:
    cell = csv_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert not [c for c in cell if unsafe(c) and c != "\n"]


@given(
    st.recursive(st.none() | texts, lambda inner: st.lists(inner) | st.dictionaries(texts, inner))
)
def test_json_escaping_keeps_the_data_and_prints_safely(value: object) -> None:
    serialized = escape_json_text(json.dumps(value, indent=2, ensure_ascii=False))
    assert json.loads(serialized) == value
    assert not [c for c in serialized if unsafe(c) and c not in "\n"]


def test_the_list_covers_every_format_character_of_the_unicode_database() -> None:
    missed = [
        f"U+{point:04X}"
        for point in range(sys.maxunicode + 1)
        if unsafe(chr(point)) and safe_text(chr(point)) == chr(point)
    ]
    assert missed == []


def test_what_the_operator_sees_of_a_hostile_name() -> None:
    assert safe_text("a\x1b]0;pwn\x07b") == "a\\x1b]0;pwn\\x07b"
    assert safe_text("\u202etxt.exe") == "\\u202etxt.exe"
    assert safe_text("tag\U000e0041") == "tag\\U000e0041"
    assert safe_text("line\nnext", keep="\n") == "line\nnext"
    assert safe_text("zwj 👩\u200d💻") == "zwj 👩\u200d💻"


def test_formula_prefixes_are_neutralised_as_owasp_says() -> None:
    assert csv_cell('=HYPERLINK("http://x","click")') == '\'=HYPERLINK("http://x","click")'
    assert csv_cell("+1") == "'+1"
    assert csv_cell("-2+3") == "'-2+3"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("\t=1") == "\\x09=1"  # the tab is escaped: the cell starts with text
    assert csv_cell("\r=1") == "\\x0d=1"
    assert csv_cell("\n=1") == "'\n=1"
    assert csv_cell("anthropic.claude-3") == "anthropic.claude-3"
    assert csv_cell("") == ""


def test_plural_agrees_with_the_count() -> None:
    from certtui.domain.text import plural

    assert plural(1, "unit") == "1 unit"
    assert plural(0, "unit") == "0 units"
    assert plural(2, "job") == "2 jobs"
    assert plural(3, "entry", "entries") == "3 entries"
