"""A circuit breaker per region: a region that cannot be reached fails fast, then is probed.

Without it a region whose endpoint is unreachable costs every unit there the engine's whole retry
budget (6 attempts, backoff up to 30 s). After ``threshold`` connection failures in a row in a
region (or when discovery could not reach it), the region is *open*: its units fail at once with
NETWORK_ERROR "region R unreachable since T", without a call. After a cool-down one call is let
through as a probe (*half-open*), and the calls that come meanwhile wait for its outcome: if it
connects, the region is closed again and they run as usual; if not, they fail fast, the region
stays open and the cool-down doubles, up to ``max_cooldown``.

A unit refused by an open region records what happened — a NETWORK_ERROR failure, like a unit
whose own calls could not connect — and ``certtui run --recertify-failed`` runs it again.

A region is dead when it still fails after another region answered; while no region answers,
the endpoint itself (the stand-in, a proxy, the network) is away. The units then wait for the
probes instead of failing — for up to ``outage_wait`` seconds from the first failure — so an
endpoint down for a minute costs a pause, not a job's worth of NETWORK_ERROR results over
earlier good ones. The first answer anywhere makes every waiting region probe at once.

The state machine is pure (no I/O, the clocks are passed in), so it is tested without a network;
`settled` only lets a caller wait, on the event loop, for the probe out in a region to report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

__all__ = ["Admission", "BreakerState", "RegionBreaker"]


class BreakerState(StrEnum):
    """Where a region's breaker is."""

    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are refused until the cool-down ends
    HALF_OPEN = "half-open"  # one probe call is out; the others are refused until it ends


class Admission(StrEnum):
    """What a call to a region may do now."""

    ALLOW = "allow"
    PROBE = "probe"  # go ahead, and report how it went: the region's fate depends on it
    REFUSE = "refuse"


@dataclass
class _Region:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0  # connection failures in a row
    went_down: float = 0.0  # monotonic time of the first failure of the current run
    dead: bool = False  # it failed after another region answered, or discovery found it so
    announced: bool = False  # the operator was told its calls wait
    since: datetime | None = None  # first failure of the current run of failures
    retry_at: float = 0.0
    cooldown: float = 0.0
    last_error: str = ""


class RegionBreaker:
    """One breaker per region name; every unit of every job that shares it sees the same state."""

    def __init__(
        self,
        *,
        threshold: int = 3,
        cooldown: float = 5.0,
        max_cooldown: float = 30.0,
        outage_wait: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if threshold < 1 or cooldown < 0 or max_cooldown < cooldown or outage_wait < 0:
            raise ValueError("threshold >= 1, 0 <= cooldown <= max_cooldown, outage_wait >= 0")
        self.threshold = threshold
        self.cooldown = cooldown
        self.max_cooldown = max_cooldown
        self.outage_wait = outage_wait
        self._last_answer = -float("inf")  # monotonic time any region last answered
        self._clock = clock
        self._wall_clock = wall_clock
        self._regions: dict[str, _Region] = {}
        self._probe_reported: dict[str, asyncio.Event] = {}

    def state(self, region: str) -> BreakerState:
        """The region's state now (an open region whose cool-down ended is still OPEN)."""
        found = self._regions.get(region)
        return found.state if found is not None else BreakerState.CLOSED

    def admit(self, region: str) -> Admission:
        """Whether a call to ``region`` may go out now; a PROBE must be reported back."""
        found = self._regions.get(region)
        if found is None or found.state is BreakerState.CLOSED:
            return Admission.ALLOW
        if found.state is BreakerState.OPEN and self._clock() >= found.retry_at:
            found.state = BreakerState.HALF_OPEN
            return Admission.PROBE
        return Admission.REFUSE

    async def settled(self, region: str) -> None:
        """Return once ``region`` has no probe out (at once if it has none)."""
        while self.state(region) is BreakerState.HALF_OPEN:
            await self._probe_reported.setdefault(region, asyncio.Event()).wait()

    def _reported(self, region: str) -> None:
        event = self._probe_reported.pop(region, None)
        if event is not None:
            event.set()

    def now(self) -> float:
        """The breaker's clock: give it back to ``succeeded`` as the time a call was sent."""
        return self._clock()

    def succeeded(self, region: str, *, sent_at: float | None = None) -> None:
        """A call to ``region`` (sent at ``sent_at``) got an answer, even an error: reachable.

        What judges other regions is when the answered call was sent: a call sent before the
        endpoint went away may still answer after, and says nothing about the outage.
        """
        now = self._clock()
        self._last_answer = max(self._last_answer, now if sent_at is None else sent_at)
        self._regions.pop(region, None)
        self._reported(region)
        for other in self._regions.values():
            # The endpoint answers again: regions waiting it out are probed now.
            if other.state is BreakerState.OPEN and not other.dead:
                other.retry_at = min(other.retry_at, now)

    def announce_wait(self, region: str) -> str | None:
        """What to tell the operator the first time calls to ``region`` wait, else None."""
        found = self._regions.get(region)
        if found is None or found.announced:
            return None
        found.announced = True
        return (
            f"{self.reason(region).split(';')[0]}; no region answers: calls wait for the "
            f"endpoint (probed after {found.cooldown:g} s) up to {self.outage_wait:g} s"
        )

    def wait_before_retry(self, region: str) -> float | None:
        """Seconds a refused call should wait for the next probe, or None to fail fast.

        A call waits while the whole endpoint looks down (``region`` has not failed since
        another region answered) and the outage is younger than ``outage_wait``; a dead region
        among live ones, or an outage past the limit, fails fast.
        """
        found = self._regions.get(region)
        if found is None or found.dead:
            return None
        now = self._clock()
        if now - found.went_down >= self.outage_wait:
            return None
        return max(0.0, min(found.retry_at, found.went_down + self.outage_wait) - now)

    def failed(self, region: str, error: str = "") -> None:
        """A call to ``region`` could not connect."""
        found = self._regions.setdefault(region, _Region())
        found.failures += 1
        found.last_error = error or found.last_error
        if found.since is None:
            found.since = self._wall_clock()
            found.went_down = self._clock()
        if self._last_answer >= found.went_down:
            found.dead = True  # another region answered during its outage, and it still fails
        if found.state is BreakerState.HALF_OPEN:
            # The probe failed: stay open, and wait longer before the next one.
            self._open(found, min(self.max_cooldown, max(found.cooldown * 2, self.cooldown)))
            self._reported(region)
        elif found.state is BreakerState.CLOSED and found.failures >= self.threshold:
            self._open(found, self.cooldown)

    def abandoned(self, region: str) -> None:
        """A probe ended without an answer either way (its unit was cancelled): probe again."""
        found = self._regions.get(region)
        if found is not None and found.state is BreakerState.HALF_OPEN:
            found.state = BreakerState.OPEN
            self._reported(region)

    def open(self, region: str, error: str = "") -> None:
        """Open ``region`` now: discovery could not reach it in this run."""
        found = self._regions.setdefault(region, _Region())
        found.failures = max(found.failures, self.threshold)
        found.last_error = error or found.last_error
        found.dead = True
        if found.since is None:
            found.since = self._wall_clock()
            found.went_down = self._clock()
        if found.state is BreakerState.CLOSED:
            self._open(found, self.cooldown)

    def reason(self, region: str) -> str:
        """Why calls to ``region`` are refused, for the unit's error message."""
        found = self._regions.get(region)
        if found is None or found.since is None:
            return f"region {region} unreachable"
        since = found.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        detail = f": {found.last_error}" if found.last_error else ""
        return (
            f"region {region} unreachable since {since} ({found.failures} connection failures"
            f"{detail}); not called, probed again after {found.cooldown:g} s"
        )

    def _open(self, found: _Region, cooldown: float) -> None:
        found.state = BreakerState.OPEN
        found.cooldown = cooldown
        found.retry_at = self._clock() + cooldown
