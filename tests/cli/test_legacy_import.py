"""``certtui legacy import``: 10,000 legacy rows become history; dry runs write nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from certtui.store import migrate
from certtui.store.database import create_engine, parse_database_url
from certtui.store.models import (
    AIModel,
    AIProvider,
    CertificationResult,
    ModelCertification,
    ModelCertificationLegacy,
)
from support.cli import run_certtui

ROWS = 10_000
T0 = datetime(2025, 6, 1, 12, 0, 0)
STATUSES = ("certified", "failed", "quality_warning", "certified", "untested")


async def _legacy_database(url: str) -> None:
    """A migrated database with ROWS models and one legacy row each, some unmappable."""
    engine = create_engine(parse_database_url(url))
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(
                AIProvider.__table__.insert(),
                [{"id": "p", "name": "AWS Bedrock", "slug": "bedrock", "updatedAt": T0}],
            )
            await connection.execute(
                AIModel.__table__.insert(),
                [{"id": f"m{i}", "name": f"M {i}", "apiModelId": f"acme.m{i}", "providerId": "p",
                  "updatedAt": T0} for i in range(ROWS)],
            )  # fmt: skip
            legacy = [
                {"id": f"legacy-{i:05d}", "modelId": f"m{i}", "vendor": "acme",
                 "status": STATUSES[i % 5], "successRate": (i % 100) / 100,
                 "rating": (i % 6) * 1.0, "lastTestedAt": T0 + timedelta(minutes=i),
                 "lastError": None if i % 5 in (0, 3) else "did not pass", "updatedAt": T0}
                for i in range(ROWS)
            ]  # fmt: skip
            legacy[1]["modelId"] = "gone"  # no such model
            legacy[2]["successRate"] = 250.0  # not a rate
            await connection.execute(ModelCertificationLegacy.__table__.insert(), legacy)
            # A newer regional verdict of m3: the import keeps it.
            await connection.execute(
                ModelCertification.__table__.insert(),
                [{"id": "newer", "modelId": "m3", "region": "eu-west-1", "status": "FAILED",
                  "passed": False, "errorCategory": "PERMISSION_ERROR",
                  "completedAt": T0 + timedelta(days=30), "updatedAt": T0}],
            )  # fmt: skip
    finally:
        await engine.dispose()


async def _counts(url: str) -> tuple[int, int, tuple]:
    engine = create_engine(parse_database_url(url))
    try:
        async with engine.connect() as connection:
            history = await connection.scalar(
                sa.select(sa.func.count()).select_from(CertificationResult.__table__)
            )
            cells = await connection.scalar(
                sa.select(sa.func.count()).select_from(ModelCertification.__table__)
            )
            certs = ModelCertification.__table__
            m3 = (
                await connection.execute(
                    sa.select(certs.c.status, certs.c.errorCategory).where(certs.c.modelId == "m3")
                )
            ).one()
            return history, cells, tuple(m3)
    finally:
        await engine.dispose()


def _import(url: str, *extra: str):  # type: ignore[no-untyped-def]
    result = run_certtui("--db", url, "legacy", "import", "--region", "eu-west-1", *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def _import_twice(url: str) -> str:
    await _legacy_database(url)
    unmappable = ROWS // 5 + 2  # the untested ones, the unknown model, the bad rate
    mapped = ROWS - unmappable
    first = _import(url)
    assert f"{ROWS} legacy rows; add {mapped} to history (0 already imported)" in first
    assert f"write {mapped - 1} new and 0 older regional rows; kept 1 with a newer" in first
    assert f"{unmappable} unmappable" in first
    assert "unmappable legacy-00001 (modelId gone): model 'gone' is not in ai_models" in first
    assert "legacy-00002 (modelId m2): successRate 250.0 is not a rate" in first
    assert "legacy-00004 (modelId m4): never tested" in first
    assert await _counts(url) == (mapped, mapped, ("FAILED", "PERMISSION_ERROR"))
    second = _import(url)
    assert f"add 0 to history ({mapped} already imported); write 0 new and 0 older" in second
    assert await _counts(url) == (mapped, mapped, ("FAILED", "PERMISSION_ERROR"))
    return first


async def test_legacy_import_sqlite_dry_run_writes_nothing_and_import_is_idempotent(
    sqlite_url: str, tmp_path: Path
) -> None:
    await _legacy_database(sqlite_url)
    path = Path(parse_database_url(sqlite_url).url.database or "")
    before = path.read_bytes()
    dry = _import(sqlite_url, "--dry-run")
    assert "(dry run: nothing written)" in dry and "would add 7998 to history" in dry
    assert path.read_bytes() == before
    path.unlink()
    await _import_twice(sqlite_url)


async def test_legacy_import_postgres_is_idempotent(pg_url: str) -> None:
    await _import_twice(pg_url)


def test_legacy_import_refuses_a_bad_region_and_read_only(sqlite_url: str) -> None:
    bad = run_certtui("--db", sqlite_url, "legacy", "import", "--region", "mars-1")
    assert bad.returncode == 2 and "unknown region 'mars-1'" in bad.stderr
    ro = run_certtui("--db", sqlite_url, "--read-only", "legacy", "import")
    assert ro.returncode == 2 and "read-only" in ro.stderr
