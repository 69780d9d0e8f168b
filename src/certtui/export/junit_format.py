"""JUnit XML export: one test suite per region, one test case per model and region, for CI."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from certtui.domain import glyphs
from certtui.domain.errors import ErrorCategory
from certtui.domain.text import safe_text
from certtui.export.rows import ExportRow, Outcome

# Characters XML 1.0 cannot carry at all, even escaped (ElementTree would write them raw).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

SKIP_MESSAGES = {
    "CANCELLED": "cancelled by an operator before it finished",
    "PENDING": "pending: not run yet",
    "QUEUED": "queued: not run yet",
    "PROCESSING": "still running when exported",
}


def to_junit(rows: Sequence[ExportRow]) -> str:
    """The rows as a JUnit XML document (``<testsuites>``, one ``<testsuite>`` per region)."""
    root = ET.Element("testsuites", name="certtui")
    for region in sorted({row.region for row in rows}):
        suite = ET.SubElement(root, "testsuite", name=region)
        for row in rows:
            if row.region == region:
                suite.append(testcase_element(row))
        _count(suite, suite.findall("testcase"))
    _count(root, root.findall("testsuite/testcase"))
    ET.indent(root)
    text = ET.tostring(root, "unicode")
    if glyphs.current().ascii:  # character references: the same document in ASCII
        text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"


def testcase_element(row: ExportRow) -> ET.Element:
    """The ``<testcase>`` of one certification, with its failure or skip and its evidence."""
    case = ET.Element(
        "testcase",
        classname=f"certtui.{row.region}",
        name=_clean(row.model_id),
        time=_seconds(row.duration_ms),
    )
    if row.simulated:
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="simulated", value="true")
    if row.outcome is Outcome.FAILED:
        category = row.error_category or ErrorCategory.UNKNOWN_ERROR.value
        failure = ET.SubElement(
            case,
            "failure",
            type=_clean(category),
            message=_clean(row.error_message or f"certification failed ({category})"),
        )
        failure.text = _clean(row.remediation_hint or None)
    elif row.outcome is Outcome.NOT_PASSED:
        failed = row.failed_tests
        failure = ET.SubElement(
            case,
            "failure",
            type=ErrorCategory.QUALITY_ISSUE.value,
            message=_clean(_quality_message(row)),
        )
        lines = [f"{test.id}: {test.reason or 'failed'}" for test in failed]
        lines.append(ErrorCategory.QUALITY_ISSUE.hint)
        failure.text = _clean("\n".join(lines))
    elif row.outcome in (Outcome.CANCELLED, Outcome.UNFINISHED):
        ET.SubElement(case, "skipped", message=SKIP_MESSAGES[row.status.value])
    evidence = _evidence(row)
    if evidence:
        ET.SubElement(case, "system-out").text = _clean(evidence)
    return case


def _quality_message(row: ExportRow) -> str:
    score = "no score" if row.score is None else f"score {row.score:.1f}"
    if row.rating:
        score += f" ({row.rating})"
    failed = ", ".join(test.id for test in row.failed_tests)
    return f"did not pass: {score}; failed tests: {failed}" if failed else f"did not pass: {score}"


def _evidence(row: ExportRow) -> str:
    lines = [f"status: {row.status.value}"]
    if row.simulated:
        lines.append("simulated: true (certtui's Bedrock stand-in answered, not AWS)")
    if row.vendor:
        lines.append(f"vendor: {row.vendor}")
    if row.invoke_id:
        lines.append(f"invokeId: {row.invoke_id}")
    if row.score is not None:
        lines.append(f"score: {row.score:.1f} {row.rating or ''}".rstrip())
    for test in row.tests:
        reason = f" ({test.reason})" if test.reason else ""
        lines.append(f"test {test.id}: {test.status}{reason}")
    return "\n".join(lines)


def _count(element: ET.Element, cases: list[ET.Element]) -> None:
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    element.set("errors", "0")  # a certification that could not run is a failure with a type
    element.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    element.set("time", f"{sum(float(c.get('time', '0')) for c in cases):.3f}")


def _seconds(duration_ms: int | None) -> str:
    return f"{(duration_ms or 0) / 1000:.3f}"


def _clean(text: str | None) -> str | None:
    # Controls and bidi overrides are escaped (the report is also read on terminals); what XML
    # still cannot carry (U+FFFE, U+FFFF) becomes the replacement character.
    return None if text is None else _NOT_XML.sub("\ufffd", safe_text(text, keep="\n\t"))
