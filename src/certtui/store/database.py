"""Database targets and engines: embedded SQLite by default, PostgreSQL through asyncpg."""

from __future__ import annotations

import sqlite3
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from certtui.errors import CannotRunError, UsageError
from certtui.store.url_parameters import ConnectOptions, connect_options
from certtui.urls import display_url

SQLITE_BUSY_TIMEOUT_MS = 10_000
DEFERRED_OPTION = "certtui_deferred_begin"
URL_HELP = "use sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DBNAME"


@dataclass(frozen=True)
class DatabaseTarget:
    """Where certtui keeps its data: a parsed, driver-normalised URL."""

    url: URL
    options: ConnectOptions = field(default_factory=ConnectOptions)  # PostgreSQL only

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None for PostgreSQL."""
        return Path(self.url.database).expanduser() if self.kind == "sqlite" else None

    def display(self) -> str:
        """The URL with its password masked, for screens and logs."""
        return display_url(self.url.render_as_string(hide_password=False))

    def describe(self) -> str:
        """A short human name: the file for SQLite, host:port/db for PostgreSQL."""
        if self.sqlite_path is not None:
            return f"sqlite {self.sqlite_path}"
        port = self.url.port or 5432
        return f"postgresql {self.url.host or 'localhost'}:{port}/{self.url.database}"


def parse_database_url(raw: str) -> DatabaseTarget:
    """Parse and normalise a URL (plain ``sqlite://`` / ``postgresql://`` get async drivers)."""
    shown = display_url(raw)  # every message shows the URL with its password masked
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        if _port_is_bad(raw):
            raise UsageError(f"database URL {shown!r} has an invalid port: {URL_HELP}") from None
        raise UsageError(f"malformed database URL {shown!r}: {URL_HELP}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise UsageError(f"database URL {shown!r} names no SQLite file: {URL_HELP}")
        if url.query:
            raise UsageError(
                f"database URL {shown!r}: a SQLite URL takes no parameters (for a read-only "
                "database use --read-only): remove ?" + "&".join(url.query)
            )
        path = Path(url.database).expanduser()
        return DatabaseTarget(url.set(drivername="sqlite+aiosqlite", database=str(path)))
    if backend in {"postgresql", "postgres"}:
        if not url.database:
            raise UsageError(f"database URL {shown!r} names no database: {URL_HELP}")
        if url.port is not None and not 0 < url.port < 65536:
            raise UsageError(f"database URL {shown!r} has an invalid port: {URL_HELP}")
        options = connect_options(url.query, shown)
        return DatabaseTarget(url.set(drivername="postgresql+asyncpg"), options)
    raise UsageError(f"unsupported database URL scheme {url.drivername!r}: {URL_HELP}")


def _port_is_bad(raw: str) -> bool:
    try:
        _ = urlsplit(raw.strip()).port
    except ValueError:
        return True
    return False


def sqlite_target(path: Path) -> DatabaseTarget:
    """The target for a SQLite file."""
    return DatabaseTarget(URL.create("sqlite+aiosqlite", database=str(path)))


_TARGETS: weakref.WeakKeyDictionary[Any, DatabaseTarget] = weakref.WeakKeyDictionary()


def target_of(bind: Any) -> DatabaseTarget | None:
    """The target an engine made by ``create_engine`` (or a session factory on it) points at."""
    engine = bind.kw.get("bind") if isinstance(bind, async_sessionmaker) else bind
    engine = getattr(engine, "sync_engine", engine)
    try:
        return _TARGETS.get(engine)
    except TypeError:  # not weakly referenceable: not an engine of ours
        return None


def create_engine(target: DatabaseTarget, *, read_only: bool = False) -> AsyncEngine:
    """An async engine; read-only is enforced by the database driver, not by certtui."""
    engine = _create_engine(target, read_only=read_only)
    _TARGETS[engine.sync_engine] = target
    return engine


def _create_engine(target: DatabaseTarget, *, read_only: bool) -> AsyncEngine:
    if target.kind == "sqlite":
        return _sqlite_engine(target, read_only=read_only)
    options = target.options
    return create_async_engine(
        # The parameters certtui read from the URL go to asyncpg as options, not as themselves.
        target.url.set(query=dict(options.passed_through)),
        pool_pre_ping=False,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout,
        connect_args=options.connect_args(read_only=read_only),
    )


def _sqlite_engine(target: DatabaseTarget, *, read_only: bool) -> AsyncEngine:
    path = target.sqlite_path
    assert path is not None
    if read_only:
        url = URL.create("sqlite+aiosqlite", database=f"file:{path}?mode=ro", query={"uri": "true"})
    else:
        url = target.url
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so DDL
        # (migrations) and reads are transactional too (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not read_only:
            # WAL lets monitors read while the engine writes; it is a property of the file.
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # A deferred BEGIN that reads and then writes cannot wait for another writer: SQLite
        # answers "database is locked" at once instead of waiting the busy timeout. So a
        # transaction takes the write lock when it begins (waiting its turn), except reads that
        # asked not to (``read_session_factory``) and every transaction of a read-only file.
        deferred = read_only or connection.get_execution_options().get(DEFERRED_OPTION, False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions for reads only: on SQLite they do not take the write lock when they begin."""
    return async_sessionmaker(
        engine.execution_options(**{DEFERRED_OPTION: True}), expire_on_commit=False
    )


def explain_database_error(exc: BaseException, target: DatabaseTarget) -> CannotRunError | None:
    """Turn a driver error into one line saying what is wrong and what to do, if it is known."""
    text = str(exc).lower()
    where = target.describe()
    chain = _exception_chain(exc)
    if target.kind == "sqlite":
        if any(isinstance(e, sqlite3.DatabaseError) for e in chain):
            if "not a database" in text or "malformed" in text:
                return CannotRunError(
                    f"{target.sqlite_path} is not a readable SQLite database (corrupt or another "
                    "kind of file): move it aside or point --db at another file"
                )
            if "unable to open" in text:
                return CannotRunError(
                    f"cannot open SQLite database {target.sqlite_path}: check the file exists and "
                    "its directory is readable"
                )
            if "readonly" in text or "read-only" in text:
                return CannotRunError(
                    f"SQLite database {target.sqlite_path} is read-only: check its permissions "
                    "or use --read-only"
                )
        return None
    if any(_lost_connection(e) for e in chain):
        return CannotRunError(
            f"lost the connection to {where}: the server closed it (restarted, shut down or "
            "ended the session); certtui reconnects when it answers again"
        )
    for e in chain:
        name = type(e).__name__
        if "rejected ssl upgrade" in str(e).lower():
            return CannotRunError(
                f"{where} does not accept SSL connections and the URL's "
                f"sslmode={target.options.ssl_mode} requires SSL: enable SSL on the server, or "
                "use sslmode=prefer (or disable) in --db"
            )
        if isinstance(e, ConnectionRefusedError) or "connect call failed" in str(e).lower():
            return CannotRunError(
                f"cannot connect to {where}: connection refused; check the server is running "
                "and the host and port in --db / CERTTUI_DATABASE_URL"
            )
        if isinstance(e, TimeoutError):
            return CannotRunError(
                f"cannot connect to {where}: timed out; check the host is reachable"
            )
        if isinstance(e, OSError) and e.errno is not None:
            return CannotRunError(f"cannot connect to {where}: {e.strerror or e}")
        if name == "InvalidPasswordError" or name == "InvalidAuthorizationSpecificationError":
            return CannotRunError(
                f"PostgreSQL at {where} refused the login: check the user and password in --db"
            )
        if name == "InvalidCatalogNameError":
            return CannotRunError(
                f"database {target.url.database!r} does not exist on {where}: create it "
                "(createdb) or fix --db"
            )
        if name == "ReadOnlySQLTransactionError":
            return CannotRunError(f"{where} is read-only: this command needs write access")
    return None


# asyncpg's classes for a connection the server dropped (worded here from the class, never from
# the driver's text, which depends on whether a query was in flight when it happened).
_LOST_CONNECTION_CLASSES = frozenset(
    {"PostgresConnectionError", "OperatorInterventionError", "ConnectionDoesNotExistError"}
)


def _lost_connection(exc: BaseException) -> bool:
    # SQLAlchemy's dialect decides "disconnect" for the driver (connection_invalidated); the
    # asyncpg classes cover an error seen before SQLAlchemy wrapped it.
    if getattr(exc, "connection_invalidated", False):
        return True
    return any(cls.__name__ in _LOST_CONNECTION_CLASSES for cls in type(exc).__mro__)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )
    return chain


async def create_schema_if_missing(engine: AsyncEngine, target: DatabaseTarget) -> None:
    """Create the PostgreSQL schema a URL's ``?schema=`` names, as Prisma's migrations do."""
    schema = target.options.schema
    if target.kind != "postgresql" or schema is None:
        return
    quoted = '"' + schema.replace('"', '""') + '"'
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))


async def ping(engine: AsyncEngine) -> None:
    """Open one connection and run a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
