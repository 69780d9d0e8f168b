"""Cron arithmetic of scheduled re-certification (UTC, naive datetimes as the database keeps)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def next_run(expression: str, after: datetime | None = None) -> datetime:
    """When a cron expression fires next after ``after`` (default now)."""
    from croniter import croniter

    start = (after or datetime.now(UTC).replace(tzinfo=None)).replace(tzinfo=UTC)
    return croniter(expression, start_time=start).get_next(datetime).replace(tzinfo=None)


def last_tick(expression: str, now: datetime) -> datetime:
    """The latest tick of a cron expression before ``now``."""
    from croniter import croniter

    aware = now.replace(tzinfo=UTC)
    return croniter(expression, start_time=aware).get_prev(datetime).replace(tzinfo=None)


def describe_options(options: Mapping[str, Any]) -> str:
    """What a schedule certifies, in a few words: ``all models in us-east-1, eu-west-1``."""
    if options.get("all"):
        what = "all models"
    elif options.get("models"):
        what = ", ".join(options["models"])
    else:
        what = "units that did not pass"
    if options.get("recertifyFailed") and what != "units that did not pass":
        what += " (did not pass)"
    return f"{what} in {', '.join(options.get('regions') or ())}"
