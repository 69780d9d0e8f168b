"""Verdicts that follow the catalog: not offered, not applicable, every profile, lifecycle."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.engine.retry import RetryPolicy
from certtui.errors import UsageError
from certtui.standin.scenario import parse_scenario
from certtui.standin.server import serve
from certtui.store.models import AIModel, ModelCertification, ModelRegionAvailability
from certtui.suites import default_suite
from support.engine import clients_for, sync

REGIONS = ("us-east-1", "us-west-2", "ap-northeast-1")
FAST = EngineConfig(concurrency=8, region_concurrency=4,
                    retry=RetryPolicy(base=0.01, cap=0.05, max_attempts=3))  # fmt: skip

SCENARIO = """
name = "catalog-verdicts"
[[regions]]
name = "us-east-1"
[[regions]]
name = "us-west-2"
[[regions]]
name = "ap-northeast-1"
[profiles.default]
first_token_ms = 1
per_token_ms = 0.1
jitter = 0.0

[[models]]
id = "ai21.jamba-1-5-large-v1:0"
provider = "AI21 Labs"
on_demand = ["us-east-1"]

[[models]]
id = "anthropic.claude-sonnet-4-5-20250929-v1:0"
provider = "Anthropic"
inference_profiles = ["us", "global"]
denied_profiles = ["us"]
profile_only = ["us-east-1", "us-west-2"]

[[models]]
id = "amazon.rerank-v1:0"
provider = "Amazon"
on_demand = ["us-west-2", "ap-northeast-1"]

[[models]]
id = "amazon.nova-sonic-v1:0"
provider = "Amazon"
input = ["SPEECH"]
output = ["SPEECH", "TEXT"]
on_demand = ["us-east-1"]

[[models]]
id = "anthropic.claude-3-haiku-20240307-v1:0"
provider = "Anthropic"
lifecycle = "LEGACY"
legacy_date = "2026-06-01"
end_of_life_date = "2026-12-20"
on_demand = ["*"]
"""
JAMBA = "ai21.jamba-1-5-large-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"


async def _run(sessions: async_sessionmaker, url: str, request: JobRequest) -> dict:
    planned = await plan_job(sessions, request, default_suite())
    async with clients_for(url) as clients:
        await JobRunner(sessions, clients, default_suite(), planned.job_id, FAST).run()
    async with sessions() as session:
        rows = (
            await session.execute(
                sa.select(AIModel.api_model_id, ModelCertification)
                .join(AIModel, AIModel.id == ModelCertification.model_id)
                .where(ModelCertification.job_id == planned.job_id)
            )
        ).all()
    return {(model_id, cert.region): cert for model_id, cert in rows}


async def test_a_model_not_offered_in_a_region_is_unavailable_without_a_call(
    sessions: async_sessionmaker,
) -> None:
    async with serve(parse_scenario(SCENARIO), latency_ms=1) as server:
        await sync(sessions, server.url, REGIONS)
        units = await _run(
            sessions, server.url, JobRequest(regions=("ap-northeast-1",), api_model_ids=(JAMBA,))
        )
        called = {region for region, model in server.stats.max_in_flight_by_model if model == JAMBA}
    cert = units[(JAMBA, "ap-northeast-1")]
    assert cert.error_category == "UNAVAILABLE"
    assert cert.error_message.startswith(f"{JAMBA}: not offered in ap-northeast-1 (catalog of 20")
    assert "ap-northeast-1" not in called


async def test_probe_unlisted_calls_and_says_not_offered_first(
    sessions: async_sessionmaker,
) -> None:
    async with serve(parse_scenario(SCENARIO), latency_ms=1) as server:
        await sync(sessions, server.url, REGIONS)
        request = JobRequest(
            regions=("ap-northeast-1",), api_model_ids=(JAMBA,), probe_unlisted=True
        )
        units = await _run(sessions, server.url, request)
        called = {region for region, model in server.stats.max_in_flight_by_model if model == JAMBA}
    cert = units[(JAMBA, "ap-northeast-1")]
    assert cert.error_category == "UNAVAILABLE"
    assert cert.error_message.startswith("not offered in ap-northeast-1 (catalog of ")
    assert "the probe got ValidationException" in cert.error_message
    assert "ap-northeast-1" in called


async def test_offered_only_plans_each_model_where_it_is_offered(
    sessions: async_sessionmaker,
) -> None:
    async with serve(parse_scenario(SCENARIO), latency_ms=1) as server:
        await sync(sessions, server.url, REGIONS)
        request = JobRequest(regions=REGIONS, api_model_ids=(JAMBA, SONNET), offered_only=True)
        planned = await plan_job(sessions, request, default_suite())
    async with sessions() as session:
        units = set(
            (
                await session.execute(
                    sa.select(AIModel.api_model_id, ModelCertification.region)
                    .join(AIModel, AIModel.id == ModelCertification.model_id)
                    .where(ModelCertification.job_id == planned.job_id)
                )
            ).all()
        )
    assert units == {(JAMBA, "us-east-1"), (SONNET, "us-east-1"), (SONNET, "us-west-2")}


async def test_rerank_and_sonic_are_not_applicable_and_become_no_units(
    sessions: async_sessionmaker,
) -> None:
    async with serve(parse_scenario(SCENARIO), latency_ms=1) as server:
        await sync(sessions, server.url, REGIONS)
        with pytest.raises(UsageError, match="rerank model"):
            await plan_job(
                sessions,
                JobRequest(regions=REGIONS, api_model_ids=("amazon.rerank-v1:0",)),
                default_suite(),
            )
        planned = await plan_job(
            sessions, JobRequest(regions=REGIONS, all_models=True), default_suite()
        )
    assert set(planned.not_applicable) == {"amazon.rerank-v1:0", "amazon.nova-sonic-v1:0"}
    assert "speech-to-speech" in planned.not_applicable_reasons["amazon.nova-sonic-v1:0"]


async def test_every_profile_is_kept_and_a_denied_one_falls_back_to_the_next(
    sessions: async_sessionmaker,
) -> None:
    async with serve(parse_scenario(SCENARIO), latency_ms=1) as server:
        await sync(sessions, server.url, REGIONS)
        async with sessions() as session:
            row = await session.scalar(
                sa.select(ModelRegionAvailability)
                .join(AIModel)
                .where(AIModel.api_model_id == SONNET)
                .where(ModelRegionAvailability.region == "us-east-1")
            )
        assert [p["id"] for p in row.inference_profiles] == [f"us.{SONNET}", f"global.{SONNET}"]
        assert row.inference_profiles[0]["destinations"] == ["us-east-1", "us-west-2"]
        units = await _run(
            sessions, server.url, JobRequest(regions=("us-east-1",), api_model_ids=(SONNET,))
        )
    cert = units[(SONNET, "us-east-1")]
    assert cert.status == "COMPLETED", cert.error_message
    evidence = cert.test_results
    assert evidence["inferenceProfile"] == f"global.{SONNET}"
    assert evidence["profileDestinations"] == ["us-east-1", "us-west-2"]
    assert evidence["profilesDenied"][0].startswith(f"us.{SONNET}: User: arn:aws:sts::")


async def test_lifecycle_dates_are_stored(sessions: async_sessionmaker) -> None:
    async with serve(parse_scenario(SCENARIO), latency_ms=1) as server:
        await sync(sessions, server.url, REGIONS)
    async with sessions() as session:
        row = await session.scalar(
            sa.select(ModelRegionAvailability)
            .join(AIModel)
            .where(AIModel.api_model_id == "anthropic.claude-3-haiku-20240307-v1:0")
            .limit(1)
        )
    assert row.lifecycle_status == "LEGACY"
    assert (row.legacy_at.date().isoformat(), row.end_of_life_at.date().isoformat()) == (
        "2026-06-01",
        "2026-12-20",
    )
