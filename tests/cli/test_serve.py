"""`certtui serve`: what it refuses, with one line and exit 2 or 3, before serving anything."""

from __future__ import annotations

import socket
from pathlib import Path

from support.cli import run_certtui


def _error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.startswith("certtui: error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0].removeprefix("certtui: error: ")


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    assert run_certtui("--db", url, "db", "upgrade").returncode == 0
    return url


def test_a_host_other_machines_reach_needs_allow_remote(user_dirs: dict[str, Path]) -> None:
    result = run_certtui("serve", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "add --allow-remote" in _error_line(result.stderr)
    assert result.stdout == ""
    assert not user_dirs["data"].exists(), "nothing is created"


def test_allow_remote_warns_before_it_listens(user_dirs: dict[str, Path], tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface here: the bind fails, nothing is ever sent.
    result = run_certtui("--db", _database(tmp_path), "serve", "--host", "192.0.2.1",
                         "--allow-remote")  # fmt: skip
    assert "WARNING: listening on 192.0.2.1" in result.stderr
    assert result.returncode == 3
    assert "cannot listen on 192.0.2.1:8000" in _error_line(result.stderr)


def test_a_port_in_use_is_one_line(user_dirs: dict[str, Path], tmp_path: Path) -> None:
    url = _database(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_certtui("--db", url, "serve", "--port", str(port))
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in _error_line(result.stderr)


def test_read_write_contradicts_read_only(user_dirs: dict[str, Path]) -> None:
    result = run_certtui("--read-only", "serve", "--read-write")
    assert result.returncode == 2
    assert "`certtui serve` writes to the database and this invocation is read-only" in (
        _error_line(result.stderr)
    )


def test_a_missing_database_fails_before_serving(
    user_dirs: dict[str, Path], tmp_path: Path
) -> None:
    result = run_certtui("--db", f"sqlite:///{tmp_path / 'none.db'}", "serve")
    assert result.returncode == 3
    assert "no database at" in _error_line(result.stderr)
    assert not (tmp_path / "none.db").exists()
