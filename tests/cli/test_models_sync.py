"""``certtui models sync``: exit 3 when no region answered, one line per distinct cause, and
credentials and the endpoint checked once before any region is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from certtui.bedrock.results import ClassifiedError
from certtui.cli.models import failure_lines
from certtui.domain.errors import ErrorCategory
from support.cli import run_certtui, simulate_process
from support.postgres import free_port


def _lines(stderr: str) -> list[str]:
    """The error and warning lines (the progress line of discovery is not one)."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.strip().splitlines() if not line.startswith("discovering ")]


@pytest.fixture(scope="module")
def standin() -> object:
    with simulate_process() as url:
        yield url


def _sync(url: str, db: Path, *regions: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    region_args = [arg for region in regions for arg in ("--region", region)]
    return run_certtui(
        "--db", f"sqlite:///{db}", "--endpoint-url", url, "models", "sync", *region_args, env=env
    )


def test_every_region_failing_for_one_cause_is_one_line_and_exit_3(
    standin: str, tmp_path: Path
) -> None:
    # The stand-in answers ExpiredTokenException in every region to keys with this prefix.
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXPIRED0000000"}
    result = _sync(standin, tmp_path / "c.db", "us-east-1", "us-west-2", "eu-west-1", env=env)
    assert result.returncode == 3
    lines = _lines(result.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith("certtui: error: eu-west-1, us-east-1, us-west-2: ")
    assert "synced 0/3 regions" in result.stdout


def test_every_region_failing_for_different_causes_is_a_line_each_and_exit_3(
    standin: str, tmp_path: Path
) -> None:
    # eu-central-2 is an opt-in region not enabled; af-south-1 has no Bedrock endpoint.
    result = _sync(standin, tmp_path / "c.db", "eu-central-2", "af-south-1")
    assert result.returncode == 3
    lines = _lines(result.stderr)
    assert len(lines) == 2, lines
    assert sorted(line.split(":")[2].strip() for line in lines) == ["af-south-1", "eu-central-2"]
    assert all(line.startswith("certtui: error: ") for line in lines)


def test_some_regions_failing_are_warnings_and_exit_0(standin: str, tmp_path: Path) -> None:
    result = _sync(standin, tmp_path / "c.db", "us-east-1", "eu-central-2")
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("certtui: warning: eu-central-2: "), lines
    assert "synced 1/2 regions" in result.stdout


def test_an_endpoint_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    result = _sync(dead, tmp_path / "c.db", "us-east-1", "us-west-2", "eu-west-1")
    assert result.returncode == 3
    lines = _lines(result.stderr)
    assert len(lines) == 1, lines
    assert "eu-west-1, us-east-1, us-west-2: NETWORK_ERROR" in lines[0]


def test_an_unknown_profile_is_refused_once_before_any_region(
    tmp_path: Path, user_dirs: dict[str, Path]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    result = _sync(dead, tmp_path / "c.db", "us-east-1", "us-west-2", env={"AWS_PROFILE": "nosuch"})
    assert result.returncode == 2
    assert _lines(result.stderr) == [
        "certtui: error: AWS profile 'nosuch' does not exist: fix --profile / AWS_PROFILE or "
        "add it to the AWS config"
    ]
    assert not (tmp_path / "c.db").exists()


def test_no_credentials_is_refused_once_before_any_region(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    env = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
    }
    result = _sync(dead, tmp_path / "c.db", "us-east-1", "us-west-2", env=env)
    assert result.returncode == 2
    lines = _lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("certtui: error: no AWS credentials found")
    assert not (tmp_path / "c.db").exists()


def test_a_malformed_endpoint_is_exit_2(tmp_path: Path) -> None:
    result = _sync("http//127.0.0.1:8123", tmp_path / "c.db", "us-east-1")
    assert result.returncode == 2
    lines = _lines(result.stderr)
    assert len(lines) == 1 and "--endpoint-url 'http//127.0.0.1:8123': malformed URL" in lines[0]
    assert not (tmp_path / "c.db").exists()


def test_a_cause_that_names_its_region_is_still_one_cause() -> None:
    def unreachable(region: str) -> ClassifiedError:
        message = f'Could not connect to "https://bedrock.{region}.amazonaws.com/x"'
        return ClassifiedError(
            ErrorCategory.NETWORK_ERROR, "EndpointConnectionError", message, True
        )

    lines = failure_lines({r: unreachable(r) for r in ("us-west-2", "us-east-1")})
    assert len(lines) == 1
    assert lines[0].startswith(
        'us-east-1, us-west-2: NETWORK_ERROR: Could not connect to "https://bedrock.{region}.'
    )
    single = failure_lines({"eu-west-1": unreachable("eu-west-1")})
    assert "bedrock.eu-west-1.amazonaws.com" in single[0]


@pytest.mark.parametrize("command", [("run", "--all"), ("jobs", "resume", "some-job")])
def test_run_and_resume_check_credentials_before_planning(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    # Planning first would leave a QUEUED job that no engine can run (issue #11 item 4).
    dead = f"http://127.0.0.1:{free_port()}"
    db = tmp_path / "c.db"
    result = run_certtui(
        "--db", f"sqlite:///{db}", "--endpoint-url", dead, *command, env={"AWS_PROFILE": "nosuch"}
    )
    assert result.returncode == 2
    assert _lines(result.stderr) == [
        "certtui: error: AWS profile 'nosuch' does not exist: fix --profile / AWS_PROFILE or "
        "add it to the AWS config"
    ]
    assert not db.exists()
