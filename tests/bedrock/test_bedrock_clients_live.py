"""BedrockClients against the real stand-in: reuse, pool, retries off, endpoints, credentials."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from botocore.exceptions import ProfileNotFound

from certtui.bedrock.clients import BedrockClients, BedrockSettings
from certtui.bedrock.errors import BedrockError, classify
from certtui.bedrock.operations import converse, list_foundation_models
from certtui.domain.errors import ErrorCategory
from certtui.standin.server import StandinServer

from .conftest import user

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
DEAD_ENDPOINT = "http://127.0.0.1:9"


async def test_one_client_per_service_and_region_is_reused(
    clients: BedrockClients, standin: StandinServer
) -> None:
    await asyncio.gather(*(list_foundation_models(clients, "us-east-1") for _ in range(5)))
    await asyncio.gather(
        *(converse(clients, "us-east-1", HAIKU, messages=user("hi")) for _ in range(3))
    )
    await list_foundation_models(clients, "us-west-2")
    assert clients.open_clients == (
        ("bedrock", "us-east-1"),
        ("bedrock-runtime", "us-east-1"),
        ("bedrock", "us-west-2"),
    )
    assert await clients.control("us-east-1") is await clients.control("us-east-1")
    assert standin.stats.calls["ListFoundationModels"] == 6


async def test_concurrent_first_use_creates_a_single_client(clients: BedrockClients) -> None:
    created = await asyncio.gather(*(clients.runtime("eu-west-1") for _ in range(20)))
    assert len({id(client) for client in created}) == 1
    assert clients.open_clients == (("bedrock-runtime", "eu-west-1"),)


async def test_client_config_pool_timeouts_and_no_retries(standin: StandinServer) -> None:
    settings = BedrockSettings(
        endpoint_url=standin.url, connect_timeout=2.5, read_timeout=7.0, max_pool_connections=24
    )
    async with BedrockClients(settings) as clients:
        config = (await clients.runtime("us-east-1")).meta.config
        assert config.max_pool_connections == 24
        assert (config.connect_timeout, config.read_timeout) == (2.5, 7.0)
        assert config.retries["total_max_attempts"] == 1
        assert clients.endpoint_url("bedrock-runtime", "us-east-1") == standin.url


async def test_botocore_does_not_retry_a_throttled_call(
    clients: BedrockClients, standin: StandinServer
) -> None:
    with pytest.raises(BedrockError) as caught:
        await converse(clients, "us-east-1", "acme.throttled-v1", messages=user("hi"))
    assert caught.value.classified.category is ErrorCategory.RATE_LIMIT
    assert standin.stats.calls["Converse"] == 1
    assert standin.stats.errors == {"ThrottlingException": 1}


async def test_clients_are_closed_on_exit(standin: StandinServer) -> None:
    async with BedrockClients(BedrockSettings(endpoint_url=standin.url)) as clients:
        await clients.runtime("us-east-1")
    assert clients.open_clients == ()
    with pytest.raises(RuntimeError, match="not open"):
        await clients.runtime("us-east-1")


async def test_per_service_endpoints_from_the_environment(
    standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", standin.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", standin.url)
    async with BedrockClients(BedrockSettings(connect_timeout=1.0)) as clients:
        assert await list_foundation_models(clients, "us-east-1")
        result = await converse(clients, "us-east-1", HAIKU, messages=user("hi"))
        assert result.text
        assert clients.endpoint_url("bedrock", "us-east-1") == standin.url
    assert standin.stats.calls_by_region["us-east-1"] == 2


async def test_endpoint_url_setting_overrides_the_environment(
    standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", DEAD_ENDPOINT)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", DEAD_ENDPOINT)
    async with BedrockClients(BedrockSettings(endpoint_url=standin.url)) as clients:
        assert await list_foundation_models(clients, "us-east-1")


async def test_expired_access_key_is_an_authentication_error(
    standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", standin.scenario.expired_key_prefix + "0001")
    async with BedrockClients(BedrockSettings(endpoint_url=standin.url)) as clients:
        with pytest.raises(BedrockError) as caught:
            await converse(clients, "us-east-1", HAIKU, messages=user("hi"))
    classified = caught.value.classified
    assert classified.category is ErrorCategory.AUTHENTICATION_ERROR
    assert classified.code == "ExpiredTokenException"
    assert not classified.retryable


async def test_named_profile_supplies_the_credentials(
    standin: StandinServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile ops]\n"
        f"aws_access_key_id = {standin.scenario.expired_key_prefix}OPS\n"
        "aws_secret_access_key = ops-secret\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    # The environment's keys would win over a profile in the default chain, not a named one.
    settings = BedrockSettings(profile="ops", endpoint_url=standin.url)
    async with BedrockClients(settings) as clients:
        with pytest.raises(BedrockError) as caught:
            await list_foundation_models(clients, "us-east-1")
    assert caught.value.classified.code == "ExpiredTokenException"


async def test_unknown_profile_fails_on_entry_as_an_authentication_error() -> None:
    with pytest.raises(ProfileNotFound) as caught:
        async with BedrockClients(BedrockSettings(profile="nobody")):
            pass
    assert classify(caught.value).category is ErrorCategory.AUTHENTICATION_ERROR


@pytest.mark.parametrize(
    "kwargs",
    [{"connect_timeout": 0}, {"read_timeout": -1}, {"max_pool_connections": 0}],
)
def test_settings_reject_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        BedrockSettings(**kwargs)
