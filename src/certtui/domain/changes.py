"""What changed between two verdicts of the same cells: regressions, recoveries, new cells."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Protocol, TypeVar


class Change(StrEnum):
    """How a cell's verdict moved."""

    REGRESSION = "regression"  # passed before, not now
    RECOVERY = "recovery"  # not passed before, passed now
    NEW = "new"  # no verdict before
    CATEGORY = "category"  # still not passing, for another reason


class VerdictLike(Protocol):
    """What a comparison reads of a verdict."""

    @property
    def status(self) -> str: ...

    @property
    def passed(self) -> bool | None: ...

    @property
    def error_category(self) -> str | None: ...


def verdict_passed(verdict: VerdictLike) -> bool:
    """Whether a verdict counts as passed (SPEC §2.3: COMPLETED with passed = true)."""
    return verdict.status == "COMPLETED" and bool(verdict.passed)


V = TypeVar("V", bound=VerdictLike)
K = TypeVar("K")


@dataclass(frozen=True)
class CellChange(Generic[K, V]):
    """One cell whose verdict changed: ``before`` is None for a new cell."""

    cell: K
    change: Change
    before: V | None
    after: V


@dataclass
class Changes(Generic[K, V]):
    """Every change between two sets of verdicts, by kind."""

    changes: list[CellChange[K, V]] = field(default_factory=list)

    def of(self, kind: Change) -> list[CellChange[K, V]]:
        """The changes of one kind."""
        return [change for change in self.changes if change.change is kind]

    @property
    def regressions(self) -> list[CellChange[K, V]]:
        """Cells that passed before and do not now."""
        return self.of(Change.REGRESSION)


def compare(before: Mapping[K, V], after: Mapping[K, V]) -> Changes[K, V]:
    """The changes from ``before`` to ``after`` over the cells of ``after``, in its order."""
    result: Changes[K, V] = Changes()
    for cell, now in after.items():
        then = before.get(cell)
        kind = change_of(then, now)
        if kind is not None:
            result.changes.append(CellChange(cell, kind, then, now))
    return result


def change_of(then: VerdictLike | None, now: VerdictLike) -> Change | None:
    """How one cell moved from ``then`` (None: no verdict) to ``now``; None when it did not."""
    if then is None:
        return Change.NEW
    was, is_ = verdict_passed(then), verdict_passed(now)
    if was and not is_:
        return Change.REGRESSION
    if is_ and not was:
        return Change.RECOVERY
    if not is_ and then.error_category != now.error_category:
        return Change.CATEGORY
    return None
