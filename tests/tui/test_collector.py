"""The interface's garbage-collector settings last as long as the interface."""

from __future__ import annotations

import gc
from typing import Any

from certtui.tui.app import UI_GC_THRESHOLDS

MODEL0 = "acme.model-00-v1:0"


async def test_the_process_gets_its_collector_back_when_the_app_exits(
    sqlite_url: str, offline_job: Any, tui_monitor: Any
) -> None:
    await offline_job(sqlite_url, (MODEL0,), ("us-east-1",))
    before = gc.get_threshold()
    assert before != UI_GC_THRESHOLDS
    async with tui_monitor(sqlite_url) as h:
        assert gc.get_threshold() == UI_GC_THRESHOLDS
        await h.wait_for(lambda: gc.get_freeze_count() > 0, "the loaded matrix is frozen")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0  # what the interface froze can be collected again
