"""Transitions told to every process on the same PostgreSQL: NOTIFY in the commit, LISTEN here.

A store write that changes a unit or a job notes the row's id on its session (``note_units``,
``note_jobs``). Just before that transaction commits, the ids go out with
``pg_notify('certtui_events', …)`` in the same transaction: PostgreSQL delivers a notification
only if its transaction commits, so a notification exists exactly when the change does. A
payload carries ids only (never results), split so each stays far below PostgreSQL's 8000-byte
limit, and names the process that wrote it, whose own listener skips it (that process publishes
its events itself).

``EventListener`` holds one dedicated asyncpg connection with ``LISTEN certtui_events``, reads
the rows a notification names (one query per kind) and hands them on as the same
``UnitStateChanged`` / ``JobStateChanged`` events the engine publishes, so a subscriber cannot
tell a remote transition from a local one. A dropped connection is retried with backoff; while
it is down the subscriber is told (``on_state(False)``) and falls back to polling; once it is
back, ``on_state(True)`` asks for one reload to catch up on what was missed.

SQLite has no NOTIFY: notes are not even kept there, and nobody listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as SyncSession

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import EngineEvent, JobStateChanged, UnitStateChanged
from certtui.store.models import AIModel, CertificationJob, ModelCertification

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from certtui.store.database import DatabaseTarget

EVENTS_CHANNEL = "certtui_events"
ORIGIN = f"{os.getpid():x}-{uuid.uuid4().hex[:8]}"  # this process, as its payloads name it
MAX_PAYLOAD = 7000  # bytes; PostgreSQL refuses 8000 and more
_NOTES = "certtui_notify"  # key of the ids noted in a session's ``info``

CERTS = ModelCertification.__table__
MODELS = AIModel.__table__
JOBS = CertificationJob.__table__

log = logging.getLogger(__name__)


# Sending ------------------------------------------------------------------------------------


def _notes(session: AsyncSession | SyncSession) -> dict[str, dict[str, None]] | None:
    """The ids noted in this session's transaction, or None on SQLite (nothing to send)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    info = session.info
    notes = info.get(_NOTES)
    if notes is None:
        notes = info[_NOTES] = {"u": {}, "j": {}}
    return notes


def note_units(session: AsyncSession, certification_ids: Iterable[str]) -> None:
    """Tell other processes, when this transaction commits, that these units changed."""
    notes = _notes(session)
    if notes is not None:
        notes["u"].update(dict.fromkeys(certification_ids))


def note_jobs(session: AsyncSession, job_ids: Iterable[str]) -> None:
    """Tell other processes, when this transaction commits, that these jobs changed."""
    notes = _notes(session)
    if notes is not None:
        notes["j"].update(dict.fromkeys(job_ids))


def payloads(unit_ids: Collection[str], job_ids: Collection[str]) -> list[str]:
    """The notification payloads for the ids of one transaction, each under MAX_PAYLOAD bytes."""
    out: list[str] = []
    current: dict[str, Any] = {"o": ORIGIN, "u": [], "j": []}
    size = len(json.dumps(current, separators=(",", ":")))
    for kind, ids in (("u", unit_ids), ("j", job_ids)):
        for item in ids:
            cost = len(json.dumps(item)) + 1
            if size + cost > MAX_PAYLOAD:
                out.append(json.dumps(current, separators=(",", ":")))
                current = {"o": ORIGIN, "u": [], "j": []}
                size = len(json.dumps(current, separators=(",", ":")))
            current[kind].append(item)
            size += cost
    if current["u"] or current["j"]:
        out.append(json.dumps(current, separators=(",", ":")))
    return out


@event.listens_for(SyncSession, "before_commit")
def _send_notes(session: SyncSession) -> None:
    # Runs inside the transaction that is about to commit (under AsyncSession too: SQLAlchemy
    # runs sync event handlers in the greenlet of the awaited commit, so SQL may be emitted).
    notes = session.info.pop(_NOTES, None)
    if not notes or not (notes["u"] or notes["j"]):
        return
    for payload in payloads(list(notes["u"]), list(notes["j"])):
        session.execute(
            sa.select(sa.func.pg_notify(EVENTS_CHANNEL, sa.bindparam("payload"))),
            {"payload": payload},
        )


@event.listens_for(SyncSession, "after_rollback")
def _drop_notes(session: SyncSession) -> None:
    session.info.pop(_NOTES, None)  # nothing committed: nothing to tell


# Reading back -------------------------------------------------------------------------------


async def unit_events(
    session: AsyncSession, certification_ids: Collection[str]
) -> list[UnitStateChanged]:
    """The units with these ids as they stand now, as state events."""
    if not certification_ids:
        return []
    rows = await session.execute(
        sa.select(
            CERTS.c.id, CERTS.c.jobId, CERTS.c.modelId, MODELS.c.apiModelId, CERTS.c.region,
            CERTS.c.status, CERTS.c.passed, CERTS.c.score, CERTS.c.rating,
            CERTS.c.errorCategory, CERTS.c.errorMessage,
            ModelCertification.test_results["simulated"].as_boolean(),
        )
        .join(MODELS, MODELS.c.id == CERTS.c.modelId)
        .where(CERTS.c.id.in_(list(certification_ids)))
        .order_by(CERTS.c.region, CERTS.c.id)
    )  # fmt: skip
    return [
        UnitStateChanged(
            job_id or "", cid, model_id, api_id, region, CertificationStatus(status),
            passed=passed, score=score, rating=rating, error_category=category,
            error_message=message, simulated=bool(simulated),
        )
        for cid, job_id, model_id, api_id, region, status, passed, score, rating, category,
        message, simulated in rows
    ]  # fmt: skip


async def job_events(session: AsyncSession, job_ids: Collection[str]) -> list[JobStateChanged]:
    """The jobs with these ids as they stand now, as state events."""
    if not job_ids:
        return []
    rows = await session.execute(
        sa.select(
            JOBS.c.id, JOBS.c.status, JOBS.c.totalModels, JOBS.c.processedModels,
            JOBS.c.successCount, JOBS.c.failureCount,
        ).where(JOBS.c.id.in_(list(job_ids)))
    )  # fmt: skip
    return [
        JobStateChanged(job_id, JobStatus(status), total or 0, processed or 0, ok or 0, bad or 0)
        for job_id, status, total, processed, ok, bad in rows
    ]


# Listening ----------------------------------------------------------------------------------

RECONNECT_FIRST = 0.2
RECONNECT_CAP = 5.0


def asyncpg_connect_arguments(target: DatabaseTarget, *, read_only: bool) -> dict[str, Any]:
    """What ``asyncpg.connect`` needs to reach ``target`` as certtui's engine does."""
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    url = target.url.set(query=dict(target.options.passed_through))
    _, params = PGDialect_asyncpg().create_connect_args(url)
    params.pop("prepared_statement_cache_size", None)
    params.pop("async_fallback", None)
    params.update(target.options.connect_args(read_only=read_only))
    params.pop("prepared_statement_name_func", None)
    return params


class EventListener:
    """LISTEN on a dedicated connection; notifications become domain events for ``publish``.

    ``on_state(True)`` is called each time the connection is (re)established, and when the rows
    a notification named could not be read: either way the subscriber reads everything once to
    catch up. ``on_state(False)`` is called when it drops; ``connected`` says which holds now.
    Subscribers poll while it is False.
    """

    def __init__(
        self,
        target: DatabaseTarget,
        reads: async_sessionmaker[AsyncSession],
        publish: Callable[[EngineEvent], None],
        *,
        on_state: Callable[[bool], None] | None = None,
        read_only: bool = False,
        skip_own: bool = True,
    ) -> None:
        self.target = target
        self.reads = reads
        self.publish = publish
        self.on_state = on_state
        self.read_only = read_only
        self.skip_own = skip_own
        self.connected = False
        self.connections = 0  # successful (re)connections so far
        self.received = 0  # notifications handled so far
        self.backend_pid: int | None = None  # the server process of the LISTEN connection
        self.reconnect_first = RECONNECT_FIRST  # seconds before the first retry, then doubled
        self.reconnect_cap = RECONNECT_CAP
        self._task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._connection: Any = None

    def start(self) -> None:
        """Start listening in the background (connects, and reconnects, on its own)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="certtui-event-listener")

    async def close(self) -> None:
        """Stop listening and close the connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._drop()

    async def __aenter__(self) -> EventListener:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self) -> None:
        import asyncpg

        delay = self.reconnect_first
        arguments = asyncpg_connect_arguments(self.target, read_only=self.read_only)
        while True:
            lost = asyncio.Event()
            try:
                self._connection = await asyncpg.connect(**arguments)
                self._connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await self._connection.add_listener(EVENTS_CHANNEL, self._notified)
                self.backend_pid = self._connection.get_server_pid()
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                log.info("event listener cannot connect (%s); retrying in %.1f s", exc, delay)
                await self._drop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_cap)
                continue
            delay = self.reconnect_first
            self.connected = True
            self.connections += 1
            self._tell(True)
            try:
                await self._deliver(lost)
            finally:
                self.connected = False
                await self._drop()
            if self._task is None:
                return
            self._tell(False)
            await asyncio.sleep(self.reconnect_first)  # a server that drops us is not hammered
            delay = min(self.reconnect_first * 2, self.reconnect_cap)

    async def _deliver(self, lost: asyncio.Event) -> None:
        """Turn queued notifications into events until the connection drops."""
        lost_wait = asyncio.ensure_future(lost.wait())
        try:
            while True:
                got = asyncio.ensure_future(self._queue.get())
                done, _ = await asyncio.wait({got, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
                if got not in done:
                    got.cancel()
                    return
                batch = [got.result()]
                while not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                await self._handle(batch)
                if self._connection is None or self._connection.is_closed():
                    return
        finally:
            lost_wait.cancel()

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._queue.put_nowait(payload)

    async def _handle(self, payloads: list[str]) -> None:
        unit_ids: dict[str, None] = {}
        job_ids: dict[str, None] = {}
        for payload in payloads:
            try:
                data = json.loads(payload)
            except ValueError:
                log.warning("ignored a malformed notification on %s", EVENTS_CHANNEL)
                continue
            if self.skip_own and data.get("o") == ORIGIN:
                continue
            unit_ids.update(dict.fromkeys(str(i) for i in data.get("u") or ()))
            job_ids.update(dict.fromkeys(str(i) for i in data.get("j") or ()))
        if not unit_ids and not job_ids:
            return
        try:
            async with self.reads() as session:
                units = await unit_events(session, list(unit_ids))
                jobs = await job_events(session, list(job_ids))
        except Exception as exc:
            # The rows could not be read (the pool's connection dropped): the subscriber is
            # asked to catch up, as after a reconnect, so nothing notified is lost.
            log.warning("event listener could not read notified rows: %s", exc)
            self._tell(True)
            return
        self.received += len(payloads)
        for item in [*units, *jobs]:
            self.publish(item)

    def _tell(self, connected: bool) -> None:
        if self.on_state is not None:
            try:
                self.on_state(connected)
            except Exception:
                log.exception("an event listener state callback failed")

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)
        elif connection is not None:
            connection.terminate()
