"""The TUI and the history: a cancelled re-certification keeps the verdict, regressions show."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.engine.planning import JobRequest, plan_job
from certtui.store import certifications, jobs
from certtui.store.opening import Database
from certtui.store.types import utcnow
from certtui.suites import default_suite
from certtui.tui.screens.changes import ChangesScreen
from certtui.tui.screens.detail import DetailScreen
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.matrix import MatrixScreen

C = CertificationStatus
MODEL0 = "acme.model-00-v1:0"
MODEL1 = "acme.model-01-v1:0"
REGION = "eu-west-1"
PASSED = {"passed": True, "score": 95.0, "rating": "A", "duration": 1200}
DENIED = {"passed": False, "errorCategory": "PERMISSION_ERROR", "errorMessage": "denied",
          "duration": 80}  # fmt: skip


async def _job(database: Database, results: dict[str, dict[str, Any] | None]) -> str:
    """A job over REGION for the models named; each unit finished with its results (or left)."""
    request = JobRequest(regions=(REGION,), api_model_ids=tuple(results), created_by="t@ci")
    job_id = (await plan_job(database.sessions, request, default_suite())).job_id
    async with database.sessions.begin() as session:
        units = await certifications.job_units(session, job_id, (C.QUEUED,))
        todo = {u.certification_id: results[u.api_model_id] for u in units}
        await certifications.start_units(
            session, job_id, {cid: utcnow() for cid, r in todo.items() if r is not None}
        )
        ok = bad = 0
        for cid, result in todo.items():
            if result is None:
                continue
            status = C.COMPLETED if "score" in result else C.FAILED
            assert await certifications.finish_unit(
                session, job_id, cid, status, completedAt=utcnow(), **result
            )
            ok, bad = (ok + 1, bad) if result.get("passed") else (ok, bad + 1)
        await jobs.increment_counters(session, job_id, ok, bad)
        if all(r is not None for r in results.values()):
            await jobs.set_job_status(session, job_id, JobStatus.PROCESSING)
            await jobs.finish_job(session, job_id, JobStatus.COMPLETED, None, {})
    return job_id


async def _history(database: Database) -> None:
    await _job(database, {MODEL0: PASSED, MODEL1: PASSED})
    await _job(database, {MODEL0: DENIED, MODEL1: PASSED})  # MODEL0 regressed
    await _job(database, {MODEL1: None})  # queued, never run: cancelled from the TUI


async def test_changes_regressed_glyph_trends_and_a_cancel_that_keeps_the_verdict(
    database_url: str, tui_engine: Any
) -> None:
    async with tui_engine(database_url, before=_history) as h:
        matrix = h.app.screen
        assert isinstance(matrix, MatrixScreen)
        row0, row1 = h.model_ids[MODEL0], h.model_ids[MODEL1]
        await h.wait_for(lambda: h.cell(matrix.table, row0, REGION) == "!PERM↓",
                         "the regressed cell is marked")  # fmt: skip
        assert h.cell(matrix.table, row1, REGION) == "… que"

        # Cancel the queued re-certification of MODEL1: its last verdict shows again.
        await h.switch("3", JobsScreen)
        await h.press("x")
        await h.pilot.click("#yes")
        await h.switch("2", MatrixScreen)
        await h.wait_for(lambda: h.cell(matrix.table, row1, REGION) == "✓ A",
                         "the cancelled cell shows its last verdict")  # fmt: skip
        cert = (await h.certifications())[(MODEL1, REGION)]
        assert (cert.status, cert.rating) == (C.COMPLETED, "A")

        await h.press("d")
        changes = h.app.screen
        assert isinstance(changes, ChangesScreen)
        table = changes.query_one("#changes", DataTable)
        await h.wait_for(lambda: table.row_count > 0, "the changes are read")
        first = [cell.plain if hasattr(cell, "plain") else cell for cell in table.get_row_at(0)]
        assert first[:5] == ["↓ regressed", MODEL0, REGION, "✓ A", "! PERM"]
        assert "1 regressed" in h.text("#changes-title")

        # The regressed verdict's detail: its history, and the verdict before it.
        await h.press("enter")
        detail = h.app.screen
        assert isinstance(detail, DetailScreen)
        verdicts = detail.query_one("#detail-history", DataTable)
        await h.wait_for(lambda: verdicts.row_count == 2, "the cell's two verdicts")
        assert "history: 2 verdicts · score" in h.text("#detail-trend")
        assert str(verdicts.get_row_at(0)[1]).startswith("failed")
        assert str(verdicts.get_row_at(1)[1]).startswith("✓ A")
        verdicts.focus()
        await h.press("down", "enter")
        older = h.app.screen
        assert isinstance(older, DetailScreen) and older is not detail
        await h.wait_for(lambda: "COMPLETED · score 95.0" in h.text("#detail-header"),
                         "the older verdict's evidence")  # fmt: skip


async def test_a_job_units_screen_shows_a_finished_unit_once(
    sqlite_url: str, tui_engine: Any
) -> None:
    from certtui.tui.screens.units import JobUnitsScreen

    async def one_done_one_queued(database: Database) -> None:
        await _job(database, {MODEL0: PASSED, MODEL1: None})

    async with tui_engine(sqlite_url, before=one_done_one_queued) as h:
        await h.switch("3", JobsScreen)
        (job,) = await h.jobs()
        await h.press("enter")
        screen = h.app.screen
        assert isinstance(screen, JobUnitsScreen)
        table = screen.query_one("#units", DataTable)
        await h.wait_for(lambda: table.row_count == 2, "the job's two units")
        # The queued unit finishes (as another process would finish it).
        async with h.database.sessions.begin() as session:
            (unit,) = await certifications.job_units(session, job.id, (C.QUEUED,))
            await certifications.start_units(session, job.id, {unit.certification_id: utcnow()})
            await certifications.finish_unit(
                session, job.id, unit.certification_id, C.COMPLETED, **PASSED
            )
        await h.press("ctrl+r")
        await h.wait_for(lambda: "2/2 units finished" in h.text("#units-title"), "both finished")
        assert table.row_count == 2
