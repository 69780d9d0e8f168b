"""Concurrency limits on Bedrock calls in flight: global, per region, adaptive per model.

With ``limit_scope = "cluster"`` (PostgreSQL) the global and per-region limits hold across every
process on the database together: a call also takes a cluster slot of its region and one of the
whole cluster (``store.slots``), and a throttle one process sees lowers the adaptive limit of
that (region, model) in all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Gate:
    """A semaphore whose capacity can change while it is in use, cancellation-safe.

    Waiters are served by priority, then by rank, then in arrival order: an urgent call (one
    a unit is blocked on, such as its first call or the next turn of a conversation) goes
    first, and a lower rank (the engine passes the unit's start time) before a higher one.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self.peak = 0
        self._waiters: list[tuple[int, float, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        """Acquirers waiting for a slot now (some may have been cancelled)."""
        return len(self._waiters)

    async def acquire(self, *, urgent: bool = False, rank: float = 0.0) -> None:
        """Wait for a free slot and take it (``urgent`` first, then the lowest ``rank``)."""
        if self.in_use < self.capacity and not self._waiters:
            self._take()
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (0 if urgent else 1, rank, next(self._arrivals), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as we were cancelled: hand it on
            else:
                self._waiters = [w for w in self._waiters if w[-1] is not waiter]
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
            *_, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                self._take()
                waiter.set_result(None)


class AdaptiveLimit:
    """Additive increase, multiplicative decrease: halves on throttling, creeps back on success."""

    def __init__(
        self, ceiling: int, start: int | None = None, *, told: Callable[[int], None] | None = None
    ) -> None:
        self.ceiling = ceiling
        self.gate = Gate(start or ceiling)
        self._successes = 0
        self.told = told  # hears each throttled-down limit (to share it with other processes)

    @property
    def limit(self) -> int:
        """The current limit."""
        return self.gate.capacity

    def on_throttle(self) -> int:
        """Halve the limit (never below one); returns the new limit."""
        self._successes = 0
        self.gate.resize(max(1, self.gate.capacity // 2))
        if self.told is not None:
            self.told(self.gate.capacity)
        return self.gate.capacity

    def adopt(self, limit: int) -> bool:
        """Slow to ``limit`` another process learned, if it is lower; whether it was."""
        if limit >= self.gate.capacity:
            return False
        self._successes = 0
        self.gate.resize(max(1, limit))
        return True

    def on_success(self) -> None:
        """After ``limit`` successes in a row, raise the limit by one up to the ceiling."""
        self._successes += 1
        if self._successes >= self.gate.capacity and self.gate.capacity < self.ceiling:
            self._successes = 0
            self.gate.resize(self.gate.capacity + 1)


class Slots(Protocol):
    """Cluster-wide call slots (``store.slots.ClusterSlots``)."""

    on_throttle: Callable[[str, str, int], None] | None

    async def take(self, scope: str, limit: int) -> Any: ...
    async def give(self, held: Any) -> None: ...
    async def share_throttle(self, region: str, model: str, limit: int) -> None: ...
    async def listen(self) -> None: ...
    async def close(self) -> None: ...


class CallLimiter:
    """The three limits of SPEC §4, taken in a fixed order so waits never deadlock.

    ``cluster`` makes the global and region limits cluster-wide (see the module's docstring);
    whoever made the limiter closes it (``aclose``), which gives every cluster slot back.

    A hold (a pause) stops every new call at the door: a call that has not started waits
    until the hold is lifted, calls in flight finish, and ``on_drained`` is told when the
    last of them has (what an honest pause waits for before it says PAUSED).
    """

    def __init__(
        self, global_limit: int, region_limit: int, *, cluster: Slots | None = None
    ) -> None:
        self.global_limit = global_limit
        self.global_gate = Gate(global_limit)
        self.region_limit = region_limit
        self.regions: dict[str, Gate] = {}
        self.models: dict[tuple[str, str], AdaptiveLimit] = {}
        self.cluster = cluster
        self.shared_throttles = 0  # throttles heard from other processes that slowed us
        self.degraded = 0  # calls made under process limits since the cluster's went away
        self._sharing: set[asyncio.Task[None]] = set()
        self.calls_in_flight = 0
        self.calls_started = 0
        self.last_call_started: float | None = None  # time.monotonic() of the last call let in
        self.on_drained: Callable[[], None] | None = None
        self._open = asyncio.Event()
        self._open.set()
        if cluster is not None:
            cluster.on_throttle = self._heard_throttle

    @property
    def scope(self) -> str:
        """``cluster`` or ``process``: where the global and region limits hold."""
        return "process" if self.cluster is None else "cluster"

    async def start(self) -> None:
        """Start hearing throttles other processes share (cluster scope only)."""
        if self.cluster is not None:
            try:
                await self.cluster.listen()
            except Exception as exc:  # the database is out now: limits still hold, unshared
                log.warning("cannot hear other processes' throttles: %s", exc)

    async def aclose(self, timeout: float | None = None) -> None:
        """Give every cluster slot back and close its connections, within ``timeout`` s if given.

        Over a link that hangs, closing the connections would wait for ever: they are left
        then, and the server frees their locks when it drops them.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                if self._sharing:
                    await asyncio.gather(*self._sharing, return_exceptions=True)
                if self.cluster is not None:
                    await self.cluster.close()

    def _told(self, region: str, model: str, limit: int) -> None:
        if self.cluster is None:
            return
        task = asyncio.ensure_future(self.cluster.share_throttle(region, model, limit))
        self._sharing.add(task)
        task.add_done_callback(self._sharing.discard)

    def _heard_throttle(self, region: str, model: str, limit: int) -> None:
        if self.model(region, model).adopt(limit):
            self.shared_throttles += 1

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
            limit = self.models[key] = AdaptiveLimit(
                self.region_limit, told=lambda new: self._told(region, model, new)
            )
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
        self, region: str, model: str, *, urgent: bool = False, rank: float = 0.0
    ) -> AsyncIterator[AdaptiveLimit]:
        """Hold one call slot in every limit for the duration of a call (``urgent`` and
        ``rank`` order the waiters of each gate: see Gate)."""
        adaptive = self.model(region, model)
        gates = (adaptive.gate, self.region(region), self.global_gate)
        taken: list[Gate] = []
        held: list[Any] = []
        started = False
        try:
            while True:
                await self._open.wait()
                for gate in gates:
                    await gate.acquire(urgent=urgent, rank=rank)
                    taken.append(gate)
                if self.cluster is not None:
                    await self._take_cluster_slots(region, held)
                if not self.held:
                    break
                # Held while this call waited for its slots: give them back, wait again.
                if held:
                    await asyncio.shield(self._give(held))
                    held.clear()
                for gate in reversed(taken):
                    gate.release()
                taken.clear()
            started = True
            self.calls_in_flight += 1
            self.calls_started += 1
            self.last_call_started = time.monotonic()
            yield adaptive
        finally:
            if held:
                await asyncio.shield(self._give(held))
            for gate in reversed(taken):
                gate.release()
            if started:
                self.calls_in_flight -= 1
                if self.held and self.calls_in_flight == 0:
                    self._drained()

    async def _take_cluster_slots(self, region: str, held: list[Any]) -> None:
        assert self.cluster is not None
        try:
            # Region before global in every process, as the local gates: no cycle of waits.
            held.append(await self.cluster.take(f"region:{region}", self.region_limit))
            held.append(await self.cluster.take("global", self.global_limit))
        except Exception as exc:
            # The database is out: the job's writer waits for it, and calls go on under this
            # process's own limits meanwhile rather than fail (said once per outage).
            if not self.degraded:
                log.warning("cluster call limits unavailable (%s): process limits apply", exc)
            self.degraded += 1
            return
        if self.degraded:
            log.info("cluster call limits apply again")
            self.degraded = 0

    async def _give(self, held: list[Any]) -> None:
        assert self.cluster is not None
        for slot in reversed(held):
            await self.cluster.give(slot)
