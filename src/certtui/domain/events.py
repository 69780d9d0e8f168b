"""The facts certtui publishes: typed events, and their plain-dict form for remote sources.

Every state change the database records is published once, after its commit, as one of these.
A unit or job transition is a ``UnitStateChanged`` / ``JobStateChanged``; the rest (progress,
retries, throttles, log lines) are live telemetry of the process running the job. The dict form
(``event_to_dict`` / ``event_from_dict``) is what a remote source such as PostgreSQL
``LISTEN/NOTIFY`` carries, so a subscriber cannot tell a local event from a remote one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from certtui.domain.enums import CertificationStatus, JobStatus


@dataclass(frozen=True, slots=True)
class UnitStateChanged:
    """A (model, region) unit moved to a new state."""

    job_id: str
    certification_id: str
    model_id: str
    api_model_id: str
    region: str
    status: CertificationStatus
    passed: bool | None = None
    score: float | None = None
    rating: str | None = None
    error_category: str | None = None
    error_message: str | None = None
    simulated: bool = False
    """The result came from certtui's Bedrock stand-in."""


@dataclass(frozen=True, slots=True)
class JobStateChanged:
    """A job moved to a new status (published after the commit that recorded it)."""

    job_id: str
    status: JobStatus
    total: int
    processed: int
    succeeded: int
    failed: int
    message: str | None = None


@dataclass(frozen=True, slots=True)
class JobProgress:
    """Where a job stands: counters, rates and the call pipeline."""

    job_id: str
    status: JobStatus
    total: int
    processed: int
    succeeded: int
    failed: int
    in_flight_calls: int
    call_limit: int
    retries: int
    throttles: int
    units_per_minute: float
    eta_seconds: float | None
    pausing: bool = False
    """PAUSED asked, calls in flight still finishing: no new call starts."""


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """A call failed with a retryable error and will be tried again after ``delay``."""

    job_id: str
    api_model_id: str
    region: str
    test_id: str
    attempt: int
    delay: float
    code: str


@dataclass(frozen=True, slots=True)
class Throttled:
    """Bedrock throttled a (model, region); its adaptive limit is now ``limit``."""

    job_id: str
    api_model_id: str
    region: str
    limit: int


@dataclass(frozen=True, slots=True)
class LogLine:
    """Something an operator may want to read."""

    job_id: str | None
    level: str
    message: str


EngineEvent = (
    UnitStateChanged | JobStateChanged | JobProgress | RetryScheduled | Throttled | LogLine
)

_KINDS: dict[str, type] = {
    cls.__name__: cls
    for cls in (UnitStateChanged, JobStateChanged, JobProgress, RetryScheduled, Throttled, LogLine)
}
_ENUM_FIELDS = {"status": {UnitStateChanged: CertificationStatus, JobStateChanged: JobStatus,
                           JobProgress: JobStatus}}  # fmt: skip


def event_to_dict(event: EngineEvent) -> dict[str, Any]:
    """The JSON-ready form of ``event``: its fields plus ``kind``."""
    data = asdict(event)
    if "status" in data:
        data["status"] = str(data["status"])
    return {"kind": type(event).__name__, **data}


def event_from_dict(data: dict[str, Any]) -> EngineEvent:
    """The event ``event_to_dict`` produced; raises ValueError for an unknown kind or field."""
    payload = dict(data)
    kind = payload.pop("kind", None)
    cls = _KINDS.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown event kind {kind!r}")
    names = {f.name for f in fields(cls)}
    unknown = set(payload) - names
    if unknown:
        raise ValueError(f"unknown fields for {kind}: {', '.join(sorted(unknown))}")
    enum = _ENUM_FIELDS["status"].get(cls)
    if enum is not None and "status" in payload:
        payload["status"] = enum(payload["status"])
    return cls(**payload)
