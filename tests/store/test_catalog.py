"""Recording discovery: idempotent, updates in place, deactivates but never deletes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from certtui.store.catalog import ModelObservation, apply_discovery, catalog
from certtui.store.models import AIModel, AIProvider, ModelCertification, ModelRegionAvailability


def seen(model: str, region: str, *, on_demand: bool = True, name: str | None = None,
         profile: str | None = None) -> ModelObservation:  # fmt: skip
    return ModelObservation(
        api_model_id=model,
        name=name or model.split(".")[1],
        provider_name=model.split(".")[0].title(),
        region=region,
        on_demand=on_demand,
        inference_profile_id=profile,
        lifecycle_status="ACTIVE",
        input_modalities=("TEXT",),
        output_modalities=("TEXT",),
        streaming_supported=True,
    )


async def _snapshot(sessions: async_sessionmaker) -> list[tuple]:
    async with sessions() as session:
        rows = []
        for table in (AIProvider, AIModel, ModelRegionAvailability):
            for row in (await session.execute(sa.select(table.__table__))).all():
                rows.append((table.__tablename__, *row))
        return sorted(rows, key=repr)


async def test_sync_is_idempotent_and_updates_in_place(sessions: async_sessionmaker) -> None:
    first = [
        seen("anthropic.claude-a", "us-east-1"),
        seen("anthropic.claude-a", "eu-west-1", on_demand=False, profile="eu.anthropic.claude-a"),
        seen("amazon.nova-b", "us-east-1"),
    ]
    async with sessions.begin() as session:
        report = await apply_discovery(session, ["us-east-1", "eu-west-1"], first)
    assert sorted(report.models_added) == ["amazon.nova-b", "anthropic.claude-a"]
    assert report.availability_changed == 3

    before = await _snapshot(sessions)
    async with sessions.begin() as session:
        again = await apply_discovery(session, ["us-east-1", "eu-west-1"], first)
    assert not again.changed
    assert await _snapshot(sessions) == before  # not even updatedAt moved

    renamed = [*first[:2], seen("amazon.nova-b", "us-east-1", name="Nova B v2")]
    async with sessions.begin() as session:
        third = await apply_discovery(session, ["us-east-1", "eu-west-1"], renamed)
    assert third.models_updated == ["amazon.nova-b"] and third.availability_changed == 0
    async with sessions() as session:
        rows = await catalog(session)
    assert [(r.model.api_model_id, r.model.name, r.regions_offered) for r in rows] == [
        ("amazon.nova-b", "Nova B v2", ("us-east-1",)),
        ("anthropic.claude-a", "claude-a", ("eu-west-1", "us-east-1")),
    ]


async def test_a_model_no_longer_listed_becomes_inactive_and_keeps_its_certifications(
    sessions: async_sessionmaker,
) -> None:
    async with sessions.begin() as session:
        await apply_discovery(session, ["us-east-1"], [seen("meta.llama-x", "us-east-1")])
    async with sessions.begin() as session:
        model = await session.scalar(sa.select(AIModel))
        assert model is not None
        session.add(ModelCertification(model_id=model.id, region="us-east-1"))

    async with sessions.begin() as session:
        report = await apply_discovery(session, ["us-east-1"], [])
    assert report.models_deactivated == ["meta.llama-x"]
    async with sessions() as session:
        model = await session.scalar(sa.select(AIModel))
        assert model is not None and model.is_active is False
        certified = sa.select(sa.func.count()).where(ModelCertification.model_id == model.id)
        assert await session.scalar(certified) == 1
        assert await catalog(session) == []
        (row,) = await catalog(session, include_inactive=True)
        assert row.regions_offered == ()

    async with sessions.begin() as session:
        back = await apply_discovery(session, ["us-east-1"], [seen("meta.llama-x", "us-east-1")])
    assert back.models_reactivated == ["meta.llama-x"]


async def test_regions_not_synced_are_left_alone(sessions: async_sessionmaker) -> None:
    async with sessions.begin() as session:
        await apply_discovery(
            session,
            ["us-east-1", "eu-west-1"],
            [seen("cohere.command", "us-east-1"), seen("cohere.command", "eu-west-1")],
        )
    async with sessions.begin() as session:
        report = await apply_discovery(session, ["us-east-1"], [])
    assert report.models_deactivated == []  # still offered in eu-west-1
    async with sessions() as session:
        (row,) = await catalog(session)
    assert row.regions_offered == ("eu-west-1",)
