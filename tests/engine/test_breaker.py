"""The region breaker as a pure state machine: open after failures, refuse, probe, close."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certtui.engine.breaker import Admission, BreakerState, RegionBreaker

WALL = datetime(2026, 12, 2, 14, 5, 31, tzinfo=UTC)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, **kwargs: float) -> RegionBreaker:
    return RegionBreaker(clock=clock, wall_clock=lambda: WALL, **kwargs)  # type: ignore[arg-type]


def test_a_few_connection_failures_in_a_row_open_the_region_only() -> None:
    clock = Clock()
    b = breaker(clock, threshold=3, cooldown=5)
    b.failed("us-east-1", "EndpointConnectionError: Could not connect")
    b.failed("us-east-1")
    assert b.admit("us-east-1") is Admission.ALLOW
    b.failed("us-east-1")
    assert b.state("us-east-1") is BreakerState.OPEN
    assert b.admit("us-east-1") is Admission.REFUSE
    assert b.admit("eu-west-1") is Admission.ALLOW
    reason = b.reason("us-east-1")
    assert reason.startswith("region us-east-1 unreachable since 2026-12-02 14:05:31 UTC")
    assert "EndpointConnectionError: Could not connect" in reason


def test_an_answer_between_failures_keeps_the_region_closed() -> None:
    b = breaker(Clock(), threshold=3)
    for _ in range(10):
        b.failed("us-east-1")
        b.failed("us-east-1")
        b.succeeded("us-east-1")
    assert b.state("us-east-1") is BreakerState.CLOSED


def test_after_the_cooldown_one_probe_goes_out_and_its_success_closes_the_region() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1, cooldown=5)
    b.failed("us-east-1")
    clock.now += 4.9
    assert b.admit("us-east-1") is Admission.REFUSE
    clock.now += 0.2
    assert b.admit("us-east-1") is Admission.PROBE
    assert b.state("us-east-1") is BreakerState.HALF_OPEN
    assert b.admit("us-east-1") is Admission.REFUSE  # one probe at a time
    b.succeeded("us-east-1")
    assert b.state("us-east-1") is BreakerState.CLOSED
    assert b.admit("us-east-1") is Admission.ALLOW


def test_a_failed_probe_reopens_with_a_longer_cooldown_up_to_the_cap() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1, cooldown=5, max_cooldown=12)
    b.failed("r")
    waits = []
    for _ in range(4):
        start = clock.now
        while b.admit("r") is not Admission.PROBE:
            clock.now += 0.5
        waits.append(clock.now - start)
        b.failed("r")
    assert waits[0] == pytest.approx(5, abs=0.5)
    assert waits[1] == pytest.approx(10, abs=0.5)
    assert waits[2] == pytest.approx(12, abs=0.5) and waits[3] == pytest.approx(12, abs=0.5)


def test_an_abandoned_probe_lets_the_next_call_probe() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1, cooldown=0)
    b.failed("r")
    assert b.admit("r") is Admission.PROBE
    b.abandoned("r")
    assert b.admit("r") is Admission.PROBE


def test_discovery_that_could_not_reach_a_region_opens_it_at_once() -> None:
    b = breaker(Clock(), threshold=3, cooldown=5)
    b.open("ap-south-1", "discovery: EndpointConnectionError: no route")
    assert b.admit("ap-south-1") is Admission.REFUSE
    assert "discovery: EndpointConnectionError" in b.reason("ap-south-1")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["admit", "ok", "fail", "abandon", "tick"]),
            st.sampled_from(["a", "b"]),
        ),
        max_size=60,
    )
)
def test_the_state_machine_never_lets_two_probes_out_or_refuses_a_closed_region(
    steps: list[tuple[str, str]],
) -> None:
    clock = Clock()
    b = breaker(clock, threshold=2, cooldown=1, max_cooldown=4)
    probing: dict[str, bool] = {"a": False, "b": False}
    for action, region in steps:
        before = b.state(region)
        if action == "admit":
            admission = b.admit(region)
            if before is BreakerState.CLOSED:
                assert admission is Admission.ALLOW
            if admission is Admission.PROBE:
                assert not probing[region], "two probes out at once"
                probing[region] = True
        elif action == "ok":
            b.succeeded(region)
            probing[region] = False
            assert b.state(region) is BreakerState.CLOSED
        elif action == "fail":
            b.failed(region)
            probing[region] = False
            assert b.state(region) is not BreakerState.HALF_OPEN
        elif action == "abandon":
            b.abandoned(region)
            probing[region] = False
        else:
            clock.now += 0.7
        assert (b.state(region) is BreakerState.HALF_OPEN) == probing[region]


async def test_calls_wait_for_the_probe_out_and_go_on_when_it_reports() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1, cooldown=0)
    b.failed("r")
    assert b.admit("r") is Admission.PROBE
    waiter = asyncio.create_task(b.settled("r"))
    await asyncio.sleep(0)
    assert not waiter.done()
    b.succeeded("r")
    await asyncio.wait_for(waiter, 10)
    await asyncio.wait_for(b.settled("r"), 10)  # nothing out: at once


# While no region answers, the endpoint itself is down: calls wait for it (engine/breaker.py).


def test_calls_wait_out_an_endpoint_no_region_can_reach_up_to_the_limit() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1, cooldown=5, max_cooldown=30, outage_wait=60)
    for region in ("us-east-1", "eu-west-1"):
        b.failed(region)
    assert b.admit("us-east-1") is Admission.REFUSE
    assert b.wait_before_retry("us-east-1") == pytest.approx(5)  # until the probe is due
    clock.now += 5
    assert b.admit("us-east-1") is Admission.PROBE
    b.failed("us-east-1")  # still down: the next probe after 10 s, the calls still wait
    assert b.wait_before_retry("us-east-1") == pytest.approx(10)
    clock.now += 10
    assert b.admit("us-east-1") is Admission.PROBE
    b.failed("us-east-1")
    assert b.wait_before_retry("us-east-1") == pytest.approx(20)
    clock.now += 20
    assert b.admit("us-east-1") is Admission.PROBE
    b.failed("us-east-1")  # the next probe would be after the limit: the limit comes first
    assert b.wait_before_retry("us-east-1") == pytest.approx(25)
    clock.now += 25
    assert b.wait_before_retry("us-east-1") is None  # past the limit: fail fast


def test_without_an_outage_wait_an_unreachable_endpoint_fails_fast() -> None:
    b = breaker(Clock(), threshold=1, cooldown=5)
    b.failed("us-east-1")
    assert b.wait_before_retry("us-east-1") is None


def test_the_first_answer_probes_every_waiting_region_at_once() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1, cooldown=30, max_cooldown=30, outage_wait=120)
    for region in ("us-east-1", "eu-west-1", "us-west-2"):
        b.failed(region)
    clock.now += 30
    assert b.admit("us-east-1") is Admission.PROBE
    b.succeeded("us-east-1", sent_at=clock())  # the endpoint is back
    assert b.admit("eu-west-1") is Admission.PROBE  # no 30 s cool-down to sit out
    b.succeeded("eu-west-1", sent_at=clock())
    assert b.admit("us-west-2") is Admission.PROBE
    b.failed("us-west-2")  # others answer and it does not: a dead region, it fails fast
    assert b.wait_before_retry("us-west-2") is None
    assert b.reason("us-west-2").startswith("region us-west-2 unreachable since")


def test_a_dead_region_among_live_ones_fails_fast_whatever_the_outage_wait() -> None:
    clock = Clock()
    b = breaker(clock, threshold=2, cooldown=5, outage_wait=300)
    b.succeeded("eu-west-1", sent_at=clock())
    clock.now += 1
    b.failed("us-east-1")
    clock.now += 1
    b.succeeded("eu-west-1", sent_at=clock())
    clock.now += 1
    b.failed("us-east-1")
    assert b.state("us-east-1") is BreakerState.OPEN
    assert b.wait_before_retry("us-east-1") is None


def test_an_answer_to_a_call_sent_before_the_outage_proves_nothing() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1, cooldown=5, outage_wait=300)
    sent = clock()
    clock.now += 1
    b.failed("us-east-1")  # the endpoint goes away
    clock.now += 1
    b.succeeded("eu-west-1", sent_at=sent)  # a call in flight from before still answers
    b.failed("us-east-1")
    assert b.wait_before_retry("us-east-1") is not None  # still waiting, not judged dead


def test_a_region_discovery_could_not_reach_never_waits() -> None:
    b = breaker(Clock(), threshold=3, cooldown=5, outage_wait=300)
    b.open("ap-south-1", "discovery: EndpointConnectionError")
    assert b.wait_before_retry("ap-south-1") is None
