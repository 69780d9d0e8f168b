"""The work queue's SQL: certtui's workers, slices and schedules, and PGQueuer's install script.

A *slice* is up to ``SLICE_UNITS`` units of one job in one region, queued as one PGQueuer job;
a worker claims it (its ``claimToken`` fences every write of the slice, as a job's lease fences
a single engine's), runs its units, and ends it. These tables exist on PostgreSQL only
(migration 0006): SQLite has no workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certtui.domain.enums import CertificationStatus, JobStatus
from certtui.domain.events import UnitStateChanged
from certtui.store.certifications import requeue_units, status_in
from certtui.store.models import CertificationJob, ModelCertification, new_id
from certtui.store.types import Json, Timestamp, utcnow

# Small enough that a job's last slices even out across workers (a worker left with one
# slice more than the others runs on alone for that slice's length), large enough that the
# claims stay a small cost per unit. bench/cluster measures both.
SLICE_UNITS = 4
# A worker whose heartbeat is older than this is taken for dead (it beats every second).
WORKER_STALE_SECONDS = 10.0

metadata = sa.MetaData()

WORKERS = sa.Table(
    "certtui_workers",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("concurrency", sa.Integer, nullable=False),
    sa.Column("regions", Json),
    sa.Column("inFlight", sa.Integer, nullable=False),
    sa.Column("startedAt", Timestamp, nullable=False),
    sa.Column("heartbeatAt", Timestamp, nullable=False),
    sa.Column("stoppedAt", Timestamp),
)

SLICES = sa.Table(
    "certtui_slices",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column(
        "jobId",
        sa.Text,
        sa.ForeignKey(CertificationJob.__table__.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("region", sa.Text, nullable=False),
    sa.Column("unitIds", Json, nullable=False),
    sa.Column("queueJobId", sa.BigInteger),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("worker", sa.Text),
    sa.Column("claimToken", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("createdAt", Timestamp, nullable=False),
    sa.Column("claimedAt", Timestamp),
    sa.Column("endedAt", Timestamp),
    sa.Index("certtui_slices_jobId_idx", "jobId"),
)

SCHEDULES = sa.Table(
    "certtui_schedules",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("cron", sa.Text, nullable=False),
    sa.Column("options", Json, nullable=False),
    sa.Column("createdAt", Timestamp, nullable=False),
    sa.Column("createdBy", sa.Text),
    sa.Column("lastTickAt", Timestamp),
    sa.Column("lastJobId", sa.Text),
)

JOBS = CertificationJob.__table__
CERTS = ModelCertification.__table__
C = CertificationStatus
UNFINISHED = (C.PENDING, C.QUEUED, C.PROCESSING)


# PGQueuer's schema --------------------------------------------------------------------------


def _split_script(script: str) -> list[str]:
    """SQL statements of a script (``$$`` bodies kept whole): asyncpg prepares one at a time."""
    statements, current, quoted = [], [], False
    for line in script.splitlines():
        if line.strip().startswith("--") and not quoted:
            continue
        current.append(line)
        quoted ^= line.count("$$") % 2 == 1
        if not quoted and line.rstrip().endswith(";"):
            statement = "\n".join(current).strip()
            if statement.strip(";").strip():
                statements.append(statement)
            current = []
    rest = "\n".join(current).strip()
    if rest:
        statements.append(rest)
    return statements


def queue_install_statements() -> list[str]:
    """PGQueuer's install script (tables, enum, indexes, NOTIFY trigger), statement by statement."""
    from pgqueuer.adapters.persistence.qb import DBSettings, QueryBuilderEnvironment

    return _split_script(QueryBuilderEnvironment(DBSettings()).build_install_query())


def queue_uninstall_statements() -> list[str]:
    """PGQueuer's uninstall script, statement by statement."""
    from pgqueuer.adapters.persistence.qb import DBSettings, QueryBuilderEnvironment

    return _split_script(QueryBuilderEnvironment(DBSettings()).build_uninstall_query())


def on_postgresql(session: AsyncSession) -> bool:
    """Whether the session's database is PostgreSQL (workers need it)."""
    return session.get_bind().dialect.name == "postgresql"


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction (queue writes join it)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


# Slices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    """A slice as a worker claimed it."""

    id: str
    job_id: str
    region: str
    unit_ids: tuple[str, ...]
    attempts: int


async def queued_units_by_region(session: AsyncSession, job_id: str) -> dict[str, list[str]]:
    """A job's unfinished units, region → ids (in a stable order)."""
    rows = await session.execute(
        sa.select(CERTS.c.region, CERTS.c.id)
        .where(CERTS.c.jobId == job_id, status_in(UNFINISHED))
        .order_by(CERTS.c.region, CERTS.c.id)
    )
    regions: dict[str, list[str]] = {}
    for region, cid in rows:
        regions.setdefault(region, []).append(cid)
    return regions


async def create_slices(
    session: AsyncSession, job_id: str, slices: Sequence[tuple[str, Sequence[str]]]
) -> list[str]:
    """Insert a job's slices ((region, unit ids) each), queued; returns their ids in order."""
    now = utcnow()
    rows = [
        {"id": new_id(), "jobId": job_id, "region": region, "unitIds": list(units),
         "state": "queued", "attempts": 0, "createdAt": now}
        for region, units in slices
    ]  # fmt: skip
    if rows:
        await session.execute(SLICES.insert(), rows)
    return [row["id"] for row in rows]


async def set_queue_ids(
    session: AsyncSession, job_id: str, queue_ids: dict[str, int], bull_job_id: str
) -> None:
    """Record each slice's queue job id, and the job's (``certification_jobs."bullJobId"``)."""
    if queue_ids:
        await session.execute(
            SLICES.update()
            .where(SLICES.c.id == sa.bindparam("sid"))
            .values(queueJobId=sa.bindparam("qid")),
            [{"sid": sid, "qid": qid} for sid, qid in queue_ids.items()],
        )
    await session.execute(
        JOBS.update().where(JOBS.c.id == job_id).values(bullJobId=bull_job_id, updatedAt=utcnow())
    )


async def claim_slice(
    session: AsyncSession, slice_id: str, worker: str, token: str
) -> tuple[Slice | None, list[UnitStateChanged]]:
    """Take a slice for ``worker`` under a new ``token``: units a previous holder left
    PROCESSING go back to QUEUED (uncounted), and that holder's writes are fenced from now on.

    Units are locked before the slice row, the order a slice's writer takes them in too.
    None when the slice is over (done or cancelled) or gone.
    """
    row = (
        await session.execute(
            sa.select(SLICES.c.jobId, SLICES.c.region, SLICES.c.unitIds, SLICES.c.state).where(
                SLICES.c.id == slice_id
            )
        )
    ).first()
    if row is None or row.state in ("done", "cancelled", "released"):
        return None, []
    requeued = await requeue_units(session, row.jobId, list(row.unitIds))
    claimed = (
        await session.execute(
            SLICES.update()
            .where(SLICES.c.id == slice_id, SLICES.c.state.in_(("queued", "running")))
            .values(
                state="running", worker=worker, claimToken=token, claimedAt=utcnow(),
                attempts=SLICES.c.attempts + 1, endedAt=None,
            )
            .returning(SLICES.c.attempts)
        )
    ).first()  # fmt: skip
    if claimed is None:
        return None, []
    found = Slice(slice_id, row.jobId, row.region, tuple(row.unitIds), claimed.attempts)
    return found, requeued


async def slice_token(session: AsyncSession, slice_id: str) -> str | None:
    """The claim token of a slice, its row locked until the transaction ends."""
    return await session.scalar(
        sa.select(SLICES.c.claimToken).where(SLICES.c.id == slice_id).with_for_update()
    )


async def serialize_slice_ends(session: AsyncSession, job_id: str) -> None:
    """Hold the job's slice-end lock until the transaction ends (a transaction advisory lock on
    the job id; its one-key form never meets the two-key call slots of ``store.slots``).

    Two slices of a job ending at once would each read the other as still running and leave
    the job unfinished; under this lock each end reads the ends committed before it.
    """
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended('certtui slice end ' || :job, 0))"),
        {"job": job_id},
    )


async def other_slices_running(session: AsyncSession, job_id: str, slice_id: str) -> int:
    """How many slices of the job other than this one a worker holds now."""
    return (
        await session.scalar(
            sa.select(sa.func.count()).where(
                SLICES.c.jobId == job_id, SLICES.c.id != slice_id, SLICES.c.state == "running"
            )
        )
        or 0
    )


async def end_slice(session: AsyncSession, slice_id: str, token: str, state: str) -> bool:
    """Leave a slice ``done``, ``cancelled`` or ``queued`` (handed back) if ``token`` holds it."""
    ended = None if state == "queued" else utcnow()
    result = await session.execute(
        SLICES.update()
        .where(SLICES.c.id == slice_id, SLICES.c.claimToken == token)
        .values(state=state, endedAt=ended, **({"worker": None} if state == "queued" else {}))
    )
    return result.rowcount == 1


async def unfinished_units(session: AsyncSession, job_id: str, unit_ids: Collection[str]) -> int:
    """How many of these units of a job are not finished."""
    if not unit_ids:
        return 0
    return (
        await session.scalar(
            sa.select(sa.func.count()).where(
                CERTS.c.jobId == job_id, CERTS.c.id.in_(list(unit_ids)), status_in(UNFINISHED)
            )
        )
        or 0
    )


# Jobs as workers see them -------------------------------------------------------------------


async def job_statuses(session: AsyncSession, job_ids: Iterable[str]) -> dict[str, JobStatus]:
    """The status of each of these jobs now."""
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    rows = await session.execute(sa.select(JOBS.c.id, JOBS.c.status).where(JOBS.c.id.in_(ids)))
    return {job_id: JobStatus(status) for job_id, status in rows}


async def renew_queue_leases(
    session: AsyncSession, owners: Mapping[str, str], renewal: Mapping[str, Any]
) -> list[str]:
    """Renew the queue lease of jobs (job id → the queue's owner name for it) with ``renewal``
    (heartbeat, ttl), in one statement: a job whose lease names another owner now (run
    in-process since) is left alone. Returns the jobs renewed.

    The job row is the hottest row of a cluster (every slice's writer counts units on it), so
    this takes its lock for one statement only (PostgreSQL's jsonb, like every table here).
    """
    if not owners:
        return []
    renewed = []
    for job_id, owner in sorted(owners.items()):
        result = await session.execute(
            sa.text(
                "UPDATE certification_jobs SET config = jsonb_set(config, '{lease}', "
                "(config -> 'lease') || CAST(:renewal AS jsonb)) "
                "WHERE id = :job AND config -> 'lease' ->> 'owner' = :owner"
            ),
            {"job": job_id, "owner": owner, "renewal": json.dumps(dict(renewal))},
        )
        if result.rowcount:
            renewed.append(job_id)
    return renewed


async def renew_leases_of_queued_jobs(session: AsyncSession, renewal: Mapping[str, Any]) -> int:
    """Renew the queue lease of every job with a slice queued or running (a live worker's
    heartbeat): a job waiting behind others is held by the cluster, not left for recovery to
    pause. One statement; a job whose lease names another owner now is left alone."""
    result = await session.execute(
        sa.text(
            "UPDATE certification_jobs SET config = jsonb_set(config, '{lease}', "
            "(config -> 'lease') || CAST(:renewal AS jsonb)) "
            'WHERE id IN (SELECT DISTINCT "jobId" FROM certtui_slices '
            "WHERE state IN ('queued', 'running')) "
            "AND config -> 'lease' ->> 'owner' = 'queue:' || id"
        ),
        {"renewal": json.dumps(dict(renewal))},
    )
    return result.rowcount or 0


async def job_lease_owner(session: AsyncSession, job_id: str) -> tuple[JobStatus, str | None]:
    """A job's status and the owner its lease names, as committed now (no lock: the job row is
    hot, and the decisions taken on it are compare-and-set writes)."""
    row = (
        await session.execute(
            sa.text(
                "SELECT status, config -> 'lease' ->> 'owner' FROM certification_jobs "
                "WHERE id = :job"
            ),
            {"job": job_id},
        )
    ).one()
    return JobStatus(row[0]), row[1]


# Workers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerRow:
    """A worker as its row tells."""

    id: str
    name: str
    host: str
    pid: int
    concurrency: int
    regions: tuple[str, ...] | None
    in_flight: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None

    def alive(self, now: datetime | None = None) -> bool:
        """Whether it is running: not stopped, and heard from recently."""
        now = now or utcnow()
        fresh = now - self.heartbeat_at < timedelta(seconds=WORKER_STALE_SECONDS)
        return self.stopped_at is None and fresh


async def register_worker(
    session: AsyncSession,
    worker_id: str,
    *,
    name: str,
    host: str,
    pid: int,
    concurrency: int,
    regions: Sequence[str] | None,
) -> None:
    """Insert a worker's row as it starts."""
    now = utcnow()
    await session.execute(
        WORKERS.insert().values(
            id=worker_id, name=name, host=host, pid=pid, concurrency=concurrency,
            regions=list(regions) if regions else None, inFlight=0, startedAt=now,
            heartbeatAt=now,
        )
    )  # fmt: skip


async def beat_worker(session: AsyncSession, worker_id: str, in_flight: int) -> None:
    """A worker's heartbeat, with how many units it runs now."""
    await session.execute(
        WORKERS.update()
        .where(WORKERS.c.id == worker_id)
        .values(heartbeatAt=utcnow(), inFlight=in_flight)
    )


async def stop_worker(session: AsyncSession, worker_id: str) -> None:
    """A worker that exited cleanly."""
    await session.execute(
        WORKERS.update().where(WORKERS.c.id == worker_id).values(stoppedAt=utcnow(), inFlight=0)
    )


async def list_workers(session: AsyncSession) -> list[WorkerRow]:
    """Every worker row, the most recently heard from first."""
    rows = await session.execute(sa.select(WORKERS).order_by(WORKERS.c.heartbeatAt.desc()))
    return [
        WorkerRow(
            r.id, r.name, r.host, r.pid, r.concurrency, tuple(r.regions) if r.regions else None,
            r.inFlight, r.startedAt, r.heartbeatAt, r.stoppedAt,
        )
        for r in rows
    ]  # fmt: skip


async def workers_alive(session: AsyncSession) -> int:
    """How many workers are alive now."""
    since = utcnow() - timedelta(seconds=WORKER_STALE_SECONDS)
    return (
        await session.scalar(
            sa.select(sa.func.count()).where(
                WORKERS.c.stoppedAt.is_(None), WORKERS.c.heartbeatAt >= since
            )
        )
        or 0
    )


# Schedules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    """A scheduled re-certification."""

    id: str
    cron: str
    options: dict[str, Any]
    created_at: datetime
    created_by: str | None
    last_tick_at: datetime | None
    last_job_id: str | None


def schedule_entrypoint(schedule_id: str) -> str:
    """The queue scheduler's entrypoint name of a schedule."""
    return f"certtui.schedule.{schedule_id}"


async def add_schedule(
    session: AsyncSession, cron: str, options: dict[str, Any], created_by: str | None
) -> str:
    """Insert a schedule; returns its id."""
    schedule_id = new_id()
    await session.execute(
        SCHEDULES.insert().values(
            id=schedule_id, cron=cron, options=options, createdAt=utcnow(), createdBy=created_by
        )
    )
    return schedule_id


async def list_schedules(session: AsyncSession) -> list[ScheduleRow]:
    """Every schedule, oldest first."""
    rows = await session.execute(sa.select(SCHEDULES).order_by(SCHEDULES.c.createdAt))
    return [
        ScheduleRow(
            r.id, r.cron, dict(r.options or {}), r.createdAt, r.createdBy, r.lastTickAt,
            r.lastJobId,
        )
        for r in rows
    ]  # fmt: skip


async def find_schedule(session: AsyncSession, ref: str) -> list[str]:
    """Ids of the schedules whose id starts with ``ref`` (at most two)."""
    pattern = re.sub(r"[%_\\]", lambda m: "\\" + m.group(0), ref)
    rows = await session.scalars(
        sa.select(SCHEDULES.c.id).where(SCHEDULES.c.id.like(f"{pattern}%", escape="\\")).limit(2)
    )
    return list(rows)


async def remove_schedule(session: AsyncSession, schedule_id: str) -> bool:
    """Delete a schedule and the queue scheduler's row for it; whether it existed."""
    result = await session.execute(SCHEDULES.delete().where(SCHEDULES.c.id == schedule_id))
    await session.execute(
        sa.text("DELETE FROM pgqueuer_schedules WHERE entrypoint = :entrypoint"),
        {"entrypoint": schedule_entrypoint(schedule_id)},
    )
    return result.rowcount == 1


async def claim_tick(session: AsyncSession, schedule_id: str, tick: datetime) -> bool:
    """Take a schedule's tick: only the first caller for a tick gets True (compare-and-set)."""
    result = await session.execute(
        SCHEDULES.update()
        .where(
            SCHEDULES.c.id == schedule_id,
            sa.or_(SCHEDULES.c.lastTickAt.is_(None), SCHEDULES.c.lastTickAt < tick),
        )
        .values(lastTickAt=tick)
    )
    return result.rowcount == 1


async def set_schedule_job(session: AsyncSession, schedule_id: str, job_id: str) -> None:
    """Record the job a schedule's last tick submitted."""
    await session.execute(
        SCHEDULES.update().where(SCHEDULES.c.id == schedule_id).values(lastJobId=job_id)
    )


async def schedule_jobs(session: AsyncSession, schedule_id: str) -> list[tuple[str, Any]]:
    """Jobs a schedule submitted: (job id, the tick it was for), oldest first."""
    rows = await session.execute(sa.select(JOBS.c.id, JOBS.c.config).order_by(JOBS.c.createdAt))
    return [
        (job_id, (config or {}).get("schedule", {}).get("tick"))
        for job_id, config in rows
        if (config or {}).get("schedule", {}).get("id") == schedule_id
    ]


async def warm_pool(engine: AsyncEngine) -> None:
    """Open every connection the pool keeps, each knowing the database's enum types.

    asyncpg learns a type (a recursive catalog query) on each connection the first time a
    statement meets it; a worker's first slices would otherwise open their connections and
    learn ``JobStatus`` and the rest while the job's first calls compete for the CPU.
    """
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE t.typtype = 'e' AND n.nspname = current_schema() ORDER BY 1"
        )
        names = result.scalars().all()
    quote = engine.dialect.identifier_preparer.quote
    probe = "SELECT " + ", ".join([f"NULL::{quote(name)}" for name in names] or ["1"])
    size = engine.pool.size() if isinstance(engine.pool, sa.pool.QueuePool) else 1
    async with contextlib.AsyncExitStack() as stack:
        conns = [await stack.enter_async_context(engine.connect()) for _ in range(size)]
        await asyncio.gather(*(conn.exec_driver_sql(probe) for conn in conns))


@asynccontextmanager
async def dedicated_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """An asyncpg connection of the engine's pool held for a worker's life (the queue's
    LISTEN and its dequeues), outside any transaction."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        yield raw.driver_connection


async def scheduled(session: AsyncSession) -> list[ScheduleRow]:
    """The schedules, for the Jobs screen: none on SQLite (schedules run on workers)."""
    if not on_postgresql(session):
        return []
    return await list_schedules(session)


# What the TUI shows -------------------------------------------------------------------------


async def workers_view(session: AsyncSession) -> list[WorkerRow] | None:
    """The workers for the Workers screen; None on SQLite (no workers there)."""
    if not on_postgresql(session):
        return None
    return await list_workers(session)


async def unit_workers(session: AsyncSession, job_id: str) -> dict[tuple[str, str], str] | None:
    """Which worker (by name) last claimed each unit of a job, by (api model id, region); None
    on SQLite. A unit whose slice was never claimed is absent."""
    from certtui.store.models import AIModel

    if not on_postgresql(session):
        return None
    slices = (
        await session.execute(
            sa.select(SLICES.c.unitIds, WORKERS.c.name)
            .join(WORKERS, WORKERS.c.id == SLICES.c.worker)
            .where(SLICES.c.jobId == job_id)
            .order_by(SLICES.c.claimedAt.asc().nulls_first())
        )
    ).all()
    by_unit: dict[str, str] = {}
    for unit_ids, name in slices:  # a later claim of the same units wins
        by_unit.update(dict.fromkeys(unit_ids or (), name))
    if not by_unit:
        return {}
    rows = await session.execute(
        sa.select(CERTS.c.id, AIModel.api_model_id, CERTS.c.region)
        .join(AIModel, AIModel.id == CERTS.c.modelId)
        .where(CERTS.c.id.in_(list(by_unit)))
    )
    return {(api_id, region): by_unit[cid] for cid, api_id, region in rows}
