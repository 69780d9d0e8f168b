"""The TUI driven by keys, headless: a real engine, the stand-in over HTTP, a real database."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.command import CommandPalette
from textual.widgets import Button, DataTable, SelectionList, Static

from certtui.domain.enums import JobStatus
from certtui.store.models import CertificationJob
from certtui.store.opening import Database
from certtui.tui.screens.detail import DetailScreen
from certtui.tui.screens.dialogs import ConfirmScreen, RegionPicker
from certtui.tui.screens.help import HelpScreen
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.screens.models import ModelsScreen
from support.cli import certtui_process, still_fine

MODEL0 = "acme.model-00-v1:0"
MODEL1 = "acme.model-01-v1:0"


async def test_certify_a_matrix_cell_shows_its_rating(database_url: str, tui_engine: Any) -> None:
    async with tui_engine(database_url) as h:
        screen = h.app.screen
        assert isinstance(screen, MatrixScreen)
        table = screen.table
        row0 = h.model_ids[MODEL0]
        assert screen.current() is None  # the cursor starts on the model column
        await h.press("right")
        assert screen.current() == (row0, "eu-west-1")
        assert h.cell(table, row0, "eu-west-1") == "○"  # untested

        await h.press("c")

        async def certified() -> bool:
            cert = (await h.certifications()).get((MODEL0, "eu-west-1"))
            return cert is not None and cert.status.value == "COMPLETED"

        await h.wait_for(certified, "the unit is COMPLETED in the database")
        await h.wait_for(
            lambda: h.cell(table, row0, "eu-west-1") == "✓ A*", "the cell shows its rating"
        )
        certs = await h.certifications()
        assert set(certs) == {(MODEL0, "eu-west-1")}  # only the cell under the cursor
        cert = certs[(MODEL0, "eu-west-1")]
        assert cert.passed is True and cert.rating == "A" and cert.created_by == "tester@ci"
        jobs = await h.jobs()
        assert [(j.type.value, j.total_models) for j in jobs] == [("SINGLE_MODEL", 1)]
        await h.wait_for(lambda: str(table.columns["eu-west-1"].label) == "euw1\n100%",
                         "the region header shows its code and the pass rate")  # fmt: skip
        # Headers are codes: the status line names the cursor's region in full.
        assert h.text("#matrix-status").startswith("eu-west-1 (euw1) · ")
        # The other cells did not move.
        assert h.cell(table, row0, "us-east-1") == "○"
        assert h.cell(table, h.model_ids[MODEL1], "eu-west-1") == "○"
        assert table.cursor_coordinate == (0, 1)


async def test_filter_the_matrix_then_open_the_detail_and_come_back(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url) as h:
        screen = h.app.screen
        assert isinstance(screen, MatrixScreen)
        assert h.text("#matrix-title") == "Matrix · 6 of 6 models × 3 regions"
        assert screen.table.row_count == 6

        await h.press("slash")
        assert h.app.focused is screen.query_one("#filter")
        await h.pilot.press(*"model-03")
        await h.press("enter")
        assert screen.table.row_count == 1
        assert h.text("#matrix-title") == "Matrix · 1 of 6 models × 3 regions · filter 'model-03'"
        assert h.app.focused is screen.table
        row3 = h.model_ids["acme.model-03-v1:0"]
        assert screen.table.get_row_at(0)[0].plain == "acme.model-03-v1:0"

        # Certify the visible model's us-east-1 cell, then open its result.
        await h.press("right", "right")
        assert screen.current() == (row3, "us-east-1")
        await h.press("enter")  # nothing to show yet: a hint, no screen
        assert h.app.screen is screen
        await h.press("c")
        await h.wait_for(lambda: h.cell(screen.table, row3, "us-east-1") == "✓ A*", "certified")
        await h.press("enter")
        assert isinstance(h.app.screen, DetailScreen)
        detail = h.app.screen
        await h.wait_for(lambda: detail.detail is not None, "the detail loaded")
        header = h.text("#detail-header")
        assert "acme.model-03-v1:0 in us-east-1 · COMPLETED" in header and "rating A" in header
        assert "passed" in header and "invoke id: acme.model-03-v1:0" in header
        assert "SIMULATED" in header  # the stand-in answered (#10 item 2)
        tests = detail.query_one("#detail-tests", DataTable)
        assert tests.row_count >= 5
        results = {h.cell(tests, key.value, "result") for key in tests.rows}
        assert "✓ pass" in results and not any("fail" in r for r in results)

        await h.press("escape")
        assert h.app.screen is screen
        assert screen.current() == (row3, "us-east-1")  # the cursor is where we left it
        assert screen.table.row_count == 1  # and the filter still holds

        await h.press("slash", "escape")  # esc in the filter box clears it
        assert screen.table.row_count == 6
        assert h.text("#matrix-title") == "Matrix · 6 of 6 models × 3 regions"


async def test_mark_models_pick_regions_and_watch_the_job(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        screen = h.app.screen
        assert isinstance(screen, ModelsScreen)
        assert h.text("#models-title") == "Models · 6 of 6"
        await h.press("space", "space")  # mark the first two (the cursor moves down)
        assert h.text("#models-title") == "Models · 6 of 6 · 2 marked"
        row0, row1 = h.model_ids[MODEL0], h.model_ids[MODEL1]
        assert h.cell(screen.table, row0, "mark") == "●"
        assert h.cell(screen.table, row1, "mark") == "●"
        assert h.cell(screen.table, h.model_ids["acme.model-02-v1:0"], "mark") == " "

        await h.press("c")
        picker = h.app.screen
        assert isinstance(picker, RegionPicker)
        chooser = picker.query_one(SelectionList)
        # Every region the models are offered in starts chosen; untick the first.
        assert sorted(chooser.selected) == ["eu-west-1", "us-east-1", "us-west-2"]
        assert chooser.highlighted == 0
        # Chosen or not shows as a glyph, not colour alone (#12 item 7).
        prompts = [str(chooser.get_option_at_index(i).prompt) for i in range(3)]
        assert prompts == ["✓ eu-west-1", "✓ us-east-1", "✓ us-west-2"]
        await h.press("space")
        assert sorted(chooser.selected) == ["us-east-1", "us-west-2"]
        assert str(chooser.get_option_at_index(0).prompt) == "· eu-west-1"
        await h.press("a")  # all
        assert str(chooser.get_option_at_index(0).prompt) == "✓ eu-west-1"
        await h.press("a")  # none
        assert {str(chooser.get_option_at_index(i).prompt)[0] for i in range(3)} == {"·"}
        await h.press("a", "space")  # all, then untick the first again
        assert sorted(chooser.selected) == ["us-east-1", "us-west-2"]
        await h.press("ctrl+s")
        assert h.app.screen is screen
        assert h.text("#models-title") == "Models · 6 of 6"  # the marks are spent

        async def job_created() -> bool:
            return len(await h.jobs()) == 1

        await h.wait_for(job_created, "a job in the database")
        (job,) = await h.jobs()
        assert job.type.value == "MULTIPLE_MODELS" and job.total_models == 4
        assert sorted(job.regions) == ["us-east-1", "us-west-2"]

        await h.switch("3", JobsScreen)
        jobs = h.app.screen
        await h.wait_for(lambda: job.id in jobs.table.rows, "the job is listed")
        assert h.cell(jobs.table, job.id, "id") == job.id[:8]
        assert h.cell(jobs.table, job.id, "type") == "multiple"
        assert h.cell(jobs.table, job.id, "by") == "tester@ci"
        await h.wait_for(lambda: h.cell(jobs.table, job.id, "progress").endswith(" 4/4"),
                         "the progress column reaches 4/4")  # fmt: skip
        await h.wait_for(lambda: h.cell(jobs.table, job.id, "status") == "✓ done", "done")
        assert h.cell(jobs.table, job.id, "progress") == "████████████ 4/4"
        assert (
            h.cell(jobs.table, job.id, "ok") == "4" and h.cell(jobs.table, job.id, "failed") == "0"
        )
        await h.wait_for(lambda: h.text("#jobs-title") == "Jobs · 1 recent · 0 running · 0 paused",
                         "the title counts no active job")  # fmt: skip
        certs = await h.certifications()
        assert sorted(certs) == sorted(
            (m, r) for m in (MODEL0, MODEL1) for r in ("us-east-1", "us-west-2")
        )
        assert {c.status.value for c in certs.values()} == {"COMPLETED"}

        # The models screen shows what passed.
        await h.switch("1", ModelsScreen)
        await h.wait_for(lambda: h.cell(screen.table, row0, "passed") == "2", "passed count")
        assert h.cell(screen.table, row0, "best") == "A"


async def _start_long_job(h: Any) -> str:
    """Certify every model in every region from the models screen (the Certify button)."""
    await h.switch("1", ModelsScreen)
    for _ in range(6):
        await h.pilot.press("space")
    await h.press("c")
    assert isinstance(h.app.screen, RegionPicker)
    await h.pilot.click("#certify")
    await h.pilot.pause()

    async def started() -> bool:
        jobs = await h.jobs()
        return bool(jobs) and jobs[-1].status.value == "PROCESSING"

    await h.wait_for(started, "the job runs")
    return (await h.jobs())[-1].id


async def test_pause_resume_and_cancel_a_running_job(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(
        sqlite_url, latency_ms=300, concurrency=4, region_concurrency=2
    ) as h:  # fmt: skip
        job_id = await _start_long_job(h)
        await h.switch("3", JobsScreen)
        jobs = h.app.screen
        await h.wait_for(lambda: job_id in jobs.table.rows, "the job is listed")
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "⟳ running", "running")
        assert h.text("#jobs-title") == "Jobs · 1 recent · 1 running · 0 paused"
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "calls") != "–", "live calls")
        assert h.cell(jobs.table, job_id, "calls").endswith("/4")  # in flight / global limit

        async def status_is(status: str) -> bool:
            return next(j for j in await h.jobs() if j.id == job_id).status.value == status

        await h.press("p")
        await h.wait_for(lambda: status_is("PAUSED"), "the job is PAUSED in the database")
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "‖ paused", "shown")

        await h.press("p")
        await h.wait_for(lambda: status_is("PROCESSING"), "the job runs again")
        assert h.service.running == [job_id] and not h.service.runners[job_id].paused

        await h.press("x")
        confirm = h.app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "Cancel job" in str(confirm.query_one("Label").render())
        await h.press("escape")  # keep it running
        assert h.app.screen is jobs
        assert await status_is("PROCESSING")

        await h.press("x")
        await h.pilot.click("#yes")
        await h.wait_for(lambda: status_is("CANCELLED"), "the job is CANCELLED")
        units = await h.unit_statuses(job_id)
        assert "PROCESSING" not in units and "QUEUED" not in units
        assert units.get("CANCELLED", 0) > 0 and sum(units.values()) == 18
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "⊘ cancelled", "shown")
        await h.wait_for(lambda: not h.service.running, "the job's task ends")
        await h.press("p")  # a cancelled job cannot be paused: nothing changes
        assert await status_is("CANCELLED")


async def test_a_resumed_job_shows_as_running_again(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(
        sqlite_url, latency_ms=300, concurrency=4, region_concurrency=2
    ) as h:  # fmt: skip
        job_id = await _start_long_job(h)
        await h.switch("3", JobsScreen)
        jobs = h.app.screen

        async def status_is(status: str) -> bool:
            return next(j for j in await h.jobs() if j.id == job_id).status.value == status

        await h.wait_for(lambda: job_id in jobs.table.rows, "the job is listed")
        await h.press("p")
        await h.wait_for(lambda: status_is("PAUSED"), "the job is PAUSED in the database")
        # Once paused (not pausing: a second p then would stop the calls in flight), p resumes.
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "‖ paused", "paused")
        await h.press("p")
        await h.wait_for(lambda: status_is("PROCESSING"), "the job runs again")
        before = h.app.progress[job_id]
        await h.wait_for(lambda: h.app.progress[job_id] is not before, "fresh live progress")
        await h.wait_for(lambda: not h.app._pending_jobs, "the repaint")
        await h.pilot.pause()
        assert h.app.progress[job_id].status.value == "PROCESSING"
        assert h.cell(jobs.table, job_id, "status") == "⟳ running"


async def test_quit_with_a_running_job_asks_then_pauses_it(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, latency_ms=300, concurrency=4, region_concurrency=2) as h:
        job_id = await _start_long_job(h)
        for key in ("q", "ctrl+q"):  # Textual's own quit key asks too
            await h.press(key)
            confirm = h.app.screen
            assert isinstance(confirm, ConfirmScreen), key
            assert "1 job running. Pause and quit?" in str(confirm.query_one("Label").render())
            assert str(confirm.query_one("#yes", Button).label) == "Pause and quit"
            await h.press("escape")  # changed our mind: still running
            assert h.app.return_code is None
            assert h.service.running == [job_id]

        await h.press("q")
        await h.pilot.click("#yes")
        await h.wait_for(lambda: h.app.return_code is not None, "the app exits")
        assert h.app.return_code == 0
        assert h.service.running == []
        (job,) = await h.jobs()
        assert job.status.value == "PAUSED"
        units = await h.unit_statuses(job_id)
        assert "PROCESSING" not in units and units.get("QUEUED", 0) > 0


async def test_a_job_a_dead_process_left_running_is_paused_when_the_tui_opens(
    sqlite_url: str, tui_engine: Any
) -> None:
    from certtui.engine.planning import JobRequest, plan_job
    from certtui.suites import default_suite

    left: list[str] = []

    async def job_left_running(database: Database) -> None:
        request = JobRequest(regions=("eu-west-1",), api_model_ids=(MODEL0,), created_by="cron")
        planned = await plan_job(database.sessions, request, default_suite())
        lease = {"owner": "gone:1:dead", "heartbeat": 1.0, "ttl": 15.0}  # renewed in 1970
        async with database.sessions.begin() as session:
            job = await session.get(CertificationJob, planned.job_id)
            job.status = JobStatus.PROCESSING
            job.config = {**(job.config or {}), "lease": lease}
        left.append(planned.job_id)

    async with tui_engine(sqlite_url, before=job_left_running) as h:

        async def paused() -> bool:
            job = next(j for j in await h.jobs() if j.id == left[0])
            return job.status is JobStatus.PAUSED and bool((job.config or {}).get("interrupted"))

        await h.wait_for(paused, "the abandoned job is PAUSED and marked interrupted")
        await h.wait_for(
            lambda: any("now paused" in str(n.message) for n in h.app._notifications),
            "the operator is told",
        )
        await h.switch("3", JobsScreen)
        table = h.app.screen.query_one("#jobs", DataTable)
        await h.wait_for(
            lambda: h.cell(table, left[0], "status") == "‖ paused", "the Jobs screen says paused"
        )
        assert h.service is not None and not h.service.running  # nothing was resumed


async def test_a_job_another_process_runs_shows_without_a_key(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, latency_ms=100, refresh_seconds=0.3, start_mode="jobs") as h:
        jobs = h.app.screen
        assert isinstance(jobs, JobsScreen) and jobs.table.row_count == 0
        # A cron job on the same database, through the same stand-in, in its own process.
        with certtui_process(
            "--endpoint-url", h.endpoint, "run", "--all", "--regions", "eu-west-1",
            "--concurrency", "2", "--region-concurrency", "1",
            env={"CERTTUI_DATABASE_URL": sqlite_url},
        ) as run:  # fmt: skip
            await h.wait_for(lambda: jobs.table.row_count == 1, "the other process's job")
            job_id = str(jobs.table.coordinate_to_cell_key((0, 0))[0].value)
            statuses: set[str] = set()

            def finished() -> bool:
                still_fine(run)
                statuses.add(h.cell(jobs.table, job_id, "status"))
                return "✓ done" in statuses

            await h.wait_for(finished, "the job runs and finishes on screen")
            assert run.wait(60) == 0
        assert "⟳ running ⇄" in statuses  # seen live, held by the other process
        assert h.cell(jobs.table, job_id, "ok") == "6"
        assert h.service is not None and not h.service.running  # none of it ran here
        await h.switch("2", MatrixScreen)
        matrix = h.app.screen
        assert {h.cell(matrix.table, row, "eu-west-1") for row in h.model_ids.values()} == {"✓ A*"}


async def test_live_updates_that_queue_up_are_each_drawn(sqlite_url: str, tui_engine: Any) -> None:
    from certtui.domain.enums import CertificationStatus
    from certtui.domain.events import UnitStateChanged

    async with tui_engine(sqlite_url) as h:
        table = h.app.screen.table
        row0, row1 = h.model_ids[MODEL0], h.model_ids[MODEL1]
        # Two repaint ticks in a row, before the screen handles either: each is drawn.
        for row, api_id in ((row0, MODEL0), (row1, MODEL1)):
            h.app._on_engine_event(
                UnitStateChanged("job", f"cert-{row}", row, api_id, "eu-west-1",
                                 CertificationStatus.PROCESSING)
            )  # fmt: skip
            h.app._apply_engine_events()
        await h.pilot.pause()
        assert h.cell(table, row0, "eu-west-1") == "⟳ run"
        assert h.cell(table, row1, "eu-west-1") == "⟳ run"


async def test_quit_without_a_running_job_exits_at_once(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url) as h:
        await h.pilot.press("q")
        await h.wait_for(lambda: h.app.return_code is not None, "the app exits")
        assert h.app.return_code == 0


async def test_quitting_while_the_database_is_read_leaves_nothing_running(
    sqlite_url: str, tui_engine: Any
) -> None:
    # Regression: a read cancelled half-way by the quit left an aiosqlite connection whose
    # close never finished, and the event loop hung at shutdown (or a late reload touched
    # screens that were gone: ScreenStackError).
    async with tui_engine(sqlite_url) as h:
        h.app.reload()  # a poll is reading…
        await asyncio.sleep(0)
        h.app.exit()  # …when the operator quits
        await h.wait_for(lambda: h.app.return_code is not None, "the app exits")
        assert h.app.return_code == 0
    await asyncio.sleep(0)
    current = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert leftovers == []


async def test_help_lists_the_keys_of_each_screen(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url) as h:
        await h.press("question_mark")
        assert isinstance(h.app.screen, HelpScreen)
        text = str(h.app.screen.query_one(Static).render())
        for line in ("Certify cell", "Re-certify failed", "Filter", "Models", "Matrix", "Jobs",
                     "Quit", "Command palette", "untested"):  # fmt: skip
            assert line in text, line
        assert "Pause refresh" not in text  # only a monitor refreshes on a timer
        listed = text.split("\n\n")[0].splitlines()[1:]  # "Keys on this screen", then pairs
        keys = dict(line.split(maxsplit=1) for line in listed)
        assert keys["/"] == "Filter" and keys["c"] == "Certify cell"
        assert keys["?"].split() == ["f1", "Help"]  # every key of an action, on its line
        assert "question_mark" not in text and "slash" not in text  # keys as the footer shows them
        await h.press("escape")
        assert isinstance(h.app.screen, MatrixScreen)

        await h.switch("3", JobsScreen)
        await h.press("f1")
        text = str(h.app.screen.query_one(Static).render())
        assert "Pause/resume" in text and "Cancel job" in text and "Certify cell" not in text
        await h.press("escape")
        assert isinstance(h.app.screen, JobsScreen)


async def test_the_command_palette_switches_screens(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url) as h:
        await h.press("ctrl+p")
        assert isinstance(h.app.screen, CommandPalette)
        await h.pilot.press(*"go to jobs")
        await h.wait_for(
            lambda: "Go to Jobs" in _palette_options(h.app.screen), "the palette offers Jobs"
        )
        await h.press("enter")
        await h.wait_for(lambda: isinstance(h.app.screen, JobsScreen), "the jobs screen")

        await h.press("ctrl+p")
        await h.pilot.press(*"go to")
        await h.wait_for(
            lambda: (
                {"Go to Models", "Go to Matrix", "Go to Jobs"}
                <= set(_palette_options(h.app.screen))
            ),
            "every screen is offered",
        )
        await h.press("escape")
        assert isinstance(h.app.screen, JobsScreen)


def _palette_options(palette: Any) -> list[str]:
    from textual.command import CommandList

    options = palette.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt).split("\n")[0]
            for i in range(options.option_count)]  # fmt: skip


async def test_the_cursor_stays_put_while_results_arrive(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(
        sqlite_url, latency_ms=50, concurrency=4, region_concurrency=2
    ) as h:  # fmt: skip
        matrix = h.app.screen
        assert isinstance(matrix, MatrixScreen)
        await h.press("down", "down", "down", "right", "right", "right")
        where = matrix.table.cursor_coordinate
        assert where == (3, 3)
        job_id = await _start_long_job(h)  # every model in every region
        await h.switch("2", MatrixScreen)
        assert h.app.screen is matrix and matrix.table.cursor_coordinate == where
        regions = ("eu-west-1", "us-east-1", "us-west-2")
        keys = [(h.model_ids[f"acme.model-0{i}-v1:0"], r) for i in range(6) for r in regions]
        seen: set[str] = set()

        def all_done() -> bool:
            texts = [h.cell(matrix.table, *key) for key in keys]
            seen.update(texts)
            assert matrix.table.cursor_coordinate == where
            return all(text == "✓ A*" for text in texts)

        await h.wait_for(all_done, "every cell certified")
        assert "✓ A*" in seen and len(seen) > 1  # cells changed (… que, ⟳ run) meanwhile
        assert matrix.table.cursor_coordinate == where
        assert matrix.current() == (h.model_ids["acme.model-03-v1:0"], "us-west-2")
        assert (await h.jobs())[-1].id == job_id


async def test_models_list_says_not_applicable_flags_end_of_life_and_certifies_where_offered(
    sqlite_url: str, tui_engine: Any
) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from certtui.store.models import AIModel, ModelRegionAvailability
    from certtui.store.types import utcnow
    from certtui.tui.screens.dialogs import ChoiceScreen

    async def catalog_facts(database: Database) -> None:
        mra = ModelRegionAvailability
        ids = sa.select(AIModel.id).where(AIModel.api_model_id == sa.bindparam("api"))
        async with database.sessions.begin() as session:
            await session.execute(  # the catalog no longer lists model 01 in us-west-2
                sa.update(mra).where(mra.model_id.in_(ids.params(api=MODEL1)),
                                     mra.region == "us-west-2").values(offered=False,
                                                                        on_demand=False)
            )  # fmt: skip
            await session.execute(
                sa.update(mra).where(mra.model_id.in_(ids.params(api="acme.model-02-v1:0")))
                .values(lifecycle_status="LEGACY", end_of_life_at=utcnow() + timedelta(days=9))
            )  # fmt: skip
            await session.execute(
                sa.update(mra).where(mra.model_id.in_(ids.params(api="acme.model-03-v1:0")))
                .values(output_modalities=["VIDEO"])
            )  # fmt: skip

    async with tui_engine(sqlite_url, start_mode="models", before=catalog_facts) as h:
        screen = h.app.screen
        assert isinstance(screen, ModelsScreen)
        row2 = h.model_ids["acme.model-02-v1:0"]
        assert h.cell(screen.table, row2, "mark") == "⚠"
        assert "⚠ end of life within 30 days" in h.text("#models-title")
        await h.press("down", "down")
        assert "⚠ end of life 20" in h.text("#models-title")
        await h.press("down")
        assert "not applicable: a video generation model" in h.text("#models-title")
        assert h.cell(screen.table, h.model_ids["acme.model-03-v1:0"], "best") == "n/a"

        await h.press("up", "up", "up")
        await h.press("space", "space")  # mark models 00 and 01
        await h.press("c")
        assert isinstance(h.app.screen, RegionPicker)
        picker = h.app.screen.query_one(SelectionList)
        picker.select_all()
        await h.press("ctrl+s")
        assert isinstance(h.app.screen, ChoiceScreen)
        await h.press("enter")  # the first choice: each model only where it is offered

        async def job_created() -> bool:
            return len(await h.jobs()) == 1

        await h.wait_for(job_created, "a job in the database")
        (job,) = await h.jobs()
        assert job.total_models == 5  # model 01 is not planned in us-west-2
