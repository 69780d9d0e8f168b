"""JSON export: one document with every certification and its per-test evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from certtui.domain import glyphs
from certtui.domain.text import escape_json_text
from certtui.export.rows import ExportRow, TestSummary, format_timestamp
from certtui.suites.scoring import TestStatus


def to_json(rows: Sequence[ExportRow], *, generated_at: datetime | None = None) -> str:
    """The rows as a JSON document ``{"generatedAt", "count", "certifications": [...]}``."""
    document = {
        "generatedAt": format_timestamp(generated_at or datetime.now(UTC)),
        "count": len(rows),
        "certifications": [certification_json(row) for row in rows],
    }
    # The data stays exact; what json leaves raw (C1 controls, bidi overrides) is \u-escaped,
    # so the document is safe to print on a terminal.
    text = json.dumps(document, indent=2, ensure_ascii=glyphs.current().ascii, default=str)
    return escape_json_text(text) + "\n"


def certification_json(row: ExportRow) -> dict[str, Any]:
    """One certification as a JSON object (camelCase keys, like the seed's JSON)."""
    return {
        "modelId": row.model_id,
        "modelName": row.model_name,
        "vendor": row.vendor,
        "region": row.region,
        "status": row.status.value,
        "passed": row.passed,
        "score": row.score,
        "rating": row.rating,
        "errorCategory": row.error_category,
        "errorMessage": row.error_message,
        "remediation": row.remediation_hint or None,
        "invokeId": row.invoke_id,
        "durationMs": row.duration_ms,
        "completedAt": format_timestamp(row.completed_at),
        "createdBy": row.created_by,
        "jobId": row.job_id,
        "testCounts": {status.value: row.count(status) for status in TestStatus},
        "tests": [_test_json(test) for test in row.tests],
        "simulated": row.simulated,
    }


def _test_json(test: TestSummary) -> dict[str, Any]:
    # The stored record is the evidence (latencies, tokens, excerpt); the summary's fields win
    # so that every entry has the same id / status / reason keys, whatever wrote the record.
    return {**test.record, "id": test.id, "status": test.status.value, "reason": test.reason}
