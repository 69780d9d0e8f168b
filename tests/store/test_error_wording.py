"""What an operator reads about a dropped database connection depends on the error's class only."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from certtui.store.database import parse_database_url
from certtui.store.opening import translate_error

TARGET = parse_database_url("postgresql+asyncpg://u@127.0.0.1:6543/certs")
LOST = "lost the connection to postgresql 127.0.0.1:6543/certs: the server closed it"


def _wrapped(orig: BaseException, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", None, orig, connection_invalidated=invalidated)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        _wrapped(asyncpg.InterfaceError("connection is closed"), invalidated=True),
        _wrapped(asyncpg.AdminShutdownError("terminating connection")),
    ],
    ids=["admin-shutdown", "does-not-exist", "shutting-down", "invalidated", "wrapped-admin"],
)
def test_every_way_the_server_drops_a_connection_reads_the_same(error: BaseException) -> None:
    assert str(translate_error(error, TARGET)).startswith(LOST)


def test_other_errors_keep_their_own_wording() -> None:
    other = OperationalError("SELECT 1", None, asyncpg.UndefinedTableError('no "x"'))  # type: ignore[arg-type]
    message = str(translate_error(other, TARGET))
    assert message.startswith("database error on postgresql 127.0.0.1:6543/certs")
    assert not message.startswith(LOST)
