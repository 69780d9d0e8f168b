"""Read-only monitoring: no mutating key anywhere, a database nobody writes, other runs live."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from textual.command import CommandList, CommandPalette
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from certtui.store.database import parse_database_url
from certtui.tui.actions import ACTIONS, MUTATING_ACTIONS
from certtui.tui.screens.detail import DetailScreen
from certtui.tui.screens.help import HelpScreen
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.matrix import MatrixScreen
from certtui.tui.screens.models import ModelsScreen
from certtui.tui.screens.units import JobUnitsScreen
from support.cli import certtui_process, run_certtui, simulate_process, still_fine
from support.engine import healthy_scenario_toml

MODEL0 = "acme.model-00-v1:0"
MODEL1 = "acme.model-01-v1:0"
CERTIFIED = (MODEL0, MODEL1)
REGIONS = ("eu-west-1", "us-east-1", "us-west-2")
MUTATING_KEYS = ("c", "R", "p", "x", "r")  # every key of MUTATING_ACTIONS on some screen
MUTATING_DESCRIPTIONS = {spec.description for spec in ACTIONS.values() if spec.mutating}


def _sqlite_file(url: str) -> Path:
    path = parse_database_url(url).sqlite_path
    assert path is not None
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _database_state(h: Any) -> tuple[object, ...]:
    jobs = [(j.id, j.status.value, j.processed_models, j.updated_at) for j in await h.jobs()]
    certs = sorted(
        (key, c.status.value, c.updated_at) for key, c in (await h.certifications()).items()
    )
    return tuple(jobs), tuple(certs)


def _reloading(app: Any) -> bool:
    return any(worker.group == "reload" and worker.is_running for worker in app.workers)


def _palette_commands(palette: CommandPalette) -> list[str]:
    options = palette.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt).split("\n")[0]
            for i in range(options.option_count)]  # fmt: skip


async def _check_no_mutating_action(h: Any, expected: set[str]) -> None:
    """Footer, key map, palette and help of the current screen offer no mutating action."""
    screen = h.app.screen
    # The key map (what the footer and the keys use).
    bound = {active.binding.action for active in screen.active_bindings.values()}
    assert not bound & MUTATING_ACTIONS, type(screen).__name__
    for action in MUTATING_ACTIONS:
        assert screen.check_action(action, ()) is False
    # The footer as drawn.
    footer = {key.description for key in screen.query(FooterKey)}
    assert expected <= footer, footer  # the footer is there, with the harmless keys
    assert not footer & MUTATING_DESCRIPTIONS, footer
    # The command palette as opened, with every command listed.
    await h.press("ctrl+p")
    palette = h.app.screen
    assert isinstance(palette, CommandPalette)
    await h.wait_for(lambda: "Go to Jobs" in _palette_commands(palette), "the palette's commands")
    commands = set(_palette_commands(palette))
    assert {"Go to Models", "Go to Matrix", "Go to Jobs"} <= commands
    assert not commands & MUTATING_DESCRIPTIONS, commands
    await h.press("escape")
    assert h.app.screen is screen
    # The help screen.
    await h.press("f1")
    assert isinstance(h.app.screen, HelpScreen)
    text = str(h.app.screen.query_one(Static).render())
    assert "Pause refresh" in text and "Help" in text
    assert not any(description in text for description in MUTATING_DESCRIPTIONS), text
    await h.press("escape")
    assert h.app.screen is screen


async def _press_mutating_keys(h: Any) -> None:
    """Every mutating key does nothing: no dialog, same screen, database unchanged."""
    screen = h.app.screen
    before = await _database_state(h)
    for key in MUTATING_KEYS:
        await h.press(key)
        assert h.app.screen is screen, key
    await h.pilot.pause(0.2)  # a job started by mistake would have written by now
    assert await _database_state(h) == before


async def test_no_mutating_action_on_any_screen(
    sqlite_url: str, offline_job: Any, tui_monitor: Any
) -> None:
    await offline_job(sqlite_url, CERTIFIED, REGIONS)
    async with tui_monitor(sqlite_url, start_mode="models") as h:
        assert h.app.read_only and h.app.service is None
        assert "READ-ONLY" in h.top_bar()

        assert isinstance(h.app.screen, ModelsScreen)
        await _check_no_mutating_action(h, {"Filter", "Mark", "Pause refresh", "Quit"})
        await h.press("space")  # marking is harmless…
        await _press_mutating_keys(h)  # …but c certifies nothing

        await h.switch("2", MatrixScreen)
        matrix = h.app.screen
        await _check_no_mutating_action(h, {"Filter", "Help", "Quit", "Pause refresh"})
        await h.press("right")
        assert matrix.current() == (h.model_ids[MODEL0], "eu-west-1")
        assert h.cell(matrix.table, h.model_ids[MODEL0], "eu-west-1") == "✓ A*"
        await _press_mutating_keys(h)

        await h.press("enter")
        detail = h.app.screen
        assert isinstance(detail, DetailScreen)
        await h.wait_for(lambda: detail.detail is not None, "the detail loaded")
        assert f"{MODEL0} in eu-west-1 · COMPLETED" in h.text("#detail-header")
        await _check_no_mutating_action(h, {"Back", "Copy summary", "Raw JSON"})
        await _press_mutating_keys(h)
        await h.press("escape")
        assert h.app.screen is matrix

        await h.switch("3", JobsScreen)
        jobs = h.app.screen
        (job,) = await h.jobs()
        await h.wait_for(lambda: job.id in jobs.table.rows, "the job is listed")
        assert h.cell(jobs.table, job.id, "progress").endswith(" 6/6")
        await _check_no_mutating_action(h, {"Help", "Quit", "Pause refresh"})
        await _press_mutating_keys(h)

        await h.press("enter")
        units = h.app.screen
        assert isinstance(units, JobUnitsScreen)
        await h.wait_for(lambda: len(units.units) == 6, "the job's units")
        await _check_no_mutating_action(h, {"Back"})
        await _press_mutating_keys(h)


async def test_the_badge_and_the_refresh_clock(
    sqlite_url: str, offline_job: Any, tui_monitor: Any
) -> None:
    await offline_job(sqlite_url, (MODEL0,), ("us-east-1",))
    async with tui_monitor(sqlite_url, refresh_seconds=0.2) as h:
        bar = h.top_bar()
        assert "READ-ONLY" in bar and "read-write" not in bar
        # The database target, cut in the middle when the badges need the room (#12 item 6).
        target, shown = f"sqlite {_sqlite_file(sqlite_url)}", bar.split(" · ")[1]
        head, _, tail = shown.partition("…")
        assert target.startswith(head) and target.endswith(tail) and tail.endswith(".db")
        first = h.app.last_refreshed
        assert first is not None and f"refreshed {first:%H:%M:%S}" in bar

        await h.wait_for(lambda: h.app.last_refreshed != first, "the next poll")
        assert h.app.screen.active_bindings["f"].binding.description == "Pause refresh"
        await h.press("f")
        assert h.app.refresh_paused
        assert h.top_bar().endswith("(paused)")
        # The footer's f says so too, and what it does now (#12 item 11).
        assert h.app.screen.active_bindings["f"].binding.description == "Resume refresh (paused)"
        # A poll that was already reading when f was pressed may still finish; none follows.
        await h.wait_for(lambda: not _reloading(h.app), "the last poll finished")
        frozen = h.app.last_refreshed
        assert frozen is not None
        await h.pilot.pause(1.0)  # five polling periods: no poll may run while paused
        assert h.app.last_refreshed == frozen
        assert f"refreshed {frozen:%H:%M:%S} (paused)" in h.top_bar()
        await h.switch("3", JobsScreen)  # every screen's bar says so
        assert h.top_bar().endswith("(paused)")

        await h.press("f")
        assert not h.app.refresh_paused
        assert h.app.screen.active_bindings["f"].binding.description == "Pause refresh"
        await h.wait_for(lambda: h.app.last_refreshed != frozen, "polling again")
        await h.wait_for(lambda: "(paused)" not in h.top_bar(), "the bar says so")


async def test_a_monitor_session_leaves_the_sqlite_file_untouched(
    sqlite_url: str, offline_job: Any, tui_monitor: Any
) -> None:
    await offline_job(sqlite_url, CERTIFIED, REGIONS)
    path = _sqlite_file(sqlite_url)
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    # The writer closed last and checkpointed: everything is in the main file.
    assert not wal.exists()
    before = _sha256(path)

    async with tui_monitor(sqlite_url, refresh_seconds=0.2) as h:
        await h.press("right", "enter")  # matrix → detail
        assert isinstance(h.app.screen, DetailScreen)
        await h.press("J", "y", "escape")  # raw JSON, copy summary, back
        await h.press("ctrl+p", "escape")
        for key in ("1", "2", "3"):
            await h.press(key, "f1", "escape")
        await h.press("enter")  # jobs → units
        assert isinstance(h.app.screen, JobUnitsScreen)
        await h.press("escape", "f", "f", "ctrl+r")
        await h.pilot.pause(0.5)  # a few polls

        # Even a bug could not write: the driver opened the file read-only.
        with pytest.raises(OperationalError, match="readonly database"):
            async with h.database.sessions.begin() as session:
                await session.execute(sa.text('UPDATE ai_models SET "isActive" = false'))
        await h.press("q")

    # A WAL reader maps the -shm index (SQLite may create -wal/-shm sidecars next to a WAL
    # database even for a read-only connection), but it never writes database pages: the main
    # file is byte for byte what the writer left, and no WAL frame was appended.
    assert _sha256(path) == before
    assert not wal.exists() or wal.stat().st_size == 0
    del shm  # its presence depends on the SQLite build; its content is a cache, not data


async def test_the_monitor_rides_out_a_database_that_drops_its_connections(
    pg_url: str, offline_job: Any, tui_monitor: Any
) -> None:
    await offline_job(pg_url, (MODEL0,), ("us-east-1",))
    url = make_url(pg_url)
    async with tui_monitor(pg_url, refresh_seconds=0.2) as h:
        # What a server restart or a DBA's pg_terminate_backend does to the monitor's sessions.
        admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username,
                                      database="postgres")  # fmt: skip
        dropped_at = datetime.now()  # the app's clock (last_refreshed is local and naive)
        try:
            dropped = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND application_name = 'certtui'",
                url.database,
            )
        finally:
            await admin.close()
        assert dropped >= 1
        said: list[str] = []

        def notified(text: str) -> bool:
            said.extend(n.message for n in h.app._notifications if n.message not in said)
            return any(text in message for message in said)

        # What the driver says depends on whether a poll was in flight; what the operator reads
        # is worded from the error's class: the database named, and that the monitor retries.
        where = f"postgresql 127.0.0.1:{url.port}/{url.database}"
        await h.wait_for(lambda: notified(where), "a warning, not a crash")
        assert h.app.return_code is None
        warning = next(m for m in said if where in m)
        assert warning.startswith(f"lost the connection to {where}: "), warning
        assert warning.endswith("(retrying)")
        # Under load the retry may have read the database already when the warning is seen:
        # compare with the drop, not with what last_refreshed said then.
        await h.wait_for(lambda: notified("the database can be read again"), "the next poll")
        assert h.app.last_refreshed is not None and h.app.last_refreshed > dropped_at
        assert h.app.return_code is None
        assert "READ-ONLY" in h.top_bar()


@pytest.fixture
def simulate(tmp_path: Path) -> Iterator[str]:
    """``certtui simulate`` in its own process, every call slow enough to watch a job run."""
    scenario = tmp_path / "healthy.toml"
    scenario.write_text(healthy_scenario_toml(3))
    with simulate_process("--latency-ms", "150", "--scenario", str(scenario)) as url:
        yield url


async def test_the_monitor_follows_a_job_run_by_another_process(
    sqlite_url: str, tui_monitor: Any, simulate: str
) -> None:
    env = {"CERTTUI_DATABASE_URL": sqlite_url}
    synced = run_certtui("--endpoint-url", simulate, "models", "sync",
                         "--region=us-east-1", "--region=us-west-2", env=env)  # fmt: skip
    assert synced.returncode == 0, synced.stderr

    async with tui_monitor(sqlite_url, refresh_seconds=0.3, start_mode="jobs") as h:
        jobs = h.app.screen
        assert isinstance(jobs, JobsScreen)
        assert jobs.table.row_count == 0
        with certtui_process(
            "--endpoint-url", simulate, "run", "--all", "--regions", "us-east-1,us-west-2",
            "--concurrency", "2", "--region-concurrency", "1", env=env,
        ) as run:  # fmt: skip
            await h.wait_for(lambda: jobs.table.row_count == 1, "the other process's job")
            job_id = str(jobs.table.coordinate_to_cell_key((0, 0))[0].value)
            progress: list[str] = []
            statuses: set[str] = set()

            def finished() -> bool:
                still_fine(run)
                shown = h.cell(jobs.table, job_id, "progress")
                if not progress or progress[-1] != shown:
                    progress.append(shown)
                statuses.add(h.cell(jobs.table, job_id, "status"))
                return shown.endswith(" 6/6") and "✓ done" in statuses

            await h.wait_for(finished, "the job finishes on screen")
            assert run.wait(60) == 0
        counts = [int(text.split()[-1].split("/")[0]) for text in progress]
        assert counts == sorted(counts) and counts[-1] == 6
        # It moved on screen while it ran: several distinct counts, refreshed from the database.
        assert len(set(counts)) >= 3, progress
        assert "⟳ running ⇄" in statuses  # PROCESSING with a live lease held elsewhere
        assert h.cell(jobs.table, job_id, "ok") == "6"
        assert h.cell(jobs.table, job_id, "by").endswith(os.uname().nodename)
        await h.switch("2", MatrixScreen)
        matrix = h.app.screen
        cells = {h.cell(matrix.table, row, region) for row in h.model_ids.values()
                 for region in ("us-east-1", "us-west-2")}  # fmt: skip
        assert cells == {"✓ A*"}
