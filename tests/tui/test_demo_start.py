"""`certtui --demo` paints at once: the catalog syncs in the background, after the first paint,
with its progress in the top bar; the first paint imports no Bedrock client (botocore)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from certtui.engine.service import CertificationService
from certtui.standin.server import serve
from certtui.store.opening import open_database
from certtui.tui.app import CerttuiApp
from certtui.tui.base import TopBar
from certtui.tui.screens.matrix import MatrixScreen
from support.engine import REGIONS, healthy_scenario
from tui.conftest import SIZE, make_settings, migrate_database, shown, wait_for, wait_loaded


async def test_the_app_paints_before_the_catalog_sync_finishes(
    sqlite_url: str, tmp_path: Path
) -> None:
    await migrate_database(sqlite_url)
    standin_up = threading.Event()  # the test says when the "stand-in" is up
    try:
        async with serve(healthy_scenario(6)) as server:
            config = make_settings(sqlite_url, server.url, tmp_path / "data", regions=REGIONS)
            async with (
                open_database(config, read_only=False) as database,
                CertificationService(config, database.sessions) as service,
            ):
                app = CerttuiApp(
                    database, service=service, simulated=True,
                    catalog_sync=lambda: standin_up.wait(60),
                )  # fmt: skip
                async with app.run_test(size=SIZE) as pilot:
                    await wait_loaded(pilot)
                    # Painted, on the (empty) matrix, while the sync waits for the stand-in.
                    assert isinstance(app.screen, MatrixScreen)
                    assert app.screen.table.row_count == 0
                    top = app.screen.query_one(TopBar)
                    await wait_for(pilot, lambda: "starting the stand-in" in shown(top), "said")
                    assert "SIMULATED" in shown(top)

                    standin_up.set()
                    await wait_for(
                        pilot, lambda: app.screen.table.row_count == 6, "the catalog fills in"
                    )
                    await wait_for(pilot, lambda: "syncing" not in shown(top), "progress gone")
                    assert "starting" not in shown(top)
    finally:
        standin_up.set()


# Opens the read-write TUI headless over a migrated database and reports, at its first paint,
# which Bedrock client modules are loaded.
FIRST_PAINT_PROBE = """
import asyncio, sys
from pathlib import Path
from certtui.config import Settings
from certtui.engine.service import CertificationService
from certtui.store.opening import open_database
from certtui.tui.app import CerttuiApp

async def main(url, data):
    settings = Settings(database_url=url, endpoint_url="http://127.0.0.1:9", data_dir=Path(data))
    async with open_database(settings, read_only=False) as database:
        async with CertificationService(settings, database.sessions) as service:
            app = CerttuiApp(database, service=service)
            async with app.run_test(size=(100, 30)) as pilot:
                while not app.loaded:
                    await pilot.pause(0.02)
                await pilot.pause()
                heavy = ("botocore", "aioboto3", "aiobotocore", "aiohttp", "boto3")
                print("loaded:", *sorted(m for m in sys.modules if m.split(".")[0] in heavy))
                print("painted:", type(app.screen).__name__)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_the_first_paint_imports_no_bedrock_client(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'paint.db'}"
    result = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT_PROBE, url, str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    assert lines["painted"].strip() == "MatrixScreen"
    assert lines["loaded"].split() == []
