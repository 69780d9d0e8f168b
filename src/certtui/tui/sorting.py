"""How any table sorts, filters and finds matches: pure rules over the text its cells show."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from certtui.domain import glyphs
from certtui.domain.glyphs import ASCII, UNICODE

K = TypeVar("K", bound=Hashable)

# Cells that say "nothing here", in either glyph set.
BLANKS = frozenset({"", "?", "n/a", *(g.none for g in (UNICODE, ASCII)),
                    *(g.dash for g in (UNICODE, ASCII))})  # fmt: skip
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|h|m|s)\s*)+$")
_NUMBER = re.compile(r"^[^\w+-]*([-+]?\d+(?:\.\d+)?)")  # after glyphs or a bar only
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class SortState:
    """Which column a table is sorted by (None: the screen's own order) and which way."""

    column: str | None = None
    reverse: bool = False


def next_sort(columns: Sequence[str], state: SortState) -> SortState:
    """`s`: sort by the next column (ascending); after the last, the screen's own order."""
    if not columns:
        return SortState()
    if state.column not in columns:
        return SortState(columns[0])
    index = columns.index(state.column) + 1
    return SortState(columns[index]) if index < len(columns) else SortState()


def reverse_sort(columns: Sequence[str], state: SortState) -> SortState:
    """`S`: the other direction (unsorted: the first column, descending)."""
    if state.column is None:
        return SortState(columns[0], reverse=True) if columns else state
    return SortState(state.column, not state.reverse)


def click_sort(column: str, state: SortState) -> SortState:
    """A header click: that column ascending, or the other way when it is already sorted by."""
    if state.column == column:
        return SortState(column, not state.reverse)
    return SortState(column)


def duration_seconds(text: str) -> float | None:
    """Seconds in a duration such as ``1h2m``, ``3m 05s``, ``12s`` or ``250ms``; else None."""
    text = text.strip()
    if not _DURATION.match(text):
        return None
    return sum(float(n) * _SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def sort_key(text: str) -> tuple[int, float, str]:
    """Compare cells as an operator reads them: durations and numbers by value, text without case.

    Numbers (a leading glyph or bar is skipped, ``12/40`` compares by 12) come before text.
    Blank cells are not ordered here: ``order`` puts them last either way.
    """
    plain = text.strip()
    seconds = duration_seconds(plain)
    if seconds is not None:
        return (0, seconds, "")
    number = _NUMBER.match(plain)
    if number is not None:
        return (0, float(number.group(1)), plain.lower())
    return (1, 0.0, plain.lower())


def order(keys: Sequence[K], texts: Mapping[K, str], state: SortState) -> list[K]:
    """``keys`` sorted by their text under ``state``; ties and blanks keep ``keys``' order.

    Blank cells go last in either direction, so reversing never floods the top with dashes.
    """
    if state.column is None:
        return list(keys)
    filled = [k for k in keys if texts.get(k, "").strip() not in BLANKS]
    blank = [k for k in keys if texts.get(k, "").strip() in BLANKS]
    # Stable in both directions: the reverse of a stable sort would reverse ties too.
    ranked = sorted(filled, key=lambda k: sort_key(texts[k]))
    if state.reverse:
        groups: dict[tuple[int, float, str], list[K]] = {}
        for k in ranked:
            groups.setdefault(sort_key(texts[k]), []).append(k)
        ranked = [k for group in reversed(groups.values()) for k in group]
    return ranked + blank


def describe(state: SortState, label: Callable[[str], str]) -> str:
    """A title's words for the sort: ``sorted by best ↓`` (empty when unsorted)."""
    if state.column is None:
        return ""
    g = glyphs.current()
    return f"sorted by {label(state.column)} {g.regressed if state.reverse else g.recovered}"


def matches(text: str, needle: str) -> bool:
    """Whether a row's text contains the filter text (case does not matter)."""
    return needle.lower() in text.lower()


def next_match(rows: Sequence[str], start: int, needle: str, *, forward: bool = True) -> int | None:
    """The index of the next row after ``start`` (before, if not ``forward``) that matches.

    The search wraps around; the row at ``start`` is found last. None: nothing matches.
    """
    count = len(rows)
    if not needle or not count:
        return None
    step = 1 if forward else -1
    for offset in range(1, count + 1):
        index = (start + step * offset) % count
        if matches(rows[index], needle):
            return index
    return None
