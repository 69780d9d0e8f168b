"""Jobs show created / started / took; a job's units: failures only, errors by tag, its log."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import sqlalchemy as sa

from certtui.engine.service import CertificationService
from certtui.standin.scenario import parse_scenario
from certtui.standin.server import serve
from certtui.store.models import CertificationResult
from certtui.store.opening import open_database
from certtui.tui.app import CerttuiApp
from certtui.tui.cells import ERROR_TAGS
from certtui.tui.screens.joblog import JobLogScreen
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.units import JobUnitsScreen
from support.engine import REGIONS, sync
from tui.conftest import Harness, _model_ids, make_settings, migrate_database, wait_loaded

MIXED = "\n".join(
    [
        'name = "units-tests"',
        *(f'[[regions]]\nname = "{region}"' for region in REGIONS),
        "[profiles.default]",
        "first_token_ms = 5\nper_token_ms = 0.3\njitter = 0.0\nthrottle_rate = 0.15",
        "[profiles.flawed]",
        "first_token_ms = 5\nper_token_ms = 0.3\njitter = 0.0",
        'flaws = ["ignores_system_prompt", "no_tool_use", "broken_json", "wrong_arithmetic"]',
        '[[models]]\nid = "acme.good-v1:0"\nprovider = "Acme"\non_demand = ["*"]',
        '[[models]]\nid = "acme.denied-v1:0"\nprovider = "Acme"\non_demand = ["*"]',
        'access_denied = ["eu-west-1"]',
        '[[models]]\nid = "acme.flawed-v1:0"\nprovider = "Acme"\non_demand = ["*"]',
        'profile = "flawed"',
    ]
)
MODELS = ("acme.good-v1:0", "acme.denied-v1:0", "acme.flawed-v1:0")


@asynccontextmanager
async def mixed_app(url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The read-write app over a stand-in where some units fail and calls are throttled."""
    await migrate_database(url)
    scenario = parse_scenario(MIXED, source="units-tests")
    async with serve(scenario, seed=3) as server:
        config = make_settings(url, server.url, tmp_path / "data")
        async with open_database(config, read_only=False) as database:
            await sync(database.sessions, server.url)
            async with CertificationService(config, database.sessions) as service:
                app = CerttuiApp(database, service=service, start_mode="jobs")
                async with app.run_test(size=(160, 40)) as pilot:
                    await wait_loaded(pilot)
                    yield Harness(
                        app, pilot, database, service, server.url, await _model_ids(database)
                    )


async def run_job(h: Harness) -> str:
    h.app.certify(MODELS, REGIONS)
    await h.wait_for(lambda: bool(h.app.jobs), "the job on screen")
    job_id = h.app.jobs[0].job_id
    await h.wait_for(
        lambda: not h.service.running and h.app.jobs[0].status == "COMPLETED", "the job done"
    )
    return job_id


async def verdicts(h: Harness, job_id: str) -> list[CertificationResult]:
    async with h.database.sessions() as session:
        return list(
            await session.scalars(
                sa.select(CertificationResult).where(CertificationResult.job_id == job_id)
            )
        )


async def test_jobs_units_failures_error_tags_and_log(sqlite_url: str, tmp_path: Path) -> None:
    async with mixed_app(sqlite_url, tmp_path) as h:
        job_id = await run_job(h)
        screen = h.app.screen
        assert isinstance(screen, JobsScreen)
        await h.wait_for(lambda: h.cell(screen.table, job_id, "took") != "–", "its duration")
        job = h.app.jobs[0]
        assert h.cell(screen.table, job_id, "started") == job.started_at.strftime("%H:%M")
        assert h.cell(screen.table, job_id, "created") == job.created_at.strftime("%m-%d %H:%M")
        assert h.cell(screen.table, job_id, "took").endswith("s")

        rows = await verdicts(h, job_id)
        failing = [r for r in rows if not r.passed]
        tags = Counter(ERROR_TAGS[r.error_category] for r in failing)
        assert tags["PERM"] == 1 and tags["QUAL"] == 3  # denied once, flawed everywhere

        await h.press("enter")
        await h.wait_for(lambda: isinstance(h.app.screen, JobUnitsScreen), "the units")
        units = h.app.screen
        await h.wait_for(lambda: units.table.row_count == 9, "nine units")
        groups = h.text("#units-groups")
        assert "QUAL 3" in groups and "PERM 1" in groups
        assert groups.index("QUAL 3") < groups.index("PERM 1")  # most frequent first

        await h.press("F")
        assert {str(k.value) for k in units.table.rows} == {r.id for r in failing}
        assert f"showing failures only ({len(failing)})" in h.text("#units-title")
        denied = next(r for r in failing if r.error_category == "PERMISSION_ERROR")
        assert h.cell(units.table, denied.id, "error").startswith("PERM ")

        await h.press("t")  # the most frequent tag first
        assert units.table.row_count == tags.most_common(1)[0][1]
        assert "showing QUAL only (3)" in h.text("#units-title")
        await h.press("F")  # every unit again
        assert units.table.row_count == 9

        await h.press("l")
        await h.wait_for(lambda: isinstance(h.app.screen, JobLogScreen), "the job's log")
        log = h.app.screen
        await h.wait_for(lambda: log.table.row_count > 0, "log lines")
        kinds = {h.cell(log.table, str(k.value), "kind") for k in log.table.rows}
        assert "retry" in kinds and "throttle" in kinds
        assert "retr" in h.text("#log-title")  # "N retries" / "1 retry"
        await h.press("escape")
        assert isinstance(h.app.screen, JobUnitsScreen)
