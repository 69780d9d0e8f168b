"""Opening the TUI with a database that is unreachable, behind or missing: one clear line."""

from __future__ import annotations

from pathlib import Path

from support.cli import run_certtui
from support.postgres import free_port


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_unreachable_database() -> None:
    port = free_port()
    result = run_certtui("--db", f"postgresql://u@127.0.0.1:{port}/x", "monitor")
    assert result.returncode == 3
    assert "connection refused" in _one_line(result.stderr)


def test_database_behind_needs_db_upgrade(pg_url: str) -> None:
    result = run_certtui("--db", pg_url)
    assert result.returncode == 3
    assert _one_line(result.stderr).endswith(
        "has no certtui schema: run `certtui db upgrade` first"
    )


def test_monitor_of_a_database_that_does_not_exist(tmp_path: Path) -> None:
    result = run_certtui("--db", f"sqlite:///{tmp_path / 'none.db'}", "monitor")
    assert result.returncode == 3
    assert "no database at" in _one_line(result.stderr)
    assert not (tmp_path / "none.db").exists()


def test_no_terminal_is_a_clear_error(tmp_path: Path) -> None:
    # Run without a terminal (as CI does): the database opens, then the TUI says why it can't.
    result = run_certtui("--db", f"sqlite:///{tmp_path / 'ok.db'}")
    assert result.returncode == 2
    assert "the TUI needs a terminal" in _one_line(result.stderr)
