"""Engine fixtures: a migrated database of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory


@pytest.fixture
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A freshly migrated database of each kind."""
    engine = create_engine(parse_database_url(database_url))
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker:
    """Sessions on the migrated database."""
    return session_factory(db_engine)
