"""Plain synchronous boto3 against the stand-in running in its own thread."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EventStreamError

from certtui.standin import NotLoopbackError, Scenario, ThreadedStandin, serve, start_in_thread
from standin.standin_support import NO_RETRY, user


@pytest.fixture(scope="module")
def threaded(scenario: Scenario) -> Iterator[ThreadedStandin]:
    """One stand-in in a daemon thread for the whole module."""
    with start_in_thread(scenario, seed=5) as handle:
        yield handle


def sync_client(threaded: ThreadedStandin, service: str, region: str = "us-east-1"):
    return boto3.client(service, region_name=region, endpoint_url=threaded.url, config=NO_RETRY)


def test_control_plane_parses_with_boto3(threaded: ThreadedStandin) -> None:
    bedrock = sync_client(threaded, "bedrock")
    models = bedrock.list_foundation_models()["modelSummaries"]
    assert "test.chat-v1" in {m["modelId"] for m in models}
    pages = list(bedrock.get_paginator("list_inference_profiles").paginate())
    ids = [p["inferenceProfileId"] for page in pages for p in page["inferenceProfileSummaries"]]
    assert ids == ["us.test.chat-v1", "us.test.profile-only-v1"]


def test_converse_and_stream_parse_with_boto3(threaded: ThreadedStandin) -> None:
    runtime = sync_client(threaded, "bedrock-runtime")
    answer = runtime.converse(
        modelId="test.chat-v1", messages=[user("What is 6 * 7? Digits only.")]
    )
    assert answer["output"]["message"]["content"] == [{"text": "42"}]
    stream = runtime.converse_stream(modelId="test.chat-v1", messages=[user("Explain TCP.")])
    kinds = [next(iter(event)) for event in stream["stream"]]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    assert threaded.stats.calls["ConverseStream"] >= 1


def test_errors_parse_with_boto3(threaded: ThreadedStandin) -> None:
    runtime = sync_client(threaded, "bedrock-runtime")
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId="test.legacy-v1", messages=[user("hi")])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    stream = runtime.converse_stream(modelId="test.stream-error-v1", messages=[user("Explain.")])
    with pytest.raises(EventStreamError) as in_stream:
        list(stream["stream"])
    assert in_stream.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_an_unreachable_region_is_a_connection_error_for_boto3(threaded: ThreadedStandin) -> None:
    # urllib3 reports the reset as a dropped connection, not a failed connect.
    runtime = sync_client(threaded, "bedrock-runtime", "af-south-1")
    with pytest.raises(ConnectionClosedError):
        runtime.converse(modelId="test.chat-v1", messages=[user("hi")])


def test_stop_ends_the_thread(scenario: Scenario) -> None:
    handle = start_in_thread(scenario)
    assert handle.running
    assert handle.url.startswith("http://127.0.0.1:")
    handle.stop()
    assert not handle.running


def test_a_busy_port_fails_in_the_starting_thread(threaded: ThreadedStandin) -> None:
    with pytest.raises(OSError):
        start_in_thread(threaded.server.scenario, port=threaded.server.port)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_hosts_are_refused(scenario: Scenario, host: str) -> None:
    with pytest.raises(NotLoopbackError, match="loopback only"):
        start_in_thread(scenario, host=host)


async def test_serve_refuses_non_loopback_hosts_and_accepts_localhost(scenario: Scenario) -> None:
    with pytest.raises(NotLoopbackError):
        async with serve(scenario, host="10.0.0.1"):
            pass
    async with serve(scenario, host="localhost") as server:
        assert server.url.startswith("http://127.0.0.1:")
