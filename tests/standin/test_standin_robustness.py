"""Hostile requests: a body of the wrong shape is a 400, and no prompt can block the server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aioboto3
import aiohttp
import pytest
from botocore.config import Config

from certtui.standin import StandinServer, skills
from certtui.standin.responder import respond
from standin.standin_support import user
from support.cli import simulate_process
from support.engine import healthy_scenario_toml

PATIENCE = 120.0  # seconds: a bound on a hung server, never an expectation of speed
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
HELLO = [{"role": "user", "content": [{"text": "Hello"}]}]
# The issue's prompt took 24 s to answer (then failed with a 500); one more power would take
# hours, and the server answered nothing else meanwhile.
ISSUE_PROMPT = "What is ((((9**64)**64)**64)**64)?"
WORSE_PROMPT = "What is (((((9**64)**64)**64)**64)**64)?"


async def post(url: str, path: str, body: Any) -> tuple[int, dict[str, str], Any]:
    """A signed-looking POST with a raw JSON body, as no well-behaved SDK would send it."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}{path}",
            data=json.dumps(body),
            headers={"Authorization": AUTHORIZATION, "Content-Type": "application/json"},
        ) as response,
    ):
        return response.status, dict(response.headers), await response.json(content_type=None)


@pytest.mark.parametrize(
    ("body", "wording"),
    [
        ({"messages": HELLO, "inferenceConfig": 7}, "Invalid type for parameter inferenceConfig"),
        ({"messages": HELLO, "inferenceConfig": {"maxTokens": "ten"}}, "inferenceConfig.maxTokens"),
        ({"messages": HELLO, "system": {"text": "x"}}, "Invalid type for parameter system"),
        ({"messages": "hello"}, "Invalid type for parameter messages"),
        ({"messages": [{"role": "user", "content": [{"text": 5}]}]}, "messages[0].content[0].text"),
        ({"messages": HELLO, "toolConfig": {"tools": 3}}, "toolConfig.tools"),
        ({"messages": HELLO, "surprise": True}, 'Unknown parameter in input: "surprise"'),
        ({"inferenceConfig": {}}, "A conversation must start with a user message"),
        ([1, 2], "the body is not a JSON object"),
    ],
)
@pytest.mark.parametrize("operation", ["converse", "converse-stream"])
async def test_a_body_of_the_wrong_shape_is_a_validation_exception(
    standin: StandinServer, body: Any, wording: str, operation: str
) -> None:
    status, headers, answer = await post(standin.url, f"/model/test.chat-v1/{operation}", body)
    assert (status, headers["x-amzn-ErrorType"].split(":")[0]) == (400, "ValidationException")
    assert wording in answer["message"]
    assert "InternalServerException" not in standin.stats.errors


def test_the_issue_prompt_gets_a_model_like_answer_without_computing_it() -> None:
    reply = respond({"messages": [user(ISSUE_PROMPT)]}, frozenset(), seed="7")
    assert "too many digits" in reply.text
    assert "((((9**64)**64)**64)**64)" in reply.text
    assert reply.stop_reason == "end_turn"


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("What is 2**64?", 18446744073709551616),
        ("What is ( 2 + 3 ) * 4?", 20),
        ("what is -3 * -4", 12),
        ("What is 2**-3?", 0.125),
        ("What is 7 times 6?", 42),
    ],
)
def test_ordinary_arithmetic_still_works(prompt: str, answer: float) -> None:
    assert skills.find_arithmetic(prompt) is not None
    assert skills.find_arithmetic(prompt)[1] == answer  # type: ignore[index]


@pytest.mark.parametrize(
    "prompt",
    [
        ISSUE_PROMPT,
        WORSE_PROMPT,
        "What is 10**300 * 10**300?",
        "What is " + "9*" * 500 + "9?",
        "What is 1.5**64.5**64?",
    ],
)
def test_a_result_too_large_is_refused_not_computed(prompt: str) -> None:
    found = skills.find_arithmetic(prompt)
    assert found is not None and isinstance(found[1], skills.TooLarge)


@pytest.mark.parametrize(
    "prompt",
    [
        "What is " + "1" * 200_000 + "?",
        "What is " + "(" * 100_000 + "1+1" + ")" * 100_000 + "?",
        "What is 1 " + " (" * 100_000 + "x",
        "What is 1 " + " " * 200_000 + "x",
    ],
)
def test_long_runs_of_digits_brackets_or_spaces_are_not_arithmetic(prompt: str) -> None:
    # Each took seconds to minutes (a quadratic scan) before the expression pattern was bounded.
    assert skills.find_arithmetic(prompt) is None or isinstance(
        skills.find_arithmetic(prompt)[1],  # type: ignore[index]
        skills.TooLarge,
    )


async def test_a_hostile_prompt_blocks_no_other_call(tmp_path: Path) -> None:
    scenario = tmp_path / "healthy.toml"
    scenario.write_text(healthy_scenario_toml(2))
    config = Config(retries={"max_attempts": 1}, read_timeout=PATIENCE, connect_timeout=10)
    with simulate_process("--scenario", str(scenario)) as url:
        async with aioboto3.Session().client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=url, config=config
        ) as runtime:

            async def ask(prompt: str) -> dict:
                return await runtime.converse(modelId="acme.model-00-v1:0", messages=[user(prompt)])

            hostile = asyncio.create_task(ask(WORSE_PROMPT))
            await asyncio.sleep(0)  # the hostile request goes out first
            ordinary = asyncio.create_task(ask("What is 17 + 25? Answer with digits only."))
            # The ordinary call is answered, not queued behind the hostile one (which, unbounded,
            # would have kept the server busy for hours: both would time out here).
            done, _ = await asyncio.wait({ordinary}, timeout=PATIENCE)
            assert ordinary in done, "an ordinary call was blocked behind the hostile prompt"
            assert ordinary.result()["output"]["message"]["content"] == [{"text": "42"}]
            answer = await asyncio.wait_for(hostile, PATIENCE)
    text = answer["output"]["message"]["content"][0]["text"]
    assert "too many digits" in text
