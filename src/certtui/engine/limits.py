"""Concurrency limits on Bedrock calls in flight: global, per region, adaptive per model."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class Gate:
    """A semaphore whose capacity can change while it is in use, cancellation-safe.

    Waiters are served by priority, then in arrival order: an urgent call (one a unit is
    blocked on, such as its first call or the next turn of a conversation) goes first.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self.peak = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        """Acquirers waiting for a slot now (some may have been cancelled)."""
        return len(self._waiters)

    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for a free slot and take it."""
        if self.in_use < self.capacity and not self._waiters:
            self._take()
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (0 if urgent else 1, next(self._arrivals), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as we were cancelled: hand it on
            else:
                self._waiters = [w for w in self._waiters if w[2] is not waiter]
                heapq.heapify(self._waiters)
            raise

    def release(self) -> None:
        """Give a slot back and wake the next waiter that fits."""
        self.in_use -= 1
        self._wake()

    def resize(self, capacity: int) -> None:
        """Change the capacity; slots already taken stay taken."""
        self.capacity = capacity
        self._wake()

    def _take(self) -> None:
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)

    def _wake(self) -> None:
        while self._waiters and self.in_use < self.capacity:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                self._take()
                waiter.set_result(None)


class AdaptiveLimit:
    """Additive increase, multiplicative decrease: halves on throttling, creeps back on success."""

    def __init__(self, ceiling: int, start: int | None = None) -> None:
        self.ceiling = ceiling
        self.gate = Gate(start or ceiling)
        self._successes = 0

    @property
    def limit(self) -> int:
        """The current limit."""
        return self.gate.capacity

    def on_throttle(self) -> int:
        """Halve the limit (never below one); returns the new limit."""
        self._successes = 0
        self.gate.resize(max(1, self.gate.capacity // 2))
        return self.gate.capacity

    def on_success(self) -> None:
        """After ``limit`` successes in a row, raise the limit by one up to the ceiling."""
        self._successes += 1
        if self._successes >= self.gate.capacity and self.gate.capacity < self.ceiling:
            self._successes = 0
            self.gate.resize(self.gate.capacity + 1)


class CallLimiter:
    """The three limits of SPEC §4, taken in a fixed order so waits never deadlock.

    A hold (a pause) stops every new call at the door: a call that has not started waits
    until the hold is lifted, calls in flight finish, and ``on_drained`` is told when the
    last of them has (what an honest pause waits for before it says PAUSED).
    """

    def __init__(self, global_limit: int, region_limit: int) -> None:
        self.global_gate = Gate(global_limit)
        self.region_limit = region_limit
        self.regions: dict[str, Gate] = {}
        self.models: dict[tuple[str, str], AdaptiveLimit] = {}
        self.calls_in_flight = 0
        self.calls_started = 0
        self.last_call_started: float | None = None  # time.monotonic() of the last call let in
        self.on_drained: Callable[[], None] | None = None
        self._open = asyncio.Event()
        self._open.set()

    def region(self, region: str) -> Gate:
        """The gate of one region."""
        gate = self.regions.get(region)
        if gate is None:
            gate = self.regions[region] = Gate(self.region_limit)
        return gate

    def model(self, region: str, model: str) -> AdaptiveLimit:
        """The adaptive limit of one (region, model)."""
        key = (region, model)
        limit = self.models.get(key)
        if limit is None:
            limit = self.models[key] = AdaptiveLimit(self.region_limit)
        return limit

    @property
    def in_flight(self) -> int:
        """Calls in flight now."""
        return self.global_gate.in_use

    @property
    def held(self) -> bool:
        """Whether new calls wait (a pause holds them)."""
        return not self._open.is_set()

    def hold(self) -> None:
        """From now on no call starts; the calls in flight go on to their end."""
        self._open.clear()
        if self.calls_in_flight == 0:
            self._drained()

    def release_hold(self) -> None:
        """Let calls start again."""
        self._open.set()

    def _drained(self) -> None:
        if self.on_drained is not None:
            self.on_drained()

    @asynccontextmanager
    async def slot(
        self, region: str, model: str, *, urgent: bool = False
    ) -> AsyncIterator[AdaptiveLimit]:
        """Hold one call slot in every limit for the duration of a call."""
        adaptive = self.model(region, model)
        gates = (adaptive.gate, self.region(region), self.global_gate)
        taken: list[Gate] = []
        started = False
        try:
            while True:
                await self._open.wait()
                for gate in gates:
                    await gate.acquire(urgent=urgent)
                    taken.append(gate)
                if not self.held:
                    break
                # Held while this call waited for its slots: give them back, wait again.
                for gate in reversed(taken):
                    gate.release()
                taken.clear()
            started = True
            self.calls_in_flight += 1
            self.calls_started += 1
            self.last_call_started = time.monotonic()
            yield adaptive
        finally:
            for gate in reversed(taken):
                gate.release()
            if started:
                self.calls_in_flight -= 1
                if self.held and self.calls_in_flight == 0:
                    self._drained()
