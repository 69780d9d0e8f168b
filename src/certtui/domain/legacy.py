"""SPEC §8.6: how a row of the old single-region table becomes a verdict of one region."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from certtui.suites.scoring import rating_for

# Legacy statuses that carry a verdict; "untested" and "testing" never finished a test run.
VERDICT_STATUSES = ("certified", "failed", "quality_warning")
NO_VERDICT = {
    "untested": "never tested (legacy status 'untested'): no verdict to import",
    "testing": "was being tested (legacy status 'testing'): no verdict to import",
}
LEGACY_NAMESPACE = uuid.UUID("0f6c4b0e-6d1b-4bd4-9a43-2a1b7f3c5e10")


@dataclass(frozen=True)
class LegacyVerdict:
    """A legacy row mapped to a COMPLETED verdict of one region."""

    result_id: str  # the same for the same legacy row and region: an import is idempotent
    legacy_id: str
    model_id: str
    region: str
    passed: bool
    score: float
    rating: str
    error_category: str | None
    error_message: str | None
    completed_at: datetime | None
    created_by: str | None
    test_results: dict[str, Any]


@dataclass(frozen=True)
class Unmappable:
    """A legacy row that cannot become a verdict, and why."""

    legacy_id: str
    model_id: str
    reason: str


def result_id(legacy_id: str, region: str) -> str:
    """The history id a legacy row gets in a region (a uuid derived from both)."""
    return str(uuid.uuid5(LEGACY_NAMESPACE, f"{legacy_id}@{region}"))


def map_legacy(
    row: dict[str, Any], region: str, known_models: set[str]
) -> LegacyVerdict | Unmappable:
    """Map one legacy row (column name → value) to a verdict in ``region``, or say why not."""
    legacy_id, model_id = str(row["id"]), str(row["modelId"])

    def refuse(reason: str) -> Unmappable:
        return Unmappable(legacy_id, model_id, reason)

    status = str(row.get("status") or "")
    if status in NO_VERDICT:
        return refuse(NO_VERDICT[status])
    if status not in VERDICT_STATUSES:
        return refuse(f"unknown legacy status {status!r} (expected one of "
                      f"{', '.join(VERDICT_STATUSES + tuple(NO_VERDICT))})")  # fmt: skip
    if model_id not in known_models:
        return refuse(f"model {model_id!r} is not in ai_models")
    score = _score(row.get("successRate"))
    if score is None:
        return refuse(f"successRate {row.get('successRate')!r} is not a rate (0–1 or 0–100)")
    legacy_rating = row.get("rating")
    if legacy_rating is not None and not (
        isinstance(legacy_rating, int | float) and 0 <= legacy_rating <= 5
    ):
        return refuse(f"rating {legacy_rating!r} is not on the legacy 0–5 scale")
    letter = rating_for(score if legacy_rating is None else legacy_rating * 20)
    passed = status == "certified"
    completed_at = row.get("lastTestedAt") or row.get("certifiedAt") or row.get("updatedAt")
    return LegacyVerdict(
        result_id=result_id(legacy_id, region), legacy_id=legacy_id, model_id=model_id,
        region=region, passed=passed, score=score, rating=letter,
        error_category=None if passed else (row.get("errorCategory") or "QUALITY_ISSUE"),
        error_message=None if passed else row.get("lastError"),
        completed_at=completed_at, created_by=row.get("certifiedBy"),
        test_results={
            "legacyId": legacy_id,
            "legacy": {
                "status": status, "successRate": row.get("successRate"),
                "rating": legacy_rating, "testsPassed": row.get("testsPassed"),
                "testsFailed": row.get("testsFailed"), "avgLatencyMs": row.get("avgLatencyMs"),
                "badge": row.get("badge"), "vendor": row.get("vendor"),
            },
        },
    )  # fmt: skip


def _score(rate: Any) -> float | None:
    if not isinstance(rate, int | float) or isinstance(rate, bool) or math.isnan(rate):
        return None
    if 0 <= rate <= 1:
        return round(rate * 100, 1)
    if 1 < rate <= 100:
        return round(float(rate), 1)
    return None
