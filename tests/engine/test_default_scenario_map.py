"""A `run --all` over the default scenario's regions agrees with the scenario's category map."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.engine.discovery import sync_catalog
from certtui.engine.job import EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.engine.retry import RetryPolicy
from certtui.standin.scenario import default_scenario
from certtui.standin.server import serve
from certtui.store.models import AIModel, ModelCertification
from certtui.suites import default_suite
from support.engine import clients_for

CONFIG = EngineConfig(concurrency=64, region_concurrency=16,
                      retry=RetryPolicy(base=0.01, cap=0.05, max_attempts=12))  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_verdict_contradicts_the_scenario_map(sessions: async_sessionmaker) -> None:
    scenario = default_scenario()
    regions = tuple(region.name for region in scenario.regions)
    async with (
        serve(scenario, seed=0, latency_ms=0) as server,
        clients_for(server.url, pool=64) as clients,
    ):
        await sync_catalog(sessions, clients, list(regions))
        planned = await plan_job(
            sessions, JobRequest(regions=regions, all_models=True), default_suite()
        )
        await JobRunner(sessions, clients, default_suite(), planned.job_id, CONFIG).run()
    async with sessions() as session:
        units = (
            await session.execute(
                sa.select(AIModel.api_model_id, ModelCertification)
                .join(AIModel, AIModel.id == ModelCertification.model_id)
                .where(ModelCertification.job_id == planned.job_id)
            )
        ).all()
    assert len(units) > 400
    contradictions = []
    seen_categories = set()
    for model_id, cert in units:
        expected = scenario.expected_category(model_id, cert.region)
        got = cert.error_category
        seen_categories.add(got)
        if expected is None:
            ok = got is None
        elif expected == "QUALITY_ISSUE":
            ok = got in (None, "QUALITY_ISSUE")  # a flawed model may still pass a region
        else:
            ok = got == expected
        if not ok:
            contradictions.append((model_id, cert.region, expected, got, cert.error_message))
    assert contradictions == []
    # Every mapped category actually showed up.
    assert set(scenario.categories) <= seen_categories
    # Not-applicable models became no units, with a reason each.
    for model_id in ("amazon.rerank-v1:0", "cohere.rerank-v3-5:0", "amazon.nova-sonic-v1:0",
                     "amazon.nova-reel-v1:1", "amazon.titan-embed-text-v2:0"):  # fmt: skip
        assert model_id in planned.not_applicable_reasons
        assert model_id not in {m for m, _ in units}
