"""``history prune``: old verdicts go; a cell's latest verdict, the newest N and live jobs stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.store import history, jobs
from certtui.store.models import AIModel, AIProvider, CertificationResult
from certtui.store.types import utcnow
from support.cli import run_certtui

C = CertificationStatus
NOW = utcnow()


async def _seed(sessions: async_sessionmaker) -> dict[str, str]:
    """Two cells with verdicts of various ages, and one live job's old cancelled unit."""
    async with sessions.begin() as session:
        provider = AIProvider(name="AWS Bedrock", slug="bedrock")
        session.add(provider)
        await session.flush()
        model = AIModel(name="M", api_model_id="acme.m-v1:0", provider_id=provider.id)
        session.add(model)
        await session.flush()
        live = await jobs.create_job(
            session, CertificationJobType.SINGLE_MODEL, ["eu-west-1"], [model.id],
            total_models=1, status=JobStatus.PAUSED,
        )  # fmt: skip
        ids: dict[str, str] = {}

        def row(name: str, region: str, days: int, status: C = C.COMPLETED, job=None):  # type: ignore[no-untyped-def]
            values = {"modelId": model.id, "region": region, "status": status,
                      "passed": status is C.COMPLETED, "completedAt": NOW - timedelta(days=days),
                      "jobId": job}  # fmt: skip
            built = history.history_row(values)
            ids[name] = built["id"]
            return built

        await history.append(
            session,
            [
                row("x400", "us-east-1", 400), row("x300", "us-east-1", 300),
                row("x200", "us-east-1", 200), row("x10", "us-east-1", 10),
                row("y350", "us-west-2", 350), row("y300", "us-west-2", 300, C.CANCELLED),
                row("z190", "eu-west-1", 190, C.CANCELLED, live.id),
                row("z200", "eu-west-1", 200),
            ],
        )  # fmt: skip
    return ids


async def _left(sessions: async_sessionmaker, ids: dict[str, str]) -> set[str]:
    async with sessions() as session:
        present = set(await session.scalars(sa.select(CertificationResult.id)))
    return {name for name, rid in ids.items() if rid in present}


async def test_prune_keeps_latest_verdicts_newest_n_and_live_jobs(
    sessions: async_sessionmaker,
) -> None:
    ids = await _seed(sessions)
    cutoff = NOW - timedelta(days=180)
    async with sessions() as session:
        assert await history.prune(session, cutoff, 3, dry_run=True) == 1
    async with sessions.begin() as session:
        assert await history.prune(session, cutoff, 3) == 1  # x400: the 4th newest of its cell
    assert await _left(sessions, ids) == set(ids) - {"x400"}
    async with sessions.begin() as session:
        assert await history.prune(session, cutoff) == 3  # x300, x200, y300
    # x10 is new; y350 is y's latest verdict (a cancelled unit is no verdict); z190 belongs to a
    # live job; z200 is z's latest verdict.
    assert await _left(sessions, ids) == {"x10", "y350", "z190", "z200"}
    async with sessions.begin() as session:
        assert await history.prune(session, cutoff) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--older-than", "soon"), "--older-than 'soon' is not an age"),
        (("--older-than", "0d"), "is not an age"),
        (("--older-than", "1d", "--keep-last", "-1"), "--keep-last"),
    ],
)
def test_prune_refuses_bad_input(sqlite_url: str, args: tuple[str, ...], message: str) -> None:
    result = run_certtui("--db", sqlite_url, "history", "prune", *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_prune_refuses_read_only_and_runs_from_the_cli(sqlite_url: str) -> None:
    ro = run_certtui("--db", sqlite_url, "--read-only", "history", "prune", "--older-than", "1d")
    assert ro.returncode == 2 and "read-only" in ro.stderr
    done = run_certtui("--db", sqlite_url, "history", "prune", "--older-than", "180d")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("history prune: deleted 0 verdicts")
