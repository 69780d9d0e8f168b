"""Events survive the plain-dict form a remote source (PostgreSQL NOTIFY) carries."""

from __future__ import annotations

import json

import pytest

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import (
    JobProgress,
    JobStateChanged,
    LogLine,
    RetryScheduled,
    Throttled,
    UnitStateChanged,
    event_from_dict,
    event_to_dict,
)

EVENTS = [
    UnitStateChanged("j1", "c1", "m1", "anthropic.claude", "us-east-1", CertificationStatus.QUEUED),
    UnitStateChanged(
        "j1", "c1", "m1", "anthropic.claude", "us-east-1", CertificationStatus.COMPLETED,
        passed=True, score=0.93, rating="A", error_category=None, error_message=None,
    ),
    JobStateChanged("j1", JobStatus.PAUSED, 10, 4, 3, 1, message="database unreachable"),
    JobProgress("j1", JobStatus.PROCESSING, 10, 4, 3, 1, 2, 8, 1, 0, 12.5, None),
    RetryScheduled("j1", "anthropic.claude", "us-east-1", "basic", 2, 0.5, "ThrottlingException"),
    Throttled("j1", "anthropic.claude", "us-east-1", 3),
    LogLine(None, "warning", "hello"),
]  # fmt: skip


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_an_event_round_trips_through_json(event) -> None:
    wire = json.dumps(event_to_dict(event))
    back = event_from_dict(json.loads(wire))
    assert back == event
    assert type(back.status if hasattr(back, "status") else None) in (
        CertificationStatus, JobStatus, type(None),
    )  # fmt: skip


def test_an_unknown_kind_or_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        event_from_dict({"kind": "Nope"})
    data = event_to_dict(EVENTS[0]) | {"extra": 1}
    with pytest.raises(ValueError, match="unknown fields"):
        event_from_dict(data)
