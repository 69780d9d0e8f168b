"""Output that cannot carry Unicode never crashes: the real CLI under latin-1 and the C locale.

Before glyphs were chosen from the output encoding, ``jobs list``, ``jobs show``, ``export`` to
standard output and ``run`` died with UnicodeEncodeError (a finished ``run`` exited 3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from support.cli import run_certtui, simulate_process

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"  # passes in the default scenario
LEGACY = "anthropic.claude-v2:1"  # UNAVAILABLE (legacy) in the default scenario
REGIONS = "us-east-1,eu-west-1"

# Each way an operator ends up with output that cannot encode Unicode.
NARROW_OUTPUTS: dict[str, dict[str, str | None]] = {
    "latin-1": {"PYTHONIOENCODING": "latin-1"},
    "C locale": {
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONIOENCODING": None,
    },
}
# Status glyphs: data (a stored Bedrock message) may hold an em dash, never one of these.
UNICODE_GLYPHS = "✓✗‖⊘⇄↓⚠█░⟳○●"


def certtui(
    *args: str, env: Mapping[str, str | None], timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """``python -m certtui ARGS`` with `env` over the test's environment (None removes a name).

    Bytes, not text: what the process wrote is checked as it reached the pipe.
    """
    environment = dict(os.environ)
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "-m", "certtui", *args],
        capture_output=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


@pytest.fixture(scope="module")
def standin() -> Iterator[str]:
    with simulate_process("--latency-ms", "5") as url:
        yield url


@pytest.fixture
def database(standin: str, tmp_path: Path) -> dict[str, str]:
    """A synced catalog in a fresh SQLite file; the environment that points at it."""
    env = {
        "CERTTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'narrow.db'}",
        "CERTTUI_RETRY_BASE": "0.02",
        "CERTTUI_RETRY_CAP": "0.1",
    }
    regions = [arg for region in REGIONS.split(",") for arg in ("--region", region)]
    synced = run_certtui("--endpoint-url", standin, "models", "sync", *regions, env=env)
    assert synced.returncode == 0, synced.stderr
    return env


def _readable(
    result: subprocess.CompletedProcess[bytes], encoding: str = "ascii", *, json: bool = False
) -> tuple[str, str]:
    """stdout and stderr, after checking they are text of `encoding` and nothing crashed."""
    out, err = result.stdout.decode(encoding), result.stderr.decode(encoding)
    assert "UnicodeEncodeError" not in err and "Traceback" not in err, err
    assert not set(UNICODE_GLYPHS) & set(out + err)
    if not json:  # JSON writes what ASCII cannot hold as \u escapes, the same JSON text
        assert "\\u" not in out + err  # no escapes standing in for a glyph
    return out, err


@pytest.mark.parametrize("narrow", sorted(NARROW_OUTPUTS))
def test_run_jobs_and_export_under_an_output_that_cannot_encode_unicode(
    narrow: str, standin: str, database: dict[str, str]
) -> None:
    env = {**database, **NARROW_OUTPUTS[narrow]}
    # click writes UTF-8 where Python's stream claims ASCII (it takes that for a misconfigured
    # locale); certtui's glyphs and rich's tables are ASCII either way.
    encoding = "latin-1" if narrow == "latin-1" else "utf-8"
    ran = certtui("--endpoint-url", standin, "run", "--model", HAIKU, "--model", LEGACY,
                  "--regions", REGIONS, env=env)  # fmt: skip
    out, err = _readable(ran, encoding)
    assert ran.returncode == 1, err  # some did not pass: not 3, the run did not die printing
    assert "+ passed" in out and "x not" in out and "! failed" in out
    assert "COMPLETED: 2 passed, 2 did not, of 4" in out

    listed = certtui("jobs", "list", env=env)
    out, err = _readable(listed, encoding)
    assert listed.returncode == 0, err
    (job_line,) = [line for line in out.splitlines() if "COMPLETED" in line]
    job_id = job_line.split()[0]

    shown = certtui("jobs", "show", job_id, env=env)
    out, err = _readable(shown, encoding)
    assert shown.returncode == 0, err
    assert "+ passed" in out and "us-east-1" in out and "2 passed" in out

    markdown = certtui("export", "--format", "markdown", env=env)
    out, err = _readable(markdown, encoding)
    assert markdown.returncode == 0, err
    assert f"| {HAIKU} | Anthropic | us-east-1 | + passed [SIMULATED] |" in out
    assert f"| {LEGACY} | Anthropic | us-east-1 | ! failed" in out

    exported = certtui("export", "--format", "json", env=env)
    out, err = _readable(exported, encoding, json=True)
    assert exported.returncode == 0, err
    document = json.loads(out)
    assert {(row["modelId"], row["region"]) for row in document["certifications"]} == {
        (model, region) for model in (HAIKU, LEGACY) for region in REGIONS.split(",")
    }

    for name in ("csv", "junit"):
        result = certtui("export", "--format", name, env=env)
        out, err = _readable(result, encoding)
        assert result.returncode == 0, err
        assert HAIKU in out
    junit = ET.fromstring(certtui("export", "--format", "junit", env=env).stdout)
    assert junit.get("tests") == "4"


def test_the_same_commands_show_unicode_glyphs_where_the_output_can(
    standin: str, database: dict[str, str]
) -> None:
    env = {**database, "PYTHONIOENCODING": "utf-8"}
    ran = certtui("--endpoint-url", standin, "run", "--model", HAIKU, "--regions", "us-east-1",
                  env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "✓ passed" in ran.stdout.decode()
    markdown = certtui("export", "--format", "markdown", env=env).stdout.decode()
    assert "| ✓ passed [SIMULATED] |" in markdown


@pytest.mark.parametrize(
    "how",
    [("--ascii",), ("env",), ("config",)],
    ids=["flag", "environment", "config-file"],
)
def test_ascii_asked_for_on_a_unicode_terminal(
    how: tuple[str, ...], standin: str, database: dict[str, str], tmp_path: Path
) -> None:
    env: dict[str, str | None] = {**database, "PYTHONIOENCODING": "utf-8"}
    flags: tuple[str, ...] = ()
    if how == ("--ascii",):
        flags = ("--ascii",)
    elif how == ("env",):
        env["CERTTUI_ASCII"] = "true"
    else:
        config = tmp_path / "config.toml"
        config.write_text("ascii = true\n", encoding="utf-8")
        env["CERTTUI_CONFIG"] = str(config)
    ran = certtui(*flags, "--endpoint-url", standin, "run", "--model", HAIKU,
                  "--regions", "us-east-1", env=env)  # fmt: skip
    out, err = _readable(ran)
    assert ran.returncode == 0, err
    # The glyphs and rich's own table borders and bar: everything is ASCII.
    assert "+ passed" in out and "+-" in out
    markdown = certtui(*flags, "export", "--format", "markdown", env=env)
    out, _ = _readable(markdown)
    assert "| + passed [SIMULATED] |" in out
    assert not set(UNICODE_GLYPHS) & set(out)


def test_a_bad_ascii_value_is_one_line(tmp_path: Path) -> None:
    result = run_certtui("info", env={"CERTTUI_ASCII": "maybe"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "certtui: error: environment CERTTUI_ASCII='maybe': expected true or false"
    )


def test_an_error_message_under_the_c_locale_reads_in_ascii(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("concurrency = 0\n", encoding="utf-8")
    result = certtui("info", env={"CERTTUI_CONFIG": str(config), **NARROW_OUTPUTS["C locale"]})
    _, err = _readable(result)
    assert result.returncode == 2
    assert "concurrency: expected an integer >= 1, not 0" in err
