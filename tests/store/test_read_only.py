"""Read-only sessions are enforced by the database itself, not by certtui."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from certtui.config import Settings
from certtui.errors import CannotRunError
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url
from certtui.store.models import AIProvider
from certtui.store.opening import open_database


async def _migrate(url: str) -> None:
    engine = create_engine(parse_database_url(url))
    await migrate.upgrade(engine)
    await engine.dispose()


def _digest(url: str) -> str | None:
    path = parse_database_url(url).sqlite_path
    if path is None:
        return None
    # The database file itself; a WAL reader may leave SQLite's empty -wal/-shm index files.
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_write_through_a_read_only_session_fails(database_url: str) -> None:
    await _migrate(database_url)
    before = _digest(database_url)
    settings = Settings(database_url=database_url, read_only=True)
    async with open_database(settings) as database:
        async with database.sessions() as session:
            assert (await session.scalars(sa.select(AIProvider))).all() == []
        with pytest.raises(DBAPIError) as raised:
            async with database.sessions.begin() as session:
                session.add(AIProvider(name="AWS Bedrock", slug="bedrock"))
        message = str(raised.value).lower()
        assert "read-only" in message or "readonly" in message
        # The same through raw SQL, bypassing the ORM entirely.
        with pytest.raises(DBAPIError):
            async with database.engine.begin() as conn:
                await conn.execute(sa.text("DELETE FROM ai_providers"))
    assert _digest(database_url) == before


async def test_read_only_needs_an_existing_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'absent.db'}"
    with pytest.raises(CannotRunError, match=r"no database at .* to monitor"):
        async with open_database(Settings(database_url=url, read_only=True)):
            pass
    assert not (tmp_path / "absent.db").exists()
