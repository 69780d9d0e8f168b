"""TUI test harness: the real app, headless, over a real database and the real stand-in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from certtui.config import Settings
from certtui.engine.detached import DetachedService
from certtui.engine.live import live_events
from certtui.engine.service import CertificationService
from certtui.standin.server import serve
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url
from certtui.store.models import AIModel, CertificationJob, ModelCertification
from certtui.store.opening import Database, open_database
from certtui.tui.app import CerttuiApp
from certtui.tui.base import CerttuiScreen, TopBar
from support.engine import healthy_scenario, sync

SIZE = (100, 30)
OPERATOR = "tester@ci"
POLL_SECONDS = 0.05
PATIENCE_SECONDS = 60.0  # a bound for polling loops, never an expectation of speed


async def migrate_database(url: str) -> None:
    """Bring a fresh database to the current schema (open_database only upgrades SQLite)."""
    engine = create_engine(parse_database_url(url))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def make_settings(url: str, endpoint: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test session: fast retries, a known operator name."""
    values: dict[str, Any] = {
        "database_url": url,
        "endpoint_url": endpoint,
        "retry_base": 0.01,
        "retry_cap": 0.05,
        "created_by": OPERATOR,
        "data_dir": data_dir,
    }
    values.update(overrides)
    return Settings(**values)


async def wait_for(
    pilot: Pilot[Any],
    check: Callable[[], bool | Awaitable[bool]],
    what: str,
    *,
    patience: float = PATIENCE_SECONDS,
) -> None:
    """Let the app run until ``check`` holds; fail saying ``what`` never happened."""
    deadline = time.monotonic() + patience
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        await pilot.pause(POLL_SECONDS)


def shown(widget: Static) -> str:
    """The plain text a Static shows."""
    return str(widget.render())


def cell_text(table: DataTable[Any], row: str, column: str) -> str:
    """The plain text of a table cell, by keys."""
    value = table.get_cell(row, column)
    return value.plain if hasattr(value, "plain") else str(value)


@dataclass
class Harness:
    """A running app with what a test needs to drive it and check the database."""

    app: CerttuiApp
    pilot: Pilot[None]
    database: Database
    service: Any = None  # CertificationService, or DetachedService
    endpoint: str | None = None
    model_ids: dict[str, str] = field(default_factory=dict)  # api model id -> row id

    async def wait_for(
        self, check: Callable[[], bool | Awaitable[bool]], what: str, **kwargs: float
    ) -> None:
        """Let the app run until ``check`` holds."""
        await wait_for(self.pilot, check, what, **kwargs)

    async def press(self, *keys: str) -> None:
        """Press keys, then let the app settle."""
        await self.pilot.press(*keys)
        await self.pilot.pause()

    def cell(self, table: DataTable[Any], row: str, column: str) -> str:
        """The plain text of a table cell, by keys."""
        return cell_text(table, row, column)

    def text(self, selector: str) -> str:
        """The plain text a Static of the current screen shows."""
        return shown(self.app.screen.query_one(selector, Static))

    def top_bar(self) -> str:
        """What the current screen's top bar says."""
        return shown(self.app.screen.query_one(TopBar))

    async def switch(self, key: str, screen_type: type) -> None:
        """Switch screens with a digit key and wait until the screen is current."""
        await self.press(key)
        await self.wait_for(lambda: isinstance(self.app.screen, screen_type), f"{screen_type}")

    async def certifications(self) -> dict[tuple[str, str], ModelCertification]:
        """Every certification row, by (api model id, region)."""
        async with self.database.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(ModelCertification, AIModel.api_model_id).join(
                        AIModel, AIModel.id == ModelCertification.model_id
                    )
                )
            ).all()
        return {(api_id, cert.region): cert for cert, api_id in rows}

    async def jobs(self) -> list[CertificationJob]:
        """Every job row, oldest first."""
        async with self.database.sessions() as session:
            return list(
                await session.scalars(
                    sa.select(CertificationJob).order_by(CertificationJob.created_at)
                )
            )

    async def unit_statuses(self, job_id: str) -> dict[str, int]:
        """How many units of a job are in each status."""
        async with self.database.sessions() as session:
            rows = await session.scalars(
                sa.select(ModelCertification.status).where(ModelCertification.job_id == job_id)
            )
            counts: dict[str, int] = {}
            for status in rows:
                counts[status.value] = counts.get(status.value, 0) + 1
        return counts


async def _model_ids(database: Database) -> dict[str, str]:
    async with database.sessions() as session:
        rows = (await session.execute(sa.select(AIModel.api_model_id, AIModel.id))).all()
    return dict(rows)  # type: ignore[arg-type]


async def wait_loaded(pilot: Pilot[Any]) -> None:
    """Wait until the first read of the database is on screen."""
    app = pilot.app
    await wait_for(
        pilot, lambda: app.loaded and isinstance(app.screen, CerttuiScreen), "the first load"
    )
    await pilot.pause()


@asynccontextmanager
async def engine_app(
    url: str,
    tmp_path: Path,
    *,
    latency_ms: float | None = None,
    models: int = 6,
    start_mode: str = "matrix",
    size: tuple[int, int] = SIZE,
    before: Callable[[Database], Awaitable[None]] | None = None,
    refresh_seconds: float = 2.0,
    detached: bool = False,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """The read-write app with an engine, over ``url``, the stand-in serving ``models`` models.

    ``before`` runs on the synced database before the app opens. Jobs run on the app's own
    event loop (``engine = "inline"``) unless ``detached``: then each runs in a child process
    (``certtui jobs resume``), followed through the database, as ``certtui`` does by default.
    """
    await migrate_database(url)
    async with serve(healthy_scenario(models), latency_ms=latency_ms) as server:
        config = make_settings(url, server.url, tmp_path / "data", **settings)
        async with open_database(config, read_only=False) as database:
            await sync(database.sessions, server.url)
            if before is not None:
                await before(database)
            service_type = DetachedService if detached else CertificationService
            service_args = {"reads": database.reads} if detached else {}
            async with (
                service_type(config, database.sessions, **service_args) as service,
                live_events(database) as live,
            ):
                app = CerttuiApp(
                    database, service=service, start_mode=start_mode,
                    refresh_seconds=refresh_seconds, live=live,
                )  # fmt: skip
                async with app.run_test(size=size) as pilot:
                    await wait_loaded(pilot)
                    yield Harness(
                        app, pilot, database, service, server.url, await _model_ids(database)
                    )


async def certify_offline(
    url: str,
    tmp_path: Path,
    api_model_ids: tuple[str, ...],
    regions: tuple[str, ...],
    *,
    models: int = 6,
) -> None:
    """Fill ``url`` with a catalog and one finished job, without the TUI (a monitor's input)."""
    from certtui.engine.planning import JobRequest

    await migrate_database(url)
    async with serve(healthy_scenario(models)) as server:
        config = make_settings(url, server.url, tmp_path / "data")
        async with open_database(config, read_only=False) as database:
            await sync(database.sessions, server.url)
            async with CertificationService(config, database.sessions) as service:
                await service.certify(
                    JobRequest(regions=regions, api_model_ids=api_model_ids, created_by=OPERATOR)
                )
                deadline = time.monotonic() + PATIENCE_SECONDS
                while service.running:
                    assert time.monotonic() < deadline, "the offline job never finished"
                    await asyncio.sleep(POLL_SECONDS)


@asynccontextmanager
async def monitor_app(
    url: str,
    tmp_path: Path,
    *,
    refresh_seconds: float = 2.0,
    start_mode: str = "matrix",
    size: tuple[int, int] = SIZE,
) -> AsyncIterator[Harness]:
    """The read-only monitor over ``url``, its database opened read-only by the driver."""
    config = make_settings(url, "http://127.0.0.1:9", tmp_path / "data", read_only=True)
    async with open_database(config, read_only=True) as database, live_events(database) as live:
        app = CerttuiApp(
            database, read_only=True, refresh_seconds=refresh_seconds, start_mode=start_mode,
            live=live,
            settings=config,
        )  # fmt: skip
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            yield Harness(app, pilot, database, model_ids=await _model_ids(database))


EngineApp = Callable[..., Any]


@pytest.fixture
def tui_engine(tmp_path: Path) -> EngineApp:
    """Open the read-write app: ``async with tui_engine(url, latency_ms=…) as harness``."""

    def opener(url: str, **kwargs: Any) -> Any:
        return engine_app(url, tmp_path, **kwargs)

    return opener


@pytest.fixture
def tui_monitor(tmp_path: Path) -> EngineApp:
    """Open the read-only monitor: ``async with tui_monitor(url) as harness``."""

    def opener(url: str, **kwargs: Any) -> Any:
        return monitor_app(url, tmp_path, **kwargs)

    return opener


@pytest.fixture
def offline_job(tmp_path: Path) -> EngineApp:
    """Certify without the TUI: ``await offline_job(url, api_model_ids, regions)``."""

    async def run(url: str, api_model_ids: tuple[str, ...], regions: tuple[str, ...]) -> None:
        await certify_offline(url, tmp_path, api_model_ids, regions)

    return run
