"""Issue #10 end to end: the stand-in produces each real Bedrock error, reasoning models and the
simulated marker; the real aioboto3 client and the engine classify and record them."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web

from certtui.bedrock.clients import BedrockClients, BedrockSettings
from certtui.bedrock.errors import BedrockError
from certtui.bedrock.operations import converse, converse_stream
from certtui.domain.enums import CertificationStatus
from certtui.domain.errors import ErrorCategory
from certtui.engine.limits import CallLimiter
from certtui.engine.retry import RetryPolicy
from certtui.engine.unit import UnitContext, UnitPlan, certify_unit
from certtui.standin.scenario import Scenario, parse_scenario
from certtui.standin.server import StandinServer, serve
from certtui.suites.loader import default_suite, parse_suite

from .conftest import user

C = ErrorCategory

SCENARIO = """
name = "real-errors"

[[regions]]
name = "us-east-1"

[[regions]]
name = "eu-west-1"

[profiles.quick]
first_token_ms = 1
per_token_ms = 0
jitter = 0.0
"""

# (model suffix, profile keys, expected category, code, retryable)
INJECTED = [
    ("daily-quota", 'error = "ThrottlingException"', C.QUOTA_EXCEEDED,
     "ThrottlingException", False),
    ("connections", 'error = "ServiceUnavailableException"', C.RATE_LIMIT,
     "ServiceUnavailableException", True),
    ("expired", 'error = "RequestExpired"', C.AUTHENTICATION_ERROR, "RequestExpired", False),
    ("not-authorized", 'error = "NotAuthorized"', C.AUTHENTICATION_ERROR, "NotAuthorized", False),
    ("incomplete", 'error = "IncompleteSignature"', C.AUTHENTICATION_ERROR,
     "IncompleteSignature", False),
    ("ftu", 'error = "FTUFormNotFilled"', C.PERMISSION_ERROR, "FTUFormNotFilled", False),
    ("agreement", 'error = "MPAgreementBeingCreated"', C.PERMISSION_ERROR,
     "MPAgreementBeingCreated", False),
    ("marketplace", 'error = "AccessDeniedException"', C.PERMISSION_ERROR,
     "AccessDeniedException", False),
    ("legacy", 'error = "ResourceNotFoundException"', C.UNAVAILABLE,
     "ResourceNotFoundException", False),
    ("no-on-demand", 'error = "ValidationException"', C.PROVISIONING_REQUIRED,
     "ValidationException", False),
    ("unable", 'error = "ServiceUnavailableException"\nerror_message = '
     '"Bedrock is unable to process your request."', C.RATE_LIMIT,
     "ServiceUnavailableException", True),
]  # fmt: skip

EXTRA = """
[profiles.stream_timeout]
first_token_ms = 1
per_token_ms = 0
jitter = 0.0
error = "ModelTimeoutException"
error_in_stream = "modelTimeoutException"

[profiles.malformed]
first_token_ms = 1
per_token_ms = 0
jitter = 0.0
stop_reason = "malformed_model_output"

[profiles.no_temperature]
first_token_ms = 1
per_token_ms = 0
jitter = 0.0
rejects_parameters = ["temperature"]

[[models]]
id = "acme.stream-timeout-v1"
provider = "Acme"
profile = "stream_timeout"
on_demand = ["*"]

[[models]]
id = "acme.malformed-v1"
provider = "Acme"
profile = "malformed"
on_demand = ["*"]

[[models]]
id = "acme.no-temperature-v1"
provider = "Acme"
profile = "no_temperature"
on_demand = ["*"]

[[models]]
id = "deepseek.r1-v1:0"
provider = "DeepSeek"
profile = "quick"
reasoning = true
reasoning_tokens = 600
on_demand = ["*"]

[profiles.late_denied]
first_token_ms = 1
per_token_ms = 0
jitter = 0.0
error = "AccessDeniedException"
error_message = "You don't have access to the model with the specified model ID."
error_after = 1

[[models]]
id = "acme.late-denied-v1"
provider = "Acme"
profile = "late_denied"
on_demand = ["*"]

[[models]]
id = "acme.plain-v1"
provider = "Acme"
profile = "quick"
on_demand = ["*"]
"""


def scenario_text() -> str:
    parts = [SCENARIO]
    for suffix, keys, *_ in INJECTED:
        parts.append(
            f"[profiles.{suffix.replace('-', '_')}]\nfirst_token_ms = 1\n{keys}\n"
            f'[[models]]\nid = "acme.{suffix}-v1"\nprovider = "Acme"\n'
            f'profile = "{suffix.replace("-", "_")}"\non_demand = ["*"]\n'
        )
    parts.append(EXTRA)
    return "\n".join(parts)


@pytest.fixture
def scenario() -> Scenario:
    return parse_scenario(scenario_text(), source="test_bedrock_real_errors_live.py")


@pytest.fixture
async def server(scenario: Scenario) -> AsyncIterator[StandinServer]:
    async with serve(scenario, seed=3) as running:
        yield running


@pytest.fixture
async def clients(server: StandinServer) -> AsyncIterator[BedrockClients]:
    async with BedrockClients(BedrockSettings(endpoint_url=server.url)) as opened:
        yield opened


@pytest.mark.parametrize("kind", ["converse", "stream"])
@pytest.mark.parametrize(
    ("suffix", "category", "code", "retryable"),
    [(s, cat, code, r) for s, _, cat, code, r in INJECTED],
    ids=[case[0] for case in INJECTED],
)
async def test_injected_real_error_is_classified(
    clients: BedrockClients,
    kind: str,
    suffix: str,
    category: ErrorCategory,
    code: str,
    retryable: bool,
) -> None:
    model = f"acme.{suffix}-v1"
    with pytest.raises(BedrockError) as caught:
        if kind == "converse":
            await converse(clients, "us-east-1", model, messages=user("Hi"))
        else:
            async with converse_stream(clients, "us-east-1", model, messages=user("Hi")) as s:
                await s.collect()
    classified = caught.value.classified
    assert (classified.category, classified.code, classified.retryable) == (
        category,
        code,
        retryable,
    )
    assert caught.value.simulated


async def test_unmodelled_in_stream_exception_is_classified_by_its_type(
    clients: BedrockClients,
) -> None:
    with pytest.raises(BedrockError) as caught:
        async with converse_stream(
            clients, "us-east-1", "acme.stream-timeout-v1", messages=user("Count to 5.")
        ) as stream:
            await stream.collect()
    classified = caught.value.classified
    # botocore's model lists no modelTimeoutException event: without the header it would be an
    # UNKNOWN_ERROR with an empty code.
    assert (classified.category, classified.code) == (C.TIMEOUT, "ModelTimeoutException")
    assert "timed out" in classified.message
    assert classified.retryable


async def test_reasoning_model_streams_and_conversees_reasoning_blocks(
    clients: BedrockClients,
) -> None:
    starved = await converse(
        clients,
        "us-east-1",
        "deepseek.r1-v1:0",
        messages=user("Say hello."),
        inferenceConfig={"maxTokens": 100},
    )
    assert starved.has_reasoning and starved.reasoning and not starved.text
    assert starved.stop_reason == "max_tokens"
    roomy = await converse(
        clients,
        "us-east-1",
        "deepseek.r1-v1:0",
        messages=user("Say hello."),
        inferenceConfig={"maxTokens": 1000},
    )
    assert roomy.text and roomy.reasoning and roomy.usage.output_tokens > 600
    async with converse_stream(
        clients,
        "us-east-1",
        "deepseek.r1-v1:0",
        messages=user("Say hello."),
        inferenceConfig={"maxTokens": 1000},
    ) as stream:
        result = await stream.collect()
    assert result.has_reasoning and result.reasoning and result.text
    assert result.simulated


def context(clients: BedrockClients, suite=None) -> UnitContext:  # type: ignore[no-untyped-def]
    return UnitContext(
        job_id="job",
        clients=clients,
        limiter=CallLimiter(8, 4),
        suite=suite or default_suite(),
        policy=RetryPolicy(base=0.001, cap=0.002, max_attempts=3),
        rng=random.Random(1),
    )


def plan(model_id: str, region: str = "us-east-1", offered: bool | None = True) -> UnitPlan:
    return UnitPlan(
        certification_id=f"cert-{model_id}",
        model_id=model_id,
        api_model_id=model_id,
        region=region,
        offered=offered,
    )


async def test_reasoning_model_passes_respond_and_streaming_with_room(
    clients: BedrockClients,
) -> None:
    result = await certify_unit(context(clients), plan("deepseek.r1-v1:0"))
    assert result.status is CertificationStatus.COMPLETED
    document = result.test_results
    assert document is not None
    tests = {t["id"]: t for t in document["tests"]}
    for test_id in ("respond", "streaming", "instruction"):
        assert tests[test_id]["status"] == "passed", tests[test_id]
        assert tests[test_id]["reasoningTokens"] > 0
    # The truncation test keeps its own small maxTokens (and still passes).
    assert tests["max_tokens"]["status"] == "passed"
    assert "reasoningBudget" not in tests["max_tokens"]
    assert document["reasoningModel"] is True
    assert document["totalTokens"]["reasoningEstimated"] > 0
    assert document["simulated"] is True


async def test_daily_quota_is_not_retried_and_does_not_throttle(clients: BedrockClients) -> None:
    ctx = context(clients)
    result = await certify_unit(ctx, plan("acme.daily-quota-v1"))
    assert (result.status, result.error_category) == (
        CertificationStatus.FAILED,
        C.QUOTA_EXCEEDED.value,
    )
    assert (ctx.stats.calls, ctx.stats.retries, ctx.stats.throttles) == (1, 0, 0)
    assert ctx.limiter.model("us-east-1", "acme.daily-quota-v1").limit == 4
    assert result.test_results is not None and result.test_results["simulated"] is True


async def test_capacity_shedding_is_retried_and_halves_the_limit(clients: BedrockClients) -> None:
    ctx = context(clients)
    result = await certify_unit(ctx, plan("acme.connections-v1"))
    assert result.error_category == C.RATE_LIMIT.value
    assert ctx.stats.retries == 2 and ctx.stats.throttles == 3
    assert ctx.limiter.model("us-east-1", "acme.connections-v1").limit == 1


async def test_a_rejected_parameter_fails_the_test_not_the_unit(clients: BedrockClients) -> None:
    suite = parse_suite(
        """
name = "params"
version = "1"
pass_threshold = 50

[[tests]]
id = "plain"
weight = 1
kind = "converse"
turns = [{ text = "Reply with exactly: OK" }]
checks = [{ kind = "non_empty" }]

[[tests]]
id = "warm"
weight = 1
kind = "converse"
turns = [{ text = "Reply with exactly: OK" }]
inference = { temperature = 0.2 }
checks = [{ kind = "non_empty" }]
""",
        source="params.toml",
    )
    result = await certify_unit(context(clients, suite), plan("acme.no-temperature-v1"))
    assert result.status is CertificationStatus.COMPLETED
    document = result.test_results
    assert document is not None
    warm = next(t for t in document["tests"] if t["id"] == "warm")
    assert warm["status"] == "failed"
    assert warm["errorCategory"] == C.CONFIGURATION_ERROR.value
    assert "'temperature'" in warm["reason"] and "CONFIGURATION_ERROR" in warm["reason"]
    assert next(t for t in document["tests"] if t["id"] == "plain")["status"] == "passed"


async def test_failure_stop_reasons_fail_the_unit_as_model_error(clients: BedrockClients) -> None:
    result = await certify_unit(context(clients), plan("acme.malformed-v1"))
    assert (result.status, result.error_category) == (
        CertificationStatus.FAILED,
        C.MODEL_ERROR.value,
    )
    assert "malformed_model_output" in (result.error_message or "")
    document = result.test_results
    assert document is not None
    ran = [t for t in document["tests"] if t["status"] != "skipped"]
    assert ran and all("stopReason malformed_model_output" in t["reason"] for t in ran)


async def test_invalid_identifier_of_a_model_discovery_does_not_list_is_unavailable(
    clients: BedrockClients,
) -> None:
    offered = await certify_unit(context(clients), plan("acme.not-here-v1", offered=None))
    assert offered.error_category == C.UNAVAILABLE.value
    malformed = await certify_unit(context(clients), plan("not a model id!", offered=None))
    assert malformed.error_category == C.CONFIGURATION_ERROR.value


async def test_bedrock_api_key_is_accepted(
    server: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKbearer-token-for-tests")
    async with BedrockClients(BedrockSettings(endpoint_url=server.url)) as bearer:
        reply = await converse(bearer, "eu-west-1", "acme.plain-v1", messages=user("Hi"))
    assert reply.text and reply.simulated
    # A bare loopback address names no region: the call is served as the default region.
    assert server.stats.calls_by_region == {"us-east-1": 1}


@pytest.fixture
async def stripping_proxy(server: StandinServer) -> AsyncIterator[str]:
    """A plain HTTP proxy on loopback that forwards to the stand-in and drops its marker: an
    endpoint that is not the stand-in, as far as the client can tell."""

    async def forward(request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        headers["Host"] = request.headers.get("Host", "")
        async with (
            ClientSession(auto_decompress=False) as session,
            session.request(
                request.method,
                server.url + request.rel_url.path_qs,
                headers=headers,
                data=await request.read(),
            ) as upstream,
        ):
            body = await upstream.read()
            kept = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in ("x-certtui-simulated", "content-length", "transfer-encoding")
            }
            return web.Response(status=upstream.status, body=body, headers=kept)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_results_from_another_endpoint_are_not_marked(stripping_proxy: str) -> None:
    async with BedrockClients(BedrockSettings(endpoint_url=stripping_proxy)) as other:
        reply = await converse(other, "us-east-1", "acme.plain-v1", messages=user("Hi"))
        assert reply.text and not reply.simulated
        result = await certify_unit(context(other), plan("acme.plain-v1"))
    assert result.test_results is not None and "simulated" not in result.test_results


async def test_bearer_region_comes_from_the_host(
    server: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Bedrock API key names no region: the stand-in reads it from the Host header, which a
    client sends as bedrock-runtime.REGION.amazonaws.com (here through a loopback proxy)."""
    from aiobotocore.config import AioConfig

    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKbearer-token-for-tests")
    import aioboto3

    session = aioboto3.Session()
    config = AioConfig(proxies={"http": server.url}, retries={"total_max_attempts": 1})
    async with session.client(
        "bedrock-runtime",
        region_name="eu-west-1",
        endpoint_url="http://bedrock-runtime.eu-west-1.amazonaws.com",
        config=config,
    ) as client:
        response = await client.converse(modelId="acme.plain-v1", messages=user("Hi"))
    assert response["output"]["message"]["content"][0]["text"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-certtui-simulated"] == "1"
    assert server.stats.calls_by_region == {"eu-west-1": 1}


async def test_unit_failure_keeps_the_raw_message_and_adds_the_hint(
    clients: BedrockClients,
) -> None:
    result = await certify_unit(context(clients), plan("acme.expired-v1"))
    message = result.error_message or ""
    assert result.error_category == C.AUTHENTICATION_ERROR.value
    assert "RequestExpired: Request has expired." in message
    assert "clock" in message.split("what to do:", 1)[1]


async def test_a_late_access_denied_says_why_it_came_late(clients: BedrockClients) -> None:
    """A third-party model answers, then its Marketplace check denies it (#10)."""
    result = await certify_unit(context(clients), plan("acme.late-denied-v1"))
    message = result.error_message or ""
    assert result.error_category == C.PERMISSION_ERROR.value
    assert "You don't have access to the model" in message
    assert "denied after 1 successful call(s)" in message
    assert "no 'Model access' page" in message
