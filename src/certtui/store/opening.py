"""Opening the configured database: checks, first-use upgrade, and errors an operator can act on."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from certtui.config import Settings
from certtui.errors import CannotRunError, UsageError
from certtui.store import migrate
from certtui.store.database import (
    DatabaseTarget,
    create_engine,
    explain_database_error,
    parse_database_url,
    ping,
    read_session_factory,
    session_factory,
    sqlite_target,
)
from certtui.urls import MASK

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class Database:
    """An open database: its target, engine and session factory."""

    target: DatabaseTarget
    engine: AsyncEngine
    sessions: async_sessionmaker
    read_only: bool
    reads: async_sessionmaker  # sessions that only read (on SQLite they leave writers be)


def resolve_target(settings: Settings) -> DatabaseTarget:
    """The database the settings point at, validated without touching the disk."""
    if settings.database_url:
        return parse_database_url(settings.database_url)
    return sqlite_target(settings.embedded_database)


class NoDatabaseYet(CannotRunError):
    """A command that only reads found no SQLite file: it creates none (nothing to read yet)."""


@asynccontextmanager
async def open_database(
    settings: Settings,
    *,
    check_schema: bool = True,
    read_only: bool = False,
    create: bool = True,
) -> AsyncIterator[Database]:
    """Open, check and (for SQLite) upgrade the database; dispose of it on exit.

    The database is opened read-only at the driver when the settings say so, whatever the
    caller asks: `read_only` can only make it stricter. A command that only reads passes
    ``create=False``: a missing SQLite file raises NoDatabaseYet instead of being created.
    """
    target = resolve_target(settings)
    read_only = settings.read_only or read_only
    path = target.sqlite_path
    if not create and not read_only and path is not None and not path.exists():
        raise NoDatabaseYet(
            f"no database at {path} yet: `certtui models sync` or `certtui run` creates it"
        )
    _prepare_sqlite_file(target, settings, read_only=read_only)
    engine = create_engine(target, read_only=read_only)
    try:
        await _check(engine, target, check_schema=check_schema, read_only=read_only)
        yield Database(
            target, engine, session_factory(engine), read_only, read_session_factory(engine)
        )
    except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
        raise translate_error(exc, target) from exc
    finally:
        await engine.dispose()


def translate_error(exc: BaseException, target: DatabaseTarget) -> Exception:
    """An operator-facing error for a database failure."""
    explained = explain_database_error(exc, target)
    if explained is not None:
        return explained
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        detail = str(exc.orig).strip().splitlines()[0]
    else:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    password = target.url.password
    if password:  # a driver may quote the URL or the DSN back
        detail = detail.replace(str(password), MASK)
    return CannotRunError(f"database error on {target.describe()}: {detail}")


def _prepare_sqlite_file(target: DatabaseTarget, settings: Settings, *, read_only: bool) -> None:
    path = target.sqlite_path
    if path is None:
        return
    if read_only:
        if not path.exists():
            raise CannotRunError(
                f"no database at {path} to monitor: run certtui once without --read-only, "
                "or point --db at an existing database"
            )
        return
    if path.parent == settings.data_dir:  # certtui's own files (embedded and demo databases)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CannotRunError(
                f"cannot create the data directory {path.parent}: {_reason(exc)}; fix its "
                "permissions, set data_dir in the config file, or pass --db"
            ) from None
    elif not path.parent.is_dir():
        raise UsageError(f"directory {path.parent} for the SQLite database does not exist")
    if path.exists():
        _check_sqlite_header(path)
    elif not _directory_writable(path.parent):
        raise CannotRunError(
            f"cannot create {path}: directory {path.parent} is not writable; fix its "
            "permissions or pass --db"
        )


def _check_sqlite_header(path) -> None:  # type: ignore[no-untyped-def]
    # Refuse a non-SQLite file before SQLite (or WAL set-up) gets a chance to touch it.
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise CannotRunError(f"cannot read SQLite database {path}: {_reason(exc)}") from None
    if header and header != SQLITE_MAGIC:
        raise CannotRunError(
            f"{path} is not a SQLite database (corrupt or another kind of file): move it "
            "aside or point --db at another file"
        )


def _directory_writable(directory) -> bool:  # type: ignore[no-untyped-def]
    # os.access lies for root; a real probe file does not.
    probe = directory / f".certtui-probe-{id(directory)}"
    try:
        probe.touch(exist_ok=False)
    except OSError:
        return False
    probe.unlink(missing_ok=True)
    return True


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file stands where a directory should be"
    return exc.strerror or str(exc)


async def _check(
    engine: AsyncEngine, target: DatabaseTarget, *, check_schema: bool, read_only: bool
) -> None:
    await ping(engine)
    if not check_schema:
        return
    current = await migrate.current_revision(engine)
    head = migrate.head_revision()
    if current == head:
        return
    if target.kind == "sqlite" and not read_only:
        await migrate.upgrade(engine)
        return
    if current is None:
        raise CannotRunError(
            f"{target.describe()} has no certtui schema: run `certtui db upgrade` first"
        )
    if current not in migrate.known_revisions():
        raise CannotRunError(
            f"{target.describe()} is at schema revision {current}, newer than this certtui "
            f"knows ({head}): upgrade certtui"
        )
    raise CannotRunError(
        f"{target.describe()} is at schema revision {current}, certtui needs {head}: run "
        "`certtui db upgrade`"
    )
