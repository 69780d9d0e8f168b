"""`certtui worker`: take slices from the PostgreSQL queue (PGQueuer) and run them.

One worker process runs up to ``2 × concurrency`` units at once (the engine's ratio of units to
call slots), as slices of up to ``SLICE_UNITS`` units; its Bedrock calls share one limiter and
one region breaker. It beats its ``certtui_workers`` row every second and renews the queue
lease of the jobs it works on. SIGTERM (or SIGINT): take nothing more, let the slices in flight
finish for ``grace`` seconds, then cancel what still runs and hand those slices back to the
queue; exit 0. SIGKILL: PGQueuer gives its slices to another worker once their heartbeat is
older than the stall timeout, and the new holder requeues the units left PROCESSING, uncounted.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from certtui.engine.access import bedrock_settings, engine_config
from certtui.engine.job import UNITS_PER_CALL_SLOT, new_breaker, new_limiter
from certtui.engine.limits import CallLimiter
from certtui.errors import UsageError
from certtui.store import workers as queue_store
from certtui.workers.schedules import ScheduleRunner
from certtui.workers.slice import JobWatch, SliceEnd, SliceRunner
from certtui.workers.submit import NEEDS_POSTGRESQL, QUEUE_LEASE_TTL, slice_entrypoint

if TYPE_CHECKING:
    from certtui.config import Settings
    from certtui.suites import Suite

PAUSED_RETRY = timedelta(seconds=1)
ERROR_RETRY = timedelta(seconds=2)
HEARTBEAT_SECONDS = 1.0
SLICES_AHEAD = 1
DEQUEUE_POLL = timedelta(seconds=1)


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker runs."""

    name: str | None = None
    concurrency: int | None = None
    region_concurrency: int | None = None
    regions: Sequence[str] | None = None
    stall_timeout: float = 30.0  # a slice whose worker is silent this long goes to another
    grace: float = 30.0  # after SIGTERM, how long slices in flight may take to finish


@contextlib.asynccontextmanager
async def _started(limiter: CallLimiter, timeout: float) -> AsyncIterator[CallLimiter]:
    """The limiter started (it hears other processes' throttles), and closed at the end."""
    await limiter.start()
    try:
        yield limiter
    finally:
        await limiter.aclose(timeout)


def default_name() -> str:
    """host:pid, unless a name is given."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(
    settings: Settings, options: WorkerOptions, *, say: Callable[[str], None] | None = None
) -> int:
    """Run a worker until SIGTERM/SIGINT; returns the exit code (0)."""
    from pgqueuer import AsyncpgDriver, QueueManager, RetryRequested
    from pgqueuer.models import Job
    from pgqueuer.queries import Queries

    from certtui.bedrock.clients import BedrockClients
    from certtui.bedrock.regions import all_regions
    from certtui.store.opening import open_database

    say = say or (lambda text: print(text, flush=True))
    config = engine_config(
        settings, concurrency=options.concurrency, region_concurrency=options.region_concurrency
    )
    regions = list(options.regions or sorted(all_regions()))
    name = options.name or default_name()
    worker_id = uuid.uuid4().hex
    async with open_database(settings) as database:
        async with database.sessions() as session:
            if not queue_store.on_postgresql(session):
                raise UsageError(NEEDS_POSTGRESQL)
        async with database.sessions.begin() as session:
            await queue_store.register_worker(
                session, worker_id, name=name, host=socket.gethostname(), pid=os.getpid(),
                concurrency=config.concurrency, regions=options.regions,
            )  # fmt: skip
        pool = max(config.region_concurrency, 10)
        async with (
            BedrockClients(bedrock_settings(settings, pool=pool)) as clients,
            # limit_scope (cluster by default here): the limits hold for every worker together.
            _started(new_limiter(config, database.sessions), config.db_attempt_timeout) as limiter,
        ):
            # Ready means ready: the first slice in a region does not build its client (botocore's
            # data files, the CA bundle) under the CPU of every other unit starting at once.
            await clients.prepare("bedrock-runtime", regions)
            suites = await _warm_up(database.engine)
            watch = JobWatch(database.sessions)
            runner = SliceRunner(
                sessions=database.sessions, clients=clients, config=config,
                suite_for=suites, worker_id=worker_id,
                limiter=limiter,
                breaker=new_breaker(config), watch=watch,
                unit_slots=asyncio.Semaphore(UNITS_PER_CALL_SLOT * config.concurrency),
            )  # fmt: skip
            async with (
                queue_store.dedicated_connection(database.engine) as queue_conn,
                queue_store.dedicated_connection(database.engine) as schedule_conn,
            ):
                manager = QueueManager(Queries(AsyncpgDriver(queue_conn)))
                # A worker at capacity while slices wait would re-poll every 0.1 s; a slice
                # that ends here is acked with a NOTIFY that wakes the loop anyway.
                manager.min_dequeue_poll_interval = DEQUEUE_POLL
                # Enough slices for every unit slot, and one more taken ahead: a slice that is
                # down to its last unit does not leave the other slots idle. More held ahead
                # would be work other workers cannot take at the job's end.
                units = UNITS_PER_CALL_SLOT * config.concurrency
                slices_cap = math.ceil(units / queue_store.SLICE_UNITS) + SLICES_AHEAD

                async def take(job: Job) -> None:
                    slice_id = (job.payload or b"").decode()
                    try:
                        ended = await runner.run(slice_id)
                    except Exception as exc:
                        say(f"worker {name}: slice {slice_id} failed ({exc}); queued again")
                        raise RetryRequested(ERROR_RETRY, reason=str(exc)) from None
                    if ended is SliceEnd.PAUSED:
                        raise RetryRequested(PAUSED_RETRY, reason="job paused")
                    if ended is SliceEnd.HANDED_BACK:
                        raise RetryRequested(timedelta(0), reason="handed back")

                for region in regions:
                    manager.entrypoint(slice_entrypoint(region))(take)
                schedules = ScheduleRunner(
                    database.sessions, Queries(AsyncpgDriver(schedule_conn)), settings, say
                )
                stop = _Stopper(manager, schedules, runner, options.grace)
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(signum, stop.request)
                background = [
                    asyncio.create_task(watch.run(), name="worker-watch"),
                    asyncio.create_task(
                        _heartbeat(database.sessions, worker_id, runner, watch), name="worker-beat"
                    ),
                    asyncio.create_task(schedules.run(), name="worker-schedules"),
                ]
                shown = ",".join(options.regions) if options.regions else "all"
                say(
                    f"worker {name} ready: {config.concurrency} calls, {units} units in flight, "
                    f"{slices_cap} slices held, regions {shown}"
                )
                try:
                    await manager.run(
                        batch_size=1,
                        max_concurrent_tasks=slices_cap,
                        heartbeat_timeout=timedelta(seconds=options.stall_timeout),
                        dequeue_timeout=timedelta(seconds=5),
                    )
                finally:
                    stop.request()
                    for task in background:
                        task.cancel()
                    await asyncio.gather(*background, return_exceptions=True)
                    for signum in (signal.SIGTERM, signal.SIGINT):
                        loop.remove_signal_handler(signum)
                    async with database.sessions.begin() as session:
                        await queue_store.stop_worker(session, worker_id)
    say(f"worker {name} stopped")
    return 0


class _Stopper:
    """SIGTERM: stop taking slices, let those in flight finish for ``grace`` s, then cancel."""

    def __init__(self, manager: Any, schedules: Any, runner: SliceRunner, grace: float) -> None:
        self.manager, self.schedules, self.runner, self.grace = manager, schedules, runner, grace
        self._timer: asyncio.TimerHandle | None = None

    def request(self) -> None:
        if self.runner.stopping.is_set():
            return
        self.runner.stopping.set()
        self.manager.shutdown.set()
        self.schedules.stop()
        self._timer = asyncio.get_running_loop().call_later(self.grace, self.runner.hard_stop.set)


async def _heartbeat(sessions: Any, worker_id: str, runner: SliceRunner, watch: JobWatch) -> None:
    """Beat the worker's row and renew the queue lease of the jobs it works on."""
    while True:
        with contextlib.suppress(Exception):  # the database away: beat again next second
            async with sessions.begin() as session:
                await queue_store.beat_worker(session, worker_id, runner.units_in_flight)
                # Every job the queue holds, running here or waiting its turn: while one
                # worker is alive, no recovery anywhere takes a submitted job for abandoned.
                renewal = {"heartbeat": time.time(), "ttl": QUEUE_LEASE_TTL}
                await queue_store.renew_leases_of_queued_jobs(session, renewal)
        await asyncio.sleep(HEARTBEAT_SECONDS)


async def _warm_up(engine: Any) -> Callable[[dict[str, Any]], Suite]:
    """What a worker's first slices would otherwise do at once, under each other's CPU: open
    the pool's connections, parse the default suite, import anyio's asyncio backend (PGQueuer
    runs each slice in an anyio cancel scope). Returns the suites, the default one loaded."""
    import anyio

    await queue_store.warm_pool(engine)
    suites = _suites()
    suites({})
    anyio.CancelScope()
    return suites


def _suites() -> Callable[[dict[str, Any]], Suite]:
    """The suite of a job (its suite file, or the default), loaded once per file."""
    from certtui.suites import default_suite, load_suite

    cache: dict[str | None, Suite] = {}

    def suite_for(config: dict[str, Any]) -> Suite:
        path = config.get("suitePath")
        if path not in cache:
            cache[path] = load_suite(Path(path)) if path else default_suite()
        return cache[path]

    return suite_for
