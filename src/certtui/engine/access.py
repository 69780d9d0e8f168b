"""From certtui's settings to Bedrock client settings."""

from __future__ import annotations

from certtui.bedrock.clients import BedrockSettings
from certtui.config import Settings


def bedrock_settings(settings: Settings, *, pool: int = 10) -> BedrockSettings:
    """Client settings for the configured profile, endpoint and timeouts."""
    return BedrockSettings(
        profile=settings.profile,
        endpoint_url=settings.endpoint_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=pool,
    )
