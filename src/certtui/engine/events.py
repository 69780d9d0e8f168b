"""Typed engine events and the bus that delivers them to any number of subscribers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


EngineEvent = UnitStateChanged | JobProgress | RetryScheduled | Throttled | LogLine
Subscriber = Callable[[EngineEvent], None]


class EventBus:
    """Synchronous fan-out: subscribers must be quick (queue or coalesce, never block)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: EngineEvent) -> None:
        """Deliver ``event`` to every subscriber."""
        for subscriber in tuple(self._subscribers):
            subscriber(event)
