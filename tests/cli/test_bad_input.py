"""Each bad input gives one clear line on stderr, the right exit code, and writes nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from support.cli import run_certtui
from support.postgres import free_port


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its content digest."""
    if not root.exists():
        return {}
    if root.is_file():
        return {str(root): hashlib.sha256(root.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("certtui: error: ")
    return lines[0].removeprefix("certtui: error: ")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "malformed database URL 'not a url'"),
        ("mysql://u@h/db", "unsupported database URL scheme 'mysql'"),
        ("postgresql://u@127.0.0.1:5432", "names no database"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_malformed_database_url(
    url: str, expected: str, user_dirs: dict[str, Path], tmp_path: Path
) -> None:
    before = _tree(tmp_path)
    result = run_certtui("--db", url, "info")
    assert result.returncode == 2
    message = _one_line_error(result.stderr)
    assert expected in message
    assert "use sqlite:///PATH or postgresql://" in message
    assert _tree(tmp_path) == before
    assert not user_dirs["data"].exists()


def test_unreachable_postgres(user_dirs: dict[str, Path]) -> None:
    port = free_port()
    result = run_certtui("--db", f"postgresql://certtui:secret@127.0.0.1:{port}/certtui", "info")
    assert result.returncode == 3
    message = _one_line_error(result.stderr)
    assert message == (
        f"cannot connect to postgresql 127.0.0.1:{port}/certtui: connection refused; check the "
        "server is running and the host and port in --db / CERTTUI_DATABASE_URL"
    )
    assert "secret" not in result.stderr
    assert not user_dirs["data"].exists()


def test_missing_postgres_database(postgres, user_dirs: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    result = run_certtui("--db", postgres.url("no_such_db"), "db", "current")
    assert result.returncode == 3
    assert "database 'no_such_db' does not exist" in _one_line_error(result.stderr)


@pytest.mark.parametrize(
    "content", [b"this is not a database at all\n" * 100, b"SQLite format 2\x00" + b"\x00" * 4080]
)
def test_corrupt_sqlite_file(content: bytes, tmp_path: Path) -> None:
    db_file = tmp_path / "broken.db"
    db_file.write_bytes(content)
    before = _tree(tmp_path)
    result = run_certtui("--db", f"sqlite:///{db_file}", "info")
    assert result.returncode == 3
    message = _one_line_error(result.stderr)
    assert message == (
        f"{db_file} is not a SQLite database (corrupt or another kind of file): move it aside "
        "or point --db at another file"
    )
    assert _tree(tmp_path) == before


def test_damaged_sqlite_file_with_a_valid_header(tmp_path: Path) -> None:
    db_file = tmp_path / "damaged.db"
    ok = run_certtui("--db", f"sqlite:///{db_file}", "db", "upgrade")
    assert ok.returncode == 0, ok.stderr
    data = bytearray(db_file.read_bytes())
    data[16:100] = b"\xff" * 84  # wreck the rest of the header: page size, versions, counts
    db_file.write_bytes(bytes(data))
    for sidecar in tmp_path.glob("damaged.db-*"):
        sidecar.unlink()
    before = _tree(tmp_path)
    result = run_certtui("--db", f"sqlite:///{db_file}", "info")
    assert result.returncode == 3
    assert "is not a readable SQLite database" in _one_line_error(result.stderr)
    assert _tree(tmp_path) == before


def test_unwritable_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file where the data directory's parent should be: no one, root included, can create it.
    blocker = tmp_path / "blocked"
    blocker.write_text("a file, not a directory\n")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    before = _tree(tmp_path)
    result = run_certtui("db", "upgrade")  # a command that creates the database
    assert result.returncode == 3
    message = _one_line_error(result.stderr)
    assert message == (
        f"cannot create the data directory {blocker / 'certtui'}: a file stands where a "
        "directory should be; fix its permissions, set data_dir in the config file, or pass --db"
    )
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('database_url = "sqlite:///x.db\n', "is not valid TOML: "),
        (
            "database_url = 'sqlite:///x.db'\ncolour = 'blue'\n",
            ":2: colour: unknown key (expected one of: database_url, profile,",
        ),
        ("read_only = 'yes'\n", ":1: read_only: expected true or false"),
    ],
)
def test_invalid_config_file(
    content: str, expected: str, user_dirs: dict[str, Path], tmp_path: Path
) -> None:
    config = user_dirs["config"] / "certtui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(content)
    before = _tree(tmp_path)
    result = run_certtui("info")
    assert result.returncode == 2
    message = _one_line_error(result.stderr)
    assert message.startswith(f"config file {config}")
    assert expected in message
    assert _tree(tmp_path) == before
    assert not user_dirs["data"].exists()


def test_toml_error_names_the_line(user_dirs: dict[str, Path]) -> None:
    config = user_dirs["config"] / "certtui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("read_only = false\n\ndatabase_url = = 'x'\n")
    result = run_certtui("info")
    assert result.returncode == 2
    assert "line 3" in _one_line_error(result.stderr)


def test_missing_explicit_config_file(tmp_path: Path, user_dirs: dict[str, Path]) -> None:
    result = run_certtui("--config", str(tmp_path / "nope.toml"), "info")
    assert result.returncode == 2
    assert _one_line_error(result.stderr) == (
        f"config file {tmp_path / 'nope.toml'} does not exist: create it or drop --config"
    )
    assert not user_dirs["data"].exists()


def test_unknown_option_is_one_line(user_dirs: dict[str, Path]) -> None:
    result = run_certtui("--frobnicate")
    assert result.returncode == 2
    assert "No such option '--frobnicate'" in _one_line_error(result.stderr)
