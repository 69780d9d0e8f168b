"""The rows an export is made of: one per certification, flattened for every format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from certtui.domain.enums import CertificationStatus
from certtui.domain.errors import ErrorCategory
from certtui.store.views import CertificationRecord, job_exists, load_certifications
from certtui.suites.scoring import TestStatus

if TYPE_CHECKING:
    from certtui.store.sessions import Session

__all__ = [
    "ExportRow",
    "Outcome",
    "TestSummary",
    "export_rows",
    "format_timestamp",
    "job_exists",
    "remediation_hint",
    "summarize_tests",
]


class Outcome(StrEnum):
    """Where a certification ended up, as the exports classify it."""

    PASSED = "passed"
    NOT_PASSED = "not passed"  # COMPLETED, but the battery did not pass (QUALITY_ISSUE)
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNFINISHED = "unfinished"  # PENDING, QUEUED or PROCESSING


@dataclass(frozen=True)
class TestSummary:
    """One test of a certification: how it ended, why, and the full stored record as evidence."""

    __test__ = False  # not a pytest test class, whatever its name says

    id: str
    status: TestStatus
    reason: str = ""
    record: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportRow:
    """One certification (model × region) with everything the exports show about it."""

    model_id: str
    model_name: str
    vendor: str
    region: str
    status: CertificationStatus
    passed: bool | None
    score: float | None
    rating: str | None
    error_category: str | None
    error_message: str | None
    remediation_hint: str
    invoke_id: str | None
    duration_ms: int | None
    completed_at: datetime | None
    created_by: str | None
    job_id: str | None
    tests: tuple[TestSummary, ...] = ()
    simulated: bool = False
    """The results came from certtui's Bedrock stand-in (`certtui simulate`, `--demo`)."""

    @property
    def outcome(self) -> Outcome:
        """The row's outcome: passed, not passed, failed, cancelled or unfinished."""
        if self.status is CertificationStatus.COMPLETED:
            return Outcome.PASSED if self.passed is True else Outcome.NOT_PASSED
        if self.status is CertificationStatus.FAILED:
            return Outcome.FAILED
        if self.status is CertificationStatus.CANCELLED:
            return Outcome.CANCELLED
        return Outcome.UNFINISHED

    @property
    def failed_tests(self) -> tuple[TestSummary, ...]:
        """The tests that ran and failed."""
        return tuple(t for t in self.tests if t.status is TestStatus.FAILED)

    def count(self, status: TestStatus) -> int:
        """How many tests ended with `status`."""
        return sum(1 for t in self.tests if t.status is status)


async def export_rows(
    session: Session,
    regions: Sequence[str] | None = None,
    job_id: str | None = None,
) -> list[ExportRow]:
    """The certifications (optionally of some regions and one job), by model id then region."""
    return [_row(record) for record in await load_certifications(session, regions, job_id)]


def format_timestamp(moment: datetime | None) -> str | None:
    """A stored UTC timestamp as ISO 8601 with milliseconds and a ``Z``, as JavaScript writes it."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


def remediation_hint(category: str | None) -> str:
    """The one-line hint of a known error category, else an empty string."""
    try:
        return ErrorCategory(category).hint if category else ""
    except ValueError:
        return ""


def _row(record: CertificationRecord) -> ExportRow:
    document = record.test_results if isinstance(record.test_results, Mapping) else {}
    invoke_id = document.get("invokeId")
    return ExportRow(
        model_id=record.api_model_id,
        model_name=record.model_name,
        vendor=record.vendor or "",
        region=record.region,
        status=record.status,
        passed=record.passed,
        score=record.score,
        rating=record.rating,
        error_category=record.error_category,
        error_message=record.error_message,
        remediation_hint=remediation_hint(record.error_category),
        invoke_id=invoke_id if isinstance(invoke_id, str) else None,
        duration_ms=record.duration_ms,
        completed_at=record.completed_at,
        created_by=record.created_by,
        job_id=record.job_id,
        tests=summarize_tests(document.get("tests")),
        simulated=document.get("simulated") is True,
    )


def summarize_tests(records: Any) -> tuple[TestSummary, ...]:
    """The per-test summaries of a testResults `tests` list; malformed entries are left out."""
    if not isinstance(records, list):
        return ()
    summaries = []
    for record in records:
        if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
            continue
        reason = record.get("reason")
        summaries.append(
            TestSummary(
                id=record["id"],
                status=_test_status(record),
                reason=reason if isinstance(reason, str) else "",
                record=dict(record),
            )
        )
    return tuple(summaries)


def _test_status(record: Mapping[str, Any]) -> TestStatus:
    # Records written by certtui carry "status"; older documents may have only the booleans.
    try:
        return TestStatus(record.get("status"))
    except ValueError:
        pass
    if record.get("skipped"):
        return TestStatus.SKIPPED
    return TestStatus.PASSED if record.get("passed") is True else TestStatus.FAILED
