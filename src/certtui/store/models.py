"""SQLAlchemy models of SPEC §2.4: Prisma's names, quoted camelCase columns, Prisma's types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.store.types import Json, TextList, Timestamp, enum_type, utcnow


def new_id() -> str:
    """A client-generated uuid4, as the seed platform uses for every id."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Declarative base for certtui's tables."""


def _id() -> Mapped[str]:
    return mapped_column("id", sa.Text, primary_key=True, default=new_id)


def _created_at() -> Mapped[datetime]:
    return mapped_column(
        "createdAt",
        Timestamp,
        nullable=False,
        default=utcnow,
        server_default=sa.text("CURRENT_TIMESTAMP"),
    )


def _updated_at() -> Mapped[datetime]:
    return mapped_column("updatedAt", Timestamp, nullable=False, default=utcnow, onupdate=utcnow)


class AIProvider(Base):
    """A provider row; Bedrock models all sit under the AWS Bedrock provider (slug ``bedrock``)."""

    __tablename__ = "ai_providers"
    __table_args__ = (sa.PrimaryKeyConstraint("id", name="ai_providers_pkey"),)

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column("name", sa.Text, nullable=False)
    slug: Mapped[str] = mapped_column("slug", sa.Text, nullable=False)
    is_active: Mapped[bool] = mapped_column(
        "isActive", sa.Boolean, nullable=False, default=True, server_default=sa.true()
    )
    website_url: Mapped[str | None] = mapped_column("websiteUrl", sa.Text)
    logo_url: Mapped[str | None] = mapped_column("logoUrl", sa.Text)
    base_url: Mapped[str | None] = mapped_column("baseUrl", sa.Text)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

    models: Mapped[list[AIModel]] = relationship(back_populates="provider")


sa.Index("ai_providers_slug_key", AIProvider.__table__.c.slug, unique=True)


class AIModel(Base):
    """A catalog model; ``apiModelId`` is the Bedrock foundation model id."""

    __tablename__ = "ai_models"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="ai_models_pkey"),
        sa.ForeignKeyConstraint(
            ["providerId"],
            ["ai_providers.id"],
            name="ai_models_providerId_fkey",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
    )

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column("name", sa.Text, nullable=False)
    api_model_id: Mapped[str] = mapped_column("apiModelId", sa.Text, nullable=False)
    context_window: Mapped[int] = mapped_column(
        "contextWindow", sa.Integer, nullable=False, default=4096, server_default=sa.text("4096")
    )
    cost_per_1k_input: Mapped[float] = mapped_column(
        "costPer1kInput", sa.Double, nullable=False, default=0.0, server_default=sa.text("0")
    )
    cost_per_1k_output: Mapped[float] = mapped_column(
        "costPer1kOutput", sa.Double, nullable=False, default=0.0, server_default=sa.text("0")
    )
    is_active: Mapped[bool] = mapped_column(
        "isActive", sa.Boolean, nullable=False, default=True, server_default=sa.true()
    )
    provider_id: Mapped[str] = mapped_column("providerId", sa.Text, nullable=False)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

    provider: Mapped[AIProvider] = relationship(back_populates="models")
    certifications: Mapped[list[ModelCertification]] = relationship(
        back_populates="model", passive_deletes=True
    )
    availability: Mapped[list[ModelRegionAvailability]] = relationship(
        back_populates="model", passive_deletes=True
    )


class ModelCertification(Base):
    """The certification of one model in one region; (modelId, region) is unique."""

    __tablename__ = "model_certifications"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="model_certifications_pkey"),
        sa.ForeignKeyConstraint(
            ["modelId"],
            ["ai_models.id"],
            name="model_certifications_modelId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.Index("model_certifications_modelId_region_key", "modelId", "region", unique=True),
        sa.Index("model_certifications_status_idx", "status"),
        sa.Index("model_certifications_region_idx", "region"),
        sa.Index("model_certifications_jobId_idx", "jobId"),
        sa.Index("model_certifications_createdAt_idx", "createdAt"),
    )

    id: Mapped[str] = _id()
    model_id: Mapped[str] = mapped_column("modelId", sa.Text, nullable=False)
    region: Mapped[str] = mapped_column("region", sa.Text, nullable=False)
    status: Mapped[CertificationStatus] = mapped_column(
        "status",
        enum_type(CertificationStatus),
        nullable=False,
        default=CertificationStatus.PENDING,
        server_default=CertificationStatus.PENDING.value,
    )
    passed: Mapped[bool | None] = mapped_column("passed", sa.Boolean)
    score: Mapped[float | None] = mapped_column("score", sa.Double)
    rating: Mapped[str | None] = mapped_column("rating", sa.Text)
    test_results: Mapped[dict[str, Any] | None] = mapped_column("testResults", Json)
    error_message: Mapped[str | None] = mapped_column("errorMessage", sa.Text)
    error_category: Mapped[str | None] = mapped_column("errorCategory", sa.Text)
    job_id: Mapped[str | None] = mapped_column("jobId", sa.Text)
    started_at: Mapped[datetime | None] = mapped_column("startedAt", Timestamp)
    completed_at: Mapped[datetime | None] = mapped_column("completedAt", Timestamp)
    duration: Mapped[int | None] = mapped_column("duration", sa.Integer)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    created_by: Mapped[str | None] = mapped_column("createdBy", sa.Text)

    model: Mapped[AIModel] = relationship(back_populates="certifications")


class CertificationJob(Base):
    """A batch of (model, region) units with its status and progress counters."""

    __tablename__ = "certification_jobs"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="certification_jobs_pkey"),
        sa.Index("certification_jobs_status_idx", "status"),
        sa.Index("certification_jobs_type_idx", "type"),
        sa.Index("certification_jobs_bullJobId_idx", "bullJobId"),
        sa.Index("certification_jobs_createdAt_idx", "createdAt"),
    )

    id: Mapped[str] = _id()
    type: Mapped[CertificationJobType] = mapped_column(
        "type", enum_type(CertificationJobType), nullable=False
    )
    regions: Mapped[list[str]] = mapped_column("regions", TextList, nullable=True, default=list)
    model_ids: Mapped[list[str]] = mapped_column("modelIds", TextList, nullable=True, default=list)
    status: Mapped[JobStatus] = mapped_column(
        "status",
        enum_type(JobStatus),
        nullable=False,
        default=JobStatus.PENDING,
        server_default=JobStatus.PENDING.value,
    )
    total_models: Mapped[int] = mapped_column(
        "totalModels", sa.Integer, nullable=False, default=0, server_default=sa.text("0")
    )
    processed_models: Mapped[int] = mapped_column(
        "processedModels", sa.Integer, nullable=False, default=0, server_default=sa.text("0")
    )
    success_count: Mapped[int] = mapped_column(
        "successCount", sa.Integer, nullable=False, default=0, server_default=sa.text("0")
    )
    failure_count: Mapped[int] = mapped_column(
        "failureCount", sa.Integer, nullable=False, default=0, server_default=sa.text("0")
    )
    bull_job_id: Mapped[str | None] = mapped_column("bullJobId", sa.Text)
    started_at: Mapped[datetime | None] = mapped_column("startedAt", Timestamp)
    completed_at: Mapped[datetime | None] = mapped_column("completedAt", Timestamp)
    duration: Mapped[int | None] = mapped_column("duration", sa.Integer)
    config: Mapped[dict[str, Any] | None] = mapped_column("config", Json)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    created_by: Mapped[str | None] = mapped_column("createdBy", sa.Text)


class CertificationResult(Base):
    """One finished unit of a job, appended when it finished and never changed (certtui's own).

    The history of verdicts: ``model_certifications`` shows the latest verdict of a cell, this
    table keeps every one (and each cancelled unit), with the job that produced it.
    """

    __tablename__ = "certification_results"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="certification_results_pkey"),
        sa.ForeignKeyConstraint(
            ["modelId"],
            ["ai_models.id"],
            name="certification_results_modelId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["jobId"],
            ["certification_jobs.id"],
            name="certification_results_jobId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        sa.Index(
            "certification_results_modelId_region_completedAt_idx",
            "modelId",
            "region",
            "completedAt",
        ),
        sa.Index("certification_results_jobId_idx", "jobId"),
    )

    id: Mapped[str] = _id()
    model_id: Mapped[str] = mapped_column("modelId", sa.Text, nullable=False)
    region: Mapped[str] = mapped_column("region", sa.Text, nullable=False)
    job_id: Mapped[str | None] = mapped_column("jobId", sa.Text)
    status: Mapped[CertificationStatus] = mapped_column(
        "status", enum_type(CertificationStatus), nullable=False
    )
    passed: Mapped[bool | None] = mapped_column("passed", sa.Boolean)
    score: Mapped[float | None] = mapped_column("score", sa.Double)
    rating: Mapped[str | None] = mapped_column("rating", sa.Text)
    error_category: Mapped[str | None] = mapped_column("errorCategory", sa.Text)
    error_message: Mapped[str | None] = mapped_column("errorMessage", sa.Text)
    test_results: Mapped[dict[str, Any] | None] = mapped_column("testResults", Json)
    invoke_id: Mapped[str | None] = mapped_column("invokeId", sa.Text)
    simulated: Mapped[bool] = mapped_column(
        "simulated", sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    started_at: Mapped[datetime | None] = mapped_column("startedAt", Timestamp)
    completed_at: Mapped[datetime | None] = mapped_column("completedAt", Timestamp)
    duration: Mapped[int | None] = mapped_column("duration", sa.Integer)
    created_at: Mapped[datetime] = _created_at()
    created_by: Mapped[str | None] = mapped_column("createdBy", sa.Text)


class JobLogEntry(Base):
    """An engine event of a job worth reading later: a retry, a throttle, a warning (certtui's).

    Written by the job's writer in its batches; ``at`` is when the engine saw it.
    """

    __tablename__ = "job_log"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="job_log_pkey"),
        sa.ForeignKeyConstraint(
            ["jobId"],
            ["certification_jobs.id"],
            name="job_log_jobId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.Index("job_log_jobId_at_idx", "jobId", "at"),
    )

    id: Mapped[str] = _id()
    job_id: Mapped[str] = mapped_column("jobId", sa.Text, nullable=False)
    at: Mapped[datetime] = mapped_column("at", Timestamp, nullable=False)
    level: Mapped[str] = mapped_column("level", sa.Text, nullable=False)
    kind: Mapped[str] = mapped_column("kind", sa.Text, nullable=False)
    api_model_id: Mapped[str | None] = mapped_column("apiModelId", sa.Text)
    region: Mapped[str | None] = mapped_column("region", sa.Text)
    message: Mapped[str] = mapped_column("message", sa.Text, nullable=False)


class ModelCertificationLegacy(Base):
    """The old single-region certification table, kept for history (SPEC §2.4)."""

    __tablename__ = "model_certifications_legacy"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="model_certifications_legacy_pkey"),
        # The unique index keeps the name it had before the table was renamed, as in the seed.
        sa.Index("model_certifications_modelId_key", "modelId", unique=True),
    )

    id: Mapped[str] = _id()
    model_id: Mapped[str] = mapped_column("modelId", sa.Text, nullable=False)
    vendor: Mapped[str] = mapped_column("vendor", sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(
        "status", sa.Text, nullable=False, default="untested", server_default="untested"
    )
    certified_at: Mapped[datetime | None] = mapped_column("certifiedAt", Timestamp)
    expires_at: Mapped[datetime | None] = mapped_column("expiresAt", Timestamp)
    certified_by: Mapped[str | None] = mapped_column("certifiedBy", sa.Text)
    last_tested_at: Mapped[datetime | None] = mapped_column("lastTestedAt", Timestamp)
    tests_passed: Mapped[int] = mapped_column(
        "testsPassed", sa.Integer, nullable=False, default=0, server_default=sa.text("0")
    )
    tests_failed: Mapped[int] = mapped_column(
        "testsFailed", sa.Integer, nullable=False, default=0, server_default=sa.text("0")
    )
    success_rate: Mapped[float] = mapped_column(
        "successRate", sa.Double, nullable=False, default=0.0, server_default=sa.text("0")
    )
    avg_latency_ms: Mapped[int | None] = mapped_column("avgLatencyMs", sa.Integer)
    last_error: Mapped[str | None] = mapped_column("lastError", sa.Text)
    failure_reasons: Mapped[Any | None] = mapped_column("failureReasons", Json)
    error_category: Mapped[str | None] = mapped_column("errorCategory", sa.Text)
    error_severity: Mapped[str | None] = mapped_column("errorSeverity", sa.Text)
    rating: Mapped[float | None] = mapped_column("rating", sa.Double)
    badge: Mapped[str | None] = mapped_column("badge", sa.Text)
    metrics: Mapped[Any | None] = mapped_column("metrics", Json)
    scores: Mapped[Any | None] = mapped_column("scores", Json)
    rating_updated_at: Mapped[datetime | None] = mapped_column("ratingUpdatedAt", Timestamp)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class ModelRegionAvailability(Base):
    """What discovery found about a model in a region (certtui's own table)."""

    __tablename__ = "model_region_availability"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="model_region_availability_pkey"),
        sa.ForeignKeyConstraint(
            ["modelId"],
            ["ai_models.id"],
            name="model_region_availability_modelId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.Index("model_region_availability_modelId_region_key", "modelId", "region", unique=True),
        sa.Index("model_region_availability_region_idx", "region"),
    )

    id: Mapped[str] = _id()
    model_id: Mapped[str] = mapped_column("modelId", sa.Text, nullable=False)
    region: Mapped[str] = mapped_column("region", sa.Text, nullable=False)
    provider_name: Mapped[str] = mapped_column("providerName", sa.Text, nullable=False)
    offered: Mapped[bool] = mapped_column(
        "offered", sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    on_demand: Mapped[bool] = mapped_column(
        "onDemand", sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    inference_profile_id: Mapped[str | None] = mapped_column("inferenceProfileId", sa.Text)
    # Every profile callable from this region for the model, best first:
    # [{"id": "us.…", "destinations": ["us-east-1", …]}, …].
    inference_profiles: Mapped[Any | None] = mapped_column("inferenceProfiles", Json)
    lifecycle_status: Mapped[str | None] = mapped_column("lifecycleStatus", sa.Text)
    legacy_at: Mapped[datetime | None] = mapped_column("legacyAt", Timestamp)
    end_of_life_at: Mapped[datetime | None] = mapped_column("endOfLifeAt", Timestamp)
    input_modalities: Mapped[list[str]] = mapped_column(
        "inputModalities", TextList, nullable=True, default=list
    )
    output_modalities: Mapped[list[str]] = mapped_column(
        "outputModalities", TextList, nullable=True, default=list
    )
    streaming_supported: Mapped[bool] = mapped_column(
        "streamingSupported", sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    discovered_at: Mapped[datetime] = mapped_column(
        "discoveredAt",
        Timestamp,
        nullable=False,
        default=utcnow,
        server_default=sa.text("CURRENT_TIMESTAMP"),
    )

    model: Mapped[AIModel] = relationship(back_populates="availability")
