"""Commands that only read create no database: on a fresh machine there is nothing to read."""

from __future__ import annotations

from pathlib import Path

import pytest

from certtui.store.migrate import REVISIONS
from support.cli import run_certtui

MISSING = "no database at {path} yet: `certtui models sync` or `certtui run` creates it"

# command -> (exit code, how its stdout starts, the line on stderr or None)
CASES = {
    ("jobs", "list"): (0, "", "no jobs yet: start one with `certtui run`"),
    ("jobs", "list", "--json"): (0, "[]", None),
    ("models", "list"): (0, "", "the catalog is empty: run `certtui models sync` first"),
    ("export", "--format", "csv"): (0, "modelId,modelName,", "certtui: no certifications match"),
    ("db", "current"): (0, f"base (head is {REVISIONS[-1]})", f"certtui: {MISSING}"),
    ("jobs", "show", "abc"): (3, "", f"certtui: error: {MISSING}"),
    ("export", "--format", "csv", "--job", "abc"): (3, "", f"certtui: error: {MISSING}"),
}


@pytest.mark.parametrize("command", list(CASES), ids=" ".join)
def test_a_reading_command_creates_no_database(
    command: tuple[str, ...], user_dirs: dict[str, Path]
) -> None:
    code, stdout, stderr = CASES[command]
    path = user_dirs["data"] / "certtui" / "certtui.db"
    result = run_certtui(*command)
    assert result.returncode == code, result.stderr
    assert result.stdout.strip().startswith(stdout) and (stdout or not result.stdout)
    if stderr is None:
        assert result.stderr == ""
    else:
        assert result.stderr.strip() == stderr.format(path=path)
    assert not user_dirs["data"].exists()


def test_an_explicit_sqlite_path_is_not_created_either(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    for command in (("info",), ("jobs", "list"), ("models", "list")):
        result = run_certtui("--db", f"sqlite:///{db}", *command)
        assert result.returncode == 0, result.stderr
    assert not db.exists()
