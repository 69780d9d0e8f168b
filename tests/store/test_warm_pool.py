"""A worker opens its pool's connections before it says ready (store.workers.warm_pool)."""

from __future__ import annotations

import sqlalchemy as sa

from certtui.domain.enums import JobStatus
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url
from certtui.store.workers import warm_pool


async def test_warm_pool_leaves_every_connection_of_the_pool_open_and_idle(pg_url: str) -> None:
    engine = create_engine(parse_database_url(pg_url))
    try:
        await migrate.upgrade(engine)
        await engine.dispose()  # start from an empty pool, as a worker does
        assert engine.pool.checkedin() == 0
        await warm_pool(engine)
        size = engine.pool.size()
        assert size > 1 and engine.pool.checkedin() == size and engine.pool.checkedout() == 0
        async with engine.connect() as conn:  # a warmed connection reads the enum types
            read = await conn.scalar(sa.text("SELECT CAST('QUEUED' AS \"JobStatus\")"))
        assert read == JobStatus.QUEUED.value
    finally:
        await engine.dispose()
