"""A PostgreSQL server that goes away mid-job: pause and quit stay prompt, and nothing is lost.

The server is stopped with ``pg_ctl`` (what an operator's restart or a failover does: sessions
are terminated, new connections refused) and started again; the job runs against the real
stand-in meanwhile. Deadlines below are liveness bounds derived from the configured attempt
timeout, not performance figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.bedrock.clients import BedrockClients
from certtui.domain.enums import JobStatus
from certtui.domain.events import LogLine, UnitStateChanged
from certtui.engine.control import recover_interrupted
from certtui.engine.job import DatabaseUnreachable, EngineConfig, JobRunner
from certtui.engine.planning import JobRequest, plan_job
from certtui.standin.server import serve
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.store.outage import is_database_outage
from certtui.suites import default_suite
from support.engine import REGIONS, JobState, assert_consistent, clients_for, healthy_scenario
from support.engine import job_state as read_job_state
from support.engine import sync as sync_catalog
from support.postgres import PostgresServer, start_server

ATTEMPT = 2.0  # seconds one database transaction may take before it counts as failed
PROMPT = 5 * ATTEMPT  # liveness bound for a pause or quit asked for during the outage
OUTAGE = 10.0
UNITS = 18
_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own: stopping it disturbs no other test."""
    pg = start_server()
    try:
        yield pg
    finally:
        pg.stop()


@dataclass
class Outage:
    """A database on the module's server, and the means to take the server away and back."""

    server: PostgresServer
    url: str

    async def down(self) -> float:
        await asyncio.to_thread(self.server.halt)
        return time.monotonic()

    async def up_after(self, went_down: float, seconds: float = OUTAGE) -> None:
        await asyncio.sleep(max(0.0, went_down + seconds - time.monotonic()))
        await asyncio.to_thread(self.server.run)

    async def state(self, job_id: str) -> JobState:
        """The job as the database holds it, in one snapshot, through a connection of its own."""
        # READ COMMITTED would read the job and its units in two snapshots, a commit between.
        engine = create_engine(parse_database_url(self.url)).execution_options(
            isolation_level="REPEATABLE READ"
        )
        try:
            return await read_job_state(session_factory(engine), job_id)
        finally:
            await engine.dispose()


@pytest.fixture
async def outage(server: PostgresServer) -> AsyncIterator[Outage]:
    name = f"certtui_outage_{next(_names)}"
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user=server.user)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    url = server.url(name)
    engine = create_engine(parse_database_url(url))
    await migrate.upgrade(engine)
    await engine.dispose()
    yield Outage(server, url)


@dataclass
class RunningJob:
    """A job running in the background, with every event it published."""

    runner: JobRunner
    task: asyncio.Task
    events: list[object]

    def said(self, text: str) -> list[str]:
        return [e.message for e in self.events if isinstance(e, LogLine) and text in e.message]

    def finished(self) -> list[str]:
        return [
            e.certification_id
            for e in self.events
            if isinstance(e, UnitStateChanged) and e.status.is_terminal
        ]


async def _until(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def _eventually_state(
    outage: Outage, job_id: str, ok: Callable[[JobState], bool]
) -> JobState:
    state = None
    try:
        async with asyncio.timeout(60):
            while True:
                state = await outage.state(job_id)
                if ok(state):
                    return state
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(
            f"the job never reached the state wanted; last seen: {state}"
        ) from None


@contextlib.asynccontextmanager
async def _world(
    outage: Outage, url: str | None = None
) -> AsyncIterator[tuple[async_sessionmaker, str, BedrockClients]]:
    """Sessions on the outage database (or ``url``), the stand-in, and clients talking to it."""
    engine = create_engine(parse_database_url(url or outage.url))
    try:
        async with (
            serve(healthy_scenario(6), latency_ms=150) as standin,
            clients_for(standin.url) as clients,
        ):
            yield session_factory(engine), standin.url, clients
    finally:
        await engine.dispose()


def _config(**overrides: float) -> EngineConfig:
    values = {"lease_ttl": 1.5, "heartbeat": 0.2, "db_attempt_timeout": ATTEMPT, **overrides}
    return EngineConfig(concurrency=4, region_concurrency=2, **values)  # type: ignore[arg-type]


async def _start_job(sessions, standin_url, clients, config, *, exit_on_pause) -> RunningJob:  # type: ignore[no-untyped-def]
    await sync_catalog(sessions, standin_url)
    planned = await plan_job(
        sessions, JobRequest(regions=REGIONS, all_models=True), default_suite()
    )
    assert planned.total == UNITS
    runner = JobRunner(
        sessions, clients, default_suite(), planned.job_id, config, exit_on_pause=exit_on_pause
    )
    events: list[object] = []
    runner.bus.subscribe(events.append)
    job = RunningJob(runner, asyncio.create_task(runner.run()), events)
    await _until(lambda: len(job.finished()) >= 3, "three units finished before the outage")
    return job


async def _resume_to_the_end(outage: Outage, sessions, clients, job_id: str) -> None:  # type: ignore[no-untyped-def]
    """A dead owner's lease expires, the job is recovered and run to its end in a new runner."""
    await asyncio.sleep(1.6)
    await recover_interrupted(sessions)
    outcome = await JobRunner(sessions, clients, default_suite(), job_id, _config()).run()
    assert outcome.status is JobStatus.COMPLETED
    final = await outage.state(job_id)
    assert final.units == {"COMPLETED": UNITS} and final.processed == UNITS
    assert_consistent(final)


async def test_pause_during_an_outage_is_prompt_and_what_finished_is_written_when_it_is_back(
    outage: Outage,
) -> None:
    async with _world(outage) as (sessions, standin_url, clients):
        job = await _start_job(sessions, standin_url, clients, _config(),
                               exit_on_pause=False)  # fmt: skip
        job_id = job.runner.job_id
        went_down = await outage.down()
        await _until(lambda: job.said("database unreachable ("), "the outage reported")
        await _until(lambda: job.runner.writer.results_held > 0, "a verdict held in memory")
        before = len(job.finished())

        # Pausing never waited on the database; the calls in flight still finish, and the
        # units that had calls left go back to the queue once the database is back.
        job.runner.pause()
        assert job.runner.paused
        assert len(job.finished()) == before  # nothing could be committed, or published

        await outage.up_after(went_down)
        # What finished meanwhile is written, and no unit is left PROCESSING.
        paused = await _eventually_state(
            outage, job_id, lambda s: s.status == "PAUSED" and "PROCESSING" not in s.units
        )
        assert job.said("database reachable again after")
        assert_consistent(paused)
        assert len(job.finished()) > before
        assert sorted(job.finished()) == sorted(set(job.finished()))
        assert paused.processed == len(job.finished())

        job.runner.resume()
        outcome = await asyncio.wait_for(job.task, 120)
        assert outcome.status is JobStatus.COMPLETED
        final = await outage.state(job_id)
        assert final.units == {"COMPLETED": UNITS} and final.processed == UNITS
        assert_consistent(final)


async def test_quitting_during_an_outage_is_prompt_and_the_job_stays_resumable(
    outage: Outage,
) -> None:
    async with _world(outage) as (sessions, standin_url, clients):
        job = await _start_job(sessions, standin_url, clients, _config(),
                               exit_on_pause=False)  # fmt: skip
        job_id = job.runner.job_id
        went_down = await outage.down()
        await _until(lambda: job.said("database unreachable ("), "the outage reported")

        # What quitting the TUI does (CertificationService.pause_all_and_wait).
        job.runner.interrupt()
        with pytest.raises(DatabaseUnreachable) as stopped:
            await asyncio.wait_for(job.task, PROMPT)
        assert f"job {job_id} paused, resume with `certtui jobs resume {job_id}`" in str(
            stopped.value
        )
        assert str(stopped.value).startswith("database unreachable for ")

        await outage.up_after(went_down)
        left = await outage.state(job_id)
        assert_consistent(left)  # what was not written is unfinished, never half-counted
        assert left.processed < UNITS
        await _resume_to_the_end(outage, sessions, clients, job_id)


@pytest.mark.parametrize("exit_on_pause", [True, False], ids=["headless", "interactive"])
async def test_an_outage_past_its_limit_pauses_the_job_and_says_so(
    outage: Outage, exit_on_pause: bool
) -> None:
    async with _world(outage) as (sessions, standin_url, clients):
        config = _config(db_outage_limit=2.0)
        job = await _start_job(sessions, standin_url, clients, config,
                               exit_on_pause=exit_on_pause)  # fmt: skip
        job_id = job.runner.job_id
        went_down = await outage.down()
        told = f"job paused, resume with `certtui jobs resume {job_id}`"
        await _until(lambda: job.said(told), "the pause for the outage announced")
        assert job.runner.paused
        assert job.said(told)[0].startswith("database unreachable for ")

        if exit_on_pause:
            # A headless run stops by itself once its units in flight are done.
            with pytest.raises(DatabaseUnreachable):
                await asyncio.wait_for(job.task, 60)
            await outage.up_after(went_down, seconds=5)
            assert_consistent(await outage.state(job_id))
            await _resume_to_the_end(outage, sessions, clients, job_id)
            return

        # An interactive session keeps the job and what it holds, and writes both when the
        # database is back: PAUSED with nothing in flight — or, when every unit had already
        # been answered during the outage (a slow machine), the job's end.
        await outage.up_after(went_down, seconds=5)
        settled = await _eventually_state(
            outage, job_id,
            lambda s: (s.status == "PAUSED" and "PROCESSING" not in s.units)
            or s.status == "COMPLETED",
        )  # fmt: skip
        assert_consistent(settled)
        if settled.status == "PAUSED":
            assert not job.task.done() and job.runner.paused
            job.runner.resume()
        outcome = await asyncio.wait_for(job.task, 120)
        assert outcome.status is JobStatus.COMPLETED
        final = await outage.state(job_id)
        assert final.units == {"COMPLETED": UNITS}
        assert_consistent(final)


class HangingNetwork:
    """A TCP relay to the server that can stop passing bytes: a link that hangs, not refuses."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> HangingNetwork:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.listen_port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def url(self, database_url: str) -> str:
        return database_url.replace(f":{self.port}/", f":{self.listen_port}/")

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.flowing.wait()  # a new connection is accepted, then never answered
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                await self.flowing.wait()
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.close()


async def test_quitting_while_the_link_hangs_is_bounded_by_the_attempt_timeout(
    outage: Outage,
) -> None:
    async with (
        HangingNetwork(outage.server.port) as network,
        _world(outage, network.url(outage.url)) as (sessions, standin_url, clients),
    ):
        job = await _start_job(sessions, standin_url, clients, _config(),
                               exit_on_pause=False)  # fmt: skip
        job_id = job.runner.job_id
        network.flowing.clear()  # statements and connections in progress now wait forever
        await _until(
            lambda: job.said(f"no answer from the database within {ATTEMPT:g} s"),
            "an attempt given up at its timeout",
            timeout=PROMPT,
        )
        job.runner.interrupt()
        with pytest.raises(DatabaseUnreachable):
            await asyncio.wait_for(job.task, PROMPT)
        network.flowing.set()
        assert_consistent(await outage.state(job_id))
        await _resume_to_the_end(outage, sessions, clients, job_id)


def _wrapped(error: BaseException, *, invalidated: bool = False) -> BaseException:
    """An error as SQLAlchemy raises it mid-statement: a DBAPIError caused by the driver's."""
    try:
        raise sa_exc.DBAPIError("UPDATE ...", {}, error, connection_invalidated=invalidated) from (
            error
        )
    except sa_exc.DBAPIError as wrapped:
        return wrapped


def _sqlite_error(kind: str) -> sqlite3.Error:
    """A real error from SQLite (it carries SQLite's result code), not one built by hand."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "db"
        holder = sqlite3.connect(path, isolation_level=None)
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            if kind == "locked":
                holder.execute("BEGIN IMMEDIATE")
                other.execute("BEGIN IMMEDIATE")
            else:
                other.execute("SELECT * FROM no_such_table")
        except sqlite3.Error as error:
            return error
        finally:
            holder.close()
            other.close()
    raise AssertionError(f"SQLite raised nothing for {kind}")


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),  # asyncpg, while connecting
        (TimeoutError(), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), True),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (_wrapped(RuntimeError("connection is closed"), invalidated=True), True),
        (_wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed")), True),
        (sa_exc.OperationalError("COMMIT", {}, _sqlite_error("locked")), True),
        (sa_exc.OperationalError("SELECT ...", {}, _sqlite_error("no such table")), False),
        (_wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")), False),
        (sa_exc.IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE")), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_the_database_being_away(error: BaseException, outage: bool) -> None:
    assert is_database_outage(error) is outage
