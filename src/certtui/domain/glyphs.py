"""Every glyph certtui prints, in Unicode and in plain ASCII; one set is chosen once at startup.

The CLI, the export text formats and the TUI read their glyphs from ``current()``, so a terminal
that cannot show Unicode (``LC_ALL=C``, ``PYTHONIOENCODING=latin-1``) or an operator who asks for
``--ascii`` gets the same screens in ASCII. ``FALLBACKS`` also serves the output streams' last line
of defence (cli/encoding.py): a character that still cannot be encoded becomes its ASCII look-alike
of the same width, so nothing crashes and a full-screen layout keeps its columns.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Glyphs:
    """One glyph per meaning; a status glyph always comes with words or a letter beside it."""

    ascii: bool
    passed: str  # passed, done, chosen
    not_passed: str  # ran, did not pass
    failed: str  # could not be certified (an error)
    running: str
    queued: str
    pending: str
    paused: str
    cancelled: str  # also: no longer listed
    untested: str
    not_offered: str
    regressed: str  # passed last time, does not now
    recovered: str  # did not pass last time, does now
    changed: str  # another error category than last time
    remote: str  # run by another process
    warning: str
    simulated: str  # appended to a result the stand-in answered
    marked: str  # a row marked for a bulk action
    bar_full: str
    bar_empty: str
    spark: str  # eight levels, lowest first
    dot: str  # separates parts of a title or status line
    ellipsis: str  # something follows, or text was cut
    dash: str  # separates a message from its explanation
    none: str  # an empty value in a table
    arrow: str  # leads to, becomes
    times: str  # models x regions
    arrow_keys: str  # the cursor keys, in help
    le: str
    ge: str
    group: str  # heads a group of rows (the matrix by vendor)


UNICODE = Glyphs(
    ascii=False,
    passed="✓",
    not_passed="✗",
    failed="!",
    running="⟳",
    queued="…",
    pending="·",
    paused="‖",
    cancelled="⊘",
    untested="○",
    not_offered="—",
    regressed="↓",
    recovered="↑",
    changed="≠",
    remote="⇄",
    warning="⚠",
    simulated="*",
    marked="●",
    bar_full="█",
    bar_empty="░",
    spark="▁▂▃▄▅▆▇█",
    dot="·",
    ellipsis="…",
    dash="—",
    none="–",
    arrow="→",
    times="×",
    arrow_keys="↑↓←→",
    le="≤",
    ge="≥",
    group="▸",
)

ASCII = Glyphs(
    ascii=True,
    passed="+",
    not_passed="x",
    failed="!",
    running=">",
    queued=".",
    pending=".",
    paused="=",
    cancelled="/",
    untested="o",
    not_offered="-",
    regressed="v",
    recovered="^",
    changed="~",
    remote="<>",
    warning="!",
    simulated="*",
    marked="*",
    bar_full="#",
    bar_empty="-",
    spark="_.-:=+*#",
    dot="-",
    ellipsis="...",
    dash="-",
    none="-",
    arrow="->",
    times="x",
    arrow_keys="arrows",
    le="<=",
    ge=">=",
    group=">",
)

# One character to one character of the same width: the last line of defence replaces what an
# output stream cannot encode after Textual has laid the screen out, so a column stays a column.
FALLBACKS: dict[str, str] = {
    **{u: a for u, a in zip(UNICODE.spark, "_.-:=+*#", strict=True)},
    "✓": "+", "✔": "+", "✗": "x", "✘": "x", "✖": "x", "⟳": ">", "…": ".", "·": ".",
    "‖": "=", "⊘": "/", "○": "o", "●": "*", "◌": "o", "—": "-", "–": "-", "‐": "-",
    "−": "-", "↓": "v", "↑": "^", "←": "<", "→": ">", "≠": "~", "⇄": "=", "⚠": "!",
    "░": "-", "▒": "#", "▓": "#", "×": "x", "÷": "/", "≤": "<", "≥": ">",
    "‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"', "•": "*", "⭘": "o",
    "▶": ">", "◀": "<", "▲": "^", "▼": "v", "▸": ">", "▾": "v", "▐": "|", "▌": "|",
    "▀": "-", "▄": "_", "▔": "-", "▏": "|", "▕": "|", "\u00a0": " ",
}  # fmt: skip


def fallback(char: str) -> str:
    """The ASCII stand-in for one character, as many cells wide as the character."""
    if char in FALLBACKS:
        return FALLBACKS[char]
    name = unicodedata.name(char, "")
    if name.startswith("BOX DRAWINGS"):
        vertical = "VERTICAL" in name and "HORIZONTAL" not in name
        horizontal = "HORIZONTAL" in name and "VERTICAL" not in name
        return "|" if vertical else "-" if horizontal else "+"
    if name.startswith(("BLOCK", "FULL BLOCK", "UPPER", "LOWER", "LEFT", "RIGHT", "QUADRANT")):
        return "#"
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if len(decomposed) == 1:  # é -> e
        return decomposed
    if unicodedata.combining(char):
        return ""
    return "??" if unicodedata.east_asian_width(char) in ("W", "F") else "?"


def encodes(text: str, encoding: str | None) -> bool:
    """Whether `text` can be written to a stream of `encoding` as it is."""
    try:
        text.encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def unicode_fits(encoding: str | None) -> bool:
    """Whether a stream of `encoding` can show every Unicode glyph."""
    if encoding is None:
        return False
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return encodes("".join(str(getattr(UNICODE, f.name)) for f in fields(UNICODE)), encoding)


def choose(encoding: str | None, *, ascii_only: bool = False) -> Glyphs:
    """The glyph set for output of `encoding`: ASCII when asked for or when Unicode cannot show."""
    return ASCII if ascii_only or not unicode_fits(encoding) else UNICODE


_current: Glyphs = UNICODE


def current() -> Glyphs:
    """The glyph set chosen at startup (Unicode until something chose)."""
    return _current


def use(glyphs: Glyphs) -> None:
    """Make `glyphs` the set every output reads from now on."""
    global _current
    _current = glyphs
