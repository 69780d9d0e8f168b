"""``certtui info`` and ``--help``."""

from __future__ import annotations

import re
from pathlib import Path

from certtui.store import migrate
from support.cli import run_certtui


def test_info_on_the_embedded_database(user_dirs: dict[str, Path]) -> None:
    result = run_certtui("info")
    assert result.returncode == 0, result.stderr
    fields = dict(
        re.match(r"(\S.*?)\s{2,}(.*)", line).groups() for line in result.stdout.splitlines()
    )
    db_file = user_dirs["data"] / "certtui" / "certtui.db"
    assert fields["database"] == f"sqlite+aiosqlite:///{db_file}"
    assert fields["schema revision"] == f"{migrate.head_revision()} (head)"
    assert fields["mode"] == "read-write"
    assert db_file.exists()  # upgraded automatically on first use


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
