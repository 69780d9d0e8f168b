"""CSV export: one line per certification under a header, for spreadsheets and scripts."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from certtui.domain.text import csv_cell
from certtui.export.rows import ExportRow, TestSummary, format_timestamp
from certtui.suites.scoring import TestStatus

CSV_COLUMNS: tuple[str, ...] = (
    "modelId",
    "modelName",
    "vendor",
    "region",
    "status",
    "passed",
    "score",
    "rating",
    "errorCategory",
    "errorMessage",
    "remediation",
    "invokeId",
    "durationMs",
    "completedAt",
    "createdBy",
    "jobId",
    "testsPassed",
    "testsFailed",
    "testsSkipped",
    "tests",
    "simulated",
)


def to_csv(rows: Sequence[ExportRow]) -> str:
    """The rows as CSV text (RFC 4180 line endings) with a header line.

    Every cell is text from outside: controls are escaped and no cell starts a formula.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(_record(row))
    return buffer.getvalue()


def tests_cell(tests: Sequence[TestSummary]) -> str:
    """The per-test summary in one cell: ``id=status`` plus the reason of any that did not pass."""
    return "; ".join(_test_text(test) for test in tests)


def _test_text(test: TestSummary) -> str:
    if test.status is TestStatus.PASSED or not test.reason:
        return f"{test.id}={test.status}"
    return f"{test.id}={test.status} ({test.reason})"


def _record(row: ExportRow) -> dict[str, str]:
    return {column: csv_cell(text) for column, text in _texts(row).items()}


def _texts(row: ExportRow) -> dict[str, str]:
    return {
        "modelId": row.model_id,
        "modelName": row.model_name,
        "vendor": row.vendor,
        "region": row.region,
        "status": row.status.value,
        "passed": "" if row.passed is None else str(row.passed).lower(),
        "score": "" if row.score is None else str(row.score),
        "rating": row.rating or "",
        "errorCategory": row.error_category or "",
        "errorMessage": row.error_message or "",
        "remediation": row.remediation_hint,
        "invokeId": row.invoke_id or "",
        "durationMs": "" if row.duration_ms is None else str(row.duration_ms),
        "completedAt": format_timestamp(row.completed_at) or "",
        "createdBy": row.created_by or "",
        "jobId": row.job_id or "",
        "testsPassed": str(row.count(TestStatus.PASSED)),
        "testsFailed": str(row.count(TestStatus.FAILED)),
        "testsSkipped": str(row.count(TestStatus.SKIPPED)),
        "tests": tests_cell(row.tests),
        "simulated": str(row.simulated).lower(),
    }
