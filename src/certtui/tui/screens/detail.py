"""Result detail: the certification, its tests, excerpts, error and hint, raw JSON."""

from __future__ import annotations

import json

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Static

from certtui.tui.actions import bindings
from certtui.tui.base import CerttuiScreen
from certtui.tui.data import READ_ERRORS, DetailView, load_detail
from certtui.tui.summary import detail_summary, remediation

TEST_GLYPHS = {"passed": "✓ pass", "failed": "✗ fail", "skipped": "– skip"}


def _ms(value: object) -> str:
    return "" if value is None else f"{value}"


def _profile_lines(results: dict) -> list[str]:
    """The inference profile used, where it routes, and any denied before it."""
    lines = []
    profile = results.get("inferenceProfile")
    if profile:
        where = ", ".join(results.get("profileDestinations") or ()) or "–"
        lines.append(f"inference profile {escape(str(profile))} → routes to {escape(where)}")
    for denied in results.get("profilesDenied") or ():
        lines.append(f"denied first: {escape(str(denied))}")
    return lines


class DetailScreen(CerttuiScreen):
    """SPEC §6.4 for one certification."""

    BINDINGS = bindings("detail.back", "detail.recertify", "detail.copy", "detail.raw")

    def __init__(self, certification_id: str) -> None:
        super().__init__()
        self.certification_id = certification_id
        self.detail: DetailView | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("loading…", id="detail-header", markup=True)
        tests: DataTable[str] = DataTable(cursor_type="row", id="detail-tests")
        for key, label, width in (
            ("test", "test", 14), ("result", "result", 7), ("latency", "ms", 6),
            ("ttft", "ttft", 5), ("tokens", "in/out", 9), ("stop", "stop", 11),
            ("reason", "reason", 60),
        ):  # fmt: skip
            tests.add_column(label, key=key, width=width)
        yield tests
        with VerticalScroll(id="detail-body"):
            yield Static("", id="excerpts", markup=True)
            yield Static("", id="raw-json")

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

    def _show_detail(self, d: DetailView) -> None:
        results = d.test_results or {}
        score = "" if d.score is None else f" · score {d.score:.1f} · rating {d.rating}"
        verdict = "passed" if d.passed else ("not passed" if d.status == "COMPLETED" else "")
        lines = [
            f"[b]{escape(d.api_model_id)}[/b] in [b]{d.region}[/b] · {d.status}{score}"
            + (f" · {verdict}" if verdict else ""),
            f"invoke id: {escape(str(results.get('invokeId', '–')))} · "
            f"{escape(str(results.get('invokeReason', '')))}",
            *_profile_lines(results),
            f"duration {_ms(d.duration_ms)} ms · by {escape(d.created_by or '–')} · "
            f"job {(d.job_id or '–')[:8]} · suite "
            f"{escape(str((results.get('suite') or {}).get('name', '–')))}",
        ]
        if d.error_category:
            lines.append(f"[b]{d.error_category}[/b]: {escape(d.error_message or '')}")
            hint = remediation(d.error_category)
            if hint:
                lines.append(f"→ {escape(hint)}")
        self.query_one("#detail-header", Static).update("\n".join(lines))
        table = self.query_one("#detail-tests", DataTable)
        table.clear()
        excerpts = []
        for test in results.get("tests", ()):
            tokens = f"{_ms(test.get('inputTokens'))}/{_ms(test.get('outputTokens'))}"
            table.add_row(
                test["id"], TEST_GLYPHS.get(test.get("status", ""), test.get("status", "")),
                _ms(test.get("clientLatencyMs")), _ms(test.get("ttftMs")),
                tokens if tokens != "/" else "", test.get("stopReason") or "",
                test.get("reason") or test.get("errorMessage") or "",
                key=test["id"],
            )  # fmt: skip
            if test.get("answerExcerpt"):
                excerpts.append(f"[b]{test['id']}[/b]: {escape(test['answerExcerpt'])}")
        self.query_one("#excerpts", Static).update("\n".join(excerpts) or "no answers recorded")
        self.query_one("#raw-json", Static).update(json.dumps(results, indent=2, default=str))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_raw(self) -> None:
        self.query_one("#raw-json", Static).toggle_class("visible")

    def action_copy_summary(self) -> None:
        if self.detail is None:
            return
        self.app.copy_to_clipboard(detail_summary(self.detail))
        self.notify("summary copied to the clipboard (OSC 52)")

    def action_recertify(self) -> None:
        if self.detail is None:
            return
        self.certtui.certify([self.detail.api_model_id], [self.detail.region])
