"""Cluster-wide call limits: advisory-lock slots and shared throttles across real processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from certtui.engine.job import EngineConfig, new_limiter
from certtui.engine.limits import CallLimiter
from certtui.errors import UsageError
from certtui.standin.scenario import FaultRates
from certtui.standin.server import start_in_thread
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.store.slots import ClusterSlots, cluster_slots
from support.cli import run_certtui
from support.engine import healthy_scenario

REGIONS = ("us-east-1", "eu-west-1")
MODELS = tuple(f"acme.model-{index:02d}-v1:0" for index in range(6))
PATIENCE = 120.0


def _prepare(pg_url: str, endpoint: str) -> dict[str, str]:
    env = {"CERTTUI_DATABASE_URL": pg_url}
    upgraded = run_certtui("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    synced = run_certtui("--endpoint-url", endpoint, "models", "sync",
                         *(f"--region={r}" for r in REGIONS), env=env)  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    return env


@contextmanager
def _runs(
    endpoint: str, env: dict[str, str], groups: list[tuple[str, ...]], *args: str
) -> Iterator[list[subprocess.Popen[str]]]:
    """``certtui run`` for each group of models, all at once, each in its own process."""
    with ExitStack() as stack:
        processes = []
        for models in groups:
            process = subprocess.Popen(
                [sys.executable, "-m", "certtui", "--endpoint-url", endpoint, "run",
                 *(f"--model={m}" for m in models), "--regions", ",".join(REGIONS), *args],
                env={**__import__("os").environ, **env}, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            stack.callback(_kill, process)
            processes.append(process)
        yield processes


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def _finish(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        _, err = process.communicate(timeout=PATIENCE)
        assert process.returncode == 0, err


async def test_slots_are_shared_between_connections_and_never_stack(pg_url: str) -> None:
    engine = create_engine(parse_database_url(pg_url))
    first = cluster_slots(engine)
    second = cluster_slots(engine)
    assert isinstance(first, ClusterSlots) and isinstance(second, ClusterSlots)
    try:
        held = [await first.take("region:us-east-1", 3) for _ in range(3)]
        assert sorted(h.slot for h in held) == [0, 1, 2]  # one process never takes one twice
        assert await first.try_take("region:us-east-1", 3) is None
        assert await second.try_take("region:us-east-1", 3) is None
        assert await second.try_take("region:us-west-2", 3) is not None  # another scope
        waiting = asyncio.ensure_future(second.take("region:us-east-1", 3))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await first.give(held[1])
        got = await asyncio.wait_for(waiting, PATIENCE)
        assert got.slot == held[1].slot
        # A process that goes away lets go of its slots with its connections.
        await second.close()
        assert await first.try_take("region:us-east-1", 3) is not None
    finally:
        await first.close()
        await second.close()
        await engine.dispose()


async def test_the_scope_follows_the_database_unless_configured(tmp_path: Any, pg_url: str) -> None:
    sqlite = create_engine(parse_database_url(f"sqlite:///{tmp_path / 'x.db'}"))
    postgres = create_engine(parse_database_url(pg_url))
    try:
        assert cluster_slots(sqlite) is None
        assert new_limiter(EngineConfig(), session_factory(sqlite)).scope == "process"
        with pytest.raises(UsageError, match='limit_scope = "cluster" needs PostgreSQL'):
            new_limiter(EngineConfig(limit_scope="cluster"), session_factory(sqlite))
        default = new_limiter(EngineConfig(), session_factory(postgres))
        assert default.scope == "cluster"
        await default.aclose()
        chosen = new_limiter(EngineConfig(limit_scope="process"), session_factory(postgres))
        assert chosen.scope == "process"
    finally:
        await sqlite.dispose()
        await postgres.dispose()


@pytest.mark.parametrize("scope", ["cluster", "process"])
def test_three_processes_keep_the_region_limit_together(pg_url: str, scope: str) -> None:
    limit = 2
    standin = start_in_thread(healthy_scenario(6), latency_ms=60)
    try:
        env = {**_prepare(pg_url, standin.url), "CERTTUI_LIMIT_SCOPE": scope}
        groups = [MODELS[0:2], MODELS[2:4], MODELS[4:6]]
        standin.stats.reset()
        with _runs(standin.url, env, groups, "--concurrency", "16",
                   "--region-concurrency", str(limit)) as processes:  # fmt: skip
            _finish(processes)
        peaks = standin.stats.max_in_flight
        calls = standin.stats.calls
    finally:
        standin.stop()
    assert set(peaks) == set(REGIONS), peaks
    assert sum(calls.get(op, 0) for op in ("Converse", "ConverseStream")) > 0
    if scope == "cluster":
        # Measured at the stand-in: three processes together never pass one region's limit.
        assert max(peaks.values()) <= limit, peaks
    else:
        # The same runs with process limits overlap: the measure above can fail.
        assert max(peaks.values()) > limit, peaks


async def test_a_throttle_another_process_sees_slows_this_one(pg_url: str) -> None:
    standin = start_in_thread(
        healthy_scenario(2), latency_ms=20, faults=FaultRates(throttle=0.3), seed=3
    )
    engine = create_engine(parse_database_url(pg_url))
    limiter = CallLimiter(16, 8, cluster=cluster_slots(engine))
    try:
        env = await asyncio.to_thread(_prepare, pg_url, standin.url)
        await limiter.start()
        watched = {(region, model): limiter.model(region, model)
                   for region in REGIONS for model in MODELS[:2]}  # fmt: skip
        assert {limit.limit for limit in watched.values()} == {8}
        with _runs(standin.url, env, [MODELS[:2]], "--region-concurrency", "8") as processes:
            deadline = time.monotonic() + PATIENCE
            while limiter.shared_throttles == 0:
                assert time.monotonic() < deadline, "no throttle was shared"
                assert processes[0].poll() in (None, 0)
                await asyncio.sleep(0.05)
            await asyncio.to_thread(_finish, processes)
        assert standin.stats.errors.get("ThrottlingException", 0) > 0
        slowed = {key: limit.limit for key, limit in watched.items() if limit.limit < 8}
        assert slowed, "no (region, model) limit of this process went down"
    finally:
        await limiter.aclose()
        await engine.dispose()
        standin.stop()


async def test_calls_go_on_under_process_limits_while_the_database_is_away() -> None:
    from support.postgres import free_port

    engine = create_engine(parse_database_url(f"postgresql://nobody@127.0.0.1:{free_port()}/x"))
    limiter = CallLimiter(4, 2, cluster=cluster_slots(engine))
    try:
        await limiter.start()  # cannot hear throttles: said, not raised
        inside = 0
        for _ in range(3):
            async with limiter.slot("us-east-1", "acme.model-00-v1:0"):
                inside += 1
        assert inside == 3 and limiter.degraded == 3
        assert limiter.in_flight == 0
    finally:
        await limiter.aclose()
        await engine.dispose()
