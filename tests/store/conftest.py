"""Store fixtures: a migrated database of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a freshly migrated database (SQLite, then PostgreSQL)."""
    engine = create_engine(parse_database_url(database_url))
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions on the migrated database."""
    return session_factory(engine)
