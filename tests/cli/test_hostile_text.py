"""Text from outside is data: a hostile catalog through every CLI command and export format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from support.cli import run_certtui
from support.hostile import (
    HOSTILE_CATEGORY,
    HOSTILE_JOB,
    HOSTILE_MESSAGE,
    HOSTILE_MODEL,
    HOSTILE_NAME,
    seed_hostile,
    seed_hostile_history,
    unsafe_characters,
)

# Part of the fault suite (`pytest -m fault`): hostile catalog strings through every output.
pytestmark = pytest.mark.fault

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
async def hostile_url(database_url: str, sessions: async_sessionmaker) -> str:
    """A migrated database of each kind holding the hostile catalog."""
    async with sessions.begin() as session:
        await seed_hostile(session)
    return database_url


COMMANDS = {
    "models list": ("models", "list", "--all"),
    "jobs list": ("jobs", "list"),
    "jobs list --json": ("jobs", "list", "--json"),
    "jobs show": ("jobs", "show", HOSTILE_JOB),
    "jobs show --json": ("jobs", "show", HOSTILE_JOB, "--json"),
    "export csv": ("export", "--format", "csv"),
    "export json": ("export", "--format", "json"),
    "export markdown": ("export", "--format", "markdown"),
    "export junit": ("export", "--format", "junit"),
    "info": ("info",),
    "run (unknown hostile model)": ("run", "--model", HOSTILE_MODEL + "x", "--region", "us-east-1"),
}


def test_no_command_prints_a_control_character(hostile_url: str) -> None:
    printed = {}
    for name, args in COMMANDS.items():
        result = run_certtui("--db", hostile_url, *args)
        printed[name] = result.stdout
        # CSV rows end in CRLF (RFC 4180); any other carriage return would be the data's.
        for stream in (result.stdout.replace("\r\n", "\n"), result.stderr):
            assert unsafe_characters(stream) == [], (name, result.returncode, stream)
        if not name.startswith("run"):
            assert result.returncode == 0, (name, result.stderr)
    # The hostile text is shown, as escapes, not dropped.
    assert "evil.model\\x1b]0;owned\\x07-v1:0" in printed["models list"]
    assert "mallory\\x1" in printed["jobs list"]  # who started the job (cut to the column)
    # Markdown doubles the backslash and escapes the bracket: it reads as written once rendered.
    assert "evil.model\\\\x1b\\]0;owned\\\\x07-v1:0" in printed["export markdown"]
    # JSON keeps the data exact: a reader gets back what the database holds.
    document = json.loads(printed["export json"])
    assert {c["modelName"] for c in document["certifications"]} == {HOSTILE_NAME}
    assert HOSTILE_MESSAGE in {c["errorMessage"] for c in document["certifications"]}
    units = json.loads(printed["jobs show --json"])["units"]
    assert {unit["model"] for unit in units} == {HOSTILE_MODEL}


def test_csv_cells_never_start_a_formula(hostile_url: str, tmp_path: Path) -> None:
    output = tmp_path / "certifications.csv"
    result = run_certtui("--db", hostile_url, "export", "--format", "csv", "--output", str(output))
    assert result.returncode == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    assert unsafe_characters(text.replace("\r\n", "\n")) == []
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 2
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (column, cell)
    assert {row["modelName"] for row in rows} == {
        '\'=HYPERLINK("http://x","\\x1b[2Jclick")\\u202eexe.txt'
    }


@pytest.fixture
async def hostile_history_url(database_url: str, sessions: async_sessionmaker) -> str:
    """The hostile catalog and two completed jobs over its cells (the later one regressed)."""
    async with sessions.begin() as session:
        ids = await seed_hostile(session)
        await seed_hostile_history(session, ids)
    return database_url


def test_diff_shows_hostile_text_as_data_in_every_format(hostile_history_url: str) -> None:
    printed = {}
    for name in ("text", "markdown", "json"):
        result = run_certtui("--db", hostile_history_url, "diff", "--format", name)
        assert result.returncode == 1, (name, result.stderr)  # both cells regressed
        for stream in (result.stdout, result.stderr):
            assert unsafe_characters(stream) == [], (name, stream)
        printed[name] = result.stdout
    assert "evil.model\\x1b]0;owned\\x07-v1:0" in printed["text"]
    assert "PERMISSION_ERROR\\x1b[2J|`*x*`" in printed["text"]
    # Markdown: the category's pipe, backticks and stars are escaped; every row keeps its cells.
    rows = [line for line in printed["markdown"].splitlines() if line.startswith("| REGRESSED")]
    assert len(rows) == 2
    for row in rows:
        assert len(_markdown_cells(row)) == 5, row
    assert "PERMISSION\\_ERROR\\\\x1b\\[2J\\|\\`\\*x\\*\\`" in printed["markdown"]
    # JSON keeps the data exact.
    report = json.loads(printed["json"])
    assert {item["model"] for item in report["regressions"]} == {HOSTILE_MODEL}
    assert HOSTILE_CATEGORY in {item["after"]["errorCategory"] for item in report["regressions"]}


def test_a_pipe_in_a_model_id_keeps_the_markdown_table_whole() -> None:
    from certtui.domain.enums import CertificationStatus
    from certtui.export import ExportRow, to_markdown

    row = ExportRow(
        model_id="vendor.model|with|pipes*and_stars*",
        model_name="n",
        vendor="V|endor",
        region="us-east-1",
        status=CertificationStatus.COMPLETED,
        passed=True,
        score=100.0,
        rating="A",
        error_category=None,
        error_message=None,
        remediation_hint="",
        invoke_id="<img src=x onerror=alert(1)>",
        duration_ms=1,
        completed_at=None,
        created_by=None,
        job_id=None,
    )
    lines = to_markdown([row]).splitlines()
    header = next(line for line in lines if line.startswith("| Model "))
    (line,) = [line for line in lines if line.startswith("| vendor")]
    assert len(_markdown_cells(line)) == len(_markdown_cells(header)) == 7
    assert _markdown_cells(line)[0] == "vendor.model\\|with\\|pipes\\*and\\_stars\\*"
    assert "\\<img src=x onerror=alert(1)\\>" in line


def _markdown_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, split on the pipes that are not escaped."""
    cells, current, escaped = [], "", False
    for char in line.strip()[1:-1]:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += char
    return [*cells, current.strip()]
