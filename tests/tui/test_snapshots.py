"""SVG snapshots of every screen: populated, empty, read-only, at 80×24, and with a modal open.

Each snapshot runs the real CerttuiApp over a real SQLite file with fixed content (see
support/tui_snapshot.py). Read-write snapshots carry a real CertificationService pointed at the
stand-in; read-only ones open the database read-only at the driver level, like `certtui monitor`.

Nothing on screen varies between runs: the database path is relative (the test runs in its own
directory), ids and timestamps are fixed, the live job's lease never goes stale, the monitor
does not poll again during a test, and its "refreshed HH:MM:SS" reads a frozen clock (the app
takes the time from `datetime.now()`; it has no clock to inject). Keys are pressed only once
the app has settled: the first load done, every worker finished, every message handled.

Update with `pytest tests/tui/test_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen

from certtui.config import Settings
from certtui.engine.service import CertificationService
from certtui.standin.server import ThreadedStandin, start_in_thread
from certtui.tui.app import CerttuiApp
from certtui.tui.base import CerttuiScreen
from support.tui_snapshot import (
    DATABASE_FILE,
    FIXED_TIME,
    REGIONS,
    LoopResources,
    build_database,
    open_database,
)

WIDE = (140, 36)
SMALL = (80, 24)
MONITOR_REFRESH_SECONDS = 3600.0  # no second poll while a snapshot is taken
PATIENCE_SECONDS = 30.0  # a bound for waiting on the app, never an expectation of speed

# Keys from the matrix (the start screen) to each screen. Matrix rows sort by provider then
# model id; columns by region: ap-northeast-1, eu-west-1, us-east-1, us-west-2.
HAIKU_US_EAST_1 = ("down", "down", "down", "right", "right", "right", "enter")  # ✓ A
HAIKU_EU_WEST_1 = ("down", "down", "down", "right", "right", "enter")  # ! PERM
LLAMA_US_EAST_1 = ("down",) * 5 + ("right",) * 3 + ("enter",)  # ✗ D, QUALITY_ISSUE
COMPLETED_JOB_UNITS = ("3", "down", "down", "down", "enter")  # jobs list newest first
KEYS: dict[str, tuple[str, ...]] = {
    "matrix": (),
    "models": ("1",),
    "jobs": ("3",),
    "units": COMPLETED_JOB_UNITS,
    "detail_passed": HAIKU_US_EAST_1,
    "detail_failed": HAIKU_EU_WEST_1,
    "detail_not_passed": LLAMA_US_EAST_1,
    "help": ("question_mark",),
    "changes": ("d",),
    "region_picker": ("1", "down", "down", "down", "c"),  # certify Claude 3 Haiku in…
    # The matrix's views: grouped by vendor with the summary panel, the cursor on a cell.
    "matrix_views": ("v", "t", "down", "down", "down", "down", "right", "right"),
    "matrix_failures": ("F",),
    "workers": ("4",),  # SQLite: one line says workers need PostgreSQL
}


class FrozenClock(datetime):
    """`datetime` whose now() is always the same moment (the monitor shows the refresh time)."""

    @classmethod
    def now(cls, tz: Any = None) -> FrozenClock:  # type: ignore[override]
        return cls.fromisoformat(FIXED_TIME.isoformat())


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The populated and the empty database, built once and copied for each test."""
    root = tmp_path_factory.mktemp("snapshot-databases")
    built = {"populated": root / "populated.db", "empty": root / "empty.db"}
    for name, path in built.items():
        asyncio.run(build_database(path, populated=name == "populated"))
    return built


@pytest.fixture(scope="module")
def standin() -> Iterator[ThreadedStandin]:
    """The Bedrock stand-in the read-write service points at (no snapshot certifies)."""
    with start_in_thread(seed=0) as handle:
        yield handle


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the test's own directory, so the database path on screen is always the same."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("certtui.tui.app.datetime", FrozenClock)
    monkeypatch.setattr("certtui.tui.screens.jobs.datetime", FrozenClock)
    return tmp_path


@dataclass
class Case:
    """One snapshot: which database, which mode, where to go, at which size."""

    screen: str
    database: str = "populated"
    read_only: bool = False
    size: tuple[int, int] = WIDE
    theme: str | None = None  # the app's default theme when None

    @property
    def id(self) -> str:
        mode = "monitor" if self.read_only else "rw"
        theme = f"-{self.theme}" if self.theme else ""
        return f"{self.screen}-{self.database}-{mode}-{self.size[0]}x{self.size[1]}{theme}"


CASES = [
    # Populated, read-write, wide enough for every column.
    *(Case(screen) for screen in ("matrix", "models", "jobs", "units", "detail_passed",
                                  "detail_failed", "help", "region_picker", "changes")),
    # Read-only monitor: READ-ONLY badge, refresh time, no mutating binding anywhere.
    *(Case(screen, read_only=True) for screen in ("matrix", "models", "jobs", "units",
                                                  "detail_not_passed", "help")),
    # A fresh database: no catalog, no jobs.
    *(Case(screen, database="empty") for screen in ("matrix", "models", "jobs")),
    Case("matrix", database="empty", read_only=True),
    Case("workers", size=SMALL),
    # The smallest recommended terminal.
    *(Case(screen, size=SMALL) for screen in ("matrix", "models", "jobs", "units",
                                              "detail_failed", "help", "region_picker",
                                              "changes", "matrix_views", "matrix_failures")),
    Case("matrix", read_only=True, size=SMALL),
    # A light theme: every status colour stays legible, next to its glyph.
    Case("matrix", theme="textual-light"),
    Case("detail_failed", theme="textual-light", size=SMALL),
]  # fmt: skip


def settled(app: CerttuiApp) -> bool:
    """The first load is on screen and no worker is still reading the database."""
    on_screen = isinstance(app.screen, CerttuiScreen | ModalScreen)
    return app.loaded and on_screen and all(worker.is_finished for worker in app.workers)


async def settle(pilot: Pilot[None]) -> None:
    """Let the app run until it has settled; fail if it never does."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if settled(pilot.app):  # type: ignore[arg-type]
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the app never settled on {pilot.app.screen!r}")
        await pilot.pause(0.02)


def snapshot_app(
    case: Case, databases: dict[str, Path], workdir: Path, endpoint: str
) -> tuple[CerttuiApp, LoopResources]:
    """The app for a case, and the resources it needs opened on its own event loop."""
    shutil.copyfile(databases[case.database], workdir / DATABASE_FILE)
    database = open_database(DATABASE_FILE, read_only=case.read_only)
    if case.read_only:
        app = CerttuiApp(database, read_only=True, refresh_seconds=MONITOR_REFRESH_SECONDS)
        return app, LoopResources(disposals=[database.engine.dispose])
    settings = Settings(
        database_url=f"sqlite:///{DATABASE_FILE}",
        endpoint_url=endpoint,
        created_by="snapshot@ci",
        data_dir=workdir / "data",
        regions=REGIONS,
    )
    service = CertificationService(settings, database.sessions)
    app = CerttuiApp(database, service=service)
    return app, LoopResources(service, disposals=[database.engine.dispose])


def driver(
    resources: LoopResources, keys: Sequence[str], theme: str | None = None
) -> Callable[[Pilot[None]], Any]:
    """Open the resources on the app's loop, then press each key once the app has settled."""

    async def run_before(pilot: Pilot[None]) -> None:
        await resources.open()
        if theme is not None:
            pilot.app.theme = theme
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_snapshot(
    case: Case,
    databases: dict[str, Path],
    standin: ThreadedStandin,
    workdir: Path,
    snap_compare: Callable[..., bool],
) -> None:
    """Each screen in its main states looks as recorded."""
    app, resources = snapshot_app(case, databases, workdir, standin.url)
    matched = snap_compare(
        app, terminal_size=case.size, run_before=driver(resources, KEYS[case.screen], case.theme)
    )
    resources.check_closed()
    assert matched
