"""The call limits hold for every worker together (issue #14 item 3), measured at the stand-in.

Three `certtui worker` processes with a region limit of 2 each run one job's slices at once;
with the cluster scope (the default on PostgreSQL) no region ever has more than 2 calls in
flight at the stand-in, though each worker alone would allow 2.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from certtui.standin.server import start_in_thread
from support.engine import REGIONS, healthy_scenario

pytestmark = pytest.mark.cluster

LIMIT = 2


@pytest.fixture
def thread_standin(scenario: Path) -> Iterator[Any]:
    # In this process, so the test reads its statistics (peak calls in flight per region).
    server = start_in_thread(healthy_scenario(24), latency_ms=120)  # 6 slices a region
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standin(thread_standin: Any) -> str:
    return thread_standin.url


async def test_three_workers_keep_the_region_limit_together(
    cluster: Any, thread_standin: Any
) -> None:
    for index in range(3):
        cluster.start_worker(f"w{index}", "--concurrency", "8", "--region-concurrency", str(LIMIT))
    thread_standin.stats.reset()
    result = await asyncio.to_thread(
        cluster.cli, "run", "--submit", "--wait", "--all", "--regions", ",".join(REGIONS)
    )
    assert result.returncode == 0, result.stderr
    peaks = thread_standin.stats.max_in_flight
    assert set(peaks) == set(REGIONS), peaks
    # Three workers took slices of the same region at once (the log says which), yet together
    # they never passed the region's limit.
    assert max(peaks.values()) <= LIMIT, peaks
