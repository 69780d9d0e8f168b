"""Engine test helpers: a healthy stand-in scenario, clients, catalog sync, job state."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.bedrock.clients import BedrockClients, BedrockSettings
from certtui.domain.enums import CertificationStatus
from certtui.engine.discovery import sync_catalog
from certtui.standin.scenario import Scenario, parse_scenario
from certtui.store.models import CertificationJob, ModelCertification

REGIONS = ("us-east-1", "eu-west-1", "us-west-2")


def healthy_scenario_toml(
    models: int = 6, *, first_token_ms: float = 5, per_token_ms: float = 0.3
) -> str:
    """A scenario of well-behaved models offered on demand everywhere, fast and steady."""
    lines = [
        'name = "engine-tests"',
        *(f'[[regions]]\nname = "{region}"' for region in REGIONS),
        "[profiles.default]",
        f"first_token_ms = {first_token_ms}",
        f"per_token_ms = {per_token_ms}",
        "jitter = 0.0",
    ]
    for index in range(models):
        lines += [
            "[[models]]",
            f'id = "acme.model-{index:02d}-v1:0"',
            f'name = "Acme Model {index}"',
            'provider = "Acme"',
            'on_demand = ["*"]',
        ]
    return "\n".join(lines) + "\n"


def healthy_scenario(models: int = 6, **latency: float) -> Scenario:
    """The healthy scenario, parsed."""
    return parse_scenario(healthy_scenario_toml(models, **latency), source="engine-tests")


def clients_for(url: str, *, pool: int = 32, read_timeout: float = 10) -> BedrockClients:
    """Real aioboto3 clients pointed at the stand-in, botocore retries off."""
    return BedrockClients(
        BedrockSettings(endpoint_url=url, max_pool_connections=pool, read_timeout=read_timeout)
    )


async def sync(sessions: async_sessionmaker, url: str, regions=REGIONS) -> None:  # type: ignore[no-untyped-def]
    """Fill the catalog from the stand-in."""
    async with clients_for(url) as clients:
        outcome = await sync_catalog(sessions, clients, list(regions))
    assert outcome.models_seen > 0


@dataclass
class JobState:
    """A job row and the states of its units."""

    status: str
    total: int
    processed: int
    succeeded: int
    failed: int
    units: dict[str, int]
    passed_units: int


async def job_state(sessions: async_sessionmaker, job_id: str) -> JobState:
    """Read the job and count its units by status, in one session."""
    async with sessions() as session:
        job = await session.get(CertificationJob, job_id)
        assert job is not None
        rows = (
            await session.execute(
                sa.select(ModelCertification.status, ModelCertification.passed).where(
                    ModelCertification.job_id == job_id
                )
            )
        ).all()
    units: dict[str, int] = {}
    for status, _ in rows:
        units[status.value] = units.get(status.value, 0) + 1
    passed = sum(1 for status, ok in rows if status is CertificationStatus.COMPLETED and ok)
    return JobState(
        job.status.value, job.total_models, job.processed_models, job.success_count,
        job.failure_count, units, passed,
    )  # fmt: skip


def assert_consistent(state: JobState) -> None:
    """SPEC §2.3: counters equal the units' states, each unit counted once."""
    terminal = sum(state.units.get(s, 0) for s in ("COMPLETED", "FAILED", "CANCELLED"))
    assert state.processed == state.succeeded + state.failed <= state.total
    assert state.processed == terminal
    assert state.succeeded == state.passed_units
    assert sum(state.units.values()) == state.total
