"""Limits and retry policy: pure asyncio, no network."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given
from hypothesis import strategies as st

from certtui.engine.limits import AdaptiveLimit, CallLimiter, Gate
from certtui.engine.retry import RetryPolicy


async def test_gate_serves_urgent_waiters_first_then_in_arrival_order() -> None:
    gate = Gate(1)
    await gate.acquire()
    order: list[str] = []

    async def wait(name: str, urgent: bool) -> None:
        await gate.acquire(urgent=urgent)
        order.append(name)
        gate.release()

    tasks = [asyncio.create_task(wait(n, u)) for n, u in
             [("a", False), ("b", False), ("c", True), ("d", True)]]  # fmt: skip
    await asyncio.sleep(0)
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["c", "d", "a", "b"]
    assert gate.in_use == 0 and gate.peak == 1


async def test_gate_serves_the_lowest_rank_first_among_equally_urgent_waiters() -> None:
    # The engine ranks a call by its unit's start: an older unit's calls go first, so units
    # finish in the order they started (and a worker's slices end one by one).
    gate = Gate(1)
    await gate.acquire()
    order: list[str] = []

    async def wait(name: str, urgent: bool, rank: float) -> None:
        await gate.acquire(urgent=urgent, rank=rank)
        order.append(name)
        gate.release()

    tasks = [asyncio.create_task(wait(n, u, r)) for n, u, r in
             [("new", False, 3.0), ("old", False, 1.0), ("mid", False, 2.0),
              ("urgent-new", True, 9.0), ("old-again", False, 1.0)]]  # fmt: skip
    await asyncio.sleep(0)
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["urgent-new", "old", "old-again", "mid", "new"]


async def test_a_cancelled_waiter_gives_its_place_up() -> None:
    gate = Gate(1)
    await gate.acquire()
    doomed = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    doomed.cancel()
    await asyncio.gather(doomed, return_exceptions=True)
    assert gate.waiting == 0
    gate.release()
    await asyncio.wait_for(gate.acquire(), 1)  # the slot is free again, nobody stuck
    assert gate.in_use == 1


async def test_resizing_wakes_waiters() -> None:
    gate = Gate(1)
    await gate.acquire()
    waiter = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    gate.resize(2)
    await asyncio.wait_for(waiter, 1)
    assert gate.in_use == 2


def test_adaptive_limit_halves_on_throttle_and_creeps_back() -> None:
    limit = AdaptiveLimit(ceiling=8)
    assert limit.on_throttle() == 4
    assert limit.on_throttle() == 2
    assert limit.on_throttle() == 1
    assert limit.on_throttle() == 1  # never below one
    for _ in range(1 + 2 + 3):
        limit.on_success()
    assert limit.limit == 4
    for _ in range(100):
        limit.on_success()
    assert limit.limit == 8  # never above the ceiling


async def test_call_limiter_never_exceeds_its_limits() -> None:
    limiter = CallLimiter(global_limit=5, region_limit=2)
    in_flight: dict[str, int] = {}
    peaks: dict[str, int] = {}
    total_peak = 0

    async def call(region: str, model: str) -> None:
        nonlocal total_peak
        async with limiter.slot(region, model):
            in_flight[region] = in_flight.get(region, 0) + 1
            peaks[region] = max(peaks.get(region, 0), in_flight[region])
            total_peak = max(total_peak, sum(in_flight.values()))
            await asyncio.sleep(0.001)
            in_flight[region] -= 1

    await asyncio.gather(*(call(f"r{i % 4}", f"m{i % 3}") for i in range(200)))
    assert max(peaks.values()) == 2 and total_peak <= 5
    assert limiter.in_flight == 0


@given(st.integers(1, 20), st.floats(0.01, 5), st.floats(1, 60), st.integers(0, 2**32))
def test_backoff_is_jittered_exponential_within_the_cap(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    policy = RetryPolicy(base=base, cap=cap, max_attempts=6)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = policy.delay(attempt, random.Random(seed))
    assert ceiling / 2 <= delay <= ceiling


def test_retry_only_retryable_errors_up_to_the_attempt_limit() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.should_retry(1, True) and policy.should_retry(2, True)
    assert not policy.should_retry(3, True)
    assert not policy.should_retry(1, False)
