"""The glyph sets, their choice and the streams' fallback; every glyph in the outputs comes from
domain/glyphs.py."""

from __future__ import annotations

import ast
import codecs
import io
import unicodedata
from dataclasses import fields
from pathlib import Path

import pytest
from rich.cells import cell_len

from certtui.cli.encoding import ERROR_HANDLER, choose_glyphs, configure_streams
from certtui.domain import glyphs

SRC = Path(__file__).resolve().parents[2] / "src" / "certtui"
# The layers that print: their glyphs must come from domain/glyphs.py.
OUTPUT_LAYERS = ("cli", "tui", "export")


@pytest.fixture(autouse=True)
def unicode_again() -> None:
    yield
    glyphs.use(glyphs.UNICODE)


def test_every_meaning_has_an_ascii_glyph_and_a_unicode_one() -> None:
    for field in fields(glyphs.Glyphs):
        if field.name == "ascii":
            continue
        plain, fancy = getattr(glyphs.ASCII, field.name), getattr(glyphs.UNICODE, field.name)
        assert plain and plain.isascii(), field.name
        assert fancy, field.name
    assert len(glyphs.ASCII.spark) == len(glyphs.UNICODE.spark) == 8
    # A matrix cell keeps its width in ASCII: one glyph cell for one.
    for name in ("passed", "not_passed", "failed", "running", "queued", "cancelled",
                 "untested", "not_offered", "regressed", "simulated"):  # fmt: skip
        assert len(getattr(glyphs.ASCII, name)) == cell_len(getattr(glyphs.UNICODE, name)), name


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", glyphs.UNICODE),
        ("UTF8", glyphs.UNICODE),
        ("utf-16", glyphs.UNICODE),
        ("latin-1", glyphs.ASCII),
        ("ascii", glyphs.ASCII),
        ("ANSI_X3.4-1968", glyphs.ASCII),  # what LC_ALL=C reports
        ("cp1252", glyphs.ASCII),
        ("no-such-codec", glyphs.ASCII),
        (None, glyphs.ASCII),
    ],
)
def test_the_set_follows_the_encoding(encoding: str | None, expected: glyphs.Glyphs) -> None:
    assert glyphs.choose(encoding) is expected
    assert glyphs.choose(encoding, ascii_only=True) is glyphs.ASCII


def test_the_fallback_keeps_the_width_of_what_it_replaces() -> None:
    samples = "✓✗⟳…‖⊘○—↓⇄⚠█░▁▇─│┌┐└┘├┤━┃╭╮╯╰▐▌⭘éÅ×·→≠漢😀"
    for char in samples:
        replaced = glyphs.fallback(char)
        assert replaced.isascii(), char
        assert len(replaced) == cell_len(char), (char, replaced)
    assert glyphs.fallback("─") == "-" and glyphs.fallback("│") == "|"
    assert glyphs.fallback("┼") == "+" and glyphs.fallback("é") == "e"


def test_a_stream_that_cannot_encode_gets_the_fallback_and_never_raises() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    configure_streams(stream)
    stream.write("✓ A │ café — 漢 \u2014 ok\n")
    stream.flush()
    assert raw.getvalue() == b"+ A | cafe - ?? - ok\n"
    assert codecs.lookup_error(ERROR_HANDLER) is not None


def test_stderr_style_backslashreplace_is_replaced_too() -> None:
    # Python's stderr escapes what it cannot encode: Textual drew `\u2014` on the screen.
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="backslashreplace")
    configure_streams(stream)
    stream.write("a — b")
    stream.flush()
    assert raw.getvalue() == b"a - b"


def test_a_utf8_stream_is_left_as_it_is() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape")
    configure_streams(stream)
    assert stream.errors == "surrogateescape"


def test_ascii_asked_for_makes_the_streams_ascii(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    assert choose_glyphs(ascii_only=False) is glyphs.UNICODE
    assert glyphs.current() is glyphs.UNICODE
    assert choose_glyphs(ascii_only=True) is glyphs.ASCII
    assert glyphs.current() is glyphs.ASCII
    assert out.encoding == "ascii" and err.encoding == "ascii"
    out.write("┃ ✓")
    out.flush()
    assert out.buffer.getvalue() == b"| +"


def _glyph_literals(path: Path) -> list[tuple[int, str]]:
    """Non-ASCII string constants in a module, docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and not node.value.isascii()
    ]


def test_every_glyph_the_outputs_print_comes_from_the_glyph_module() -> None:
    found = {}
    for layer in OUTPUT_LAYERS:
        for path in sorted((SRC / layer).rglob("*.py")):
            literals = _glyph_literals(path)
            # JUnit's pattern of what XML cannot carry, and its replacement character: data.
            if path.name == "junit_format.py":
                literals = [(n, s) for n, s in literals if s not in ("\ufffd",) and "\\t" not in
                            repr(s)]  # fmt: skip
            if literals:
                found[str(path.relative_to(SRC))] = literals
    for path in (SRC / "domain" / "applicability.py", SRC / "validation.py"):
        if _glyph_literals(path):
            found[str(path.relative_to(SRC))] = _glyph_literals(path)
    assert found == {}


def test_the_scan_finds_a_glyph_literal(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""Doc — fine."""\nLOOK = "✓ A"\n', encoding="utf-8")
    assert _glyph_literals(module) == [(2, "✓ A")]
    assert unicodedata.name("✓") == "CHECK MARK"
