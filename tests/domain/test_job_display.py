"""PAUSING is derived: a PAUSED job whose units are still PROCESSING reads as pausing."""

from __future__ import annotations

from certtui.domain.job_display import PAUSING, job_counts, shown_status


def test_pausing_is_paused_with_calls_still_finishing() -> None:
    assert shown_status("PAUSED", pausing=True) == PAUSING
    assert shown_status("PAUSED", pausing=False) == "PAUSED"
    # Only a paused job can be pausing: a flag left over on another status is ignored.
    assert shown_status("PROCESSING", pausing=True) == "PROCESSING"
    assert shown_status("CANCELLED", pausing=True) == "CANCELLED"


def test_counts_put_each_job_where_it_reads() -> None:
    statuses = ["PROCESSING", "QUEUED", PAUSING, "PAUSED", "PAUSED", "COMPLETED", "CANCELLED"]
    assert job_counts(statuses) == {"running": 2, "pausing": 1, "paused": 2}
    assert job_counts([]) == {"running": 0, "pausing": 0, "paused": 0}
