"""What a job's log keeps of the engine's events: retries, throttles, warnings and notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from certtui.domain.events import EngineEvent, LogLine, RetryScheduled, Throttled


@dataclass(frozen=True)
class LogEntry:
    """One line of a job's log."""

    at: datetime
    level: str  # info, warning, error
    kind: str  # retry, throttle, log
    message: str
    api_model_id: str | None = None
    region: str | None = None


def log_entry(event: EngineEvent, at: datetime) -> LogEntry | None:
    """The log line an event of a job makes, or None for events the log does not keep."""
    if isinstance(event, RetryScheduled):
        return LogEntry(
            at, "info", "retry",
            f"{event.test_id}: {event.code}, attempt {event.attempt} failed; "
            f"retry in {event.delay:.1f} s",
            event.api_model_id, event.region,
        )  # fmt: skip
    if isinstance(event, Throttled):
        return LogEntry(
            at, "warning", "throttle", f"throttled: call limit now {event.limit}",
            event.api_model_id, event.region,
        )  # fmt: skip
    if isinstance(event, LogLine) and event.job_id is not None:
        return LogEntry(at, event.level, "log", event.message)
    return None
