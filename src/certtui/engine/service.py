"""The engine as one object for an interactive front end: plan, run, control, subscribe.

The TUI talks to this and never to the Bedrock client; jobs run as tasks on the caller's
event loop, so engine events arrive on that loop too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from certtui.config import Settings
from certtui.domain.enums import JobStatus
from certtui.domain.events import EngineEvent, LogLine
from certtui.engine.events import EventBus

if TYPE_CHECKING:
    from certtui.bedrock.clients import BedrockClients
    from certtui.engine.breaker import RegionBreaker
    from certtui.engine.discovery import SyncOutcome
    from certtui.engine.job import JobOutcome, JobRunner
    from certtui.engine.planning import JobRequest, PlannedJob
    from certtui.store.sessions import Sessions
    from certtui.suites import Suite

# The engine proper (jobs, units, the suite, the Bedrock client) is imported on first use:
# an interactive session opens and paints without paying for it, and one that only looks
# never does.


@dataclass
class CertificationService:
    """Owns the Bedrock clients and the running jobs of one interactive session."""

    settings: Settings
    sessions: Sessions
    suite: Suite | None = None  # None: the default suite, loaded when the first job starts
    bus: EventBus = field(default_factory=EventBus)
    runners: dict[str, JobRunner] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[JobOutcome]] = field(default_factory=dict)
    _clients: BedrockClients | None = None
    _opening: asyncio.Lock = field(default_factory=asyncio.Lock)
    # One region breaker for every job of the session: a region found unreachable (by a job
    # or by discovery) fails fast in the next job too, until a probe finds it back.
    _breaker: RegionBreaker | None = None

    async def __aenter__(self) -> CertificationService:
        return self

    async def recover(self) -> list[str]:
        """Jobs left PROCESSING by a process that died become PAUSED (and resumable)."""
        from certtui.engine.control import recover_interrupted

        return await recover_interrupted(self.sessions, bus=self.bus)

    async def clients(self) -> BedrockClients:
        """The Bedrock clients, opened on first use: a session that only looks pays nothing."""
        from certtui.bedrock.clients import BedrockClients
        from certtui.engine.access import bedrock_settings, engine_config

        async with self._opening:
            if self._clients is None:
                pool = max(engine_config(self.settings).region_concurrency, 10)
                opened = BedrockClients(bedrock_settings(self.settings, pool=pool))
                self._clients = await opened.__aenter__()
        return self._clients

    async def __aexit__(self, *exc: object) -> None:
        await self.pause_all_and_wait()
        if self._clients is not None:
            await self._clients.aclose()
            self._clients = None

    def subscribe(self, subscriber: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Receive every engine event (on this event loop)."""
        return self.bus.subscribe(subscriber)

    @property
    def running(self) -> list[str]:
        """Ids of the jobs this session is running now."""
        return [job_id for job_id, task in self._tasks.items() if not task.done()]

    async def load_engine(self) -> None:
        """Import the engine proper and the Bedrock client in a thread, off the event loop.

        An interactive session calls this once it has painted, so its first job or sync
        does not stop the screen for the imports.
        """
        import importlib

        def load() -> None:
            for module in ("certtui.bedrock.clients", "certtui.engine.discovery",
                           "certtui.engine.job", "certtui.engine.planning"):  # fmt: skip
                importlib.import_module(module)

        await asyncio.to_thread(load)

    async def sync(
        self, regions: Sequence[str], *, on_region: Callable[[str, bool], None] | None = None
    ) -> SyncOutcome:
        """Discovery into the catalog (``on_region`` hears each region as it finishes)."""
        from certtui.engine.discovery import sync_catalog

        outcome = await sync_catalog(self.sessions, await self.clients(), regions, on_region)
        self._unreachable_in_discovery(outcome)
        return outcome

    def breaker(self) -> RegionBreaker:
        """The session's region breaker, shared by its jobs and its discovery."""
        from certtui.engine.access import engine_config
        from certtui.engine.job import new_breaker

        if self._breaker is None:
            self._breaker = new_breaker(engine_config(self.settings))
        return self._breaker

    def _unreachable_in_discovery(self, outcome: SyncOutcome) -> None:
        from certtui.engine.unit import is_connection_failure

        for region, error in outcome.failed.items():
            if is_connection_failure(error):
                self.breaker().open(region, f"discovery: {error.code}: {error.message}")

    async def certify(self, request: JobRequest) -> PlannedJob:
        """Plan a job and start running it in the background."""
        from certtui.engine.planning import plan_job

        planned = await plan_job(self.sessions, request, self.job_suite(), bus=self.bus)
        await self._start(planned.job_id)
        return planned

    def job_suite(self) -> Suite:
        if self.suite is None:
            from certtui.suites import default_suite

            self.suite = default_suite()
        return self.suite

    async def _start(self, job_id: str) -> None:
        from certtui.engine.access import engine_config
        from certtui.engine.job import JobRunner

        runner = JobRunner(
            self.sessions, await self.clients(), self.job_suite(), job_id,
            engine_config(self.settings), bus=self.bus, exit_on_pause=False,
            breaker=self.breaker(),
        )  # fmt: skip
        self.runners[job_id] = runner
        task = asyncio.create_task(runner.run(), name=f"job-{job_id}")
        task.add_done_callback(lambda t: self._finished(job_id, t))
        self._tasks[job_id] = task

    def _finished(self, job_id: str, task: asyncio.Task[JobOutcome]) -> None:
        self.runners.pop(job_id, None)
        if not task.cancelled() and task.exception() is not None:
            self.bus.publish(LogLine(job_id, "error", f"job stopped: {task.exception()}"))

    async def toggle_pause(self, job_id: str) -> JobStatus:
        """Pause a running job or resume a paused one, here or in another process.

        Pressed again while this session's job is pausing (calls in flight finishing), the
        pause happens now: those calls are cancelled and their units requeued.
        """
        from certtui.engine import leases
        from certtui.engine.control import find_job, pause_job, resume_request
        from certtui.store.views import load_job

        runner = self.runners.get(job_id)
        if runner is not None:
            if runner.pausing:
                runner.pause_now()
                return JobStatus.PAUSED
            if runner.paused:
                runner.resume()
                return JobStatus.PROCESSING
            runner.pause()
            return JobStatus.PAUSED
        async with self.sessions() as session:
            job = await find_job(session, job_id)
            status, live = job.status, leases.running(job.config)
            view = await load_job(session, job.id)
        if status is JobStatus.PAUSED and live and view is not None and view.pausing:
            await pause_job(self.sessions, job_id, bus=self.bus)  # again: pause now
            return JobStatus.PAUSED
        if status is JobStatus.PAUSED or not live:
            result = await resume_request(self.sessions, job_id, bus=self.bus)
            if not result.live:
                await self._start(result.job_id)
            return JobStatus.PROCESSING
        await pause_job(self.sessions, job_id, bus=self.bus)
        return JobStatus.PAUSED

    def pausing(self, job_id: str) -> bool:
        """Whether this session's job is pausing: calls in flight finish, none starts."""
        runner = self.runners.get(job_id)
        return runner is not None and runner.pausing

    async def pause(self, job_id: str) -> None:
        """Pause a job (ours, or another process's through the database)."""
        from certtui.engine.control import pause_job

        runner = self.runners.get(job_id)
        if runner is not None:
            runner.pause()
        else:
            await pause_job(self.sessions, job_id, bus=self.bus)

    async def cancel(self, job_id: str) -> None:
        """Cancel a job (ours now, another process's through the database)."""
        from certtui.engine.control import cancel_job

        runner = self.runners.get(job_id)
        if runner is not None:
            runner.cancel()
            await asyncio.gather(self._tasks[job_id], return_exceptions=True)
        else:
            await cancel_job(self.sessions, job_id, bus=self.bus)

    async def pause_all_and_wait(self) -> None:
        """Leave every running job PAUSED and resumable (used when quitting)."""
        for runner in list(self.runners.values()):
            runner.interrupt()
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
