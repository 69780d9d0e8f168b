"""Export fixtures: a migrated database of each kind holding certifications in every state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.store.models import (
    AIModel,
    AIProvider,
    CertificationJob,
    ModelCertification,
    ModelRegionAvailability,
)
from certtui.suites.loader import default_suite
from certtui.suites.results import TestRecord, build_test_results
from certtui.suites.scoring import TestStatus

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
TITAN = "amazon.titan-text-express-v1"
JOB_ONE = "11111111-1111-4111-8111-111111111111"
JOB_TWO = "22222222-2222-4222-8222-222222222222"
COMPLETED_AT = datetime(2024, 5, 1, 12, 30, 15, 250000)
ACCESS_DENIED = (
    "AccessDeniedException: You don't have access to the model with the specified model ID."
)


@dataclass(frozen=True)
class Seeded:
    """The seeded database, and the names of what it holds (conftest cannot be imported)."""

    url: str
    sessions: async_sessionmaker

    HAIKU: ClassVar[str] = HAIKU
    LLAMA: ClassVar[str] = LLAMA
    TITAN: ClassVar[str] = TITAN
    JOB_ONE: ClassVar[str] = JOB_ONE
    JOB_TWO: ClassVar[str] = JOB_TWO
    COMPLETED_AT: ClassVar[datetime] = COMPLETED_AT
    ACCESS_DENIED: ClassVar[str] = ACCESS_DENIED


@pytest.fixture
async def seeded(database_url: str, sessions: async_sessionmaker) -> Seeded:
    """The migrated database with a provider, three models and five certifications."""
    async with sessions.begin() as session:
        await seed(session)
    return Seeded(database_url, sessions)


def passing_document() -> dict:
    """A testResults document where every test passed except image_input, which was skipped."""
    suite = default_suite()
    records = [
        TestRecord.skipped(test, "no IMAGE input modality")
        if test.id == "image_input"
        else TestRecord(
            id=test.id,
            weight=test.weight,
            required=test.required,
            status=TestStatus.PASSED,
            client_latency_ms=420,
            input_tokens=20,
            output_tokens=8,
            stop_reason="end_turn",
            answer_excerpt="ok",
            attempts=1,
        )
        for test in suite.tests
    ]
    return build_test_results(records, invoke_id=f"us.{HAIKU}", suite=suite)


def failing_document() -> dict:
    """A testResults document where four tests failed, so the battery did not pass."""
    suite = default_suite()
    reasons = {
        "instruction": "expected '42', got 'The answer is 42.'",
        "system_prompt": "system messages not supported",
        "multi_turn": "the fact from turn 1 was not recalled",
        "tool_use": "tool use not supported | by this model",
    }
    records = [
        TestRecord(
            id=test.id,
            weight=test.weight,
            required=test.required,
            status=TestStatus.FAILED if test.id in reasons else TestStatus.PASSED,
            reason=reasons.get(test.id, ""),
            client_latency_ms=900,
            attempts=1,
        )
        for test in suite.tests
    ]
    # Produced by certtui's stand-in: every export must say so.
    return build_test_results(records, invoke_id=LLAMA, suite=suite, extra={"simulated": True})


async def seed(session) -> None:  # type: ignore[no-untyped-def]
    """Insert the provider, models, availability, two jobs and the certifications."""
    provider = AIProvider(name="AWS Bedrock", slug="bedrock")
    session.add(provider)
    await session.flush()
    haiku = AIModel(name="Claude 3 Haiku", api_model_id=HAIKU, provider_id=provider.id)
    llama = AIModel(name="Llama 3 8B Instruct", api_model_id=LLAMA, provider_id=provider.id)
    titan = AIModel(name="Titan Text Express", api_model_id=TITAN, provider_id=provider.id)
    session.add_all([haiku, llama, titan])
    await session.flush()
    session.add_all(
        [
            ModelRegionAvailability(
                model_id=haiku.id, region="us-east-1", provider_name="Anthropic", offered=True
            ),
            ModelRegionAvailability(
                model_id=haiku.id, region="eu-west-1", provider_name="Anthropic", offered=True
            ),
            ModelRegionAvailability(
                model_id=llama.id, region="us-east-1", provider_name="Meta", offered=True
            ),
            # Titan has no availability row, and Llama none in eu-west-1: no vendor known.
            CertificationJob(
                id=JOB_ONE,
                type=CertificationJobType.MULTIPLE_MODELS,
                status=JobStatus.COMPLETED,
                regions=["us-east-1", "eu-west-1"],
                model_ids=[haiku.id, llama.id],
            ),
            CertificationJob(
                id=JOB_TWO,
                type=CertificationJobType.MULTIPLE_MODELS,
                status=JobStatus.PROCESSING,
                regions=["us-east-1", "eu-west-1"],
                model_ids=[titan.id, llama.id],
            ),
        ]
    )
    passing, failing = passing_document(), failing_document()
    session.add_all(
        [
            ModelCertification(
                model_id=haiku.id,
                region="us-east-1",
                status=CertificationStatus.COMPLETED,
                passed=True,
                score=passing["score"],
                rating=passing["rating"],
                test_results=passing,
                job_id=JOB_ONE,
                completed_at=COMPLETED_AT,
                duration=12345,
                created_by="alice@ops-1",
            ),
            ModelCertification(
                model_id=haiku.id,
                region="eu-west-1",
                status=CertificationStatus.FAILED,
                passed=False,
                error_category="PERMISSION_ERROR",
                error_message=ACCESS_DENIED,
                job_id=JOB_ONE,
                completed_at=COMPLETED_AT,
                duration=800,
                created_by="alice@ops-1",
            ),
            ModelCertification(
                model_id=llama.id,
                region="us-east-1",
                status=CertificationStatus.COMPLETED,
                passed=False,
                score=failing["score"],
                rating=failing["rating"],
                test_results=failing,
                error_category="QUALITY_ISSUE",
                job_id=JOB_ONE,
                completed_at=COMPLETED_AT,
                duration=30500,
                created_by="alice@ops-1",
            ),
            ModelCertification(
                model_id=llama.id,
                region="eu-west-1",
                status=CertificationStatus.QUEUED,
                job_id=JOB_TWO,
                created_by="bob@ops-2",
            ),
            ModelCertification(
                model_id=titan.id,
                region="us-east-1",
                status=CertificationStatus.CANCELLED,
                job_id=JOB_TWO,
                created_by="bob@ops-2",
            ),
        ]
    )
