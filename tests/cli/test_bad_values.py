"""Bad values are refused in one line with exit 2, and a database password never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_certtui
from support.postgres import free_port

SECRET = "s3cret-pw"


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("certtui: error: ")
    return lines[0].removeprefix("certtui: error: ")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CERTTUI_LEASE_TTL": "nan"}, "CERTTUI_LEASE_TTL='nan': expected a number > 1"),
        ({"CERTTUI_LEASE_TTL": "inf"}, "CERTTUI_LEASE_TTL='inf': expected a number > 1"),
        ({"CERTTUI_RETRY_BASE": "inf"}, "CERTTUI_RETRY_BASE='inf': expected a number > 0"),
        ({"CERTTUI_READ_TIMEOUT": "nan"}, "CERTTUI_READ_TIMEOUT='nan': expected a number > 0"),
        (
            {"CERTTUI_PASS_THRESHOLD": "1000"},
            "CERTTUI_PASS_THRESHOLD='1000': expected a number ≥ 0 and ≤ 100 (a score in percent)",
        ),
        ({"CERTTUI_CONCURRENCY": "100000"}, "CERTTUI_CONCURRENCY='100000': expected at most 1024"),
        ({"CERTTUI_REGIONS": ",,,"}, "CERTTUI_REGIONS=',,,': expected at least one region"),
        (
            {"CERTTUI_ENDPOINT_URL": "htp:/x"},
            "CERTTUI_ENDPOINT_URL='htp:/x': malformed URL: it does not start with http://",
        ),
    ],
)
def test_bad_environment_values(
    env: dict[str, str], expected: str, user_dirs: dict[str, Path]
) -> None:
    result = run_certtui("jobs", "list", env=env)
    assert result.returncode == 2
    assert expected in _one_line(result.stderr)
    assert not user_dirs["data"].exists()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("lease_ttl = inf", "lease_ttl: expected a number > 1 and ≤ 3600 seconds, not inf"),
        ("lease_ttl = nan", "lease_ttl: expected a number > 1 and ≤ 3600 seconds, not nan"),
        ("pass_threshold = 1000", "pass_threshold: expected a number ≥ 0 and ≤ 100"),
        ("regions = []", "regions: expected at least one region"),
        ('database_url = ""', "database_url: expected a database URL"),
        ('endpoint_url = "http://h:99999"', "endpoint_url: malformed URL: its port is not"),
    ],
)
def test_bad_config_file_values(
    line: str, expected: str, tmp_path: Path, user_dirs: dict[str, Path]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"{line}\n")
    result = run_certtui("--config", str(config), "jobs", "list")
    assert result.returncode == 2
    assert _one_line(result.stderr).startswith(f"config file {config}:1: {expected}")
    assert not user_dirs["data"].exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--db", "", "jobs", "list"), "--db '': expected a database URL"),
        (("--db", "  ", "info"), "--db '  ': expected a database URL"),
        (("--endpoint-url", "htp:/x", "info"), "--endpoint-url 'htp:/x': malformed URL"),
        (("--endpoint-url", "http://", "info"), "malformed URL: it names no host"),
        (("run", "--all", "--regions", ",,,"), "--regions ',,,' names no region"),
        (("run", "--all", "--regions", ""), "--regions '' names no region"),
        (("models", "sync", "--region", ""), "unknown region ''"),
    ],
)
def test_bad_command_line_values(
    args: tuple[str, ...], expected: str, user_dirs: dict[str, Path]
) -> None:
    result = run_certtui(*args)
    assert result.returncode == 2
    assert expected in _one_line(result.stderr)
    assert not user_dirs["data"].exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://certtui:{SECRET}@127.0.0.1:99999/app", "has an invalid port"),
        (f"postgresql://certtui:{SECRET}@127.0.0.1:port/app", "has an invalid port"),
        (f"postgresql://certtui:{SECRET}@127.0.0.1:5432", "names no database"),
        (f"postgresql://certtui:{SECRET}@127.0.0.1:5432/app?nope=1", "unknown parameter 'nope'"),
        (f"postgresql://certtui:{SECRET}@127.0.0.1/app?password={SECRET}", "put the password"),
        (f"mysql://certtui:{SECRET}@127.0.0.1/app", "unsupported database URL scheme"),
    ],
)
@pytest.mark.parametrize("source", ["flag", "environment"])
def test_the_password_never_shows(url: str, expected: str, source: str) -> None:
    if source == "flag":
        result = run_certtui("--db", url, "info")
    else:
        result = run_certtui("info", env={"CERTTUI_DATABASE_URL": url})
    assert result.returncode == 2
    message = _one_line(result.stderr)
    assert expected in message
    assert SECRET not in result.stderr
    if "scheme" not in expected:
        assert "certtui:***@" in message


def test_the_password_never_shows_on_a_connection_error() -> None:
    port = free_port()
    url = f"postgresql://certtui:{SECRET}@127.0.0.1:{port}/app?schema=public"
    result = run_certtui("--db", url, "info")
    assert result.returncode == 3
    assert "connection refused" in _one_line(result.stderr)
    assert SECRET not in result.stderr + result.stdout
