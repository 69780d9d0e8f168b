"""A probe that checks SPEC §2.3's counters invariant, and the history, in every commit."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@dataclass
class InvariantProbe:
    """Counts commits checked and records every violation seen."""

    commits: int = 0
    violations: list[str] = field(default_factory=list)

    def check(self, connection) -> None:  # type: ignore[no-untyped-def]
        jobs = connection.exec_driver_sql(
            'SELECT id, "totalModels", "processedModels", "successCount", "failureCount" '
            "FROM certification_jobs"
        ).all()
        if not jobs:
            return
        # Every terminal unit is one history row of its job (SPEC §2.3 counted from history).
        results = connection.exec_driver_sql(
            'SELECT "jobId", "modelId", region, status, passed FROM certification_results'
        ).all()
        terminal: Counter[str] = Counter()
        passed: Counter[str] = Counter()
        per_unit: Counter[tuple[str, str, str]] = Counter()
        for job_id, model_id, region, status, ok in results:
            status = getattr(status, "value", status)
            if status in TERMINAL:
                terminal[job_id] += 1
                passed[job_id] += int(status == "COMPLETED" and bool(ok))
                per_unit[(job_id, model_id, region)] += 1
        for unit, count in per_unit.items():
            if count > 1:
                self.violations.append(f"{unit}: {count} history rows for one unit")
        # A cell's row that shows a terminal state of a job has that unit in the history.
        cells = connection.exec_driver_sql(
            'SELECT "jobId", "modelId", region, status FROM model_certifications'
        ).all()
        for job_id, model_id, region, status in cells:
            status = getattr(status, "value", status)
            if (
                job_id is not None
                and status in TERMINAL
                and not per_unit[(job_id, model_id, region)]
            ):
                self.violations.append(f"{(job_id, model_id, region)}: {status} without history")
        self.commits += 1
        for job_id, total, processed, succeeded, failed in jobs:
            if not processed == succeeded + failed <= total:
                self.violations.append(
                    f"{job_id}: {processed} != {succeeded}+{failed} or > {total}"
                )
            if processed != terminal[job_id] or succeeded != passed[job_id]:
                self.violations.append(
                    f"{job_id}: counters {processed}/{succeeded} vs units "
                    f"{terminal[job_id]}/{passed[job_id]}"
                )


def install(engine: AsyncEngine) -> InvariantProbe:
    """Check the invariant in each transaction just before it commits."""
    probe = InvariantProbe()
    event.listen(engine.sync_engine, "commit", probe.check)
    return probe
