"""Jobs run by a detached engine process, followed through the database (#11 item 14).

The TUI plans a job in its own process, then starts ``certtui jobs resume JOB_ID`` in a new
session: the child claims the job with its lease, runs it with its own event loop (and GIL),
and writes its output to ``DATA_DIR/jobs/JOB_ID.log``. The screen and the Bedrock calls no
longer share a loop, and a TUI that quits or loses its terminal can leave the job running.

The TUI follows every job through an ``EventSource``: here the database polled incrementally
(``PollingSource``); a PostgreSQL ``LISTEN/NOTIFY`` source can take its place. Pause, resume
and cancel go through the database (``certtui.engine.control``), as from ``certtui jobs``;
the child's heartbeat reads them. Nothing here imports the Bedrock client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from certtui.config import ENV_PREFIX, FILE_KEYS, Settings
from certtui.domain.enums import JobStatus
from certtui.domain.events import EngineEvent, JobStateChanged
from certtui.engine.events import EventBus
from certtui.errors import UsageError

if TYPE_CHECKING:
    from certtui.engine.discovery import SyncOutcome
    from certtui.engine.planning import JobRequest, PlannedJob
    from certtui.store.sessions import Sessions
    from certtui.suites import Suite

log = logging.getLogger(__name__)

ACTIVE_POLL_SECONDS = 0.4  # while a followed job runs
IDLE_POLL_SECONDS = 2.0  # otherwise: one small query, to see jobs other processes start
# Quitting with "pause" waits this long for the engines to let their calls in flight finish.
PAUSE_PATIENCE_SECONDS = 60.0
CHILD_POLL_SECONDS = 0.1
ACTIVE = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING)
Publish = Callable[[EngineEvent], None]


# The child ------------------------------------------------------------------------------------


def job_log_path(settings: Settings, job_id: str) -> Path:
    """Where a detached engine writes its output: ``DATA_DIR/jobs/JOB_ID.log``."""
    return settings.data_dir / "jobs" / f"{job_id}.log"


def child_environment(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment that gives a child exactly these settings.

    Every setting goes as its ``CERTTUI_*`` variable, which beats the config file: the child
    sees what this process resolved, flags included, and the database URL (and its password)
    stays out of the process list.
    """
    env = dict(os.environ if base is None else base)
    if settings.config_path.is_file():
        env[f"{ENV_PREFIX}CONFIG"] = str(settings.config_path)
    else:
        env.pop(f"{ENV_PREFIX}CONFIG", None)
    for key in FILE_KEYS:
        name = f"{ENV_PREFIX}{key.upper()}"
        value = getattr(settings, key)
        if value is None or value == ():
            env.pop(name, None)
        elif isinstance(value, bool):
            env[name] = "true" if value else "false"
        elif isinstance(value, tuple):
            env[name] = ",".join(value)
        else:
            env[name] = str(value)
    return env


def engine_command(job_id: str) -> list[str]:
    """The command that runs a planned or paused job to its end: ``certtui jobs resume``."""
    return [sys.executable, "-m", "certtui", "jobs", "resume", job_id]


def launch_engine(settings: Settings, job_id: str) -> subprocess.Popen[bytes]:
    """Start a detached engine for ``job_id``: its own session (an SSH drop does not reach
    it), no terminal, its output appended to the job's log file."""
    path = job_log_path(settings, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as output:
        return subprocess.Popen(
            engine_command(job_id),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=child_environment(replace_read_write(settings)),
            start_new_session=True,
            close_fds=True,
        )


def replace_read_write(settings: Settings) -> Settings:
    """A child is started only by a read-write session, and writes."""
    from dataclasses import replace

    return replace(settings, read_only=False)


# Following ------------------------------------------------------------------------------------


class EventSource(Protocol):
    """Where a follower's events come from (database polling today; NOTIFY later)."""

    async def start(self, publish: Publish) -> None:
        """Begin delivering events to ``publish`` (on this event loop)."""

    def wake(self) -> None:
        """Something changed here (a job was started): look now rather than at the next tick."""

    async def stop(self) -> None:
        """Stop delivering; returns once no read is in progress."""


class PollingSource:
    """Reads what changed every ``active_seconds`` while a job runs, else every ``idle_seconds``.

    A read is never cancelled half-way (an aiosqlite connection cancelled mid-query may never
    close): ``stop`` lets the current one finish.
    """

    def __init__(
        self,
        sessions: Sessions,
        *,
        active_seconds: float = ACTIVE_POLL_SECONDS,
        idle_seconds: float = IDLE_POLL_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.active_seconds = active_seconds
        self.idle_seconds = idle_seconds
        self.polls = 0  # looks so far
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._problem: str | None = None

    async def start(self, publish: Publish) -> None:
        from certtui.store.follow import start_cursor

        async with self.sessions() as session:
            cursor = await start_cursor(session)
        self._task = asyncio.create_task(self._run(publish, cursor), name="follow-jobs")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, publish: Publish, cursor: object) -> None:
        from certtui.store.follow import changes_since

        while not self._stopping:
            try:
                async with self.sessions() as session:
                    changes = await changes_since(session, cursor)  # type: ignore[arg-type]
            except Exception as exc:  # the database away: try again next tick, say so once
                if str(exc) != self._problem:
                    log.warning("following jobs: cannot read the database: %s", exc)
                self._problem = str(exc)
            else:
                self._problem = None
                self.polls += 1
                for event in (*changes.units, *changes.jobs):
                    publish(event)
            active = cursor.active_jobs()  # type: ignore[attr-defined]
            delay = self.active_seconds if active else self.idle_seconds
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)


# The service ----------------------------------------------------------------------------------


@dataclass
class DetachedService:
    """The TUI's engine when jobs run in their own processes (``engine = "process"``).

    It offers what ``CertificationService`` offers the screens (certify, pause, cancel,
    subscribe, running), planning here and running in a child.
    """

    settings: Settings
    sessions: Sessions
    reads: Sessions | None = None  # the follower's reads (default: ``sessions``)
    suite: Suite | None = None
    bus: EventBus = field(default_factory=EventBus)
    source: EventSource | None = None
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Every job's events come from the database: no full reloads to see other processes' jobs.
    follows_database: bool = True
    # A job run here may be left running when the TUI quits.
    can_leave_running: bool = True
    _status: dict[str, JobStatus] = field(default_factory=dict)

    async def __aenter__(self) -> DetachedService:
        self.bus.subscribe(self._track)
        if self.source is None:
            self.source = PollingSource(self.reads or self.sessions)
        await self.source.start(self.bus.publish)
        return self

    async def __aexit__(self, *exc: object) -> None:
        # The children are left alone: pausing them is the operator's choice, made before this.
        if self.source is not None:
            await self.source.stop()
        for child in self.children.values():
            child.poll()  # reaped if done; one still running goes on by itself

    async def load_engine(self) -> None:
        """Nothing to load here: jobs run in their own processes."""

    async def sync(
        self, regions: Sequence[str], *, on_region: Callable[[str, bool], None] | None = None
    ) -> SyncOutcome:
        """Discovery into the catalog, in this process (``--demo``'s first sync, after the
        first paint): the Bedrock client is loaded for it and closed after it."""
        from certtui.engine.service import CertificationService

        async with CertificationService(self.settings, self.sessions) as service:
            await service.load_engine()
            return await service.sync(regions, on_region=on_region)

    def _track(self, event: EngineEvent) -> None:
        if isinstance(event, JobStateChanged) and event.job_id in self.children:
            self._status[event.job_id] = event.status

    def subscribe(self, subscriber: Publish) -> Callable[[], None]:
        """Receive every event the follower sees (on this event loop)."""
        return self.bus.subscribe(subscriber)

    @property
    def running(self) -> list[str]:
        """The jobs this session started (or resumed) that have not stopped yet."""
        return [job_id for job_id in self.children if self._status.get(job_id) in ACTIVE]

    async def recover(self) -> list[str]:
        """Jobs left PROCESSING by a process that died become PAUSED (and resumable)."""
        from certtui.engine.control import recover_interrupted

        return await recover_interrupted(self.sessions, bus=self.bus)

    def job_suite(self) -> Suite:
        if self.suite is None:
            from certtui.suites import default_suite

            self.suite = default_suite()
        return self.suite

    async def certify(self, request: JobRequest) -> PlannedJob:
        """Plan a job here, then start a detached engine that claims and runs it."""
        from certtui.engine.planning import plan_job

        planned = await plan_job(self.sessions, request, self.job_suite(), bus=self.bus)
        self._start(planned.job_id)
        return planned

    def _start(self, job_id: str) -> None:
        self.children[job_id] = launch_engine(self.settings, job_id)
        self._status[job_id] = JobStatus.QUEUED
        if self.source is not None:
            self.source.wake()

    async def toggle_pause(self, job_id: str) -> JobStatus:
        """Pause a running job or resume a paused one, through the database."""
        from certtui.engine import leases
        from certtui.engine.control import find_job, resume_request

        async with self.sessions() as session:
            job = await find_job(session, job_id)
            status, live = job.status, leases.running(job.config)
        if status is JobStatus.PAUSED or not live:
            result = await resume_request(self.sessions, job_id, bus=self.bus)
            if not result.live:
                self._start(result.job_id)
            else:
                self._status[result.job_id] = JobStatus.PROCESSING
            return JobStatus.PROCESSING
        await self.pause(job_id)
        return JobStatus.PAUSED

    def pausing(self, job_id: str) -> bool:
        """Whether this session holds a pausing job in memory: never (its engine is another
        process; the Jobs screen reads PAUSING from the database)."""
        return False

    async def pause(self, job_id: str) -> None:
        """Pause a job: its engine stops dispatching within a heartbeat."""
        from certtui.engine.control import pause_job

        result = await pause_job(self.sessions, job_id, bus=self.bus)
        self._status[result.job_id] = JobStatus.PAUSED
        child = self.children.get(result.job_id)
        if not result.live and child is not None and child.poll() is None:
            # Our engine has not claimed the job yet (it is starting): it would take the pause
            # for a resume. Stopped now, before any call, it leaves the job PAUSED.
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)

    async def cancel(self, job_id: str) -> None:
        """Cancel a job: its engine cancels its calls; a job nobody runs is cancelled here."""
        from certtui.engine.control import cancel_job

        result = await cancel_job(self.sessions, job_id, bus=self.bus)
        self._status[result.job_id] = JobStatus.CANCELLED

    async def pause_all_and_wait(self, patience: float = PAUSE_PATIENCE_SECONDS) -> None:
        """Leave every job this session runs PAUSED and resumable (quitting with "pause").

        As an inline job is interrupted when its TUI quits, so is a detached one: PAUSED in
        the database first (whatever happens to the signal), then SIGTERM to its engine, which
        cuts its calls in flight, requeues their units and exits, as ``certtui jobs resume``
        does on SIGTERM. The engines are waited for up to ``patience`` seconds.
        """
        paused = []
        for job_id in self.running:
            with contextlib.suppress(UsageError):  # it ended meanwhile
                await self.pause(job_id)
            child = self.children[job_id]
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
                paused.append(child)
        deadline = time.monotonic() + patience
        while any(child.poll() is None for child in paused) and time.monotonic() < deadline:
            await asyncio.sleep(CHILD_POLL_SECONDS)

    def leave_running(self) -> list[str]:
        """Quitting with "leave running": the jobs go on in their own processes."""
        return self.running
