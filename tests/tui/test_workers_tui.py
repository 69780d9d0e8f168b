"""The TUI and the workers (#14 item 4): on PostgreSQL with a worker alive the TUI queues its
jobs instead of running them, the Workers screen lists the workers (a killed one goes not
alive), the units screen names each unit's worker, pause reaches the workers; SQLite says
workers need PostgreSQL. Real PostgreSQL, real `certtui worker` processes, the real app."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from certtui.domain.enums import JobStatus
from certtui.store.workers import SLICES, WORKERS
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.units import JobUnitsScreen
from certtui.tui.screens.workers import WorkersScreen
from certtui.workers.submit import WORKERS_NEED_POSTGRESQL
from support.cli import simulate_process
from support.engine import REGIONS, healthy_scenario_toml
from tui.conftest import Harness

pytestmark = pytest.mark.cluster

MODELS = ("anthropic.claude-3-haiku-20240307-v1:0",)


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[str]:
    """The workers' stand-in, in its own process (the TUI's serves on the test's loop)."""
    scenario = tmp_path / "healthy.toml"
    scenario.write_text(healthy_scenario_toml(6))
    with simulate_process("--latency-ms", "150", "--scenario", str(scenario)) as url:
        yield url


@asynccontextmanager
async def workers_running(
    url: str, endpoint: str, log_dir: Path, *names: str
) -> AsyncIterator[dict[str, subprocess.Popen[str]]]:
    """`certtui worker` processes (standing in for hosts), each once it says it is ready."""
    started: dict[str, subprocess.Popen[str]] = {}
    try:
        for name in names:
            log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 - the process writes it
            process = subprocess.Popen(
                [sys.executable, "-m", "certtui", "--endpoint-url", endpoint, "worker",
                 "--name", name, "--concurrency", "4"],
                env={**os.environ, "CERTTUI_DATABASE_URL": url}, stdout=subprocess.PIPE,
                stderr=log, text=True,
            )  # fmt: skip
            started[name] = process
            assert process.stdout is not None
            # Read in a thread: the stand-in the worker calls serves on this event loop.
            first = await asyncio.to_thread(process.stdout.readline)
            assert "ready" in first, (first, (log_dir / f"{name}.log").read_text())
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.terminate()
        for process in started.values():
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait, 10)


async def _model_names(h: Harness) -> list[str]:
    return sorted(h.model_ids)[: len(MODELS)]


async def _only_job(h: Harness) -> Any:
    await h.wait_for(lambda: _has_job(h), "the job was created")
    jobs = await h.jobs()
    assert len(jobs) == 1
    return jobs[0]


async def _has_job(h: Harness) -> bool:
    return len(await h.jobs()) == 1


async def _finished(h: Harness, job_id: str) -> bool:
    return any(j.id == job_id and j.status.is_terminal for j in await h.jobs())


async def _slices(h: Harness, job_id: str) -> list[tuple[str, str | None]]:
    """(state, the name of the worker that claimed it) of each slice of the job."""
    async with h.database.sessions() as session:
        rows = await session.execute(
            sa.select(SLICES.c.state, WORKERS.c.name)
            .outerjoin(WORKERS, WORKERS.c.id == SLICES.c.worker)
            .where(SLICES.c.jobId == job_id)
        )
        return [(state, name) for state, name in rows]


async def test_with_a_worker_alive_the_tui_queues_the_job_and_the_worker_runs_it(
    pg_url: str, tui_engine: Callable[..., Any], tmp_path: Path, standin: str
) -> None:
    async with (
        tui_engine(pg_url, models=2, start_mode="jobs") as h,
        workers_running(pg_url, standin, tmp_path, "w1"),
    ):
        models = await _model_names(h)
        h.app.certify(models, REGIONS)  # what c on the Models screen starts
        job = await _only_job(h)
        await h.wait_for(lambda: _finished(h, job.id), "the workers finished the job")
        assert h.service.running == []  # nothing ran in the TUI's process
        assert h.service.runners == {}
        job = (await h.jobs())[0]
        assert job.status is JobStatus.COMPLETED
        assert job.config.get("execution") == "workers" and job.bull_job_id
        slices = await _slices(h, job.id)
        assert slices and {(state, name) for state, name in slices} == {("done", "w1")}
        assert await h.unit_statuses(job.id) == {"COMPLETED": len(models) * len(REGIONS)}
        notices = [n.message for n in h.app._notifications]
        assert any("queued for the workers" in m for m in notices), notices

        # The units screen says which worker ran each unit.
        await h.wait_for(lambda: any(j.job_id == job.id for j in h.app.jobs), "the job is listed")
        await h.wait_for(lambda: isinstance(h.app.screen, JobsScreen), "the jobs screen")
        await h.press("enter")
        await h.wait_for(lambda: isinstance(h.app.screen, JobUnitsScreen), "units screen")
        screen = h.app.screen
        assert isinstance(screen, JobUnitsScreen)
        await h.wait_for(lambda: screen.table.row_count == len(models) * len(REGIONS), "rows")
        await h.wait_for(lambda: screen.unit_workers is not None, "the workers were read")
        table = screen.table
        assert "worker" in [str(c.value) for c in table.columns]
        shown = {h.cell(table, str(row.value), "worker") for row in table.rows}
        assert shown == {"w1"}


async def test_execution_local_runs_here_even_with_a_worker_alive(
    pg_url: str, tui_engine: Callable[..., Any], tmp_path: Path, standin: str
) -> None:
    async with (
        tui_engine(pg_url, models=2, execution="local") as h,
        workers_running(pg_url, standin, tmp_path, "idle"),
    ):
        models = await _model_names(h)
        h.app.certify(models, REGIONS)
        job = await _only_job(h)
        await h.wait_for(lambda: _finished(h, job.id), "the job finished here")
        job = (await h.jobs())[0]
        assert job.status is JobStatus.COMPLETED
        assert await _slices(h, job.id) == []  # nothing was queued
        assert job.config.get("execution") != "workers" and not job.bull_job_id
        assert await h.unit_statuses(job.id) == {"COMPLETED": len(models) * len(REGIONS)}


async def test_the_workers_screen_lists_workers_and_a_killed_one_goes_not_alive(
    pg_url: str, tui_engine: Callable[..., Any], tmp_path: Path, standin: str
) -> None:
    async with (
        tui_engine(pg_url, models=1) as h,
        workers_running(pg_url, standin, tmp_path, "steady", "doomed") as procs,
    ):
        await h.switch("4", WorkersScreen)
        screen = h.app.screen
        assert isinstance(screen, WorkersScreen)
        table = screen.table

        def row_of(name: str) -> str | None:
            for key in table.rows:
                if h.cell(table, str(key.value), "name") == name:
                    return str(key.value)
            return None

        def alive_word(name: str) -> str:
            row = row_of(name)
            return "" if row is None else h.cell(table, row, "alive")

        await h.wait_for(
            lambda: (
                alive_word("steady").endswith(" alive") and alive_word("doomed").endswith(" alive")
            ),
            "both workers listed alive",
        )
        row = row_of("doomed")
        assert row is not None
        assert h.cell(table, row, "pid") == str(procs["doomed"].pid)
        assert h.cell(table, row, "in_flight") == "0/4"
        assert h.cell(table, row, "heartbeat").endswith("s ago")
        assert "2 alive of 2" in h.text("#workers-title")

        procs["doomed"].send_signal(signal.SIGKILL)
        await asyncio.to_thread(procs["doomed"].wait, 10)
        await h.wait_for(
            lambda: alive_word("doomed").endswith("not alive"), "the killed worker not alive"
        )
        assert alive_word("steady").endswith(" alive")
        assert not alive_word("steady").endswith("not alive")
        assert "1 alive of 2" in h.text("#workers-title")


async def test_a_pause_from_the_tui_reaches_the_workers_and_resume_finishes(
    pg_url: str, tui_engine: Callable[..., Any], tmp_path: Path, standin: str
) -> None:
    async with (
        tui_engine(pg_url, models=6, start_mode="jobs") as h,
        workers_running(pg_url, standin, tmp_path, "w1"),
    ):
        job = await _running_on_the_workers(h)
        await h.press("p")  # the Jobs screen's pause, on the only job
        await h.wait_for(lambda: _status(h, job.id, JobStatus.PAUSED), "paused")
        # The worker stops dispatching: once its calls in flight end, nothing moves.
        await h.wait_for(lambda: _none_processing(h, job.id), "calls in flight ended")
        before = await h.unit_statuses(job.id)
        await asyncio.sleep(1.5)
        assert await h.unit_statuses(job.id) == before
        assert before.get("QUEUED", 0) > 0, before
        await h.press("p")  # resume: the worker goes on
        await h.wait_for(lambda: _finished(h, job.id), "the job finished", patience=180)
        job = (await h.jobs())[0]
        assert job.status is JobStatus.COMPLETED
        assert h.service.runners == {}  # the workers ran it throughout
        assert {name for _, name in await _slices(h, job.id)} == {"w1"}


async def _running_on_the_workers(h: Harness) -> Any:
    """Certify every model in every region; the job, once a worker has finished a unit of it."""
    h.app.certify(sorted(h.model_ids), REGIONS)
    job = await _only_job(h)
    await h.wait_for(lambda: any(j.job_id == job.id for j in h.app.jobs), "the job is listed")
    await h.wait_for(lambda: _some_done(h, job.id), "the worker finished a unit", patience=120)
    return job


async def _some_done(h: Harness, job_id: str) -> bool:
    return (await h.unit_statuses(job_id)).get("COMPLETED", 0) > 0


async def _none_processing(h: Harness, job_id: str) -> bool:
    return (await h.unit_statuses(job_id)).get("PROCESSING", 0) == 0


async def _status(h: Harness, job_id: str, status: JobStatus) -> bool:
    return any(j.id == job_id and j.status is status for j in await h.jobs())


async def test_on_sqlite_the_workers_screen_says_they_need_postgresql(
    sqlite_url: str, tui_engine: Callable[..., Any]
) -> None:
    async with tui_engine(sqlite_url, models=1, execution="workers") as h:
        await h.switch("4", WorkersScreen)
        screen = h.app.screen
        await h.wait_for(lambda: "PostgreSQL" in h.text("#workers-title"), "the message")
        title = h.text("#workers-title")
        assert title.startswith("Workers need PostgreSQL") and "\n" not in title
        assert isinstance(screen, WorkersScreen) and screen.table.row_count == 0
        # execution = "workers" on SQLite: the job is refused in one line, nothing is planned.
        h.app.certify(sorted(h.model_ids), REGIONS[:1])
        await h.wait_for(
            lambda: any(n.message == WORKERS_NEED_POSTGRESQL for n in h.app._notifications),
            "the refusal",
        )
        assert await h.jobs() == []
        assert "\n" not in WORKERS_NEED_POSTGRESQL


async def test_on_sqlite_the_units_screen_has_no_worker_column(
    sqlite_url: str, tui_engine: Callable[..., Any]
) -> None:
    async with tui_engine(sqlite_url, models=1, start_mode="jobs") as h:
        h.app.certify(sorted(h.model_ids), REGIONS[:1])  # execution = "auto": runs here
        job = await _only_job(h)
        await h.wait_for(lambda: _finished(h, job.id), "the job finished")
        await h.wait_for(lambda: any(j.job_id == job.id for j in h.app.jobs), "listed")
        await h.press("enter")
        await h.wait_for(lambda: isinstance(h.app.screen, JobUnitsScreen), "units screen")
        screen = h.app.screen
        assert isinstance(screen, JobUnitsScreen)
        await h.wait_for(lambda: screen.table.row_count == 1, "the unit")
        assert "worker" not in [str(c.value) for c in screen.table.columns]
        assert screen.unit_workers is None


async def test_a_cancel_from_the_tui_ends_the_job_on_the_workers(
    pg_url: str, tui_engine: Callable[..., Any], tmp_path: Path, standin: str
) -> None:
    async with (
        tui_engine(pg_url, models=6, start_mode="jobs") as h,
        workers_running(pg_url, standin, tmp_path, "w1"),
    ):
        job = await _running_on_the_workers(h)
        await h.press("x")  # the Jobs screen's cancel asks first
        await h.pilot.click("#yes")
        await h.wait_for(lambda: _status(h, job.id, JobStatus.CANCELLED), "cancelled")
        await h.wait_for(lambda: _none_processing(h, job.id), "the worker ended its calls")
        statuses = await h.unit_statuses(job.id)
        assert statuses.get("CANCELLED", 0) > 0 and not statuses.get("QUEUED"), statuses
        assert h.service.runners == {}  # the worker ran it, and cancelled it
