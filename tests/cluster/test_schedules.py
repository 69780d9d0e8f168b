"""A schedule fires once per tick with 3 workers, each tick a job of its own (#14)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from itertools import pairwise

import pytest

from certtui.store import workers as queue_store
from certtui.store.types import utcnow
from cluster.conftest import Cluster

pytestmark = pytest.mark.cluster

EVERY_2_SECONDS = "* * * * * */2"  # croniter's sixth field: seconds


async def test_a_schedule_fires_once_per_tick_with_three_workers(cluster: Cluster) -> None:
    for index in range(3):
        cluster.start_worker(f"w{index}", "--concurrency", "4")
    added = await asyncio.to_thread(
        cluster.cli, "schedule", "add", EVERY_2_SECONDS, "--model", "acme.model-00-v1:0",
        "--regions", "us-east-1",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    schedule_id = added.stdout.split()[1]
    listed = await asyncio.to_thread(cluster.cli, "schedule", "list", "--json")
    [shown] = json.loads(listed.stdout)
    assert shown["id"] == schedule_id and shown["cron"] == EVERY_2_SECONDS
    ahead = (datetime.fromisoformat(shown["nextRun"]) - utcnow()).total_seconds()
    assert -1 < ahead <= 2  # the next even second (UTC)

    deadline = time.monotonic() + 60
    while True:
        async with cluster.sessions() as session:
            fired = await queue_store.schedule_jobs(session, schedule_id)
        if len(fired) >= 4:
            break
        assert time.monotonic() < deadline, [cluster.log(f"w{i}") for i in range(3)]
        await asyncio.sleep(0.2)
    removed = await asyncio.to_thread(cluster.cli, "schedule", "remove", schedule_id[:8])
    assert removed.returncode == 0, removed.stderr
    await asyncio.sleep(3)  # a tick after the removal fires nowhere
    async with cluster.sessions() as session:
        fired = await queue_store.schedule_jobs(session, schedule_id)
        assert await queue_store.list_schedules(session) == []
    ticks = [datetime.fromisoformat(tick) for _, tick in fired]
    assert len(ticks) == len(set(ticks)), ticks  # never two jobs for one tick
    assert all(tick.second % 2 == 0 and tick.microsecond == 0 for tick in ticks)
    # In order, whole ticks apart (a tick whose cell the previous job still held submits none).
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(ticks)]
    assert all(gap > 0 and gap % 2 == 0 for gap in gaps), ticks
    # Each tick's job ran on the workers to its end.
    async with cluster.sessions() as session:
        statuses = await queue_store.job_statuses(session, [job_id for job_id, _ in fired])
    assert {status.value for status in statuses.values()} <= {"COMPLETED", "PROCESSING", "QUEUED"}
    assert sum(status.value == "COMPLETED" for status in statuses.values()) >= len(ticks) - 1
