"""`run`'s progress and summary at 80 columns (#12 item 6): the bar, the counts and every
region name stay whole."""

from __future__ import annotations

import io

from rich.console import Console

from certtui.bedrock.regions import bedrock_regions
from certtui.cli.progress import ProgressDisplay, summary_table
from certtui.domain.enums import JobStatus
from certtui.domain.events import JobProgress


def console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, record=True)


def progress_lines(width: int) -> list[str]:
    out = console(width)
    display = ProgressDisplay(out, total=240)
    display(
        JobProgress(
            job_id="j", status=JobStatus.PROCESSING, total=240, processed=118, succeeded=101,
            failed=17, in_flight_calls=64, call_limit=64, retries=1234, throttles=56,
            units_per_minute=123.4, eta_seconds=3600,
        )
    )  # fmt: skip
    out.print(display.progress.get_renderable())
    return out.export_text().splitlines()


def test_progress_keeps_its_bar_and_counts_at_80_columns() -> None:
    lines = progress_lines(80)
    assert len(lines) == 1, lines
    line = lines[0]
    assert len(line) <= 80
    assert "118/240" in line
    assert line.count("━") >= 10  # a bar, not a sliver
    assert "ok 101" in line and "not passed 17" in line  # the outcome counts come first


def test_progress_shows_everything_when_wide() -> None:
    (line,) = progress_lines(200)
    assert "throttled 56" in line and "eta 3,600s" in line


def test_summary_table_never_cuts_a_region_name() -> None:
    regions = bedrock_regions()
    rows = [
        {"region": region, "status": status, "passed": passed}
        for region in regions
        for status, passed in (("COMPLETED", True), ("COMPLETED", False), ("FAILED", None))
    ]
    out = console(80)
    out.print(summary_table(rows))
    text = out.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for region in regions:
        assert region in text, region
