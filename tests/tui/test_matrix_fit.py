"""The matrix fits (#12 item 2) and its views (#12 "Matrix views"), on the real app.

Region columns are headed by short codes (use1) and ~7 cells wide, so at 120 columns at least
12 of the 30 Bedrock regions show and at 240 all 30 do; the model column takes what is left,
and ids cut to fit never read the same. `o`, `F`, `v` and `t` change what the matrix shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from certtui.bedrock.regions import bedrock_regions
from certtui.domain.regions import region_code
from certtui.store import migrate
from certtui.store.catalog import ModelObservation, apply_discovery
from certtui.store.database import create_engine, session_factory, sqlite_target
from certtui.tui.app import CerttuiApp
from certtui.tui.screens.matrix import MatrixScreen
from support.tui_snapshot import build_database, open_database
from tui.conftest import Harness, wait_loaded

SIMILAR_IDS = (
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-lite-v1:0",
)
REGIONS = bedrock_regions()


async def build_wide(path: Path) -> None:
    """A catalog of look-alike model ids offered in all 30 Bedrock regions."""
    engine = create_engine(sqlite_target(path))
    try:
        await migrate.upgrade(engine)
        observations = [
            ModelObservation(
                api_model_id=api_id, name=api_id, provider_name=api_id.split(".")[0].title(),
                region=region, on_demand=True, inference_profile_id=None,
                lifecycle_status="ACTIVE", input_modalities=("TEXT",),
                output_modalities=("TEXT",), streaming_supported=True,
            )
            for api_id in SIMILAR_IDS
            for region in REGIONS
        ]  # fmt: skip
        async with session_factory(engine).begin() as session:
            await apply_discovery(session, list(REGIONS), observations)
    finally:
        await engine.dispose()


async def open_monitor(path: Path, size: tuple[int, int]) -> Any:
    database = open_database(str(path), read_only=True)
    return database, CerttuiApp(database, read_only=True, refresh_seconds=3600.0)


def header_codes(screen: MatrixScreen) -> list[str]:
    """The region codes the header shows whole, left to right."""
    table = screen.table
    shown = table.render_line(0).text.split()
    return [code for code in shown if code in {region_code(r) for r in REGIONS}]


def model_cells(screen: MatrixScreen) -> list[str]:
    table = screen.table
    return [table.get_cell(row.key, "model").plain for row in table.ordered_rows]


@pytest.mark.parametrize(("size", "at_least"), [((120, 40), 12), ((240, 50), 30), ((80, 24), 8)])
async def test_region_columns_fit(tmp_path: Path, size: tuple[int, int], at_least: int) -> None:
    path = tmp_path / "wide.db"
    await build_wide(path)
    database, app = await open_monitor(path, size)
    try:
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            screen = app.screen
            assert isinstance(screen, MatrixScreen)
            codes = header_codes(screen)
            assert len(codes) >= at_least, codes
            assert codes[:3] == ["ape2", "apne1", "apne2"]  # alphabetical by region name
            names = model_cells(screen)
            assert len(set(names)) == len(SIMILAR_IDS), names  # never two alike
            width = screen.table.columns[next(iter(screen.table.columns))].width
            assert all(len(name) <= width for name in names)
            # The header's code is named in full on the status line.
            await pilot.press("right", "right")
            status = str(screen.query_one("#matrix-status").render())
            assert status.startswith("ap-northeast-1 (apne1) · ")
    finally:
        await database.engine.dispose()


async def test_model_column_adapts_when_the_terminal_grows(tmp_path: Path) -> None:
    path = tmp_path / "wide.db"
    await build_wide(path)
    database, app = await open_monitor(path, (120, 40))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            screen = app.screen
            assert isinstance(screen, MatrixScreen)
            narrow = model_cells(screen)
            assert any("…" in name for name in narrow)
            await pilot.resize_terminal(300, 40)
            await pilot.pause()
            assert sorted(model_cells(screen)) == sorted(SIMILAR_IDS)  # room for them whole
            assert len(header_codes(screen)) == 30
    finally:
        await database.engine.dispose()


# Views, over the snapshot database (every cell state, an n/a model, a retired one) -----------


@pytest.fixture
async def views(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    await build_database(tmp_path / "certtui.db")
    database = open_database("certtui.db", read_only=True)
    app = CerttuiApp(database, read_only=True, refresh_seconds=3600.0)
    try:
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_loaded(pilot)
            yield Harness(app, pilot, database)
    finally:
        await database.engine.dispose()


def rows(h: Harness) -> list[str]:
    return model_cells(h.app.screen)  # type: ignore[arg-type]


async def test_views_hide_unoffered_failures_only_and_group_by_vendor(views: Harness) -> None:
    h = views
    everything = rows(h)
    assert "amazon.titan-embed-text-v2:0" in everything  # n/a: an embedding model

    await h.press("o")
    offered = rows(h)
    assert "amazon.titan-embed-text-v2:0" not in offered
    assert set(offered) < set(everything)
    assert "hiding n/a and not offered" in h.text("#matrix-title")
    await h.press("o")
    assert rows(h) == everything

    await h.press("F")
    failing = rows(h)
    assert {"anthropic.claude-3-haiku-20240307-v1:0", "meta.llama3-8b-instruct-v1:0"} <= set(
        failing
    )  # ! PERM in eu-west-1, ✗ D in us-east-1
    snapshot = h.app.snapshot
    for model in snapshot.models:
        statuses = {
            (c.status, c.passed)
            for c in (snapshot.cell(model.model_id, r) for r in snapshot.regions)
        }
        failed = any(s == "FAILED" or (s == "COMPLETED" and not p) for s, p in statuses)
        assert (model.api_model_id in failing) == failed, model.api_model_id
    assert "failures only" in h.text("#matrix-title")
    await h.press("F")

    await h.press("v")
    grouped = rows(h)
    headings = [name for name in grouped if name.startswith("▸ ")]
    assert headings == sorted(headings, key=str.lower) and len(headings) >= 2
    assert grouped[0] == headings[0]
    assert len(grouped) == len(everything) + len(headings)
    screen = h.app.screen
    assert isinstance(screen, MatrixScreen)
    # A heading counts its vendor's passed / tested cells per region.
    heading = next(
        row.key for row in screen.table.ordered_rows if row.key.value.endswith("Anthropic")
    )
    assert screen.table.get_cell(heading, "us-east-1").plain == "1/1"  # Haiku ✓ A; Sonnet runs
    assert screen.table.get_cell(heading, "us-west-2").plain == "2/2"
    assert screen.table.get_cell(heading, "ap-northeast-1").plain == ""  # nothing tested there
    screen.table.move_cursor(row=1, column=1)  # a model under the first heading
    await h.pilot.pause()
    assert screen.current() is not None
    await h.press("up")  # a heading is not a cell: c and enter have nothing to act on
    assert screen.current() is None
    assert h.text("#matrix-status") == ""


async def test_summary_counts_the_cursor_region_and_model(views: Harness) -> None:
    h = views
    assert not h.app.screen.query_one("#matrix-summary").display
    await h.press("t")
    assert h.app.screen.query_one("#matrix-summary").display
    await h.press("down", "down", "down", "right", "right")  # Claude 3 Haiku × eu-west-1
    summary = h.text("#matrix-summary")
    lines = summary.splitlines()
    assert lines[0].startswith("region eu-west-1: ")
    assert "! 1 error" in lines[0]
    assert lines[1].startswith("model anthropic.claude-3-haiku")
    assert lines[2].startswith("7 models shown: ✓")  # glyphs only when names do not fit
    status = h.text("#matrix-status")
    assert status.startswith("eu-west-1 (euw1) · !PERM↓ failed: PERMISSION_ERROR, regressed · ")
    assert status.endswith("anthropic.claude-3-haiku-20240307-v1:0")
    await h.press("t")
    assert not h.app.screen.query_one("#matrix-summary").display
