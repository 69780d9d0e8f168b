"""Each format on the seeded rows (SQLite and PostgreSQL) and on hand-made edge cases."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime
from typing import Any

import junitparser
import pytest

from certtui.domain.enums import CertificationStatus
from certtui.domain.errors import ErrorCategory
from certtui.export import (
    FORMATTERS,
    ExportRow,
    TestSummary,
    export_rows,
    to_csv,
    to_json,
    to_junit,
    to_markdown,
)
from certtui.export.csv_format import CSV_COLUMNS
from certtui.suites.scoring import TestStatus

GENERATED_AT = datetime(2024, 6, 1, 8, 0, 0)


@pytest.fixture
async def rows(seeded: Any) -> list[ExportRow]:
    """The seeded database's export rows."""
    async with seeded.sessions() as session:
        return await export_rows(session)


def bare_row(**changes: Any) -> ExportRow:
    """A row with nothing but its identity, changed as asked."""
    row = ExportRow(
        model_id="vendor.model-v1:0",
        model_name="Model",
        vendor="Vendor",
        region="us-west-2",
        status=CertificationStatus.COMPLETED,
        passed=True,
        score=100.0,
        rating="A",
        error_category=None,
        error_message=None,
        remediation_hint="",
        invoke_id=None,
        duration_ms=None,
        completed_at=None,
        created_by=None,
        job_id=None,
    )
    return replace(row, **changes)


def check_junit_counts(root: ET.Element) -> None:
    """Every count attribute agrees with the elements under it, suite by suite and in total."""
    assert root.tag == "testsuites"
    totals = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
    for suite in root:
        assert suite.tag == "testsuite"
        cases = list(suite)
        assert all(case.tag == "testcase" for case in cases)
        counts = {
            "tests": len(cases),
            "failures": sum(case.find("failure") is not None for case in cases),
            "skipped": sum(case.find("skipped") is not None for case in cases),
            "errors": sum(case.find("error") is not None for case in cases),
        }
        assert {name: int(suite.get(name, "-1")) for name in counts} == counts
        assert float(suite.get("time", "nan")) == pytest.approx(
            sum(float(case.get("time", "0")) for case in cases), abs=0.002
        )
        for name, value in counts.items():
            totals[name] += value
    assert {name: int(root.get(name, "-1")) for name in totals} == totals


# CSV


def test_csv_parses_back_with_one_line_per_row(rows: list[ExportRow], seeded: Any) -> None:
    text = to_csv(rows)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    records = list(reader)
    assert [(r["modelId"], r["region"]) for r in records] == [
        (row.model_id, row.region) for row in rows
    ]
    by_key = {(r["modelId"], r["region"]): r for r in records}

    passed = by_key[seeded.HAIKU, "us-east-1"]
    assert passed["vendor"] == "Anthropic"
    assert passed["status"] == "COMPLETED"
    assert (passed["passed"], passed["score"], passed["rating"]) == ("true", "100.0", "A")
    assert passed["invokeId"] == f"us.{seeded.HAIKU}"
    assert (passed["durationMs"], passed["completedAt"]) == ("12345", "2024-05-01T12:30:15.250Z")
    assert (passed["createdBy"], passed["jobId"]) == ("alice@ops-1", seeded.JOB_ONE)
    assert (passed["testsPassed"], passed["testsFailed"], passed["testsSkipped"]) == ("9", "0", "1")
    assert "image_input=skipped (no IMAGE input modality)" in passed["tests"]
    assert passed["tests"].startswith("respond=passed; instruction=passed")

    denied = by_key[seeded.HAIKU, "eu-west-1"]
    assert denied["status"] == "FAILED"
    assert denied["errorCategory"] == "PERMISSION_ERROR"
    assert denied["errorMessage"] == seeded.ACCESS_DENIED
    assert denied["remediation"] == ErrorCategory.PERMISSION_ERROR.hint
    assert (denied["passed"], denied["score"], denied["tests"]) == ("false", "", "")

    quality = by_key[seeded.LLAMA, "us-east-1"]
    assert quality["errorCategory"] == "QUALITY_ISSUE"
    assert quality["testsFailed"] == "4"
    assert "tool_use=failed (tool use not supported | by this model)" in quality["tests"]

    queued = by_key[seeded.LLAMA, "eu-west-1"]
    assert (queued["status"], queued["passed"], queued["vendor"]) == ("QUEUED", "", "")
    assert by_key[seeded.TITAN, "us-east-1"]["status"] == "CANCELLED"


def test_csv_quotes_commas_quotes_and_newlines() -> None:
    message = 'line one, with "quotes"\nline two'
    row = bare_row(status=CertificationStatus.FAILED, passed=False, error_message=message)
    [record] = list(csv.DictReader(io.StringIO(to_csv([row]), newline="")))
    assert record["errorMessage"] == message


def test_csv_of_no_rows_is_the_header() -> None:
    assert to_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"


# JSON


def test_json_document_holds_every_certification_with_its_tests(
    rows: list[ExportRow], seeded: Any
) -> None:
    document = json.loads(to_json(rows, generated_at=GENERATED_AT))
    assert document["generatedAt"] == "2024-06-01T08:00:00.000Z"
    assert document["count"] == 5
    entries = {(c["modelId"], c["region"]): c for c in document["certifications"]}
    assert list(entries) == [(row.model_id, row.region) for row in rows]

    passed = entries[seeded.HAIKU, "us-east-1"]
    assert passed["modelName"] == "Claude 3 Haiku"
    assert (passed["passed"], passed["score"], passed["rating"]) == (True, 100.0, "A")
    assert passed["invokeId"] == f"us.{seeded.HAIKU}"
    assert passed["completedAt"] == "2024-05-01T12:30:15.250Z"
    assert passed["testCounts"] == {"passed": 9, "failed": 0, "skipped": 1}
    respond = passed["tests"][0]
    assert respond["id"] == "respond"
    assert respond["status"] == "passed"
    # The stored per-test evidence travels with it.
    assert respond["clientLatencyMs"] == 420
    assert respond["stopReason"] == "end_turn"

    denied = entries[seeded.HAIKU, "eu-west-1"]
    assert denied["errorCategory"] == "PERMISSION_ERROR"
    assert denied["remediation"] == ErrorCategory.PERMISSION_ERROR.hint
    assert denied["tests"] == []

    queued = entries[seeded.LLAMA, "eu-west-1"]
    assert (queued["status"], queued["passed"], queued["score"]) == ("QUEUED", None, None)
    assert queued["remediation"] is None


def test_json_of_no_rows_is_still_a_document() -> None:
    document = json.loads(to_json([]))
    assert document["count"] == 0
    assert document["certifications"] == []
    assert document["generatedAt"].endswith("Z")


# Markdown


def test_markdown_summarises_each_region_and_labels_every_status(
    rows: list[ExportRow], seeded: Any
) -> None:
    text = to_markdown(rows, generated_at=GENERATED_AT)
    lines = text.splitlines()
    assert lines[0] == "# certtui certifications"
    assert "Generated 2024-06-01T08:00:00.000Z: 5 certifications in 2 regions." in lines
    assert "| eu-west-1 | 2 | 0 | 0 | 1 | 0 | 1 | 0.0% |" in lines
    assert "| us-east-1 | 3 | 1 | 1 | 0 | 1 | 0 | 33.3% |" in lines
    assert "| **all** | 5 | 1 | 1 | 1 | 1 | 1 | 20.0% |" in lines

    table = {tuple(_cells(line)[:3]): _cells(line) for line in lines if line.startswith("| ")}
    passed = table[seeded.HAIKU, "Anthropic", "us-east-1"]
    assert passed[3:6] == ["✓ passed", "100.0", "A"]
    assert passed[6] == f"invoked as us.{seeded.HAIKU}"
    denied = table[seeded.HAIKU, "Anthropic", "eu-west-1"]
    assert denied[3] == "! failed"
    assert denied[6] == (
        f"PERMISSION_ERROR: {seeded.ACCESS_DENIED} — {ErrorCategory.PERMISSION_ERROR.hint}"
    )
    quality = table[seeded.LLAMA, "Meta", "us-east-1"]
    assert quality[3:6] == ["✗ not passed [SIMULATED]", "52.9", "D"]
    assert quality[6].startswith("QUALITY_ISSUE: failed instruction (expected")
    assert "tool_use (tool use not supported | by this model)" in quality[6]
    assert table[seeded.LLAMA, "", "eu-west-1"][3] == "… queued"
    assert table[seeded.TITAN, "", "us-east-1"][3] == "⊘ cancelled"


def test_markdown_rows_keep_their_columns_whatever_the_message() -> None:
    row = bare_row(
        status=CertificationStatus.FAILED,
        passed=False,
        error_category="UNKNOWN_ERROR",
        error_message="weird | message\nacross lines",
    )
    lines = to_markdown([row]).splitlines()
    table_lines = [line for line in lines if line.startswith("| ")]
    header = next(line for line in table_lines if line.startswith("| Model "))
    assert len(_cells(table_lines[-1])) == len(_cells(header))
    assert _cells(table_lines[-1])[-1].startswith("UNKNOWN_ERROR: weird | message across lines")


def test_markdown_of_no_rows_says_so() -> None:
    text = to_markdown([])
    assert "0 certifications in 0 regions" in text
    assert "_No certifications match._" in text
    assert "| Model " not in text


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table line as they read once rendered (escapes resolved)."""
    cells, current, escaped = [], "", False
    for char in line.strip()[1:-1]:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += char
    cells.append(current.strip())
    return cells


# JUnit


def test_junit_has_one_suite_per_region_and_one_case_per_row(
    rows: list[ExportRow], seeded: Any
) -> None:
    root = ET.fromstring(to_junit(rows))
    check_junit_counts(root)
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "2", "2")
    assert root.get("errors") == "0"
    suites = {suite.get("name"): suite for suite in root}
    assert list(suites) == ["eu-west-1", "us-east-1"]
    assert [(s.get("tests"), s.get("failures"), s.get("skipped")) for s in suites.values()] == [
        ("2", "1", "1"),
        ("3", "1", "1"),
    ]
    cases = {(case.get("name"), case.get("classname")): case for case in root.iter("testcase")}
    assert set(cases) == {(row.model_id, f"certtui.{row.region}") for row in rows}

    passed = cases[seeded.HAIKU, "certtui.us-east-1"]
    assert passed.get("time") == "12.345"
    assert passed.find("failure") is None
    assert passed.find("skipped") is None
    assert f"invokeId: us.{seeded.HAIKU}" in (passed.findtext("system-out") or "")

    denied = cases[seeded.HAIKU, "certtui.eu-west-1"].find("failure")
    assert denied is not None
    assert denied.get("type") == "PERMISSION_ERROR"
    assert denied.get("message") == seeded.ACCESS_DENIED
    assert denied.text == ErrorCategory.PERMISSION_ERROR.hint

    quality = cases[seeded.LLAMA, "certtui.us-east-1"].find("failure")
    assert quality is not None
    assert quality.get("type") == "QUALITY_ISSUE"
    assert quality.get("message") == (
        "did not pass: score 52.9 (D); failed tests: instruction, system_prompt, multi_turn, "
        "tool_use"
    )
    assert "tool_use: tool use not supported | by this model" in (quality.text or "")
    assert ErrorCategory.QUALITY_ISSUE.hint in (quality.text or "")

    cancelled = cases[seeded.TITAN, "certtui.us-east-1"].find("skipped")
    queued = cases[seeded.LLAMA, "certtui.eu-west-1"].find("skipped")
    assert cancelled is not None and "cancelled" in (cancelled.get("message") or "")
    assert queued is not None and "queued" in (queued.get("message") or "")


def test_junit_reads_back_with_junitparser(rows: list[ExportRow], seeded: Any) -> None:
    xml = junitparser.JUnitXml.fromstring(to_junit(rows))
    suites = list(xml)
    assert [suite.name for suite in suites] == ["eu-west-1", "us-east-1"]
    outcomes = {}
    for suite in suites:
        cases = list(suite)
        assert suite.tests == len(cases)
        assert suite.failures == sum(
            isinstance(r, junitparser.Failure) for c in cases for r in c.result
        )
        assert suite.skipped == sum(
            isinstance(r, junitparser.Skipped) for c in cases for r in c.result
        )
        for case in cases:
            outcomes[case.name, case.classname] = [(type(r).__name__, r.type) for r in case.result]
    assert outcomes == {
        (seeded.HAIKU, "certtui.eu-west-1"): [("Failure", "PERMISSION_ERROR")],
        (seeded.HAIKU, "certtui.us-east-1"): [],
        (seeded.LLAMA, "certtui.eu-west-1"): [("Skipped", None)],
        (seeded.LLAMA, "certtui.us-east-1"): [("Failure", "QUALITY_ISSUE")],
        (seeded.TITAN, "certtui.us-east-1"): [("Skipped", None)],
    }
    passed = next(
        c for s in suites for c in s if (c.name, c.classname) == (seeded.HAIKU, "certtui.us-east-1")
    )
    assert passed.time == pytest.approx(12.345)


def test_junit_survives_characters_xml_cannot_carry() -> None:
    row = bare_row(
        status=CertificationStatus.FAILED,
        passed=False,
        error_category="UNKNOWN_ERROR",
        error_message='bad \x1b[31mbytes\x00 & <tags> "quoted"\nsecond line',
        remediation_hint=ErrorCategory.UNKNOWN_ERROR.hint,
    )
    root = ET.fromstring(to_junit([row]))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    # Controls are shown as escapes (domain/text.py), which XML carries; newlines stay.
    assert failure.get("message") == 'bad \\x1b[31mbytes\\x00 & <tags> "quoted"\nsecond line'


def test_junit_failure_without_a_message_or_category_still_says_why() -> None:
    row = bare_row(status=CertificationStatus.FAILED, passed=False, score=None, rating=None)
    failure = ET.fromstring(to_junit([row])).find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("type") == "UNKNOWN_ERROR"
    assert failure.get("message") == "certification failed (UNKNOWN_ERROR)"


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (CertificationStatus.PENDING, "pending"),
        (CertificationStatus.QUEUED, "queued"),
        (CertificationStatus.PROCESSING, "still running"),
        (CertificationStatus.CANCELLED, "cancelled"),
    ],
)
def test_junit_skips_every_unfinished_or_cancelled_status(
    status: CertificationStatus, words: str
) -> None:
    row = bare_row(status=status, passed=None, score=None, rating=None)
    root = ET.fromstring(to_junit([row]))
    check_junit_counts(root)
    skipped = root.find("testsuite/testcase/skipped")
    assert skipped is not None
    assert words in (skipped.get("message") or "")


def test_junit_of_no_rows_is_an_empty_testsuites() -> None:
    text = to_junit([])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text)
    check_junit_counts(root)
    assert list(root) == []
    assert len(list(junitparser.JUnitXml.fromstring(text))) == 0


# All formats


def test_tests_summaries_survive_older_records() -> None:
    # A record with only the booleans (no "status") still reads as passed / failed / skipped.
    tests = (
        TestSummary("a", TestStatus.PASSED, record={"id": "a", "passed": True}),
        TestSummary("b", TestStatus.FAILED, "wrong", record={"id": "b", "passed": False}),
    )
    row = bare_row(passed=False, score=50.0, rating="D", tests=tests)
    document = json.loads(to_json([row]))
    assert [t["status"] for t in document["certifications"][0]["tests"]] == ["passed", "failed"]


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_every_formatter_ends_with_a_newline(name: str, rows: list[ExportRow]) -> None:
    text = FORMATTERS[name](rows)
    assert text.endswith("\n")
    assert FORMATTERS[name]([]).endswith("\n")


async def test_every_format_marks_simulated_results(rows: list[ExportRow]) -> None:
    """Results the stand-in produced carry simulated: true; others are not marked (#10 item 2)."""
    simulated = {(row.model_id, row.region) for row in rows if row.simulated}
    assert len(simulated) == 1
    ((model_id, region),) = simulated

    by_key = {(r["modelId"], r["region"]): r for r in csv.DictReader(io.StringIO(to_csv(rows)))}
    assert by_key[(model_id, region)]["simulated"] == "true"
    assert {r["simulated"] for k, r in by_key.items() if k != (model_id, region)} == {"false"}

    certifications = json.loads(to_json(rows))["certifications"]
    flags = {(c["modelId"], c["region"]): c["simulated"] for c in certifications}
    assert flags.pop((model_id, region)) is True
    assert not any(flags.values())

    root = ET.fromstring(to_junit(rows))
    marked = [
        (case.get("name"), case.get("classname"))
        for case in root.iter("testcase")
        if any(
            p.get("name") == "simulated" and p.get("value") == "true" for p in case.iter("property")
        )
    ]
    assert marked == [(model_id, f"certtui.{region}")]

    markdown = to_markdown(rows, generated_at=GENERATED_AT)
    assert "1 of them SIMULATED" in markdown
    marked_lines = [line for line in markdown.splitlines() if "[SIMULATED] |" in line]
    assert len(marked_lines) == 1 and model_id in marked_lines[0]
