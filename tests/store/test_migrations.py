"""Alembic paths: empty database, the seed's legacy table, and the seed's rollback."""

from __future__ import annotations

import asyncpg
import pytest

from certtui.store import migrate
from certtui.store.database import parse_database_url
from support.cli import run_certtui

HEAD = migrate.head_revision()

# The platform's database before regional certification, as Prisma created it.
PLATFORM_BEFORE = """
CREATE TABLE "ai_providers" (
    "id" TEXT NOT NULL, "name" TEXT NOT NULL, "slug" TEXT NOT NULL,
    "isActive" BOOLEAN NOT NULL DEFAULT true, "websiteUrl" TEXT, "logoUrl" TEXT, "baseUrl" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ai_providers_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "ai_providers_slug_key" ON "ai_providers"("slug");
CREATE TABLE "ai_models" (
    "id" TEXT NOT NULL, "name" TEXT NOT NULL, "apiModelId" TEXT NOT NULL,
    "contextWindow" INTEGER NOT NULL DEFAULT 4096,
    "costPer1kInput" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "costPer1kOutput" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "isActive" BOOLEAN NOT NULL DEFAULT true, "providerId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ai_models_pkey" PRIMARY KEY ("id"));
ALTER TABLE "ai_models" ADD CONSTRAINT "ai_models_providerId_fkey" FOREIGN KEY ("providerId")
    REFERENCES "ai_providers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE TABLE "model_certifications" (
    "id" TEXT NOT NULL, "modelId" TEXT NOT NULL, "vendor" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'untested', "certifiedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3), "certifiedBy" TEXT, "lastTestedAt" TIMESTAMP(3),
    "testsPassed" INTEGER NOT NULL DEFAULT 0, "testsFailed" INTEGER NOT NULL DEFAULT 0,
    "successRate" DOUBLE PRECISION NOT NULL DEFAULT 0, "avgLatencyMs" INTEGER, "lastError" TEXT,
    "failureReasons" JSONB, "errorCategory" TEXT, "errorSeverity" TEXT,
    "rating" DOUBLE PRECISION, "badge" TEXT, "metrics" JSONB, "scores" JSONB,
    "ratingUpdatedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "model_certifications_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "model_certifications_modelId_key" ON "model_certifications"("modelId");
CREATE INDEX "model_certifications_status_idx" ON "model_certifications"("status");
"""

LEGACY_STATUSES = ["certified", "failed", "untested", "testing", "quality_warning"]


async def _connect(url: str) -> asyncpg.Connection:
    u = parse_database_url(url).url
    return await asyncpg.connect(host=u.host, port=u.port, user=u.username, database=u.database)


async def _legacy_platform(url: str, rows: int = 25) -> list[tuple]:
    conn = await _connect(url)
    try:
        await conn.execute(PLATFORM_BEFORE)
        expected = [
            (f"legacy-{i}", f"vendor.model-{i}", "anthropic", LEGACY_STATUSES[i % 5], i * 0.04)
            for i in range(rows)
        ]
        await conn.executemany(
            'INSERT INTO model_certifications (id, "modelId", vendor, status, "successRate", '
            '"failureReasons", "updatedAt") VALUES ($1, $2, $3, $4, $5, \'["x"]\', now())',
            expected,
        )
        return expected
    finally:
        await conn.close()


async def _fetch(url: str, query: str) -> list[asyncpg.Record]:
    conn = await _connect(url)
    try:
        return await conn.fetch(query)
    finally:
        await conn.close()


def _cli(url: str, *args: str):  # type: ignore[no-untyped-def]
    result = run_certtui("--db", url, *args)
    assert result.returncode == 0, result.stderr
    return result


async def _constraint_names(url: str, table: str) -> set[str]:
    rows = await _fetch(
        url,
        f"SELECT conname FROM pg_constraint WHERE conrelid = '\"{table}\"'::regclass",
    )
    return {r["conname"] for r in rows}


LEGACY_ROWS_QUERY = (
    'SELECT id, "modelId", vendor, status, "successRate" FROM {table} ORDER BY "modelId"'
)


async def test_upgrade_of_empty_postgres_then_current(pg_url: str) -> None:
    out = _cli(pg_url, "db", "upgrade").stdout
    assert f"upgraded base -> {HEAD}" in out
    assert _cli(pg_url, "db", "current").stdout.strip() == f"{HEAD} (head)"
    assert f"already at {HEAD}" in _cli(pg_url, "db", "upgrade").stdout


async def test_legacy_table_is_renamed_and_every_row_kept(pg_url: str) -> None:
    expected = await _legacy_platform(pg_url)
    _cli(pg_url, "db", "upgrade")

    rows = await _fetch(pg_url, LEGACY_ROWS_QUERY.format(table="model_certifications_legacy"))
    assert sorted(tuple(r) for r in rows) == sorted(expected)
    assert "model_certifications_legacy_pkey" in await _constraint_names(
        pg_url, "model_certifications_legacy"
    )
    # The colliding legacy index moved out of the way; the regional table got its own.
    indexes = await _fetch(pg_url, "SELECT tablename, indexname FROM pg_indexes")
    by_name = {r["indexname"]: r["tablename"] for r in indexes}
    assert by_name["model_certifications_status_idx"] == "model_certifications"
    assert by_name["model_certifications_legacy_status_idx"] == "model_certifications_legacy"
    columns = await _fetch(
        pg_url,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'model_certifications'",
    )
    assert "region" in {r["column_name"] for r in columns}


async def test_downgrade_is_the_seed_rollback_and_round_trips(pg_url: str) -> None:
    expected = await _legacy_platform(pg_url)
    _cli(pg_url, "db", "upgrade")
    assert "downgraded to 0001" in _cli(pg_url, "db", "downgrade", "0001").stdout

    tables = await _fetch(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    names = {r["tablename"] for r in tables}
    assert "model_certifications_legacy" not in names and "certification_jobs" not in names
    enum_types = await _fetch(
        pg_url,
        "SELECT typname FROM pg_type WHERE typname IN "
        "('CertificationStatus', 'CertificationJobType', 'JobStatus')",
    )
    assert enum_types == []
    rows = await _fetch(pg_url, LEGACY_ROWS_QUERY.format(table="model_certifications"))
    assert sorted(tuple(r) for r in rows) == sorted(expected)
    assert "model_certifications_pkey" in await _constraint_names(pg_url, "model_certifications")

    _cli(pg_url, "db", "upgrade")
    rows = await _fetch(pg_url, LEGACY_ROWS_QUERY.format(table="model_certifications_legacy"))
    assert sorted(tuple(r) for r in rows) == sorted(expected)
    assert _cli(pg_url, "db", "current").stdout.startswith(HEAD)


async def test_sqlite_round_trip(sqlite_url: str) -> None:
    _cli(sqlite_url, "db", "upgrade")
    _cli(sqlite_url, "db", "downgrade", "0001")
    assert _cli(sqlite_url, "db", "current").stdout.startswith("0001")
    _cli(sqlite_url, "db", "upgrade")
    assert _cli(sqlite_url, "db", "current").stdout.strip() == f"{HEAD} (head)"


def test_unknown_revision_is_refused(sqlite_url: str) -> None:
    _cli(sqlite_url, "db", "upgrade")
    result = run_certtui("--db", sqlite_url, "db", "downgrade", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "certtui: error: unknown revision 'nope': choose one of base, "
        + ", ".join(migrate.known_revisions())
    )


@pytest.mark.parametrize("command", [("info",), ("db", "current")])
def test_postgres_behind_asks_for_db_upgrade(pg_url: str, command: tuple[str, ...]) -> None:
    result = run_certtui("--db", pg_url, *command)
    if command == ("info",):
        assert result.returncode == 3
        assert "has no certtui schema: run `certtui db upgrade` first" in result.stderr
    else:
        assert result.returncode == 0 and result.stdout.startswith("base")


def test_the_revision_list_matches_the_migration_scripts() -> None:
    from certtui.store import migrate

    assert migrate.known_revisions() == migrate.script_revisions()


QUEUE_TABLES = {
    "pgqueuer", "pgqueuer_log", "pgqueuer_schedules", "pgqueuer_statistics",
    "certtui_workers", "certtui_slices", "certtui_schedules",
}  # fmt: skip


async def _tables(url: str) -> set[str]:
    rows = await _fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


async def test_0006_installs_the_work_queue_and_downgrade_removes_it(pg_url: str) -> None:
    _cli(pg_url, "db", "upgrade")
    assert await _tables(pg_url) >= QUEUE_TABLES
    triggers = await _fetch(pg_url, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    assert "tg_pgqueuer_changed" in {r["tgname"] for r in triggers}

    assert "downgraded to 0005" in _cli(pg_url, "db", "downgrade", "0005").stdout
    assert not QUEUE_TABLES & await _tables(pg_url)
    enum_types = await _fetch(pg_url, "SELECT typname FROM pg_type WHERE typname LIKE 'pgqueuer%'")
    assert enum_types == []
    assert "certification_jobs" in await _tables(pg_url)  # the seed's schema stays

    _cli(pg_url, "db", "upgrade")
    assert await _tables(pg_url) >= QUEUE_TABLES
