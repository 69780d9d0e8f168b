"""Test-wide set-up: AWS traffic stays on loopback, and user directories stay in a temp dir."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from support.postgres import PostgresServer, start_server

# The SDK must never probe the instance-metadata address or reach a real AWS host.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "AKIDCERTTUITEST",
        "AWS_SECRET_ACCESS_KEY": "certtui-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
)
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "CERTTUI_DATABASE_URL"):
    os.environ.pop(_name, None)

_database_names = itertools.count()


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point the user config and data directories into the test's temporary directory."""
    dirs = {"config": tmp_path / "xdg-config", "data": tmp_path / "xdg-data"}
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    monkeypatch.delenv("CERTTUI_CONFIG", raising=False)
    return dirs


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole run; a missing server fails, never skips."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


def _create_database(server: PostgresServer, name: str) -> None:
    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user=server.user)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await conn.close()

    # Fixtures may be resolved from inside a running event loop: use a thread of our own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, create()).result()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A URL to a fresh, empty PostgreSQL database."""
    name = f"certtui_test_{os.getpid()}_{next(_database_names)}"
    _create_database(postgres, name)
    return postgres.url(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a fresh SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'certtui-test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh database of each kind in turn."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a freshly migrated database of each kind."""
    engine = create_engine(parse_database_url(database_url))
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker:
    """Sessions on the migrated database."""
    return session_factory(db_engine)
