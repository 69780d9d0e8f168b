"""PostgreSQL URLs as platforms write them: libpq's and Prisma's query parameters.

Understood parameters become connection options (tested against the real server); the others
are refused in one line that names them. Never an "unexpected TypeError" from asyncpg.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from certtui.config import Settings
from certtui.errors import UsageError
from certtui.store.database import parse_database_url
from certtui.store.opening import open_database
from support.cli import run_certtui


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "TypeError" not in stderr
    return lines[0]


def test_prisma_schema_puts_the_tables_in_that_schema(pg_url: str) -> None:
    url = f"{pg_url}?schema=tenant_a"
    upgraded = run_certtui("--db", url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    listed = run_certtui("--db", url, "jobs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "[]"

    async def tables() -> dict[str, set[str]]:
        settings = Settings(database_url=pg_url)
        async with (
            open_database(settings, check_schema=False) as database,
            database.engine.connect() as conn,
        ):
            rows = await conn.execute(
                sa.text(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('public', 'tenant_a')"
                )
            )
            found: dict[str, set[str]] = {"public": set(), "tenant_a": set()}
            for schema, name in rows:
                found[schema].add(name)
            return found

    import asyncio

    found = asyncio.run(tables())
    assert {"certification_jobs", "alembic_version"} <= found["tenant_a"]
    assert found["public"] == set()


def test_the_seed_platforms_url_works(pg_url: str) -> None:
    # How the seed platform's own URLs look.
    url = f"{pg_url}?schema=public"
    for args in (("db", "upgrade"), ("info",), ("jobs", "list")):
        result = run_certtui("--db", url, *args)
        assert result.returncode == 0, (args, result.stderr)


async def test_connection_options_reach_the_server(pg_url: str) -> None:
    url = (
        f"{pg_url}?application_name=platform-x&connect_timeout=5&connection_limit=3"
        "&pool_timeout=20&pgbouncer=true&sslmode=prefer"
        "&options=-c%20statement_timeout%3D4500"
    )
    async with open_database(Settings(database_url=url), check_schema=False) as database:
        async with database.engine.connect() as conn:
            name = await conn.scalar(sa.text("SELECT current_setting('application_name')"))
            timeout = await conn.scalar(sa.text("SELECT current_setting('statement_timeout')"))
        assert (name, timeout) == ("platform-x", "4500ms")
        assert database.engine.pool.size() == 3  # type: ignore[attr-defined]
        assert database.engine.pool._max_overflow == 0  # type: ignore[attr-defined]


async def test_read_only_wins_over_the_urls_options(pg_url: str) -> None:
    url = f"{pg_url}?options=-c%20default_transaction_read_only%3Doff"
    settings = Settings(database_url=url, read_only=True)
    async with open_database(settings, check_schema=False) as database:
        with pytest.raises(DBAPIError, match="read-only"):
            async with database.engine.begin() as conn:
                await conn.execute(sa.text("CREATE TABLE intruder (x int)"))


def test_sslmode_require_on_a_server_without_ssl_is_one_clear_line(pg_url: str) -> None:
    result = run_certtui("--db", f"{pg_url}?sslmode=require", "info")
    assert result.returncode == 3
    message = _one_line(result.stderr)
    assert "SSL" in message and "sslmode" in message, message


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("foo=1", "unknown parameter 'foo' (certtui understands schema, sslmode,"),
        ("sslmode=bogus", "parameter sslmode='bogus': expected one of disable, allow, prefer"),
        ("connection_limit=0", "parameter connection_limit='0': expected a whole number"),
        ("connection_limit=many", "parameter connection_limit='many': expected a whole number"),
        ("connect_timeout=nan", "parameter connect_timeout='nan': expected a number of seconds"),
        ("connect_timeout=0", "parameter connect_timeout='0': expected a number of seconds"),
        ("pgbouncer=maybe", "parameter pgbouncer='maybe': expected true or false"),
        ("options=-x", "parameter options='-x': expected -c name=value settings"),
        ("password=s3cret", "put the password in the URL itself"),
        ("schema=a&schema=b", "repeats the parameter 'schema'"),
        ("sslcert=/c.pem", "give sslcert and sslkey together"),
    ],
)
def test_bad_parameters_are_refused(query: str, expected: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_database_url(f"postgresql://u:s3cret@db.example:5432/app?{query}")
    assert expected in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_sqlite_urls_take_no_parameters(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"a SQLite URL takes no parameters .*remove \?mode"):
        parse_database_url(f"sqlite:///{tmp_path / 'x.db'}?mode=ro")


def test_a_bad_parameter_from_the_command_line(user_dirs: dict[str, Path]) -> None:
    result = run_certtui("--db", "postgresql://u:s3cret@127.0.0.1:9/app?connection_limit=0", "info")
    assert result.returncode == 2
    assert "parameter connection_limit='0': expected a whole number" in _one_line(result.stderr)
    assert "s3cret" not in result.stderr
    assert not user_dirs["data"].exists()
