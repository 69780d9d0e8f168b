"""``certtui info`` and ``--help``."""

from __future__ import annotations

import re
from pathlib import Path

from certtui.store import migrate
from support.cli import run_certtui


def _fields(stdout: str) -> dict[str, str]:
    return dict(re.match(r"(\S.*?)\s{2,}(.*)", line).groups() for line in stdout.splitlines())


def test_info_on_the_embedded_database(user_dirs: dict[str, Path]) -> None:
    db_file = user_dirs["data"] / "certtui" / "certtui.db"
    result = run_certtui("info")
    assert result.returncode == 0, result.stderr
    fields = _fields(result.stdout)
    assert fields["database"] == f"sqlite+aiosqlite:///{db_file}"
    assert fields["schema revision"] == (
        f"none: no database at {db_file} yet: `certtui models sync` or `certtui run` creates it"
    )
    assert fields["mode"] == "read-write"
    assert not user_dirs["data"].exists()  # info only reads: it creates no database (#12)

    assert run_certtui("db", "upgrade").returncode == 0
    fields = _fields(run_certtui("info").stdout)
    assert fields["schema revision"] == f"{migrate.head_revision()} (head)"


def test_info_masks_the_password(pg_url: str) -> None:
    url = pg_url.replace("postgres@", "postgres:hunter2@")
    assert run_certtui("--db", url, "db", "upgrade").returncode == 0
    result = run_certtui("--db", url, "info")
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert "postgresql+asyncpg://postgres:***@127.0.0.1" in result.stdout


def test_help_lists_only_working_commands() -> None:
    result = run_certtui("--help")
    assert result.returncode == 0
    commands = result.stdout.split("Commands:")[1].split()
    for name in ("db", "info"):
        assert name in commands
