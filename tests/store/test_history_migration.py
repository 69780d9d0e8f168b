"""Migration 0004 copies the finished certifications into the history; its downgrade drops it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url

T0 = datetime(2026, 1, 2, 3, 4, 5)


async def test_upgrade_copies_finished_rows_and_downgrade_drops_the_table(
    database_url: str,
) -> None:
    engine = create_engine(parse_database_url(database_url))
    try:
        await migrate.upgrade(engine, "0003")
        async with engine.begin() as connection:
            run = connection.exec_driver_sql
            await run(
                'INSERT INTO ai_providers (id, name, slug, "updatedAt") '
                "VALUES ('p', 'AWS Bedrock', 'bedrock', '2026-01-01')"
            )
            await run(
                'INSERT INTO ai_models (id, name, "apiModelId", "providerId", "updatedAt") '
                "VALUES ('m', 'M', 'acme.m-v1:0', 'p', '2026-01-01')"
            )
            await run(
                'INSERT INTO certification_jobs (id, type, status, "updatedAt") '
                "VALUES ('j', 'ALL_MODELS', 'COMPLETED', '2026-01-01')"
            )
            for cid, region, status, job, results in (
                ("c1", "us-east-1", "COMPLETED", "'j'", '\'{"invokeId": "us.acme.m-v1:0", '
                 '"simulated": true}\''),
                ("c2", "eu-west-1", "FAILED", "'gone'", "NULL"),
                ("c3", "us-west-2", "QUEUED", "'j'", "NULL"),
            ):  # fmt: skip
                await run(
                    'INSERT INTO model_certifications (id, "modelId", region, status, passed, '
                    '"jobId", "testResults", "completedAt", "updatedAt") VALUES '
                    f"('{cid}', 'm', '{region}', '{status}', {'true' if cid == 'c1' else 'false'}, "
                    f"{job}, {results}, '2026-01-02 03:04:05', '2026-01-02')"
                )
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            rows = (
                await connection.exec_driver_sql(
                    'SELECT region, status, passed, "jobId", "invokeId", simulated, "completedAt" '
                    "FROM certification_results ORDER BY region"
                )
            ).all()
        assert [tuple(r[:6]) for r in rows] == [
            ("eu-west-1", "FAILED", False, None, None, False),  # its job is gone: no link
            ("us-east-1", "COMPLETED", True, "j", "us.acme.m-v1:0", True),
        ]
        assert all(str(r[6])[:19] == str(T0) for r in rows)  # SQLite answers a string
        await migrate.downgrade(engine, "0003")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert "certification_results" not in tables and "model_certifications" in tables
    finally:
        await engine.dispose()
