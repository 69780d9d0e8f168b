"""``certtui export`` run for real in a subprocess: files, standard output and bad input."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import junitparser
import pytest

from support.cli import run_certtui

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("certtui: error: ")
    return lines[0].removeprefix("certtui: error: ")


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_junit_to_a_file(seeded: Any, tmp_path: Path) -> None:
    output = tmp_path / "reports" / "certtui.xml"
    output.parent.mkdir()
    result = run_certtui("--db", seeded.url, "export", "--format", "junit", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == f"certtui: wrote 5 certifications to {output}"
    root = ET.parse(output).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "2", "2")
    suites = list(junitparser.JUnitXml.fromfile(str(output)))
    assert [(s.name, s.tests) for s in suites] == [("eu-west-1", 2), ("us-east-1", 3)]
    # Only the report itself is left in the directory: the temporary file was renamed.
    assert [p.name for p in output.parent.iterdir()] == ["certtui.xml"]


def test_csv_to_stdout_filtered_by_region_and_job(seeded: Any) -> None:
    result = run_certtui(
        "--db", seeded.url, "export", "--format", "csv",
        "--region", "us-east-1", "--job", seeded.JOB_ONE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    records = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [(r["modelId"], r["region"], r["status"]) for r in records] == [
        (seeded.HAIKU, "us-east-1", "COMPLETED"),
        (seeded.LLAMA, "us-east-1", "COMPLETED"),
    ]


def test_export_works_read_only(seeded: Any) -> None:
    result = run_certtui("--read-only", "--db", seeded.url, "export", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["count"] == 5


@SQLITE_ONLY
def test_markdown_replaces_an_existing_file_keeping_its_permissions(
    seeded: Any, tmp_path: Path
) -> None:
    output = tmp_path / "report.md"
    output.write_text("old report\n")
    output.chmod(0o640)
    result = run_certtui(
        "--db", seeded.url, "export", "--format", "markdown", "--output", str(output)
    )
    assert result.returncode == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# certtui certifications\n")
    assert "| us-east-1 | 3 | 1 | 1 | 0 | 1 | 0 | 33.3% |" in text
    assert stat.S_IMODE(output.stat().st_mode) == 0o640


@SQLITE_ONLY
def test_a_new_file_gets_the_umask_permissions_not_private_ones(
    seeded: Any, tmp_path: Path
) -> None:
    output = tmp_path / "report.csv"
    result = run_certtui("--db", seeded.url, "export", "--format", "csv", "--output", str(output))
    assert result.returncode == 0, result.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o666 & ~umask
    assert output.read_bytes().count(b"\r\n") == 6  # header + five rows, no doubled CRs


@SQLITE_ONLY
def test_no_match_is_still_a_valid_document_with_a_note(seeded: Any) -> None:
    result = run_certtui(
        "--db", seeded.url, "export", "--format", "junit", "--region", "ap-south-1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "certtui: no certifications match in ap-south-1"
    root = ET.fromstring(result.stdout)
    assert (root.tag, root.get("tests"), list(root)) == ("testsuites", "0", [])


def test_unknown_region_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    db_file = tmp_path / "never.db"
    output = tmp_path / "out.json"
    result = run_certtui(
        "--db", f"sqlite:///{db_file}", "export", "--format", "json",
        "--region", "us-east-1", "--region", "moon-1", "--output", str(output),
    )  # fmt: skip
    assert result.returncode == 2
    message = _one_line_error(result.stderr)
    assert message.startswith("unknown region 'moon-1': not an AWS region in any partition")
    assert not db_file.exists()
    assert not output.exists()


def test_output_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    db_file = tmp_path / "never.db"
    output = tmp_path / "missing" / "out.csv"
    result = run_certtui(
        "--db", f"sqlite:///{db_file}", "export", "--format", "csv", "--output", str(output)
    )
    assert result.returncode == 2
    message = _one_line_error(result.stderr)
    assert message == f"cannot write {output}: directory {output.parent} does not exist"
    assert _tree(tmp_path) == {}


def test_output_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    result = run_certtui(
        "--db", f"sqlite:///{tmp_path / 'never.db'}",
        "export", "--format", "csv", "--output", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 2
    assert "it is a directory; name a file" in _one_line_error(result.stderr)
    assert _tree(tmp_path) == {}


@SQLITE_ONLY
def test_unknown_job_is_refused_and_the_old_file_kept(seeded: Any, tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    output.write_text("previous\n")
    result = run_certtui(
        "--db", seeded.url, "export", "--format", "json", "--job", "no-such-job",
        "--output", str(output),
    )  # fmt: skip
    assert result.returncode == 2
    assert _one_line_error(result.stderr).startswith("no certification job 'no-such-job' in ")
    assert output.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".report")) == []


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run_certtui("--db", f"sqlite:///{tmp_path / 'x.db'}", "export", "--format", "xlsx")
    assert result.returncode == 2
    assert "'xlsx' is not one of 'csv', 'json', 'markdown', 'junit'" in _one_line_error(
        result.stderr
    )
    assert _tree(tmp_path) == {}


def test_job_takes_the_id_prefixes_jobs_takes(seeded: Any) -> None:
    """`export --job` accepts what `certtui jobs show` does: a unique prefix (#12 item 11)."""
    whole = run_certtui(
        "--db", seeded.url, "export", "--format", "csv", "--job", seeded.JOB_ONE
    )  # fmt: skip
    short = run_certtui(
        "--db", seeded.url, "export", "--format", "csv", "--job", seeded.JOB_ONE[:8]
    )  # fmt: skip
    assert short.returncode == 0, short.stderr
    assert short.stdout == whole.stdout and len(short.stdout.splitlines()) > 1
    too_short = run_certtui("--db", seeded.url, "export", "--format", "csv", "--job", "111")
    assert too_short.returncode == 2
    assert _one_line_error(too_short.stderr) == (
        "job id '111' is too short: give at least 4 characters"
    )
