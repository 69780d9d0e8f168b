"""Jobs started from the TUI run in a detached engine process, followed through the database
(#11 item 14): real SQLite, the real stand-in, real child processes, the real app."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from certtui.domain.leases import job_lease
from certtui.engine.detached import child_environment, job_log_path
from certtui.tui.screens.dialogs import ChoiceScreen, RegionPicker
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.models import ModelsScreen
from support.engine import assert_consistent, healthy_scenario, job_state, sync
from tui.conftest import PATIENCE_SECONDS, make_settings, migrate_database

SLOW = {"latency_ms": 150, "concurrency": 2, "region_concurrency": 1, "detached": True}


async def _start_job(h: Any) -> str:
    """Certify every model in every region from the models screen: 18 units."""
    await h.switch("1", ModelsScreen)
    for _ in range(6):
        await h.pilot.press("space")
    await h.press("c")
    assert isinstance(h.app.screen, RegionPicker)
    await h.pilot.click("#certify")
    await h.pilot.pause()
    await h.wait_for(lambda: bool(h.service.children), "a child engine is started")
    (job_id,) = h.service.children
    return job_id


async def _status(h: Any, job_id: str) -> str:
    return next(j for j in await h.jobs() if j.id == job_id).status.value


async def _child_exit(child: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while child.poll() is None:
        assert time.monotonic() < deadline, "the child engine never exited"
        await asyncio.sleep(0.05)
    return child.returncode


async def test_a_job_started_from_the_tui_runs_in_a_child_and_the_tui_follows_it(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, **SLOW) as h:
        job_id = await _start_job(h)
        child = h.service.children[job_id]
        assert child.pid != os.getpid()

        async def claimed_by_the_child() -> bool:
            job = next(j for j in await h.jobs() if j.id == job_id)
            lease = job_lease(job.config) or {}
            return job.status.value == "PROCESSING" and lease.get("pid") == child.pid

        await h.wait_for(claimed_by_the_child, "the child holds the job's lease")
        assert h.service.running == [job_id]
        await h.switch("3", JobsScreen)
        jobs = h.app.screen
        await h.wait_for(lambda: job_id in jobs.table.rows, "the job is listed")

        assert await _child_exit(child) == 0
        assert await _status(h, job_id) == "COMPLETED"
        assert_consistent(await job_state(h.database.sessions, job_id))
        # The screens got there by following the database: cells, counters, status.
        await h.wait_for(
            lambda: h.cell(jobs.table, job_id, "status") == "✓ done", "the job shows done"
        )
        assert h.cell(jobs.table, job_id, "progress").endswith(" 18/18")
        await h.wait_for(lambda: not h.service.running, "the job no longer counts as running")
        snapshot = h.app.snapshot
        finished = [
            cell for cell in snapshot.cells.values() if cell.status == "COMPLETED" and cell.passed
        ]
        assert len(finished) == 18, "every unit shows its verdict on the matrix"
        assert h.app.reloads == 1  # events, not whole-database reads, brought them
        log = job_log_path(h.service.settings, job_id)
        assert log.is_file()
        assert f"job {job_id} COMPLETED" in log.read_text()


async def test_quit_leaving_the_job_running_lets_the_child_finish_it(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, **SLOW) as h:
        job_id = await _start_job(h)
        child = h.service.children[job_id]
        await h.wait_for(lambda: _status_is(h, job_id, "PROCESSING"), "the child runs it")
        await h.press("q")
        dialog = h.app.screen
        assert isinstance(dialog, ChoiceScreen)
        assert "1 job running" in dialog.title_text
        assert [key for key, _ in dialog.options] == ["pause", "leave", "stay"]
        await h.press("down", "down", "enter")  # stay
        assert h.app.return_code is None and h.service.running == [job_id]

        await h.press("q")
        await h.press("down", "enter")  # leave it running
        await h.wait_for(lambda: h.app.return_code is not None, "the app exits")
        assert h.app.return_code == 0
        # The TUI has gone; the child goes on (the stand-in still serves it) to the end.
        assert await _child_exit(child) == 0
        state = await job_state(h.database.sessions, job_id)
        assert state.status == "COMPLETED" and state.processed == state.total == 18
        assert_consistent(state)


async def test_quit_pausing_the_job_leaves_it_paused(sqlite_url: str, tui_engine: Any) -> None:
    async with tui_engine(sqlite_url, **SLOW) as h:
        job_id = await _start_job(h)
        child = h.service.children[job_id]
        await h.wait_for(lambda: _status_is(h, job_id, "PROCESSING"), "the child runs it")
        await h.press("q")
        assert isinstance(h.app.screen, ChoiceScreen)
        await h.press("enter")  # the first choice: pause
        await h.wait_for(lambda: h.app.return_code is not None, "the app exits")
        assert h.app.return_code == 0
        assert await _status(h, job_id) == "PAUSED"
        # The child lets its calls in flight finish, then exits as `jobs resume` does on pause.
        assert await _child_exit(child) == 3
        state = await job_state(h.database.sessions, job_id)
        assert state.status == "PAUSED" and state.processed < 18
        assert "PROCESSING" not in state.units
        assert_consistent(state)


async def test_pause_and_resume_from_the_tui_reach_the_child_through_the_database(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, start_mode="jobs", **SLOW) as h:
        job_id = await _start_job(h)
        first = h.service.children[job_id]
        await h.wait_for(lambda: _status_is(h, job_id, "PROCESSING"), "the child runs it")
        await h.switch("3", JobsScreen)
        jobs = h.app.screen
        await h.wait_for(lambda: job_id in jobs.table.rows, "the job is listed")
        await h.press("p")
        await h.wait_for(lambda: _status_is(h, job_id, "PAUSED"), "PAUSED in the database")
        assert await _child_exit(first) == 3
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "‖ paused", "shown")

        await h.press("p")  # resume: no engine holds it, so a new child claims it
        await h.wait_for(lambda: h.service.children[job_id] is not first, "a new child")
        second = h.service.children[job_id]
        assert await _child_exit(second) == 0
        state = await job_state(h.database.sessions, job_id)
        assert state.status == "COMPLETED" and state.processed == 18
        assert_consistent(state)
        await h.wait_for(lambda: h.cell(jobs.table, job_id, "status") == "✓ done", "shown done")
        assert h.app.reloads == 1  # pause and resume were followed, never a whole reload


async def _status_is(h: Any, job_id: str, status: str) -> bool:
    return await _status(h, job_id) == status


# The TUI's own process, run as `certtui` runs it (process engine), in a fresh interpreter.
TUI_PROCESS = """
import asyncio, json, sys
from certtui.cli.tui import engine_service
from certtui.config import load_settings
from certtui.store.opening import open_database
from certtui.tui.app import CerttuiApp

async def main():
    settings = load_settings()
    async with open_database(settings) as database:
        async with engine_service(settings, database) as service:
            app = CerttuiApp(database, service=service)
            async with app.run_test(size=(100, 30)) as pilot:
                while not app.loaded:
                    await pilot.pause(0.05)
                app.certify([sys.argv[1]], ["us-east-1", "eu-west-1"])
                while not any(j.status == "COMPLETED" for j in app.jobs):
                    await pilot.pause(0.05)
                cells = [c.status for c in app.snapshot.cells.values()]
            pids = {job_id: child.pid for job_id, child in service.children.items()}
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in
                   ("botocore", "aioboto3", "aiobotocore", "aiohttp"))
    kind = type(service).__name__
    print(json.dumps({"heavy": heavy, "children": pids, "cells": cells, "type": kind}))

asyncio.run(main())
"""


async def test_the_tui_process_never_imports_the_bedrock_client(
    sqlite_url: str, tmp_path: Path
) -> None:
    from certtui.standin.server import serve
    from certtui.store.opening import open_database

    await migrate_database(sqlite_url)
    async with serve(healthy_scenario(2)) as server:
        settings = make_settings(sqlite_url, server.url, tmp_path / "data")
        assert settings.engine == "process"  # the default
        async with open_database(settings) as database:
            await sync(database.sessions, server.url)
        # The stand-in runs on this loop: the TUI process and its child are waited for here.
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", TUI_PROCESS, "acme.model-00-v1:0",
            env=child_environment(settings), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), PATIENCE_SECONDS * 2)
    assert process.returncode == 0, err.decode()
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["type"] == "DetachedService"
    assert report["heavy"] == []  # not botocore, aioboto3, aiobotocore nor aiohttp
    ((job_id, pid),) = report["children"].items()
    assert pid != process.pid
    assert report["cells"].count("COMPLETED") == 2
    assert job_log_path(settings, job_id).is_file()


async def test_sighup_with_on_disconnect_leave_lets_the_job_run_and_a_new_tui_follows_it(
    sqlite_url: str, tui_engine: Any
) -> None:
    from certtui.engine.detached import DetachedService
    from certtui.tui.app import CerttuiApp
    from tui.conftest import wait_for, wait_loaded

    async with tui_engine(sqlite_url, on_disconnect="leave", **SLOW) as h:
        job_id = await _start_job(h)
        child = h.service.children[job_id]
        await h.wait_for(lambda: _status_is(h, job_id, "PROCESSING"), "the child runs it")
        h.app.stop_on_signal(signal.SIGHUP)  # as the loop calls it on an SSH drop
        await h.wait_for(lambda: h.app.return_code is not None, "the app exits")
        assert h.app.stopped_by == "SIGHUP" and h.app.left_running == [job_id]
        assert child.poll() is None, "the engine goes on"

        # The operator comes back: a new session shows the job live and follows it to its end.
        settings = h.service.settings
        async with DetachedService(settings, h.database.sessions, reads=h.database.reads) as again:
            app = CerttuiApp(h.database, service=again, start_mode="jobs")
            async with app.run_test(size=(100, 30)) as pilot:
                await wait_loaded(pilot)
                jobs = app.screen
                assert isinstance(jobs, JobsScreen)
                assert job_id in jobs.table.rows
                status = lambda: h.cell(jobs.table, job_id, "status")  # noqa: E731
                assert status().startswith("⟳ running"), status()  # live, in another process
                await wait_for(pilot, lambda: status() == "✓ done", "the job shows done")
                assert h.cell(jobs.table, job_id, "progress").endswith(" 18/18")
                assert app.reloads == 1  # followed, not reloaded
                assert again.running == []  # not this session's: quitting does not ask
        assert await _child_exit(child) == 0
        state = await job_state(h.database.sessions, job_id)
        assert state.status == "COMPLETED"
        assert_consistent(state)


def test_a_child_gets_exactly_this_process_settings(tmp_path: Path) -> None:
    from certtui.config import Settings, load_settings

    config = tmp_path / "certtui.toml"
    config.write_text('concurrency = 50\non_disconnect = "pause"\n')  # the environment wins
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}", endpoint_url="http://127.0.0.1:9",
        created_by="op@host", data_dir=tmp_path / "data", regions=("us-east-1", "eu-west-1"),
        retry_base=0.01, concurrency=3, lease_ttl=7.5, engine="inline", on_disconnect="leave",
        config_path=config, pass_threshold=None,
    )  # fmt: skip
    # What the parent's environment says is overridden (or dropped when the parent has none).
    inherited = {"CERTTUI_PROFILE": "other", "CERTTUI_CONCURRENCY": "99", "PATH": "/bin"}
    env = child_environment(settings, inherited)
    assert env["PATH"] == "/bin" and "CERTTUI_PROFILE" not in env
    assert env["CERTTUI_READ_ONLY"] == "false"
    assert env["CERTTUI_CONFIG"] == str(config)
    assert load_settings(environ=env) == settings


async def test_the_quit_dialog_fits_80_by_24(sqlite_url: str, tui_engine: Any) -> None:
    from textual.containers import Vertical
    from textual.widgets import Label, OptionList

    async with tui_engine(sqlite_url, size=(80, 24), **SLOW) as h:
        job_id = await _start_job(h)
        await h.wait_for(lambda: _status_is(h, job_id, "PROCESSING"), "the child runs it")
        await h.press("q")
        dialog = h.app.screen
        assert isinstance(dialog, ChoiceScreen)
        box = dialog.query_one(Vertical).region
        assert box.x >= 0 and box.y >= 0 and box.right <= 80 and box.bottom <= 24, box
        label = dialog.query_one(Label)
        lines = label.render().wrap(label.content_region.width)  # type: ignore[union-attr]
        assert label.content_region.height == len(lines) >= 2  # the whole question shows
        options = dialog.query_one(OptionList)
        assert options.option_count == 3 and options.max_scroll_y == 0  # every choice shows
        assert options.region.bottom <= box.bottom
        await h.press("escape")  # escape is "stay"
        assert h.app.screen is not dialog and h.app.return_code is None
        await h.service.cancel(job_id)  # through the database: the child stops its calls
        assert await _child_exit(h.service.children[job_id]) == 3
        state = await job_state(h.database.sessions, job_id)
        assert state.status == "CANCELLED" and "PROCESSING" not in state.units
        assert_consistent(state)


async def test_a_pause_before_the_child_claims_the_job_is_not_lost(
    sqlite_url: str, tui_engine: Any
) -> None:
    async with tui_engine(sqlite_url, **SLOW) as h:
        job_id = await _start_job(h)
        child = h.service.children[job_id]
        # At once: the child is still starting, its `jobs resume` would take PAUSED for a resume.
        await h.service.pause(job_id)
        await _child_exit(child)
        state = await job_state(h.database.sessions, job_id)
        assert state.status == "PAUSED", "the job must not run after the pause"
        assert "PROCESSING" not in state.units and state.processed < 18
        assert_consistent(state)
        assert h.service.running == []
