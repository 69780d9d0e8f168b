"""A read-only invocation refuses every command that writes, and writes nothing at all.

Each command declares whether it writes (``writes=`` on ``certtui.cli.context.Command``); this
file walks every command of the ``COMMANDS`` map, so a new command that writes is refused under
read-only here as soon as it exists, and a command that forgets to declare fails here.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from certtui.cli.context import Command
from certtui.cli.main import COMMANDS, cli
from certtui.config import Settings
from certtui.domain.enums import CertificationJobType, JobStatus
from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url, session_factory
from certtui.store.models import AIProvider, CertificationJob
from certtui.store.opening import open_database
from support.cli import run_certtui

JOB_ID = "00000000-0000-4000-8000-000000000001"
DEAD_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there: no traffic leaves loopback

# Arguments that parse for each writing command (the refusal comes before the command runs).
WRITING_ARGS: dict[str, list[str]] = {
    "db downgrade": ["0002"],
    "db upgrade": [],
    "jobs cancel": [JOB_ID],
    "jobs pause": [JOB_ID],
    "jobs resume": [JOB_ID],
    "history prune": ["--older-than", "1d"],
    "legacy import": [],
    "models sync": ["--region", "us-east-1"],
    "serve": ["--read-write"],
    "run": ["--model", "anthropic.claude-3-haiku-20240307-v1:0", "--regions", "us-east-1"],
    "schedule add": ["0 3 * * *", "--all", "--regions", "us-east-1"],
    "schedule remove": ["abcd1234"],
    "worker": ["--concurrency", "2"],
}
# Reading commands that work under read-only; `monitor` (the TUI, it needs a terminal) and
# `simulate` (serves until interrupted, touches no database) are covered elsewhere.
READING_ARGS: dict[str, list[str]] = {
    "db current": [],
    "export": ["--format", "json"],
    "info": [],
    "jobs list": [],
    "jobs show": [JOB_ID],
    "models list": [],
    "diff": [JOB_ID, JOB_ID],
    "schedule list": [],
}
# Writing commands that only read with these options, so they run under read-only too.
DRY_RUN_ARGS: dict[str, list[str]] = {
    "history prune": ["--older-than", "1d", "--dry-run"],
    "legacy import": ["--dry-run"],
}
NOT_RUN_HERE = {"monitor", "simulate"}


def _leaves() -> dict[str, click.Command]:
    """Every runnable command of the map by its path (``jobs cancel``), loaded."""
    found: dict[str, click.Command] = {}

    def walk(path: str, command: click.Command, ctx: click.Context) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(f"{path} {name}".strip(), sub, ctx)
        else:
            found[path] = command

    with click.Context(cli) as ctx:
        for name in COMMANDS:
            command = cli.get_command(ctx, name)
            assert command is not None
            walk(name, command, ctx)
    return found


def test_every_command_declares_whether_it_writes() -> None:
    leaves = _leaves()
    undeclared = [path for path, command in leaves.items() if not isinstance(command, Command)]
    assert undeclared == [], "use certtui.cli.context.Command / Group and say writes=True|False"
    writing = {path for path, command in leaves.items() if command.writes}  # type: ignore[attr-defined]
    assert writing == set(WRITING_ARGS), "give example arguments for each writing command"
    assert set(leaves) - writing == set(READING_ARGS) | NOT_RUN_HERE


def _seed(url: str) -> None:
    import asyncio

    async def go() -> None:
        engine = create_engine(parse_database_url(url))
        await migrate.upgrade(engine)
        async with session_factory(engine).begin() as session:
            created = datetime(2026, 1, 1)
            session.add(
                CertificationJob(
                    id=JOB_ID, type=CertificationJobType.SINGLE_MODEL, status=JobStatus.PAUSED,
                    regions=["us-east-1"], model_ids=[], created_by="tester@ci", config={},
                    created_at=created, updated_at=created,
                )
            )  # fmt: skip
        await engine.dispose()

    asyncio.run(go())


def _state(url: str) -> object:
    """Everything the database holds: every row of every table, and the SQLite files' bytes."""
    import asyncio

    async def rows() -> dict[str, list[str]]:
        engine = create_engine(parse_database_url(url), read_only=True)
        try:
            async with engine.connect() as conn:
                names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
                return {
                    name: sorted(
                        repr(tuple(row))
                        for row in await conn.execute(sa.text(f'SELECT * FROM "{name}"'))
                    )
                    for name in names
                }
        finally:
            await engine.dispose()

    path = parse_database_url(url).sqlite_path
    files = {}
    if path is not None:
        for candidate in (path, Path(f"{path}-wal")):
            # A read-only reader (this function's, too) may leave an empty -wal file behind.
            if candidate.exists() and candidate.stat().st_size:
                files[candidate.name] = hashlib.sha256(candidate.read_bytes()).hexdigest()
    return asyncio.run(rows()), files


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_every_writing_command_is_refused_and_writes_nothing(database_url: str) -> None:
    _seed(database_url)
    before = _state(database_url)
    for path, args in WRITING_ARGS.items():
        result = run_certtui(
            "--db", database_url, "--endpoint-url", DEAD_ENDPOINT, "--read-only",
            *path.split(), *args,
        )  # fmt: skip
        assert result.returncode == 2, (path, result.stderr)
        assert _one_line(result.stderr) == (
            f"certtui: error: `certtui {path}` writes to the database and this invocation is "
            "read-only (--read-only, CERTTUI_READ_ONLY or read_only in the config file): drop "
            "read-only to run it"
        )
        assert result.stdout == ""
        assert _state(database_url) == before, path


def test_read_only_from_the_environment_and_the_config_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    _seed(sqlite_url)
    before = _state(sqlite_url)
    config = tmp_path / "config.toml"
    config.write_text("read_only = true\n")
    for env, extra in (({"CERTTUI_READ_ONLY": "1"}, []), ({}, ["--config", str(config)])):
        result = run_certtui("--db", sqlite_url, *extra, "db", "downgrade", "0001", env=env)
        assert result.returncode == 2, result.stderr
        assert "`certtui db downgrade` writes to the database" in _one_line(result.stderr)
        assert _state(sqlite_url) == before


def test_reading_commands_work_read_only_and_write_nothing(database_url: str) -> None:
    _seed(database_url)
    before = _state(database_url)
    for path, args in (READING_ARGS | DRY_RUN_ARGS).items():
        result = run_certtui("--db", database_url, "--read-only", *path.split(), *args)
        assert result.returncode == 0, (path, result.stderr)
        assert _state(database_url) == before, path


def test_demo_is_refused_read_only(user_dirs: dict[str, Path]) -> None:
    result = run_certtui("--read-only", "--demo", "info")
    assert result.returncode == 2
    assert "--demo writes its demo database" in _one_line(result.stderr)
    assert not user_dirs["data"].exists()


async def test_the_driver_is_read_only_whatever_the_caller_asks(database_url: str) -> None:
    engine = create_engine(parse_database_url(database_url))
    await migrate.upgrade(engine)
    await engine.dispose()
    settings = Settings(database_url=database_url, read_only=True)
    # A caller asking for a writable database still gets a read-only one under read-only.
    async with open_database(settings, read_only=False, check_schema=False) as database:
        assert database.read_only
        with pytest.raises(DBAPIError) as raised:
            async with database.sessions.begin() as session:
                session.add(AIProvider(name="AWS Bedrock", slug="bedrock"))
        message = str(raised.value).lower()
        assert "read-only" in message or "readonly" in message
        with pytest.raises(DBAPIError):
            async with database.engine.begin() as conn:
                await conn.execute(sa.text("DROP TABLE ai_providers"))
