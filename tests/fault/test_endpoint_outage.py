"""The Bedrock endpoint down for 45 s in the middle of a job, then back on the same port.

The stand-in server is stopped for real (connections refused) while a re-certification of cells
that passed before is running. No region answers, so the breaker holds the calls (no unit fails)
and probes the endpoint, half-open, after its cool-downs; when the server is back a probe gets
through, the regions close and the job finishes: every unit processed once, every cell still
passing (no NETWORK_ERROR over the earlier good results), the counters invariant holding.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import LogLine
from certtui.engine.breaker import Admission, BreakerState, RegionBreaker
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.engine.retry import RetryPolicy
from certtui.standin.server import serve
from certtui.store.models import CertificationResult, ModelCertification
from certtui.suites import default_suite
from support.engine import REGIONS, assert_consistent, clients_for, healthy_scenario, job_state
from support.engine import sync as sync_catalog

pytestmark = pytest.mark.fault

OUTAGE = 45.0
MODELS = 6
CONFIG = EngineConfig(
    concurrency=3,
    region_concurrency=1,
    retry=RetryPolicy(base=0.05, cap=0.2, max_attempts=6),
    breaker_threshold=3,
    breaker_cooldown=1.0,
    breaker_outage_wait=300.0,
)


class WatchedBreaker(RegionBreaker):
    """The real breaker, remembering each probe it let out and each call it refused."""

    def __init__(self) -> None:
        super().__init__(
            threshold=CONFIG.breaker_threshold,
            cooldown=CONFIG.breaker_cooldown,
            max_cooldown=8.0,
            outage_wait=CONFIG.breaker_outage_wait,
        )
        self.admissions: list[tuple[float, str, Admission]] = []

    def admit(self, region: str) -> Admission:
        admission = super().admit(region)
        if admission is not Admission.ALLOW:
            self.admissions.append((time.monotonic(), region, admission))
        return admission


async def _until(predicate, what: str, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    try:
        async with asyncio.timeout(timeout):
            while not await predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def _cells(sessions: async_sessionmaker) -> dict[tuple[str, str], tuple[str, bool | None]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(ModelCertification.model_id, ModelCertification.region,
                      ModelCertification.status, ModelCertification.passed)
        )  # fmt: skip
        return {(m, r): (s.value, p) for m, r, s, p in rows}


async def _history(sessions: async_sessionmaker, job_id: str) -> list[str]:
    async with sessions() as session:
        statuses = await session.scalars(
            sa.select(CertificationResult.status).where(CertificationResult.job_id == job_id)
        )
        return [status.value for status in statuses]


async def test_a_job_waits_out_an_endpoint_down_for_45_seconds(
    sessions: async_sessionmaker,
) -> None:
    scenario = healthy_scenario(MODELS, first_token_ms=40, per_token_ms=1)
    request = JobRequest(regions=REGIONS, all_models=True, created_by="outage@ci")
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(serve(scenario))
        port = server.port
        await sync_catalog(sessions, server.url)

        # The earlier verdicts: every cell passes.
        first = await plan_job(sessions, request, default_suite())
        async with clients_for(server.url) as bedrock:
            outcome = await JobRunner(sessions, bedrock, default_suite(), first.job_id,
                                      CONFIG).run()  # fmt: skip
        assert outcome.succeeded == outcome.total == MODELS * len(REGIONS)
        before = await _cells(sessions)
        assert set(before.values()) == {("COMPLETED", True)}

        # The re-certification, whose endpoint goes away once a few units are done.
        second = await plan_job(sessions, request, default_suite())
        breaker = WatchedBreaker()
        bedrock = clients_for(server.url)
        await bedrock.__aenter__()  # open for the whole job, across the outage
        runner = JobRunner(sessions, bedrock, default_suite(), second.job_id, CONFIG,
                           breaker=breaker)  # fmt: skip
        events: list[object] = []
        runner.bus.subscribe(events.append)
        job = asyncio.create_task(runner.run(), name="re-certification")

        async def some_done() -> bool:
            return (await job_state(sessions, second.job_id)).processed >= 3

        await _until(some_done, "a few units of the re-certification to finish")
        await stack.aclose()  # the stand-in stops: connections are refused from now on
    down_at = time.monotonic()
    stopped_with = (await job_state(sessions, second.job_id)).processed
    assert stopped_with < MODELS * len(REGIONS), "the job ended before the outage"

    # The outage: the job waits, no unit fails, the breaker probes the endpoint now and then.
    states: set[BreakerState] = set()
    while time.monotonic() - down_at < OUTAGE:
        state = await job_state(sessions, second.job_id)
        assert state.units.get("FAILED", 0) == 0, state
        assert_consistent(state)
        assert not job.done(), job
        states |= {breaker.state(region) for region in REGIONS}
        await asyncio.sleep(0.5)
    assert BreakerState.OPEN in states
    probes = [a for a in breaker.admissions if a[2] is Admission.PROBE and a[0] > down_at]
    refused = [a for a in breaker.admissions if a[2] is Admission.REFUSE and a[0] > down_at]
    assert len(probes) >= 2 and refused, (probes, refused)  # half-open probes, held calls
    told = [e.message for e in events if isinstance(e, LogLine) and e.level == "warning"]
    assert any("no region answers: calls wait for the endpoint" in m for m in told), told
    assert (await job_state(sessions, second.job_id)).processed < MODELS * len(REGIONS)

    # Back on the same port: a probe gets through, the regions close, the job finishes.
    try:
        async with serve(scenario, port=port) as server:
            assert server.port == port
            async with asyncio.timeout(300):  # a bound, not an expectation of speed
                outcome = await job
            answered_after = server.stats.calls.get("Converse", 0)
    finally:
        job.cancel()
        await bedrock.__aexit__(None, None, None)
    assert answered_after > 0
    assert outcome.status is JobStatus.COMPLETED
    assert outcome.processed == outcome.succeeded == outcome.total == MODELS * len(REGIONS)
    assert {breaker.state(region) for region in REGIONS} == {BreakerState.CLOSED}
    state = await job_state(sessions, second.job_id)
    assert_consistent(state)
    assert state.units == {"COMPLETED": MODELS * len(REGIONS)}
    # Each unit once in the history, none of them a failure; every cell still passes.
    history = await _history(sessions, second.job_id)
    assert history == [CertificationStatus.COMPLETED.value] * (MODELS * len(REGIONS))
    assert await _cells(sessions) == before
    assert len(await _history(sessions, first.job_id)) == MODELS * len(REGIONS)
