"""Export the current view from the TUI (e), copy an id or summary (y): OSC 52 and a file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from textual.widgets import Input, RadioSet

from certtui.tui.screens.detail import DetailScreen
from certtui.tui.screens.export import ExportScreen
from certtui.tui.screens.jobs import JobsScreen
from certtui.tui.screens.models import ModelsScreen

MODELS = ("acme.model-00-v1:0", "acme.model-01-v1:0")
REGIONS = ("us-east-1", "eu-west-1")


async def certify(h: Any) -> str:
    h.app.certify(MODELS, REGIONS)
    await h.wait_for(lambda: bool(h.app.jobs), "the job listed")
    await h.wait_for(
        lambda: not h.service.running and h.app.jobs[0].status == "COMPLETED", "the job done"
    )
    return h.app.jobs[0].job_id


async def test_export_the_filtered_models_as_json(
    sqlite_url: str, tui_engine: Any, tmp_path: Path
) -> None:
    async with tui_engine(sqlite_url, start_mode="models") as h:
        await certify(h)
        assert isinstance(h.app.screen, ModelsScreen)
        await h.press("slash", *"model-01", "enter")
        await h.press("e")
        await h.wait_for(lambda: isinstance(h.app.screen, ExportScreen), "the export dialog")
        dialog = h.app.screen
        path = dialog.query_one("#export-path", Input)
        exports = tmp_path / "data" / "exports"
        assert Path(path.value).parent == exports and path.value.endswith(".csv")
        assert "models-" in Path(path.value).name
        assert dialog.query_one(RadioSet).has_focus
        await h.press("down", "enter")  # JSON
        assert path.value.endswith(".json")
        await h.press("tab", "enter")  # to the path; enter exports
        assert isinstance(h.app.screen, ModelsScreen)
        written = Path(path.value)
        await h.wait_for(written.exists, "the export written")
        document = json.loads(written.read_text(encoding="utf-8"))
        assert sorted((c["modelId"], c["region"]) for c in document["certifications"]) == [
            ("acme.model-01-v1:0", "eu-west-1"), ("acme.model-01-v1:0", "us-east-1"),
        ]  # fmt: skip


async def test_export_a_job_as_csv_to_a_path_typed_and_copy_its_id(
    sqlite_url: str, tui_engine: Any, tmp_path: Path
) -> None:
    async with tui_engine(sqlite_url, start_mode="jobs") as h:
        job_id = await certify(h)
        assert isinstance(h.app.screen, JobsScreen)
        await h.press("y")
        copied = tmp_path / "data" / "copied.txt"
        assert copied.read_text(encoding="utf-8") == job_id + "\n"
        assert h.app.clipboard == job_id

        target = tmp_path / "job.csv"
        await h.press("e")
        await h.wait_for(lambda: isinstance(h.app.screen, ExportScreen), "the export dialog")
        assert f"job {job_id[:8]}" in str(h.app.screen.query_one("Label").render())
        h.app.screen.query_one("#export-path", Input).value = str(target)
        await h.press("tab", "enter")
        await h.wait_for(target.exists, "the export written")
        rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
        assert len(rows) == 4 and {r["jobId"] for r in rows} == {job_id}

        # A directory that does not exist: one clear line, nothing written, the app goes on.
        await h.press("e")
        await h.wait_for(lambda: isinstance(h.app.screen, ExportScreen), "the dialog again")
        h.app.screen.query_one("#export-path", Input).value = str(tmp_path / "nope" / "x.csv")
        await h.press("tab", "enter")
        await h.wait_for(lambda: isinstance(h.app.screen, JobsScreen), "back on the jobs")
        assert not (tmp_path / "nope").exists()


async def test_y_on_the_matrix_copies_the_cell_summary(
    sqlite_url: str, tui_engine: Any, tmp_path: Path
) -> None:
    async with tui_engine(sqlite_url) as h:
        await certify(h)
        await h.press("right")  # the first region column: eu-west-1
        await h.press("y")
        text = (tmp_path / "data" / "copied.txt").read_text(encoding="utf-8").strip()
        assert text.startswith("acme.model-00-v1:0 · eu-west-1 · ✓ ")
        assert "score " in text

        # The result detail's y copies its summary the same way (#12 item 11).
        await h.press("enter")
        await h.wait_for(lambda: isinstance(h.app.screen, DetailScreen), "the detail")
        await h.wait_for(lambda: h.app.screen.detail is not None, "the detail loaded")
        await h.press("y")
        text = (tmp_path / "data" / "copied.txt").read_text(encoding="utf-8")
        assert text.startswith("acme.model-00-v1:0 in eu-west-1: COMPLETED, score ")
        assert h.app.clipboard == text.rstrip("\n")
