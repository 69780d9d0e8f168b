"""Pure rules of #13: how a cell's verdict moved, and how a legacy row maps to a verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from certtui.domain.changes import Change, change_of, compare
from certtui.domain.legacy import LegacyVerdict, Unmappable, map_legacy, result_id


@dataclass(frozen=True)
class V:
    status: str
    passed: bool | None = None
    error_category: str | None = None


OK = V("COMPLETED", True)
LOW = V("COMPLETED", False, "QUALITY_ISSUE")
PERM = V("FAILED", False, "PERMISSION_ERROR")


@pytest.mark.parametrize(
    ("then", "now", "kind"),
    [
        (None, OK, Change.NEW), (OK, PERM, Change.REGRESSION), (OK, LOW, Change.REGRESSION),
        (PERM, OK, Change.RECOVERY), (LOW, PERM, Change.CATEGORY), (OK, OK, None),
        (PERM, PERM, None), (V("COMPLETED", None), OK, Change.RECOVERY),
    ],
)  # fmt: skip
def test_change_of(then: V | None, now: V, kind: Change | None) -> None:
    assert change_of(then, now) is kind


def test_compare_lists_the_cells_of_after_in_order() -> None:
    changes = compare({"a": OK, "b": PERM, "c": OK}, {"b": OK, "a": PERM, "c": OK, "d": LOW})
    assert [(c.cell, c.change) for c in changes.changes] == [
        ("b", Change.RECOVERY), ("a", Change.REGRESSION), ("d", Change.NEW),
    ]  # fmt: skip
    assert [c.cell for c in changes.regressions] == ["a"]


ROW = {"id": "L1", "modelId": "m", "vendor": "acme", "status": "certified", "successRate": 0.92,
       "rating": 4.6, "lastTestedAt": datetime(2025, 1, 2), "certifiedBy": "ana"}  # fmt: skip


def test_a_certified_row_is_a_passed_completed_verdict() -> None:
    verdict = map_legacy(ROW, "us-east-1", {"m"})
    assert isinstance(verdict, LegacyVerdict)
    assert (verdict.passed, verdict.score, verdict.rating, verdict.error_category) == (
        True, 92.0, "A", None,
    )  # fmt: skip
    assert verdict.test_results["legacyId"] == "L1" and verdict.created_by == "ana"
    assert verdict.result_id == result_id("L1", "us-east-1") != result_id("L1", "eu-west-1")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "failed", "rating": 1.0, "successRate": 30},
         (False, 30.0, "F", "QUALITY_ISSUE")),
        ({"status": "quality_warning", "rating": None, "successRate": 0.8,
          "errorCategory": "MODEL_ERROR"}, (False, 80.0, "B", "MODEL_ERROR")),
    ],
)  # fmt: skip
def test_other_verdicts(change: dict, expected: tuple) -> None:  # type: ignore[type-arg]
    verdict = map_legacy({**ROW, **change}, "us-east-1", {"m"})
    assert isinstance(verdict, LegacyVerdict)
    assert (verdict.passed, verdict.score, verdict.rating, verdict.error_category) == expected


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "untested"}, "never tested"), ({"status": "testing"}, "being tested"),
        ({"status": "weird"}, "unknown legacy status 'weird'"),
        ({"modelId": "x"}, "model 'x' is not in ai_models"),
        ({"successRate": -1}, "successRate -1 is not a rate"),
        ({"successRate": None}, "successRate None is not a rate"),
        ({"rating": 7}, "rating 7 is not on the legacy 0–5 scale"),
    ],
)  # fmt: skip
def test_unmappable_rows_say_why(change: dict, reason: str) -> None:  # type: ignore[type-arg]
    mapped = map_legacy({**ROW, **change}, "us-east-1", {"m"})
    assert isinstance(mapped, Unmappable) and reason in mapped.reason
