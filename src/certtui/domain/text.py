"""Text from outside is data: make catalog names, Bedrock messages and answers safe to show.

A model name, a provider or an error message comes from a catalog another process wrote, or from
an endpoint; it may carry terminal escapes (``ESC ] 0;title BEL``, ``ESC [2J``), other C0/C1
controls, bidi overrides that reorder what an operator reads, or a spreadsheet formula. Every
output boundary (TUI cells and labels, CLI printing, every export format) passes such text
through the functions here, so nothing from outside reaches a terminal or a spreadsheet as code.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator, Sequence

__all__ = ["csv_cell", "escape_json_text", "safe_text", "shorten_distinct"]

# What never reaches a terminal as itself: C0 controls, DEL and the C1 controls (an 8-bit CSI is
# U+009B), lone surrogates (they cannot even be encoded), the line and paragraph separators, and
# every format character (Unicode category Cf): the bidi embeddings, overrides, isolates and
# marks (Trojan Source) and the invisible ones used to hide text (soft hyphen, zero-width space,
# word joiner, BOM, tags). Zero-width (non-)joiners U+200C and U+200D stay: scripts and emoji
# sequences need them. A test checks this list against the Unicode database.
_UNSAFE_CLASS = (
    "\x00-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f"
)
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    point = ord(char)
    if point <= 0xFF:
        return f"\\x{point:02x}"
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def _pattern(keep: str) -> re.Pattern[str]:
    if not keep:
        return _UNSAFE
    pattern = _KEEPING.get(keep)
    if pattern is None:
        allowed = "".join(re.escape(char) for char in sorted(set(keep)))
        pattern = _KEEPING[keep] = re.compile(f"(?![{allowed}])[{_UNSAFE_CLASS}]")
    return pattern


_KEEPING: dict[str, re.Pattern[str]] = {}


def safe_text(text: str, *, keep: str = "") -> str:
    """``text`` with every control, bidi and invisible format character written as an escape.

    ``ESC`` becomes the four characters ``\\x1b``, U+202E ``\\u202e``: what was there stays
    visible and nothing acts on the terminal. ``keep`` names characters a format needs as they
    are, e.g. ``"\\n\\t"`` for multi-line evidence. Text without such characters is returned as
    it is (the common case costs one regex scan), and the result is a fixed point.
    """
    pattern = _pattern(keep)
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: escapes as `safe_text`, no leading formula.

    A cell starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe,
    as OWASP recommends; newlines inside a cell stay (the CSV writer quotes them).
    """
    cleaned = safe_text(text, keep="\n")
    if cleaned.startswith(_FORMULA_STARTS):
        return "'" + cleaned
    return cleaned


# In serialized JSON only a string can hold these (JSON escapes C0 and quotes itself).
_JSON_UNSAFE = re.compile(f"[{_UNSAFE_CLASS.replace(chr(0) + '-' + chr(0x1F), '')}]")


def escape_json_text(document: str) -> str:
    """Serialized JSON with the unsafe characters json leaves raw written as ``\\uXXXX``.

    ``json.dumps(..., ensure_ascii=False)`` writes DEL, the C1 controls and bidi overrides as
    they are; the result decodes to the same data and is safe to print on a terminal.
    """
    return _JSON_UNSAFE.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    point = ord(match.group())
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    point -= 0x10000  # a surrogate pair, as JSON writes characters beyond the BMP
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


ELLIPSIS = "…"


def shorten_distinct(names: Sequence[str], width: int) -> dict[str, str]:
    """Each name at most ``width`` characters, cut in the middle, no two reading the same.

    A name that fits stays whole. A longer one keeps its head and the tail that tells it apart
    from the others (`anthropic.claude-3-…0620-v1:0`): the tail is two fifths of the room, or
    longer than the longest end it shares with another name. When no head and tail can tell
    two names apart, a window around where they differ is shown (`a…ude-3-7…0`), then other cuts,
    and as a last resort a number. Needs ``width`` ≥ 4; distinct for up to 10 ** (width - 2) names.
    """
    if width < 4:
        raise ValueError(f"width {width} is below 4")
    unique = list(dict.fromkeys(names))
    shown: dict[str, str] = {name: name for name in unique if len(name) <= width}
    used = set(shown.values())
    long = [n for n in unique if len(n) > width]
    shared = longest_shared_suffixes(unique)
    first = {name: next(_cuts(name, unique, width, shared[name])) for name in long}
    readings = Counter([*first.values(), *used])
    for name in long:
        cuts = _cuts(name, unique, width, shared[name])
        if readings[first[name]] > 1:  # the plain cut reads like another name's: skip it
            next(cuts)
        choice = next(c for c in cuts if len(c) <= width and c not in used)
        shown[name] = choice
        used.add(choice)
    return shown


def longest_shared_suffixes(names: Sequence[str]) -> dict[str, int]:
    """For each of these distinct names, the longest end it shares with another of them.

    Sorted by their reversed text, the name sharing the longest end with a name is next to it:
    n log n, where comparing every pair took a tenth of a second at 200 models (first paint).
    """
    ordered = sorted(names, key=lambda name: name[::-1])
    shared = dict.fromkeys(ordered, 0)
    for before, after in itertools.pairwise(ordered):
        common = _common_suffix(before, after)
        shared[before] = max(shared[before], common)
        shared[after] = max(shared[after], common)
    return shared


def _cuts(name: str, names: Sequence[str], width: int, shared: int) -> Iterator[str]:
    """Ways to show ``name`` in ``width``, best first (endless: the last ones are numbered);
    ``shared``: the longest end it shares with another name."""
    room = width - 1  # for head and tail around the ellipsis
    tail = min(max(shared + 1, room * 2 // 5), room - 1)
    yield name[: room - tail] + ELLIPSIS + name[-tail:]
    # Head and tail alike: show where the name differs from the others, head…window…tail.
    window = max(width - 4, 1)
    for other in names:
        start = _common_prefix(name, other)
        if other != name and start < len(name):
            begin = max(min(start - window // 2, len(name) - window - 1), 1)
            yield name[:1] + ELLIPSIS + name[begin : begin + window] + ELLIPSIS + name[-1:]
    for length in [*range(tail + 1, room), *range(tail - 1, 0, -1)]:
        yield name[: room - length] + ELLIPSIS + name[-length:]
    number = 1
    while True:
        mark = f"{ELLIPSIS}{number}"
        yield name[: max(width - len(mark), 0)] + mark if len(mark) <= width else str(number)
        number += 1


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 unit``, ``2 units``: the count and the noun that agrees with it."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
