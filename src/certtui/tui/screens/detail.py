"""Result detail: the certification, its tests, excerpts, error and hint, raw JSON."""

from __future__ import annotations

import json

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from certtui.domain import glyphs
from certtui.domain.text import plural
from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.cells import as_label
from certtui.tui.data import READ_ERRORS, DetailView, Verdict, cell_history, load_detail
from certtui.tui.exporting import ExportScope
from certtui.tui.summary import detail_summary, remediation, sparkline
from certtui.tui.tables import NavigableTable


def result_label(status: str) -> str:
    """A test's result as glyph and word, e.g. ``✓ pass``."""
    g = glyphs.current()
    labels = {"passed": f"{g.passed} pass", "failed": f"{g.not_passed} fail",
              "skipped": f"{g.none} skip"}  # fmt: skip
    return labels.get(status, status)


def _ms(value: object) -> str:
    return "" if value is None else f"{value}"


def _profile_lines(results: dict) -> list[str]:
    """The inference profile used, where it routes, and any denied before it (plain text)."""
    lines = []
    profile = results.get("inferenceProfile")
    if profile:
        g = glyphs.current()
        where = ", ".join(results.get("profileDestinations") or ()) or g.none
        lines.append(f"inference profile {profile} {g.arrow} routes to {where}")
    for denied in results.get("profilesDenied") or ():
        lines.append(f"denied first: {denied}")
    return lines


class DetailScreen(CerttuiScreen):
    """SPEC §6.4 for one certification."""

    BINDINGS = bindings("detail.back", "detail.recertify", "detail.copy", "detail.raw")

    def __init__(self, certification_id: str) -> None:
        super().__init__()
        self.certification_id = certification_id
        self.detail: DetailView | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(f"loading{glyphs.current().ellipsis}", id="detail-header", markup=True)
        tests = NavigableTable(cursor_type="row", id="detail-tests")
        for key, label, width in (
            ("test", "test", 14), ("result", "result", 7), ("latency", "ms", 6),
            ("ttft", "ttft", 5), ("tokens", "in/out", 9), ("stop", "stop", 11),
            ("reason", "reason", 60),
        ):  # fmt: skip
            tests.add_column(label, key=key, width=width)
        yield tests
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-trend")
            verdicts = NavigableTable(cursor_type="row", id="detail-history")
            for key, label, width in (
                ("when", "when", 16), ("verdict", "verdict", 10), ("score", "score", 5),
                ("ms", "ms", 7), ("job", "job", 8), ("category", "category", 22),
            ):  # fmt: skip
                verdicts.add_column(label, key=key, width=width)
            yield verdicts
            yield Static("", id="excerpts", markup=True)
            yield Static("", id="raw-json", markup=False)

    def show_data(self, cells: set[tuple[str, str]] | None, *, jobs: bool = True) -> None:
        if cells is None or any(
            self.detail is None or k == (self.detail.model_id, self.detail.region) for k in cells
        ):
            self.load()

    @work(exclusive=True, group="detail")
    async def load(self) -> None:
        try:
            detail = await self.certtui.read(lambda s: load_detail(s, self.certification_id))
        except READ_ERRORS as exc:
            self.certtui.report_read_error(exc)
            return
        self.detail = detail
        if detail is None:
            self.query_one("#detail-header", Static).update("this certification no longer exists")
            return
        self._show_detail(detail)
        try:
            verdicts = await self.certtui.read(
                lambda s: cell_history(s, detail.model_id, detail.region)
            )
        except READ_ERRORS as exc:
            self.certtui.report_read_error(exc)
            return
        self._show_history(verdicts)

    def _show_history(self, verdicts: list[Verdict]) -> None:
        """The cell's verdicts, newest first, with score and latency trends (oldest → newest)."""
        table = self.query_one("#detail-history", NavigableTable)
        table.clear()
        g = glyphs.current()
        for v in verdicts:
            when = v.completed_at.strftime("%Y-%m-%d %H:%M") if v.completed_at else ""
            if v.status == "COMPLETED":
                look = f"{g.passed if v.passed else g.not_passed} " + (v.rating or "")
            else:
                look = v.status.lower()
            current = f" {g.marked}" if v.result_id == self.certification_id else ""
            table.add_row(
                when, look + current, "" if v.score is None else f"{v.score:.0f}",
                _ms(v.duration_ms), as_label((v.job_id or "legacy")[:8]),
                as_label(v.error_category or ""),
                key=v.result_id,
            )  # fmt: skip
        table.show_order()  # the operator's sort, if any
        shown = [v for v in reversed(verdicts) if v.status != "CANCELLED"]
        dot = f" {g.dot} "
        trend = (
            f"history: {plural(len(verdicts), 'verdict')}{dot}"
            f"score {sparkline([v.score for v in shown])}"
            f"{dot}latency "
            f"{sparkline([float(v.duration_ms) if v.duration_ms else None for v in shown])}"
            f"{dot}enter: that verdict"
            if shown
            else "history: no verdict recorded yet"
        )
        self.query_one("#detail-trend", Static).update(trend)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "detail-history" or event.row_key.value is None:
            return
        event.stop()
        if event.row_key.value != self.certification_id:
            self.app.push_screen(DetailScreen(str(event.row_key.value)))

    def _show_detail(self, d: DetailView) -> None:
        results = d.test_results or {}
        g = glyphs.current()
        dot, none = f" {g.dot} ", g.none
        score = "" if d.score is None else f"{dot}score {d.score:.1f}{dot}rating {d.rating}"
        verdict = "passed" if d.passed else ("not passed" if d.status == "COMPLETED" else "")
        # Built as Text, not markup: every value here may come from outside (see as_label).
        suite = (results.get("suite") or {}).get("name", none)
        simulated = results.get("simulated") is True
        lines = [
            Text.assemble(
                as_label(d.api_model_id, style="bold"), " in ", as_label(d.region, style="bold"),
                dot, as_label(f"{d.status}{score}" + (f"{dot}{verdict}" if verdict else "")),
                *((dot, Text(" SIMULATED ", style="reverse")) if simulated else ()),
            ),
            as_label(
                f"invoke id: {results.get('invokeId', none)}{dot}"
                f"{results.get('invokeReason', '')}"
            ),
            *(as_label(line) for line in _profile_lines(results)),
            as_label(
                f"duration {_ms(d.duration_ms)} ms{dot}by {d.created_by or none}{dot}"
                f"job {(d.job_id or none)[:8]}{dot}suite {suite}"
            ),
        ]  # fmt: skip
        if d.error_category:
            lines.append(
                Text.assemble(
                    as_label(d.error_category, style="bold"), ": ", as_label(d.error_message or "")
                )
            )
            hint = remediation(d.error_category)
            if hint:
                lines.append(as_label(f"{g.arrow} {hint}"))
        self.query_one("#detail-header", Static).update(Text("\n").join(lines))
        table = self.query_one("#detail-tests", NavigableTable)
        table.clear()
        excerpts = []
        for test in results.get("tests", ()):
            tokens = f"{_ms(test.get('inputTokens'))}/{_ms(test.get('outputTokens'))}"
            cells = (
                test["id"], result_label(test.get("status", "")),
                _ms(test.get("clientLatencyMs")), _ms(test.get("ttftMs")),
                tokens if tokens != "/" else "", test.get("stopReason") or "",
                test.get("reason") or test.get("errorMessage") or "",
            )  # fmt: skip
            table.add_row(*(as_label(str(cell)) for cell in cells), key=test["id"])
            if test.get("answerExcerpt"):
                excerpts.append(
                    Text.assemble(
                        as_label(str(test["id"]), style="bold"), ": ",
                        as_label(str(test["answerExcerpt"]), keep="\n"),
                    )
                )  # fmt: skip
        table.show_order()
        shown = Text("\n").join(excerpts) if excerpts else "no answers recorded"
        self.query_one("#excerpts", Static).update(shown)
        self.query_one("#raw-json", Static).update(json.dumps(results, indent=2, default=str))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_raw(self) -> None:
        self.query_one("#raw-json", Static).toggle_class("visible")

    def action_copy_summary(self) -> None:
        if self.detail is None:
            return
        self.certtui.copy_out(detail_summary(self.detail), "the summary")

    def export_scope(self) -> ExportScope:
        if self.detail is None:
            return ExportScope("all")
        d = self.detail
        return ExportScope("cell", cells=frozenset({(d.api_model_id, d.region)}))

    def export_title(self) -> str:
        d = self.detail
        return "Export every certification" if d is None else (
            f"Export the certification of {d.api_model_id} in {d.region}"
        )  # fmt: skip

    def action_recertify(self) -> None:
        if self.detail is None:
            return
        self.certtui.certify([self.detail.api_model_id], [self.detail.region])
