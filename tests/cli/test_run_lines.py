"""`certtui run` into a log (stderr not a terminal): a line every 10 s and at each 10 % step,
then the units that did not pass with their category and reason (#12, for cron and CI)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from certtui.cli.progress import LineProgress, not_passed_lines, progress_line
from certtui.domain.enums import JobStatus
from certtui.domain.events import JobProgress, LogLine
from support.cli import run_certtui, simulate_process

MODELS = (
    "anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-v2:1",
    "mistral.mistral-small-2402-v1:0", "ai21.jamba-1-5-large-v1:0", "amazon.nova-lite-v1:0",
)  # fmt: skip
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (\d+)/(\d+) units? \((\d+)%\), ok \d+, ")


def progress(processed: int, total: int = 40) -> JobProgress:
    return JobProgress("j", JobStatus.PROCESSING, total, processed, processed, 0, 3, 32, 1, 0,
                       12.0, 30.0)  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_at_each_10_percent_step_and_every_10_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    with LineProgress(out, clock=clock) as lines:
        lines(progress(0))  # 0 %: the first line
        lines(progress(1))  # same step, 0 s later: nothing
        clock.now += 9.9
        lines(progress(2))  # nothing yet
        clock.now += 0.1
        lines(progress(2))  # 10 s since the last line
        lines(progress(4))  # 10 %
        lines(progress(13))  # 32 %: one line, even though two steps were crossed
        clock.now += 3
        lines(LogLine("j", "warning", "heartbeat failed: database is locked"))
        lines(progress(40))  # 100 %
    written = out.getvalue().splitlines()
    shares = [int(LINE.match(line).group(3)) for line in written if LINE.match(line)]
    assert shares == [0, 5, 10, 32, 100]
    assert any(line.endswith(" warning: heartbeat failed: database is locked") for line in written)
    assert all(line.isascii() and "\r" not in line and "\x1b" not in line for line in written)


def test_the_last_state_is_written_when_the_run_ends_between_steps() -> None:
    out, clock = io.StringIO(), Clock()
    with LineProgress(out, clock=clock) as lines:
        lines(progress(3, 40))
        lines(progress(3, 40))
        lines(progress(3, 40))
    assert len(out.getvalue().splitlines()) == 1
    out = io.StringIO()
    with LineProgress(out, clock=clock) as lines:
        lines(progress(1, 2))
    assert "1/2 units (50%)" in out.getvalue()
    assert "1/1 unit (100%)" in progress_line(progress(1, 1), 3.0)  # one unit, not "1 units"


def test_not_passed_lines_name_category_and_first_line_of_the_reason() -> None:
    units = [
        {"model": "m1", "region": "r", "status": "COMPLETED", "passed": True},
        {"model": "m2", "region": "r", "status": "COMPLETED", "passed": False,
         "errorCategory": "QUALITY_ISSUE", "errorMessage": "score 50.0: failed json\nmore"},
        {"model": "m3", "region": "r", "status": "FAILED", "passed": False,
         "errorCategory": "TIMEOUT", "errorMessage": None},
        {"model": "m4", "region": "r", "status": "CANCELLED", "passed": None},
    ]  # fmt: skip
    assert not_passed_lines(units) == [
        "m2 in r: QUALITY_ISSUE: score 50.0: failed json",
        "m3 in r: TIMEOUT: did not pass",
    ]


@pytest.fixture(scope="module")
def standin() -> Iterator[str]:
    with simulate_process("--latency-ms", "20") as url:
        yield url


def test_run_into_a_log_writes_lines_then_what_did_not_pass(standin: str, tmp_path: Path) -> None:
    env = {
        "CERTTUI_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "CERTTUI_RETRY_BASE": "0.02",
        "CERTTUI_RETRY_CAP": "0.1",
    }
    assert run_certtui("--endpoint-url", standin, "models", "sync", env=env).returncode == 0
    models = [arg for model in MODELS for arg in ("--model", model)]
    result = run_certtui(
        "--endpoint-url", standin, "run", *models, "--regions", "us-east-1,eu-west-1", env=env
    )
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stderr and "\r" not in result.stderr  # no live bar in a log
    steps = [LINE.match(line) for line in result.stderr.splitlines()]
    shares = [int(m.group(3)) for m in steps if m]
    assert shares and shares == sorted(shares) and shares[-1] == 100
    assert len(set(shares)) == len(shares)  # one line per step (runs this short: no 10 s lines)
    assert {m.group(2) for m in steps if m} == {"10"}

    job_id = json.loads(run_certtui("jobs", "list", "--json", env=env).stdout)[0]["id"]
    units = json.loads(run_certtui("jobs", "show", job_id, "--json", env=env).stdout)["units"]
    failed = [u for u in units if not (u["status"] == "COMPLETED" and u["passed"])]
    assert failed
    out = result.stdout.splitlines()
    header = out.index(f"did not pass ({len(failed)}):")
    listed = out[header + 1 : header + 1 + len(failed)]
    for unit in failed:
        line = next(x for x in listed if x.startswith(f"  {unit['model']} in {unit['region']}: "))
        assert f": {unit['errorCategory'] or 'QUALITY_ISSUE'}: " in line


def test_the_live_display_writes_notes_without_certtuis_file_and_line() -> None:
    from rich.console import Console

    from certtui.cli.progress import ProgressDisplay

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with ProgressDisplay(console, total=2) as display:
        display(progress(1, 2))
        display(LogLine("j", "warning", "heartbeat failed: database is locked"))
    text = out.getvalue()
    assert "warning: heartbeat failed: database is locked" in text
    assert ".py:" not in text  # no `progress.py:51` (#12 item 11)
