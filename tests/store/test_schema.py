"""The migrated schema is the SPEC §2.4 schema, names included, on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncpg
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from certtui.store import migrate
from certtui.store import workers as queue_tables
from certtui.store.database import create_engine, parse_database_url
from certtui.store.models import Base

EXPECTED_ENUMS = {
    "CertificationStatus": ["PENDING", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"],
    "CertificationJobType": ["SINGLE_MODEL", "MULTIPLE_MODELS", "ALL_MODELS", "RECERTIFY"],
    "JobStatus": ["PENDING", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"],
}

EXPECTED_COLUMNS = {
    "ai_providers": {
        "id": "text", "name": "text", "slug": "text", "isActive": "boolean",
        "websiteUrl": "text", "logoUrl": "text", "baseUrl": "text",
        "createdAt": "timestamp without time zone", "updatedAt": "timestamp without time zone",
    },
    "ai_models": {
        "id": "text", "name": "text", "apiModelId": "text", "contextWindow": "integer",
        "costPer1kInput": "double precision", "costPer1kOutput": "double precision",
        "isActive": "boolean", "providerId": "text",
        "createdAt": "timestamp without time zone", "updatedAt": "timestamp without time zone",
    },
    "model_certifications": {
        "id": "text", "modelId": "text", "region": "text", "status": "CertificationStatus",
        "passed": "boolean", "score": "double precision", "rating": "text",
        "testResults": "jsonb", "errorMessage": "text", "errorCategory": "text", "jobId": "text",
        "startedAt": "timestamp without time zone", "completedAt": "timestamp without time zone",
        "duration": "integer", "createdAt": "timestamp without time zone",
        "updatedAt": "timestamp without time zone", "createdBy": "text",
    },
    "certification_jobs": {
        "id": "text", "type": "CertificationJobType", "regions": "_text", "modelIds": "_text",
        "status": "JobStatus", "totalModels": "integer", "processedModels": "integer",
        "successCount": "integer", "failureCount": "integer", "bullJobId": "text",
        "startedAt": "timestamp without time zone", "completedAt": "timestamp without time zone",
        "duration": "integer", "config": "jsonb", "createdAt": "timestamp without time zone",
        "updatedAt": "timestamp without time zone", "createdBy": "text",
    },
    "model_certifications_legacy": {
        "id": "text", "modelId": "text", "vendor": "text", "status": "text",
        "certifiedAt": "timestamp without time zone", "expiresAt": "timestamp without time zone",
        "certifiedBy": "text", "lastTestedAt": "timestamp without time zone",
        "testsPassed": "integer", "testsFailed": "integer", "successRate": "double precision",
        "avgLatencyMs": "integer", "lastError": "text", "failureReasons": "jsonb",
        "errorCategory": "text", "errorSeverity": "text", "rating": "double precision",
        "badge": "text", "metrics": "jsonb", "scores": "jsonb",
        "ratingUpdatedAt": "timestamp without time zone",
        "createdAt": "timestamp without time zone", "updatedAt": "timestamp without time zone",
    },
    "model_region_availability": {
        "id": "text", "modelId": "text", "region": "text", "providerName": "text",
        "offered": "boolean", "onDemand": "boolean", "inferenceProfileId": "text",
        "lifecycleStatus": "text", "inputModalities": "_text", "outputModalities": "_text",
        "streamingSupported": "boolean", "discoveredAt": "timestamp without time zone",
        "inferenceProfiles": "jsonb", "legacyAt": "timestamp without time zone",
        "endOfLifeAt": "timestamp without time zone",
    },
    "certification_results": {
        "id": "text", "modelId": "text", "region": "text", "jobId": "text",
        "status": "CertificationStatus", "passed": "boolean", "score": "double precision",
        "rating": "text", "errorCategory": "text", "errorMessage": "text",
        "testResults": "jsonb", "invokeId": "text", "simulated": "boolean",
        "startedAt": "timestamp without time zone", "completedAt": "timestamp without time zone",
        "duration": "integer", "createdAt": "timestamp without time zone", "createdBy": "text",
    },
    # certtui's log of a job's engine events (migration 0007)
    "job_log": {
        "id": "text", "jobId": "text", "at": "timestamp without time zone", "level": "text",
        "kind": "text", "apiModelId": "text", "region": "text", "message": "text",
    },
}  # fmt: skip

EXPECTED_INDEXES = {
    "ai_providers_pkey", "ai_providers_slug_key", "ai_models_pkey",
    "model_certifications_pkey", "model_certifications_modelId_region_key",
    "model_certifications_status_idx", "model_certifications_region_idx",
    "model_certifications_jobId_idx", "model_certifications_createdAt_idx",
    "certification_jobs_pkey", "certification_jobs_status_idx", "certification_jobs_type_idx",
    "certification_jobs_bullJobId_idx", "certification_jobs_createdAt_idx",
    "model_certifications_legacy_pkey", "model_certifications_modelId_key",
    "model_region_availability_pkey", "model_region_availability_modelId_region_key",
    "model_region_availability_region_idx",
    "certification_results_pkey", "certification_results_modelId_region_completedAt_idx",
    "certification_results_jobId_idx",
    "job_log_pkey", "job_log_jobId_at_idx",
}  # fmt: skip

EXPECTED_FOREIGN_KEYS = {
    # name: (table, column, referenced table, on delete, on update)
    "ai_models_providerId_fkey": ("ai_models", "providerId", "ai_providers", "RESTRICT", "CASCADE"),
    "model_certifications_modelId_fkey": (
        "model_certifications", "modelId", "ai_models", "CASCADE", "CASCADE",
    ),
    "model_region_availability_modelId_fkey": (
        "model_region_availability", "modelId", "ai_models", "CASCADE", "CASCADE",
    ),
    "certification_results_modelId_fkey": (
        "certification_results", "modelId", "ai_models", "CASCADE", "CASCADE",
    ),
    "certification_results_jobId_fkey": (
        "certification_results", "jobId", "certification_jobs", "SET NULL", "CASCADE",
    ),
    "job_log_jobId_fkey": ("job_log", "jobId", "certification_jobs", "CASCADE", "CASCADE"),
}  # fmt: skip


def _queue_name(name: str) -> bool:
    """An object of the work queue (migration 0006, tested in test_migrations), not the seed's."""
    return name.startswith(("pgqueuer", "certtui_"))


async def _pg(url: str) -> asyncpg.Connection:
    u = parse_database_url(url).url
    return await asyncpg.connect(host=u.host, port=u.port, user=u.username, database=u.database)


async def test_postgres_schema_matches_spec(pg_url: str) -> None:
    engine = create_engine(parse_database_url(pg_url))
    await migrate.upgrade(engine)
    await engine.dispose()
    conn = await _pg(pg_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name, CASE WHEN data_type = 'USER-DEFINED' OR "
            "data_type = 'ARRAY' THEN udt_name ELSE data_type END AS type, datetime_precision "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name <> 'alembic_version'"
        )
        columns: dict[str, dict[str, str]] = {}
        rows = [row for row in rows if not _queue_name(row["table_name"])]
        for row in rows:
            columns.setdefault(row["table_name"], {})[row["column_name"]] = row["type"]
            if row["type"].startswith("timestamp"):
                assert row["datetime_precision"] == 3, (row["table_name"], row["column_name"])
        assert columns == EXPECTED_COLUMNS

        enums = await conn.fetch(
            "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels "
            "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname"
        )
        enum_labels = {r["typname"]: list(r["labels"]) for r in enums}
        assert {k: v for k, v in enum_labels.items() if not _queue_name(k)} == EXPECTED_ENUMS

        indexes = await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        names = {r["indexname"] for r in indexes if not _queue_name(r["indexname"])}
        assert names - {"alembic_version_pkc"} == EXPECTED_INDEXES

        unique = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = $1",
            "model_certifications_modelId_region_key",
        )
        assert unique.startswith("CREATE UNIQUE INDEX")
        assert '("modelId", region)' in unique

        fks = await conn.fetch(
            "SELECT con.conname, cl.relname AS tbl, att.attname AS col, ref.relname AS reftbl, "
            "con.confdeltype::text AS confdeltype, con.confupdtype::text AS confupdtype "
            "FROM pg_constraint con "
            "JOIN pg_class cl ON cl.oid = con.conrelid "
            "JOIN pg_class ref ON ref.oid = con.confrelid "
            "JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1] "
            "WHERE con.contype = 'f'"
        )
        actions = {"c": "CASCADE", "r": "RESTRICT", "a": "NO ACTION", "n": "SET NULL"}
        found = {
            r["conname"]: (r["tbl"], r["col"], r["reftbl"], actions[r["confdeltype"]],
                           actions[r["confupdtype"]])
            for r in fks
        }  # fmt: skip
        assert {k: v for k, v in found.items() if not _queue_name(v[0])} == EXPECTED_FOREIGN_KEYS

        defaults = await conn.fetch(
            "SELECT table_name, column_name, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_default IS NOT NULL"
        )
        default_of = {(r["table_name"], r["column_name"]): r["column_default"] for r in defaults}
        assert default_of[("model_certifications", "status")].startswith("'PENDING'")
        assert default_of[("certification_jobs", "status")].startswith("'PENDING'")
        assert default_of[("model_certifications", "createdAt")] == "CURRENT_TIMESTAMP"
        assert default_of[("ai_models", "contextWindow")] == "4096"
        assert ("model_certifications", "updatedAt") not in default_of
    finally:
        await conn.close()


async def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(parse_database_url(database_url))
    await migrate.upgrade(engine)

    def diff(connection: sa.Connection) -> list:
        context = MigrationContext.configure(connection)
        return compare_metadata(context, _models(connection.dialect.name))

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    await engine.dispose()
    # Only the table Alembic itself owns may differ, and PGQueuer's (its own install script).
    assert [d for d in differences if not _is_alembic_version(d) and not _is_pgqueuer(d)] == []


def _models(dialect: str) -> sa.MetaData:
    """certtui's tables on this database: the work queue's only on PostgreSQL (0006)."""
    if dialect != "postgresql":
        return Base.metadata
    combined = sa.MetaData()
    for table in [*Base.metadata.tables.values(), *queue_tables.metadata.tables.values()]:
        table.to_metadata(combined)
    return combined


def _is_pgqueuer(difference: tuple) -> bool:
    item = difference[1]
    name = getattr(item, "name", "") or ""
    table = getattr(getattr(item, "table", None), "name", "") or ""
    return name.startswith("pgqueuer") or table.startswith("pgqueuer")


def _is_alembic_version(difference: tuple) -> bool:
    return difference[0] == "remove_table" and difference[1].name == "alembic_version"
