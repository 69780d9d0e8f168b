"""A fixed database for the TUI's SVG snapshots: every cell state, a few jobs, nothing random.

The catalog goes in through the real discovery path (`apply_discovery`); certifications and jobs
are ORM rows with fixed ids and timestamps, and their `testResults` documents are built by the
real suite code, so score, rating and pass/fail agree with what the engine would have written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.domain.errors import ErrorCategory
from certtui.engine.unit import _quality_summary
from certtui.store import history, migrate
from certtui.store.catalog import BEDROCK_NAME, BEDROCK_SLUG, ModelObservation, apply_discovery
from certtui.store.database import (
    create_engine,
    read_session_factory,
    session_factory,
    sqlite_target,
)
from certtui.store.models import (
    AIModel,
    AIProvider,
    CertificationJob,
    ModelCertification,
    ModelRegionAvailability,
)
from certtui.store.opening import Database
from certtui.suites import Suite
from certtui.suites.loader import default_suite
from certtui.suites.results import TestRecord, build_test_results
from certtui.suites.scoring import TestStatus

# The top bar shows the database target: a relative path reads the same in every run.
DATABASE_FILE = "certtui.db"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")
FIXED_TIME = datetime(2025, 5, 3, 10, 0, 0)
FIXED_EPOCH = 1746266400.0  # FIXED_TIME as a Unix time

TEXT = ("TEXT",)
TEXT_IMAGE = ("TEXT", "IMAGE")


@dataclass(frozen=True)
class CatalogModel:
    """A model as discovery sees it, with the fixed row id it gets."""

    row_id: str
    api_model_id: str
    name: str
    vendor: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    streaming: bool
    regions: tuple[str, ...]


def _id(kind: int, index: int) -> str:
    return f"00000000-0000-4000-8{kind:03d}-{index:012d}"


PROVIDER_ID = _id(0, 1)
MODELS = (
    CatalogModel(_id(1, 1), "amazon.nova-lite-v1:0", "Nova Lite", "Amazon", TEXT_IMAGE, TEXT,
                 True, REGIONS),
    CatalogModel(_id(1, 2), "amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon",
                 TEXT, ("EMBEDDING",), False, REGIONS[:3]),
    CatalogModel(_id(1, 3), "anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet",
                 "Anthropic", TEXT_IMAGE, TEXT, True, REGIONS[:3]),
    CatalogModel(_id(1, 4), "anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku",
                 "Anthropic", TEXT_IMAGE, TEXT, True, REGIONS),
    CatalogModel(_id(1, 5), "cohere.command-r-v1:0", "Command R", "Cohere", TEXT, TEXT, True,
                 REGIONS[:2]),
    CatalogModel(_id(1, 6), "meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", TEXT,
                 TEXT, True, REGIONS[:3]),
    # Listed by an earlier sync only: inactive now, its old certification kept.
    CatalogModel(_id(1, 7), "mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct",
                 "Mistral AI", TEXT, TEXT, True, ("us-east-1",)),
)  # fmt: skip
RETIRED = {"mistral.mistral-7b-instruct-v0:2"}
BY_API_ID = {m.api_model_id: m for m in MODELS}

# Job ids differ in their first eight characters: the jobs screen shows only those.
JOB_COMPLETED = "7f3a9c21-5d0e-4b6a-9c1f-2e8d4a6b0c31"
JOB_CANCELLED = "2b8e4d07-93a1-4c5f-8e2d-6a0b1c3d5e72"
JOB_PAUSED = "e61c0f5a-4b2d-4e8f-a713-9c5d0e2f4a18"
JOB_RUNNING = "9d4b72e3-0c6a-4f1b-b258-3e7a9d1c6f04"


@dataclass(frozen=True)
class JobSpec:
    """A job row."""

    job_id: str
    type: CertificationJobType
    status: JobStatus
    regions: tuple[str, ...]
    created_by: str
    hour: int
    live: bool = False


JOBS = (
    JobSpec(JOB_COMPLETED, CertificationJobType.MULTIPLE_MODELS, JobStatus.COMPLETED,
            ("us-east-1", "us-west-2"), "alice@ops", 6),
    JobSpec(JOB_CANCELLED, CertificationJobType.MULTIPLE_MODELS, JobStatus.CANCELLED,
            ("eu-west-1",), "bob@ops", 7),
    JobSpec(JOB_PAUSED, CertificationJobType.RECERTIFY, JobStatus.PAUSED,
            ("us-east-1", "us-west-2", "ap-northeast-1"), "bob@ops", 8),
    JobSpec(JOB_RUNNING, CertificationJobType.ALL_MODELS, JobStatus.PROCESSING,
            ("us-east-1", "us-west-2", "ap-northeast-1"), "carol@ops", 9, live=True),
)  # fmt: skip


@dataclass(frozen=True)
class CertSpec:
    """One certification row; `failed_tests` / `skipped_tests` shape its test results."""

    index: int
    api_model_id: str
    region: str
    status: CertificationStatus
    job_id: str | None
    failed_tests: tuple[str, ...] = ()
    category: ErrorCategory | None = None
    message: str | None = None


S = CertificationStatus
CERTIFICATIONS = (
    # Passed, rating A and B.
    CertSpec(1, "anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", S.COMPLETED, JOB_COMPLETED,
             failed_tests=("json_output",)),
    CertSpec(2, "anthropic.claude-3-haiku-20240307-v1:0", "us-west-2", S.COMPLETED, JOB_COMPLETED,
             failed_tests=("tool_use", "json_output")),
    CertSpec(3, "anthropic.claude-3-5-sonnet-20240620-v1:0", "us-west-2", S.COMPLETED,
             JOB_COMPLETED),
    # Ran, did not pass: rating D, so QUALITY_ISSUE.
    CertSpec(4, "meta.llama3-8b-instruct-v1:0", "us-east-1", S.COMPLETED, JOB_COMPLETED,
             failed_tests=("system_prompt", "multi_turn", "tool_use", "json_output",
                           "repeatability")),
    # Failed, one error category each.
    CertSpec(5, "meta.llama3-8b-instruct-v1:0", "us-west-2", S.FAILED, JOB_COMPLETED,
             category=ErrorCategory.MODEL_ERROR,
             message="ModelErrorException: The model produced an invalid response"),
    CertSpec(6, "amazon.nova-lite-v1:0", "us-east-1", S.FAILED, JOB_COMPLETED,
             category=ErrorCategory.TIMEOUT,
             message="Read timeout on endpoint URL after 60 s"),
    CertSpec(7, "anthropic.claude-3-haiku-20240307-v1:0", "eu-west-1", S.FAILED, JOB_CANCELLED,
             category=ErrorCategory.PERMISSION_ERROR,
             message="AccessDeniedException: You don't have access to the model with the "
                     "specified model ID."),
    CertSpec(8, "anthropic.claude-3-5-sonnet-20240620-v1:0", "eu-west-1", S.CANCELLED,
             JOB_CANCELLED),
    CertSpec(9, "amazon.nova-lite-v1:0", "ap-northeast-1", S.FAILED, JOB_PAUSED,
             category=ErrorCategory.PROVISIONING_REQUIRED,
             message="amazon.nova-lite-v1:0: offered in ap-northeast-1 but not on demand, and "
                     "no inference profile routes to it there"),
    CertSpec(10, "cohere.command-r-v1:0", "us-west-2", S.FAILED, JOB_PAUSED,
             category=ErrorCategory.RATE_LIMIT,
             message="ThrottlingException: Too many requests, please wait before trying again."),
    CertSpec(11, "cohere.command-r-v1:0", "us-east-1", S.QUEUED, JOB_PAUSED),
    # The live job: one failed, one running, one queued.
    CertSpec(12, "amazon.nova-lite-v1:0", "us-west-2", S.FAILED, JOB_RUNNING,
             category=ErrorCategory.UNAVAILABLE,
             message="ResourceNotFoundException: This model version has reached the end of its "
                     "life."),
    CertSpec(13, "anthropic.claude-3-5-sonnet-20240620-v1:0", "us-east-1", S.PROCESSING,
             JOB_RUNNING),
    CertSpec(14, "anthropic.claude-3-haiku-20240307-v1:0", "ap-northeast-1", S.QUEUED,
             JOB_RUNNING),
    # Certified before its model left the catalog (no job: recorded by an older tool).
    CertSpec(15, "mistral.mistral-7b-instruct-v0:2", "us-east-1", S.COMPLETED, None,
             failed_tests=("tool_use",)),
)  # fmt: skip
# Left untested (○): nova-lite and llama in eu-west-1. Not offered (—): the rest.

REASONS = {
    "system_prompt": "expected the reply to start with 'AHOY'",
    "multi_turn": "expected 'Lisbon' in the reply",
    "tool_use": "no call to get_weather",
    "json_output": "reply is not a JSON object",
    "repeatability": "answers differ between the two runs",
}
EXCERPTS = {
    "respond": "The capital of France is Paris.",
    "instruction": "1. red\n2. green\n3. blue",
    "multi_turn": "You said your name is Ada and you live in Lisbon.",
}


def certification_id(index: int) -> str:
    """The fixed id of the `index`-th certification."""
    return _id(3, index)


def _observations(regions: Sequence[str], *, retired: bool) -> list[ModelObservation]:
    return [
        ModelObservation(
            api_model_id=model.api_model_id, name=model.name, provider_name=model.vendor,
            region=region, on_demand=True, inference_profile_id=None, lifecycle_status="ACTIVE",
            input_modalities=model.inputs, output_modalities=model.outputs,
            streaming_supported=model.streaming,
        )
        for model in MODELS
        if retired or model.api_model_id not in RETIRED
        for region in model.regions
        if region in regions
    ]  # fmt: skip


def _records(suite: Suite, spec: CertSpec, model: CatalogModel) -> list[TestRecord]:
    records = []
    for number, test in enumerate(suite.tests):
        if test.id == "image_input" and "IMAGE" not in model.inputs:
            records.append(TestRecord.skipped(test, "the model takes no image input"))
            continue
        failed = test.id in spec.failed_tests
        records.append(
            TestRecord(
                id=test.id, weight=test.weight, required=test.required,
                status=TestStatus.FAILED if failed else TestStatus.PASSED,
                reason=REASONS.get(test.id, "reply did not satisfy the checks") if failed else "",
                client_latency_ms=400 + 37 * number, server_latency_ms=350 + 37 * number,
                ttft_ms=(180 + 11 * number) if test.kind.value == "stream" else None,
                input_tokens=20 + 3 * number, output_tokens=12 + 5 * number,
                stop_reason="tool_use" if test.id == "tool_use" and not failed else "end_turn",
                answer_excerpt=EXCERPTS.get(test.id, ""), attempts=1,
            )
        )  # fmt: skip
    return records


def _failed_probe(suite: Suite, spec: CertSpec) -> list[TestRecord]:
    test = suite.tests[0]
    code, _, message = (spec.message or "").partition(": ")
    return [
        TestRecord(
            id=test.id, weight=test.weight, required=test.required, status=TestStatus.FAILED,
            reason="the call failed", client_latency_ms=212, error_code=code,
            error_message=message or spec.message, attempts=1,
        )
    ]  # fmt: skip


def _certification(suite: Suite, spec: CertSpec) -> ModelCertification:
    model = BY_API_ID[spec.api_model_id]
    row = ModelCertification(
        id=certification_id(spec.index), model_id=model.row_id, region=spec.region,
        status=spec.status, job_id=spec.job_id, created_by=_creator(spec.job_id),
        created_at=FIXED_TIME, updated_at=FIXED_TIME,
    )  # fmt: skip
    extra = {
        "invokeRoute": "ON_DEMAND",
        "invokeReason": f"offered on demand in {spec.region}",
        "region": spec.region,
    }
    if spec.status is S.COMPLETED:
        document = build_test_results(
            _records(suite, spec, model), invoke_id=model.api_model_id, suite=suite, extra=extra
        )
        row.passed, row.score, row.rating = (
            document["passed"], document["score"], document["rating"]
        )  # fmt: skip
        row.test_results = document
        if not row.passed:  # what the engine records for a battery that ran and did not pass
            row.error_category = ErrorCategory.QUALITY_ISSUE.value
            row.error_message = _quality_summary(document)
    elif spec.status is S.FAILED:
        row.passed = False
        row.error_category = spec.category.value if spec.category else None
        row.error_message = spec.message
        if spec.category is not ErrorCategory.PROVISIONING_REQUIRED:  # that one never called
            row.test_results = build_test_results(
                _failed_probe(suite, spec), invoke_id=model.api_model_id, suite=suite,
                extra={**extra, "partial": True},
            )  # fmt: skip
    if spec.status in (S.COMPLETED, S.FAILED, S.CANCELLED, S.PROCESSING):
        row.started_at = FIXED_TIME.replace(minute=spec.index)
    if spec.status.is_terminal:
        row.completed_at = FIXED_TIME.replace(minute=spec.index, second=30)
        row.duration = 30_000 + 1_000 * spec.index
    return row


def _history(certifications: Sequence[ModelCertification]) -> list[dict[str, Any]]:
    """Each finished row's unit in the history, and a passing verdict before Haiku's ! PERM."""
    rows = []
    for index, cert in enumerate(certifications):
        if not CertificationStatus(cert.status).is_terminal:
            continue
        values = {prop.columns[0].name: getattr(cert, prop.key)
                  for prop in ModelCertification.__mapper__.column_attrs}  # fmt: skip
        rows.append(history.history_row({**values, "id": f"h{index:03d}"}, now=FIXED_TIME))
        if (cert.model_id, cert.region) == (
            BY_API_ID["anthropic.claude-3-haiku-20240307-v1:0"].row_id,
            "eu-west-1",
        ):
            earlier = FIXED_TIME.replace(day=FIXED_TIME.day - 1)
            rows.append(history.history_row({
                **values, "id": "h-earlier", "status": CertificationStatus.COMPLETED,
                "passed": True, "score": 96.0, "rating": "A", "errorCategory": None,
                "errorMessage": None, "jobId": None, "completedAt": earlier, "duration": 41_000,
            }, now=FIXED_TIME))  # fmt: skip
    return rows


def _creator(job_id: str | None) -> str:
    return next((job.created_by for job in JOBS if job.job_id == job_id), "legacy-import")


def _job(spec: JobSpec, certifications: Sequence[ModelCertification]) -> CertificationJob:
    units = [c for c in certifications if c.job_id == spec.job_id]
    terminal = [c for c in units if c.status.is_terminal]
    succeeded = sum(1 for c in terminal if c.status is S.COMPLETED and c.passed)
    created = FIXED_TIME.replace(hour=spec.hour)
    config: dict[str, Any] = {"concurrency": 32, "regionConcurrency": 8}
    if spec.live:
        # Another process holds the lease. A huge time to live keeps it fresh whatever the
        # clock says, so "live" (⇄) and the engine's crash recovery never depend on the date.
        config["lease"] = {"owner": "ops-host:4242", "heartbeat": FIXED_EPOCH, "ttl": 1e12}
    return CertificationJob(
        id=spec.job_id, type=spec.type, status=spec.status, regions=list(spec.regions),
        model_ids=sorted({c.model_id for c in units}),
        total_models=len(units), processed_models=len(terminal), success_count=succeeded,
        failure_count=len(terminal) - succeeded, created_by=spec.created_by, config=config,
        created_at=created, updated_at=created,
        started_at=created.replace(minute=1),
        completed_at=created.replace(minute=30) if spec.status.is_terminal else None,
        duration=29 * 60_000 if spec.status.is_terminal else None,
    )  # fmt: skip


async def _freeze_discovery_times(session: Any) -> None:
    for table, columns in (
        (AIProvider.__table__, ("createdAt", "updatedAt")),
        (AIModel.__table__, ("createdAt", "updatedAt")),
        (ModelRegionAvailability.__table__, ("discoveredAt",)),
    ):
        await session.execute(table.update().values({c: FIXED_TIME for c in columns}))


async def build_database(path: Path, *, populated: bool = True) -> None:
    """Migrate a fresh SQLite file at `path`; fill it with the fixed catalog and results."""
    engine = create_engine(sqlite_target(path))
    try:
        await migrate.upgrade(engine)
        if not populated:
            return
        sessions = session_factory(engine)
        suite = default_suite()
        async with sessions.begin() as session:
            session.add(
                AIProvider(id=PROVIDER_ID, name=BEDROCK_NAME, slug=BEDROCK_SLUG,
                           website_url="https://aws.amazon.com/bedrock/")
            )  # fmt: skip
            for model in MODELS:
                session.add(
                    AIModel(id=model.row_id, name=model.name, api_model_id=model.api_model_id,
                            provider_id=PROVIDER_ID, is_active=True)
                )  # fmt: skip
        # Two syncs through the real discovery path: the second no longer lists the retired
        # model, which therefore stays in the catalog, inactive and offered nowhere.
        async with sessions.begin() as session:
            await apply_discovery(session, REGIONS, _observations(REGIONS, retired=True))
        async with sessions.begin() as session:
            await apply_discovery(session, REGIONS, _observations(REGIONS, retired=False))
            await _freeze_discovery_times(session)
        certifications = [_certification(suite, spec) for spec in CERTIFICATIONS]
        async with sessions.begin() as session:
            session.add_all(_job(spec, certifications) for spec in JOBS)
            session.add_all(certifications)
        async with sessions.begin() as session:
            await history.append(session, _history(certifications))
        async with sessions() as session:
            active = await session.scalar(sa.select(sa.func.count()).where(AIModel.is_active))
        assert active == len(MODELS) - len(RETIRED)
    finally:
        # Closing the last connection checkpoints the WAL into the file, so it can be copied.
        await engine.dispose()


def open_database(path: str, *, read_only: bool) -> Database:
    """The database as certtui opens it (read-only at the driver level when asked)."""
    target = sqlite_target(Path(path))
    engine = create_engine(target, read_only=read_only)
    return Database(
        target, engine, session_factory(engine), read_only, read_session_factory(engine)
    )


class LoopResources:
    """Opens async resources on the app's own event loop and keeps them until that loop ends.

    ``snap_compare`` runs the app with ``App.run``, which makes a new event loop, so a
    database engine or an engine service must be opened (and closed) on that loop. ``open``
    runs from the snapshot's ``run_before``; when the app has exited, the loop's shutdown
    cancels the holding task, which closes everything; ``check_closed`` then proves it did.
    """

    def __init__(self, *contexts: Any, disposals: Sequence[Any] = ()) -> None:
        self._contexts = contexts
        self._disposals = disposals
        self._task: asyncio.Task[None] | None = None
        self.closed = False
        self.error: BaseException | None = None

    async def open(self) -> None:
        """Enter every context on the running loop; return once they are all open."""
        opened = asyncio.Event()

        async def hold() -> None:
            try:
                async with AsyncExitStack() as stack:
                    for dispose in self._disposals:
                        stack.push_async_callback(dispose)
                    for context in self._contexts:
                        await stack.enter_async_context(context)
                    opened.set()
                    await asyncio.Event().wait()  # until the loop shuts down
            except asyncio.CancelledError:
                self.closed = True
                raise
            except BaseException as exc:
                self.error = exc
                opened.set()
                raise

        self._task = asyncio.create_task(hold(), name="snapshot-resources")
        await opened.wait()
        if self.error is not None:
            raise self.error

    def check_closed(self) -> None:
        """Fail unless everything was opened and then closed cleanly."""
        assert self._task is not None, "the resources were never opened"
        assert self.error is None, f"closing failed: {self.error!r}"
        assert self.closed, "the resources were not closed when the app's loop ended"
