"""From certtui's settings to Bedrock client settings."""

from __future__ import annotations

from certtui.bedrock.clients import BedrockSettings
from certtui.config import Settings
from certtui.engine.job import EngineConfig
from certtui.engine.retry import RetryPolicy


def bedrock_settings(settings: Settings, *, pool: int = 10) -> BedrockSettings:
    """Client settings for the configured profile, endpoint and timeouts."""
    return BedrockSettings(
        profile=settings.profile,
        endpoint_url=settings.endpoint_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=pool,
    )


def engine_config(settings: Settings, **overrides: int | float | None) -> EngineConfig:
    """Engine limits and retries from the settings, with command-line overrides."""
    values = {k: v for k, v in overrides.items() if v is not None}
    return EngineConfig(
        concurrency=int(values.get("concurrency", settings.concurrency)),
        region_concurrency=int(values.get("region_concurrency", settings.region_concurrency)),
        retry=RetryPolicy(
            base=settings.retry_base, cap=settings.retry_cap, max_attempts=settings.max_attempts
        ),
        lease_ttl=settings.lease_ttl,
        pass_threshold=values.get("pass_threshold", settings.pass_threshold),
        limit_scope=settings.limit_scope,
        breaker_threshold=settings.breaker_threshold,
        breaker_cooldown=settings.breaker_cooldown,
        breaker_outage_wait=settings.breaker_outage_wait,
    )
