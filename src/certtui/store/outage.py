"""Telling a database that is gone or busy for now (retry later) from a bug (fail loudly)."""

from __future__ import annotations

import errno
import sqlite3
import sys

from sqlalchemy import exc as sa_exc

# SQLSTATE classes that say the server or the link is unavailable, not that the statement is
# wrong: connection exception, insufficient resources (disk full, too many connections),
# operator intervention (shutdown, restart, "the database system is starting up"), and
# transaction rollback (serialization failure, deadlock: run it again).
TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "40")

# SQLite's primary result codes for "busy or unavailable now": BUSY, LOCKED, READONLY (a file
# whose permissions changed under us), IOERR, FULL (disk full), CANTOPEN, PROTOCOL (WAL lock race).
SQLITE_TRANSIENT = frozenset({5, 6, 8, 10, 13, 14, 15})


def is_database_outage(error: BaseException) -> bool:
    """Whether an error means the database cannot be reached or used right now.

    asyncpg raises ``OSError`` (connection refused) and its own exceptions without
    SQLAlchemy's wrapping when a connection is being opened, and wrapped ones mid-statement:
    the whole cause chain is examined.
    """
    for cause in _chain(error):
        if isinstance(cause, OSError):  # ConnectionError and TimeoutError included
            return True
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(
            cause,
            sa_exc.InterfaceError
            | sa_exc.DisconnectionError
            | sa_exc.TimeoutError,  # no pooled connection came free in time
        ):
            return True
        if isinstance(cause, sqlite3.Error):
            # By SQLite's own result code: "no such table" or a syntax error is a bug to fail
            # on, not an outage to wait out.
            return (getattr(cause, "sqlite_errorcode", 0) & 0xFF) in SQLITE_TRANSIENT
        if _is_asyncpg_outage(cause):
            return True
    return False


def is_transaction_conflict(error: BaseException) -> bool:
    """Whether PostgreSQL rolled a transaction back for a deadlock or a serialization failure
    (SQLSTATE class 40): running it again is the documented answer."""
    return any(str(getattr(cause, "sqlstate", "") or "")[:2] == "40" for cause in _chain(error))


SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"


def is_disk_full(error: BaseException) -> bool:
    """Whether an error means the database cannot grow: SQLite's SQLITE_FULL (its own result
    code, not the "disk I/O error" of an IOERR), PostgreSQL's disk_full, or ENOSPC."""
    for cause in _chain(error):
        if isinstance(cause, sqlite3.Error):
            return (getattr(cause, "sqlite_errorcode", 0) & 0xFF) == SQLITE_FULL
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return True
        if str(getattr(cause, "sqlstate", "") or "") == POSTGRES_DISK_FULL:
            return True
    return False


def _is_asyncpg_outage(error: BaseException) -> bool:
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:  # never imported: none of its exceptions can be in flight
        return False
    if isinstance(error, asyncpg.InterfaceError):  # ConnectionDoesNotExistError and kin
        return True
    if isinstance(error, asyncpg.PostgresError):
        return str(getattr(error, "sqlstate", "") or "")[:2] in TRANSIENT_SQLSTATE_CLASSES
    return False


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return chain
