"""Headless display: live progress on stderr (rich), and the summary of a finished job."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from rich.text import Text

from certtui.domain import glyphs
from certtui.domain.events import EngineEvent, JobProgress, LogLine, UnitStateChanged
from certtui.domain.text import plural, safe_text

LINE_EVERY_SECONDS = 10.0  # a progress line at least this often for cron and CI logs

BAR_WIDTH = 20


class ProgressDisplay:
    """Subscribes to engine events and redraws at a fixed rate, whatever the event rate."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        # The bar, the counts and the time have fixed widths; the detail takes what is left
        # and loses its end first (at 80 columns: the rates), so nothing else is ever squeezed.
        fixed = Column(no_wrap=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}", table_column=fixed),
            BarColumn(bar_width=BAR_WIDTH, table_column=Column(no_wrap=True, width=BAR_WIDTH)),
            MofNCompleteColumn(table_column=fixed),
            TimeElapsedColumn(table_column=fixed),
            TextColumn(
                "{task.fields[detail]}",
                table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1),
            ),
            console=console,
            refresh_per_second=4,
            expand=True,  # so the detail column (ratio 1) takes only the room left
            transient=False,
        )
        self.task = self.progress.add_task("certifying", total=total, detail="")

    def __enter__(self) -> ProgressDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, JobProgress):
            # Most telling first: a narrow terminal cuts the end.
            dot = f" {glyphs.current().dot} "
            eta = "" if event.eta_seconds is None else f"{dot}eta {event.eta_seconds:,.0f}s"
            detail = dot.join(
                (
                    f"ok {event.succeeded}",
                    f"not passed {event.failed}{eta}",
                    f"{event.units_per_minute:,.1f}/min",
                    f"calls {event.in_flight_calls}/{event.call_limit}",
                    f"retries {event.retries}",
                    f"throttled {event.throttles}",
                )
            )
            self.progress.update(
                self.task, completed=event.processed, total=event.total, detail=detail
            )
        elif isinstance(event, LogLine) and event.level != "debug":
            self._note(f"{event.level}: {event.message}")
        elif isinstance(event, UnitStateChanged) and event.error_category == "AUTHENTICATION_ERROR":
            self._note(f"{event.api_model_id} in {event.region}: {event.error_message}")

    def _note(self, text: str) -> None:
        # Not Console.log: it ends each line with certtui's own file and line (`progress.py:51`).
        stamp = datetime.now().strftime("%H:%M:%S")
        self.console.print(Text(f"[{stamp}] ", style="dim") + plain(text), soft_wrap=True)


class LineProgress:
    """Progress for logs (stderr is not a terminal): a line every 10 s and at each 10 % step.

    No cursor movement and no redraws: each line stands alone in a cron mail or a CI log, with
    the time (UTC), the counts, the call pipeline, retries, throttles, the rate and the ETA.
    """

    def __init__(
        self,
        stream: TextIO,
        every: float = LINE_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.every = every
        self.clock = clock
        self._started = clock()
        self._last_line = self._started
        self._step = -1  # the last 10 % step a line was written for
        self._last: JobProgress | None = None

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._last is not None and self._step < self._step_of(self._last):
            self._write(self._last)  # the last word on where the job stands

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, JobProgress):
            self._last = event
            step = self._step_of(event)
            if step > self._step or self.clock() - self._last_line >= self.every:
                self._write(event)
        elif isinstance(event, LogLine) and event.level != "debug":
            self._print(f"{event.level}: {event.message}")
        elif isinstance(event, UnitStateChanged) and event.error_category == "AUTHENTICATION_ERROR":
            self._print(f"{event.api_model_id} in {event.region}: {event.error_message}")

    @staticmethod
    def _step_of(event: JobProgress) -> int:
        return 10 * event.processed // event.total if event.total > 0 else -1

    def _write(self, event: JobProgress) -> None:
        self._step = max(self._step, self._step_of(event))
        self._last_line = self.clock()
        self._print(progress_line(event, self.clock() - self._started))

    def _print(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.stream.write(f"{stamp} {safe_text(text)}\n")
        self.stream.flush()


def progress_line(event: JobProgress, elapsed: float) -> str:
    """One ASCII line on where a job stands: ``120/400 units (30%), ok 100, not passed 20, …``."""
    share = f" ({100 * event.processed // event.total}%)" if event.total else ""
    eta = "" if event.eta_seconds is None else f", eta {event.eta_seconds:.0f}s"
    return (
        f"{event.processed}/{plural(event.total, 'unit')}{share}, ok {event.succeeded}, "
        f"not passed {event.failed}, calls {event.in_flight_calls}/{event.call_limit}, "
        f"retries {event.retries}, throttled {event.throttles}, "
        f"{event.units_per_minute:.1f}/min{eta}, {elapsed:.0f}s elapsed, "
        f"{event.status.value.lower()}"
    )


def not_passed_lines(units: list[dict[str, Any]]) -> list[str]:
    """One line per unit that did not pass: model, region, category and the reason's first line."""
    lines = []
    for unit in units:
        if unit["status"] == "COMPLETED" and unit["passed"]:
            continue
        if unit["status"] not in ("COMPLETED", "FAILED"):
            continue  # cancelled or unfinished: not a verdict
        category = unit.get("errorCategory") or "QUALITY_ISSUE"
        message = (unit.get("errorMessage") or "").strip().splitlines()
        reason = message[0] if message else "did not pass"
        lines.append(safe_text(f"{unit['model']} in {unit['region']}: {category}: {reason}"))
    return lines


def plain(text: str) -> Text:
    """Text from outside as rich prints it: no markup, no highlighting, controls escaped."""
    return Text(safe_text(text))


def summary_table(rows: list[dict[str, Any]]) -> Table:
    """Per-region counts of a job's units, with a glyph for each column."""
    by_region: dict[str, Counter[str]] = {}
    for row in rows:
        by_region.setdefault(row["region"], Counter())[_bucket(row)] += 1
    g = glyphs.current()
    table = Table(title="certification summary", show_lines=False, box=table_box())
    # A region name never wraps or shortens (two would read alike); the headers wrap instead.
    longest = max((len(safe_text(region)) for region in by_region), default=6)
    table.add_column("region", no_wrap=True, min_width=longest)
    for column in (
        f"{g.passed} passed",
        f"{g.not_passed} not passed",
        f"{g.failed} failed",
        f"{g.cancelled} cancelled",
        f"{g.queued} unfinished",
    ):
        table.add_column(column, justify="right")
    table.add_column("% passed", justify="right")
    for region in sorted(by_region):
        counts = by_region[region]
        total = sum(counts.values())
        share = 100 * counts["passed"] / total if total else 0.0
        table.add_row(
            plain(region),
            *(str(counts[b]) for b in ("passed", "not_passed", "failed", "cancelled", "open")),
            f"{share:.0f}%",
        )
    return table


def table_box() -> box.Box:
    """Rich's default table border, or its ASCII one when the glyphs are ASCII."""
    return box.ASCII2 if glyphs.current().ascii else box.HEAVY_HEAD


def _bucket(row: dict[str, Any]) -> str:
    status = row["status"]
    if status == "COMPLETED":
        return "passed" if row["passed"] else "not_passed"
    if status == "FAILED":
        return "failed"
    if status == "CANCELLED":
        return "cancelled"
    return "open"
