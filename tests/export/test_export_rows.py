"""The export query on SQLite and PostgreSQL: one row per certification, joined and sorted."""

from __future__ import annotations

from typing import Any

from certtui.domain.enums import CertificationStatus
from certtui.domain.errors import ErrorCategory
from certtui.export import Outcome, export_rows, job_exists
from certtui.suites.scoring import TestStatus


async def _rows(seeded: Any, **filters):  # type: ignore[no-untyped-def]
    async with seeded.sessions() as session:
        return await export_rows(session, **filters)


def _keys(rows) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(row.model_id, row.region) for row in rows]


async def test_one_row_per_certification_by_model_then_region(seeded: Any) -> None:
    rows = await _rows(seeded)
    assert _keys(rows) == [
        (seeded.TITAN, "us-east-1"),
        (seeded.HAIKU, "eu-west-1"),
        (seeded.HAIKU, "us-east-1"),
        (seeded.LLAMA, "eu-west-1"),
        (seeded.LLAMA, "us-east-1"),
    ]
    assert [row.outcome for row in rows] == [
        Outcome.CANCELLED,
        Outcome.FAILED,
        Outcome.PASSED,
        Outcome.UNFINISHED,
        Outcome.NOT_PASSED,
    ]


async def test_a_passed_row_carries_its_evidence(seeded: Any) -> None:
    row = next(
        r for r in await _rows(seeded) if (r.model_id, r.region) == (seeded.HAIKU, "us-east-1")
    )
    assert row.model_name == "Claude 3 Haiku"
    assert row.vendor == "Anthropic"
    assert row.status is CertificationStatus.COMPLETED
    assert (row.passed, row.score, row.rating) == (True, 100.0, "A")
    assert row.invoke_id == f"us.{seeded.HAIKU}"
    assert (row.duration_ms, row.completed_at) == (12345, seeded.COMPLETED_AT)
    assert (row.created_by, row.job_id) == ("alice@ops-1", seeded.JOB_ONE)
    assert (row.error_category, row.error_message, row.remediation_hint) == (None, None, "")
    assert len(row.tests) == 10
    assert row.count(TestStatus.PASSED) == 9
    skipped = [t for t in row.tests if t.status is TestStatus.SKIPPED]
    assert [(t.id, t.reason) for t in skipped] == [("image_input", "no IMAGE input modality")]
    respond = row.tests[0]
    assert respond.id == "respond"
    assert respond.record["clientLatencyMs"] == 420


async def test_failed_and_quality_rows_carry_category_and_hint(seeded: Any) -> None:
    rows = {(r.model_id, r.region): r for r in await _rows(seeded)}
    denied = rows[seeded.HAIKU, "eu-west-1"]
    assert denied.error_category == "PERMISSION_ERROR"
    assert denied.error_message == seeded.ACCESS_DENIED
    assert denied.remediation_hint == ErrorCategory.PERMISSION_ERROR.hint
    assert denied.invoke_id is None
    assert denied.tests == ()

    quality = rows[seeded.LLAMA, "us-east-1"]
    assert (quality.passed, quality.score, quality.rating) == (False, 52.9, "D")
    assert quality.remediation_hint == ErrorCategory.QUALITY_ISSUE.hint
    assert quality.vendor == "Meta"
    assert quality.invoke_id == seeded.LLAMA
    assert [t.id for t in quality.failed_tests] == [
        "instruction",
        "system_prompt",
        "multi_turn",
        "tool_use",
    ]


async def test_vendor_is_empty_without_an_availability_row_for_that_region(
    seeded: Any,
) -> None:
    rows = {(r.model_id, r.region): r for r in await _rows(seeded)}
    assert rows[seeded.TITAN, "us-east-1"].vendor == ""
    assert rows[seeded.LLAMA, "eu-west-1"].vendor == ""  # Llama's availability is us-east-1 only


async def test_filters_by_region_and_job(seeded: Any) -> None:
    assert _keys(await _rows(seeded, regions=["eu-west-1"])) == [
        (seeded.HAIKU, "eu-west-1"),
        (seeded.LLAMA, "eu-west-1"),
    ]
    assert _keys(await _rows(seeded, job_id=seeded.JOB_TWO)) == [
        (seeded.TITAN, "us-east-1"),
        (seeded.LLAMA, "eu-west-1"),
    ]
    assert _keys(
        await _rows(seeded, regions=["us-east-1", "eu-west-1"], job_id=seeded.JOB_ONE)
    ) == [
        (seeded.HAIKU, "eu-west-1"),
        (seeded.HAIKU, "us-east-1"),
        (seeded.LLAMA, "us-east-1"),
    ]
    assert await _rows(seeded, regions=["ap-south-1"]) == []
    assert len(await _rows(seeded, regions=[])) == 5  # no regions means every region


async def test_job_exists(seeded: Any) -> None:
    async with seeded.sessions() as session:
        assert await job_exists(session, seeded.JOB_ONE)
        assert not await job_exists(session, "no-such-job")
