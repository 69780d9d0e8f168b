"""One meaning of a live job: ``certtui jobs list`` and the TUI's job views say the same.

A job is live while a process holds it: a fresh lease on a job that has not ended (a paused job
its engine still holds is live; a finished job whose last heartbeat is recent is not).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationJobType, JobStatus
from certtui.domain.leases import job_is_live
from certtui.store.models import CertificationJob
from certtui.store.views import load_jobs
from support.cli import run_certtui

FRESH = {"owner": "ops-host:4242:abcd", "heartbeat": time.time(), "ttl": 1e12}
STALE = {"owner": "gone:1:dead", "heartbeat": 1.0, "ttl": 15.0}  # renewed in 1970

# (status, lease) -> live
CASES = {
    "running-held": (JobStatus.PROCESSING, FRESH, True),
    "paused-held": (JobStatus.PAUSED, FRESH, True),
    "running-abandoned": (JobStatus.PROCESSING, STALE, False),
    "paused-released": (JobStatus.PAUSED, None, False),
    "completed-recent-beat": (JobStatus.COMPLETED, FRESH, False),
    "cancelled": (JobStatus.CANCELLED, None, False),
}


def test_job_is_live_pure() -> None:
    for status, lease, live in CASES.values():
        config: dict[str, Any] = {} if lease is None else {"lease": lease}
        assert job_is_live(status, config) is live, status
        assert job_is_live(status.value, config) is live  # a plain status string reads the same
    assert job_is_live(JobStatus.PROCESSING, None) is False


async def _seed(sessions: async_sessionmaker) -> dict[str, str]:
    ids = {}
    async with sessions.begin() as session:
        for hour, (name, (status, lease, _)) in enumerate(CASES.items()):
            job_id = f"{hour:08d}-0000-4000-8000-{name[:12]:0>12}"
            created = datetime(2026, 1, 1, hour)
            session.add(
                CertificationJob(
                    id=job_id, type=CertificationJobType.SINGLE_MODEL, status=status,
                    regions=["us-east-1"], model_ids=[], created_by="tester@ci",
                    config={} if lease is None else {"lease": lease},
                    created_at=created, updated_at=created,
                )
            )  # fmt: skip
            ids[name] = job_id
    return ids


async def test_the_store_and_the_cli_agree_on_live(
    database_url: str, sessions: async_sessionmaker
) -> None:
    ids = await _seed(sessions)
    async with sessions() as session:
        views = {view.job_id: view for view in await load_jobs(session)}
    expected = {ids[name]: live for name, (_, _, live) in CASES.items()}
    assert {job_id: view.live for job_id, view in views.items()} == expected

    url = database_url
    listed = run_certtui("jobs", "list", "--json", env={"CERTTUI_DATABASE_URL": url})
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {row["id"]: row["live"] for row in rows} == expected
    assert [row["id"] for row in rows] == sorted(expected, reverse=True)  # newest first

    table = run_certtui("jobs", "list", env={"CERTTUI_DATABASE_URL": url, "COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    live_lines = [line for line in table.stdout.splitlines() if "(live)" in line]
    assert sorted(line.split()[0] for line in live_lines) == sorted(
        ids[name][:8] for name in ("running-held", "paused-held")
    )


async def test_a_job_whose_holder_died_on_this_host_is_not_live(
    database_url: str, sessions: async_sessionmaker
) -> None:
    """A fresh lease naming a dead pid of this host: not live, at once (no waiting for the TTL)."""
    import socket
    import subprocess
    import sys

    from certtui.engine.leases import process_start_time, this_process
    from certtui.tui.data import load_jobs as tui_load_jobs

    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    fresh = {"heartbeat": time.time(), "ttl": 1e12}
    holders = {
        "dead-holder": ({"host": socket.gethostname(), "pid": exited.pid, "started": 1}, False),
        "this-process": (this_process(), True),
        # Another host's processes cannot be looked at: its fresh lease says live.
        "other-host": ({"host": "elsewhere.invalid", "pid": exited.pid, "started": 1}, True),
    }
    assert process_start_time(exited.pid) is None
    ids = {}
    async with sessions.begin() as session:
        for hour, (name, (holder, _)) in enumerate(holders.items()):
            job_id = f"{hour:08d}-0000-4000-8000-{name[:12]:0>12}"
            created = datetime(2026, 1, 1, hour)
            lease = {"owner": f"{holder['host']}:{holder['pid']}:abcd", **holder, **fresh}
            session.add(
                CertificationJob(
                    id=job_id, type=CertificationJobType.SINGLE_MODEL,
                    status=JobStatus.PROCESSING, regions=["us-east-1"], model_ids=[],
                    created_by="tester@ci", config={"lease": lease},
                    created_at=created, updated_at=created,
                )
            )  # fmt: skip
            ids[name] = job_id
    expected = {ids[name]: live for name, (_, live) in holders.items()}

    env = {"CERTTUI_DATABASE_URL": database_url, "COLUMNS": "200"}
    listed = run_certtui("jobs", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert {row["id"]: row["live"] for row in json.loads(listed.stdout)} == expected
    table = run_certtui("jobs", "list", env=env)
    dead_line = next(line for line in table.stdout.splitlines() if ids["dead-holder"][:8] in line)
    assert "PROCESSING" in dead_line and "(live)" not in dead_line
    async with sessions() as session:
        views = await tui_load_jobs(session)
        # The store alone cannot look at processes: by the lease, every one of them is live.
        plain = await load_jobs(session)
    assert {view.job_id: view.live for view in views} == expected
    assert {view.job_id: view.live for view in plain} == dict.fromkeys(expected, True)


async def test_jobs_list_at_80_columns_keeps_the_time_whole(
    database_url: str, sessions: async_sessionmaker
) -> None:
    await _seed(sessions)
    env = {"CERTTUI_DATABASE_URL": database_url, "COLUMNS": "80"}
    table = run_certtui("jobs", "list", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    rows = [line for line in lines if line[:8].isdigit()]
    assert len(rows) == len(CASES)  # one line per job: nothing wraps
    for hour in range(len(CASES)):
        assert sum(line.rstrip().endswith(f"2026-01-01 {hour:02d}:00") for line in rows) == 1
