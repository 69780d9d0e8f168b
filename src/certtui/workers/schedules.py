"""Scheduled re-certification: each schedule is a PGQueuer cron entry the workers share.

Every worker registers every schedule with PGQueuer's scheduler, which picks a due schedule row
with ``FOR UPDATE SKIP LOCKED``: one worker fires each tick. The tick is also claimed in
``certtui_schedules`` (compare-and-set on ``lastTickAt``), so a tick is submitted once even if
the scheduler's stall recovery ever hands it to a second worker. A fired tick submits a job to
the queue like `certtui run --submit`. Workers reread the schedules every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from certtui.domain.schedules import last_tick
from certtui.errors import CannotRunError, UsageError
from certtui.store import workers as queue_store

if TYPE_CHECKING:
    from certtui.config import Settings
    from certtui.store.sessions import Sessions

SCHEDULE_RELOAD_SECONDS = 3.0


def valid_cron(expression: str) -> str:
    """A cron expression (5 fields, or 6 with seconds last), normalised; UsageError if bad."""
    from croniter import croniter

    text = " ".join(expression.split())
    if not text or not croniter.is_valid(text):
        raise UsageError(
            f"invalid cron expression {expression!r}: give 5 fields (minute hour day month "
            'weekday), e.g. "0 3 * * *" for 03:00 UTC every day'
        )
    return text


def request_from_options(options: dict[str, Any], created_by: str | None) -> Any:
    """The JobRequest a schedule's stored run options stand for."""
    from certtui.engine.planning import JobRequest

    limits = {k: v for k, v in (options.get("limits") or {}).items() if v is not None}
    return JobRequest(
        regions=tuple(options.get("regions") or ()),
        api_model_ids=tuple(options.get("models") or ()),
        all_models=bool(options.get("all")),
        recertify_failed=bool(options.get("recertifyFailed")),
        probe_unlisted=bool(options.get("probeUnlisted")),
        created_by=created_by,
        config={
            "limits": limits,
            **({"suitePath": options["suitePath"]} if options.get("suitePath") else {}),
        },
    )


async def fire(sessions: Sessions, schedule: queue_store.ScheduleRow, now: datetime) -> str | None:
    """Submit a schedule's job for the tick at ``now``, once per tick; the job id, or None."""
    from certtui.workers.submit import submit_job

    tick = last_tick(schedule.cron, now)
    async with sessions.begin() as session:
        if not await queue_store.claim_tick(session, schedule.id, tick):
            return None
    request = request_from_options(schedule.options, schedule.created_by)
    stamp = {"schedule": {"id": schedule.id, "tick": tick.isoformat()}}
    request = type(request)(**{**request.__dict__, "config": {**request.config, **stamp}})
    submitted = await submit_job(sessions, request, _suite(schedule.options))
    job_id = submitted.planned.job_id
    async with sessions.begin() as session:
        await queue_store.set_schedule_job(session, schedule.id, job_id)
    return job_id


def _suite(options: dict[str, Any]) -> Any:
    from pathlib import Path

    from certtui.suites import default_suite, load_suite

    path = options.get("suitePath")
    return load_suite(Path(path)) if path else default_suite()


class ScheduleRunner:
    """A worker's share of the schedules: PGQueuer's scheduler over certtui's schedules."""

    def __init__(
        self, sessions: Sessions, queries: Any, settings: Settings, say: Callable[[str], None]
    ) -> None:
        self.sessions = sessions
        self.queries = queries
        self.settings = settings
        self.say = say
        self._stopping = asyncio.Event()
        self._manager: Any = None

    def stop(self) -> None:
        self._stopping.set()
        if self._manager is not None:
            self._manager.shutdown.set()

    async def run(self) -> None:
        from pgqueuer import SchedulerManager

        current: dict[str, str] | None = None
        task: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                with contextlib.suppress(Exception):  # the database away: read again later
                    async with self.sessions() as session:
                        rows = await queue_store.list_schedules(session)
                    wanted = {row.id: row.cron for row in rows}
                    if wanted != current or (task is not None and task.done()):
                        if task is not None:
                            self._manager.shutdown.set()
                            await asyncio.gather(task, return_exceptions=True)
                            task = None
                        current = wanted
                        if rows:
                            self._manager = SchedulerManager(self.queries)
                            for row in rows:
                                self._manager.schedule(
                                    queue_store.schedule_entrypoint(row.id), row.cron
                                )(self._handler(row))
                            task = asyncio.create_task(self._manager.run(), name="schedules")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SCHEDULE_RELOAD_SECONDS):
                        await self._stopping.wait()
        finally:
            if task is not None:
                self._manager.shutdown.set()
                await asyncio.gather(task, return_exceptions=True)

    def _handler(self, row: queue_store.ScheduleRow) -> Callable[[Any], Any]:
        async def fired(_schedule: Any) -> None:
            now = datetime.now(UTC).replace(tzinfo=None)
            try:
                job_id = await fire(self.sessions, row, now)
            except (UsageError, CannotRunError) as exc:
                self.say(f"schedule {row.id[:8]}: {exc}")
                return
            if job_id is not None:
                self.say(f"schedule {row.id[:8]}: submitted job {job_id}")

        return fired
