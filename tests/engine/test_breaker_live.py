"""The region breaker against the real stand-in: a dead region fails fast, a revived one runs."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.bedrock.clients import BedrockClients, BedrockSettings
from certtui.config import Settings
from certtui.engine.breaker import BreakerState
from certtui.engine.job import EngineConfig, JobRunner, new_breaker
from certtui.engine.planning import JobRequest, plan_job
from certtui.engine.retry import RetryPolicy
from certtui.engine.service import CertificationService
from certtui.standin import parse_scenario
from certtui.standin.server import serve
from certtui.store.models import ModelCertification
from certtui.suites import default_suite
from support.engine import (
    REGIONS,
    assert_consistent,
    healthy_scenario,
    healthy_scenario_toml,
    job_state,
    sync,
)

DEAD = REGIONS[0]
MODELS = 8
RETRIES = RetryPolicy(base=0.01, cap=0.05, max_attempts=6)


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def clients(url: str, dead: dict[str, str] | None = None) -> BedrockClients:
    return BedrockClients(
        BedrockSettings(
            endpoint_url=url, connect_timeout=5, read_timeout=30, max_pool_connections=16,
            region_endpoints=tuple((dead or {}).items()),
        )
    )  # fmt: skip


async def units(sessions: async_sessionmaker, job_id: str) -> list[ModelCertification]:
    async with sessions() as session:
        return list(
            await session.scalars(
                sa.select(ModelCertification).where(ModelCertification.job_id == job_id)
            )
        )


async def test_a_region_on_a_closed_port_fails_fast_among_healthy_ones(
    sessions: async_sessionmaker,
) -> None:
    config = EngineConfig(concurrency=12, region_concurrency=2, retry=RETRIES)
    async with serve(healthy_scenario(MODELS)) as server:
        await sync(sessions, server.url)
        planned = await plan_job(
            sessions, JobRequest(regions=REGIONS, all_models=True, created_by="t@ci"),
            default_suite(),
        )  # fmt: skip
        async with clients(server.url, {DEAD: closed_port_url()}) as bedrock:
            runner = JobRunner(sessions, bedrock, default_suite(), planned.job_id, config)
            outcome = await runner.run()
        answered = server.stats.calls.get("Converse", 0) + server.stats.calls.get(
            "ConverseStream", 0
        )
    state = await job_state(sessions, planned.job_id)
    assert_consistent(state)
    assert outcome.processed == outcome.total == MODELS * len(REGIONS)
    rows = await units(sessions, planned.job_id)
    dead = [row for row in rows if row.region == DEAD]
    alive = [row for row in rows if row.region != DEAD]
    assert {row.status.value for row in alive} == {"COMPLETED"}
    assert {(row.status.value, row.error_category) for row in dead} == {("FAILED", "NETWORK_ERROR")}
    refused = [row for row in dead if "unreachable since" in (row.error_message or "")]
    assert len(refused) >= MODELS - config.region_concurrency * UNITS_IN_FLIGHT_PER_CALL, [
        row.error_message for row in dead
    ]
    assert all(f"region {DEAD} unreachable since" in row.error_message for row in refused)
    # Without the breaker each dead unit made every attempt (MODELS × 6 calls); with it, a few
    # calls open the region and the rest are refused without a call.
    calls_to_dead_region = runner.context.stats.calls - answered
    assert calls_to_dead_region <= config.breaker_threshold + 2 * config.region_concurrency
    assert runner.context.breaker.state(DEAD) is BreakerState.OPEN


UNITS_IN_FLIGHT_PER_CALL = 2  # the engine keeps two units going per call slot


async def test_an_endpoint_down_then_back_is_probed_and_runs_again(
    sessions: async_sessionmaker,
) -> None:
    # No waiting out the outage (tests/fault/test_endpoint_outage.py does): fail fast at once.
    config = EngineConfig(concurrency=8, region_concurrency=2, retry=RETRIES, breaker_cooldown=0.2,
                          breaker_outage_wait=0)  # fmt: skip
    breaker = new_breaker(config)  # one breaker for both jobs, as an interactive session has
    request = JobRequest(regions=REGIONS, all_models=True, created_by="t@ci")
    async with serve(healthy_scenario(2)) as server:
        url = server.url
        port = server.port
        await sync(sessions, url)
        first = await plan_job(sessions, request, default_suite())
    # The endpoint is down: every region fails fast once it has failed a few times.
    async with clients(url) as bedrock:
        runner = JobRunner(
            sessions, bedrock, default_suite(), first.job_id, config, breaker=breaker
        )
        await runner.run()
    down = await units(sessions, first.job_id)
    assert {(row.status.value, row.error_category) for row in down} == {("FAILED", "NETWORK_ERROR")}
    assert any("unreachable since" in (row.error_message or "") for row in down)
    assert {breaker.state(region) for region in REGIONS} == {BreakerState.OPEN}
    # It is back on the same port: after the cool-down a probe goes through, the region closes
    # and every unit runs.
    async with serve(healthy_scenario(2), port=port) as server:
        second = await plan_job(sessions, request, default_suite())
        await asyncio.sleep(config.breaker_cooldown * 2)
        async with clients(server.url) as bedrock:
            runner = JobRunner(
                sessions, bedrock, default_suite(), second.job_id, config, breaker=breaker
            )
            outcome = await runner.run()
    back = await units(sessions, second.job_id)
    assert {row.status.value for row in back} == {"COMPLETED"}, [r.error_message for r in back]
    assert outcome.succeeded == outcome.total == 2 * len(REGIONS)
    assert {breaker.state(region) for region in REGIONS} == {BreakerState.CLOSED}


async def test_a_region_discovery_could_not_reach_fails_fast_in_that_session(
    database_url: str, sessions: async_sessionmaker, tmp_path: Path
) -> None:
    # A region with no Bedrock endpoint: the stand-in drops its connections, as AWS would.
    toml = healthy_scenario_toml(2) + '[[regions]]\nname = "ap-south-1"\nbedrock = false\n'
    async with serve(parse_scenario(toml, source="breaker test")) as server:
        settings = Settings(
            database_url=database_url, endpoint_url=server.url, retry_base=0.01,
            retry_cap=0.05, data_dir=tmp_path, created_by="t@ci",
        )  # fmt: skip
        async with CertificationService(settings, sessions) as service:
            outcome = await service.sync(["us-east-1", "ap-south-1"])
            assert "ap-south-1" in outcome.failed
            assert service.breaker().state("ap-south-1") is BreakerState.OPEN
            planned = await service.certify(
                JobRequest(regions=("ap-south-1", "us-east-1"), api_model_ids=(MODEL,))
            )
            for _ in range(1200):  # a bound, not an expectation of speed
                if not service.running:
                    break
                await asyncio.sleep(0.1)
            assert not service.running
        runtime_calls = server.stats.calls.get("Converse", 0)
    rows = {row.region: row for row in await units(sessions, planned.job_id)}
    assert rows["us-east-1"].status.value == "COMPLETED"
    refused = rows["ap-south-1"]
    assert (refused.status.value, refused.error_category) == ("FAILED", "NETWORK_ERROR")
    assert "region ap-south-1 unreachable since" in refused.error_message
    assert "discovery:" in refused.error_message
    assert runtime_calls > 0  # us-east-1 ran; ap-south-1 was never called


MODEL = "acme.model-00-v1:0"
