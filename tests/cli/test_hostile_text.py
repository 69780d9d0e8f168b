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
    HOSTILE_JOB,
    HOSTILE_MESSAGE,
    HOSTILE_MODEL,
    HOSTILE_NAME,
    seed_hostile,
    unsafe_characters,
)

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
    # Markdown doubles the backslash, so the escape reads as written once rendered.
    assert "evil.model\\\\x1b]0;owned\\\\x07-v1:0" in printed["export markdown"]
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
