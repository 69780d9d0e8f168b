"""A hostile catalog: what a shared database or a rogue endpoint could show a terminal."""

from __future__ import annotations

import unicodedata
from datetime import datetime

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

# Terminal title (OSC 0 … BEL), clear screen (CSI 2J), an 8-bit CSI (U+009B), a bidi override,
# a line separator and a formula: in names, messages, evidence and answers.
TITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J"
HOSTILE_MODEL = f"evil.model{TITLE}-v1:0"
HOSTILE_NAME = f'=HYPERLINK("http://x","{CLEAR}click")\u202eexe.txt'
HOSTILE_VENDOR = f"Acme{CLEAR}\x9b31m[b]bold[/b]"
HOSTILE_MESSAGE = f"denied{TITLE}\u2066hidden\u2069\x1b[1A [/] \u2028next"
HOSTILE_REASON = f"-2+3 {CLEAR}\x08\x08"
HOSTILE_ANSWER = f"@SUM(A1) {TITLE} line\nnext\x7f"
HOSTILE_USER = f"mallory{CLEAR}@ops"
HOSTILE_JOB = "66666666-6666-4666-8666-666666666666"
REGION = "us-east-1"
FAILED_REGION = "eu-west-1"
COMPLETED_AT = datetime(2024, 5, 1, 12, 30, 15)

JOINERS = {"\u200c", "\u200d"}
BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "LRM", "RLM", "ALM"}


def unsafe_characters(text: str, *, allowed: str = "\n") -> list[str]:
    """The characters of ``text`` that act on a terminal (controls, bidi), as escapes."""
    found = []
    for char in text:
        if char in allowed or char in JOINERS:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp") or (
            unicodedata.bidirectional(char) in BIDI_CONTROLS
        ):
            found.append(repr(char))
    return found


def hostile_document() -> dict:
    """A testResults document whose reasons and answers carry escapes."""
    suite = default_suite()
    records = [
        TestRecord(
            id=test.id,
            weight=test.weight,
            required=test.required,
            status=TestStatus.FAILED if index == 0 else TestStatus.PASSED,
            reason=HOSTILE_REASON if index == 0 else "",
            client_latency_ms=400,
            answer_excerpt=HOSTILE_ANSWER,
            stop_reason="end_turn",
            attempts=1,
        )
        for index, test in enumerate(suite.tests)
    ]
    return build_test_results(records, invoke_id=HOSTILE_MODEL, suite=suite)


async def seed_hostile(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Insert a hostile provider, model, job and two certifications; returns their ids."""
    provider = AIProvider(name=HOSTILE_VENDOR, slug="bedrock")
    session.add(provider)
    await session.flush()
    model = AIModel(name=HOSTILE_NAME, api_model_id=HOSTILE_MODEL, provider_id=provider.id)
    session.add(model)
    await session.flush()
    document = hostile_document()
    completed = ModelCertification(
        model_id=model.id,
        region=REGION,
        status=CertificationStatus.COMPLETED,
        passed=False,
        score=document["score"],
        rating=document["rating"],
        test_results=document,
        error_category="QUALITY_ISSUE",
        job_id=HOSTILE_JOB,
        completed_at=COMPLETED_AT,
        duration=1200,
        created_by=HOSTILE_USER,
    )
    failed = ModelCertification(
        model_id=model.id,
        region=FAILED_REGION,
        status=CertificationStatus.FAILED,
        passed=False,
        error_category="PERMISSION_ERROR",
        error_message=HOSTILE_MESSAGE,
        job_id=HOSTILE_JOB,
        completed_at=COMPLETED_AT,
        duration=800,
        created_by=HOSTILE_USER,
    )
    session.add_all(
        [
            ModelRegionAvailability(
                model_id=model.id,
                region=region,
                provider_name=HOSTILE_VENDOR,
                offered=True,
                input_modalities=["TEXT"],
                output_modalities=["TEXT"],
            )
            for region in (REGION, FAILED_REGION)
        ]
    )
    session.add(
        CertificationJob(
            id=HOSTILE_JOB,
            type=CertificationJobType.MULTIPLE_MODELS,
            status=JobStatus.COMPLETED,
            regions=[REGION, FAILED_REGION],
            model_ids=[model.id],
            total_models=2,
            processed_models=2,
            failure_count=2,
            created_by=HOSTILE_USER,
        )
    )
    session.add_all([completed, failed])
    await session.flush()
    return {"model": model.id, "completed": completed.id, "failed": failed.id}


EARLIER_JOB = "55555555-5555-4555-8555-555555555555"
HOSTILE_CATEGORY = f"PERMISSION_ERROR{CLEAR}|`*x*`"


async def seed_hostile_history(session, ids: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Two completed jobs over the hostile cells, so `diff` and the history show them.

    The earlier job passed in both regions; the hostile job's verdicts (one not passed, one
    failed with a hostile category) are regressions. Call after ``seed_hostile``.
    """
    from certtui.store import history

    session.add(
        CertificationJob(
            id=EARLIER_JOB,
            type=CertificationJobType.MULTIPLE_MODELS,
            status=JobStatus.COMPLETED,
            regions=[REGION, FAILED_REGION],
            model_ids=[ids["model"]],
            total_models=2,
            processed_models=2,
            success_count=2,
            created_by=HOSTILE_USER,
            created_at=datetime(2024, 4, 1, 12, 0, 0),
        )
    )
    await session.flush()
    earlier = datetime(2024, 4, 1, 12, 30, 0)
    rows = [
        history.history_row(
            {"modelId": ids["model"], "region": region, "jobId": EARLIER_JOB,
             "status": "COMPLETED", "passed": True, "score": 100.0, "rating": "A",
             "completedAt": earlier, "duration": 500, "createdBy": HOSTILE_USER}
        )
        for region in (REGION, FAILED_REGION)
    ] + [
        history.history_row(
            {"modelId": ids["model"], "region": REGION, "jobId": HOSTILE_JOB,
             "status": "COMPLETED", "passed": False, "score": 40.0, "rating": "D",
             "errorCategory": "QUALITY_ISSUE", "completedAt": COMPLETED_AT, "duration": 1200,
             "createdBy": HOSTILE_USER}
        ),
        history.history_row(
            {"modelId": ids["model"], "region": FAILED_REGION, "jobId": HOSTILE_JOB,
             "status": "FAILED", "passed": False, "errorCategory": HOSTILE_CATEGORY,
             "errorMessage": HOSTILE_MESSAGE, "completedAt": COMPLETED_AT, "duration": 800,
             "createdBy": HOSTILE_USER}
        ),
    ]  # fmt: skip
    await history.append(session, rows)
