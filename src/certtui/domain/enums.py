"""The seed's three enums, with the exact names and values of SPEC §2.2."""

from __future__ import annotations

from enum import StrEnum


class CertificationStatus(StrEnum):
    """Where one (model, region) certification stands."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        """True once the certification has finished one way or another."""
        return self in TERMINAL_CERTIFICATION_STATUSES


class CertificationJobType(StrEnum):
    """What a job was asked to certify."""

    SINGLE_MODEL = "SINGLE_MODEL"
    MULTIPLE_MODELS = "MULTIPLE_MODELS"
    ALL_MODELS = "ALL_MODELS"
    RECERTIFY = "RECERTIFY"


class JobStatus(StrEnum):
    """Where a certification job stands."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change."""
        return self in TERMINAL_JOB_STATUSES


TERMINAL_CERTIFICATION_STATUSES = frozenset(
    {CertificationStatus.COMPLETED, CertificationStatus.FAILED, CertificationStatus.CANCELLED}
)
TERMINAL_JOB_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE_JOB_STATUSES = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING)
