"""The Bedrock calls certtui makes: discovery, Converse and ConverseStream.

Every failure leaves these functions as a BedrockError carrying its classification (SPEC §3.3),
with the botocore or aiohttp exception as its cause. Cancellation passes through untouched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

from certtui.bedrock._eventstream_private import keep_exception_type
from certtui.bedrock.catalog import (
    DiscoveryResult,
    FoundationModel,
    InferenceProfile,
    RegionDiscovery,
)
from certtui.bedrock.clients import BedrockClients
from certtui.bedrock.errors import BedrockError, ClassifiedError, MalformedResponse, classify
from certtui.bedrock.results import (
    ConverseResult,
    StreamEvent,
    StreamResult,
    is_simulated,
    parse_stream_event,
)

__all__ = [
    "ConverseStream",
    "converse",
    "converse_stream",
    "discover",
    "discover_region",
    "list_foundation_models",
    "list_inference_profiles",
]

T = TypeVar("T")


def _failure(
    exc: BaseException, operation: str, region: str, model_id: str | None = None
) -> BedrockError:
    response = getattr(exc, "response", None)
    return BedrockError(
        classify(exc, region=region),
        operation=operation,
        region=region,
        model_id=model_id,
        simulated=is_simulated(response if isinstance(response, dict) else None),
    )


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


async def list_foundation_models(clients: BedrockClients, region: str) -> list[FoundationModel]:
    """Every foundation model ListFoundationModels reports in `region`."""
    operation = "ListFoundationModels"
    try:
        client = await clients.control(region)
        # The API has no pagination: one response holds the whole list.
        response = await client.list_foundation_models()
    except Exception as exc:
        raise _failure(exc, operation, region) from exc
    return _summaries(
        response, "modelSummaries", FoundationModel.from_summary, operation=operation, region=region
    )


async def list_inference_profiles(clients: BedrockClients, region: str) -> list[InferenceProfile]:
    """Every inference profile ListInferenceProfiles reports in `region`, across all pages."""
    operation = "ListInferenceProfiles"
    profiles: list[InferenceProfile] = []
    seen_tokens: set[str] = set()
    request: dict[str, str] = {}
    while True:
        try:
            client = await clients.control(region)
            response = await client.list_inference_profiles(**request)
        except Exception as exc:
            raise _failure(exc, operation, region) from exc
        profiles += _summaries(
            response,
            "inferenceProfileSummaries",
            InferenceProfile.from_summary,
            operation=operation,
            region=region,
        )
        token = response.get("nextToken")
        if not token:
            return profiles
        if token in seen_tokens:
            # A server that hands out a token twice would otherwise be paged forever.
            repeated = MalformedResponse(f"{operation} repeated the page token {token!r}")
            raise _failure(repeated, operation, region)
        seen_tokens.add(token)
        request = {"nextToken": token}


def _summaries(
    response: dict[str, Any],
    key: str,
    build: Callable[[str, Any], T],
    *,
    operation: str,
    region: str,
) -> list[T]:
    """Build the typed items of a listing, or fail as a malformed response."""
    try:
        return [build(region, summary) for summary in response.get(key) or ()]
    except (KeyError, TypeError, AttributeError) as exc:
        malformed = MalformedResponse(f"unexpected {operation} response: {exc!r}")
        raise _failure(malformed, operation, region) from exc


async def _outcome(call: Awaitable[T]) -> T | BedrockError:
    try:
        return await call
    except BedrockError as exc:
        return exc


async def discover_region(clients: BedrockClients, region: str) -> RegionDiscovery:
    """The models and profiles of one region; raises BedrockError if the models cannot be listed.

    A failure to list profiles alone is kept in `profiles_error`: the models are still worth
    having.
    """
    models, profiles = await asyncio.gather(
        _outcome(list_foundation_models(clients, region)),
        _outcome(list_inference_profiles(clients, region)),
    )
    if isinstance(models, BedrockError):
        raise models
    if isinstance(profiles, BedrockError):
        return RegionDiscovery(region, tuple(models), (), profiles.classified)
    return RegionDiscovery(region, tuple(models), tuple(profiles))


async def discover(
    clients: BedrockClients,
    regions: Iterable[str],
    on_region: Callable[[str, bool], None] | None = None,
) -> DiscoveryResult:
    """Discover every region concurrently; a region that fails is reported, not fatal.

    ``on_region(region, answered)`` is called as each region finishes (for a progress line).
    """
    names = list(dict.fromkeys(regions))

    async def one(region: str) -> RegionDiscovery | BedrockError:
        outcome = await _outcome(discover_region(clients, region))
        if on_region is not None:
            on_region(region, not isinstance(outcome, BedrockError))
        return outcome

    outcomes = await asyncio.gather(*(one(r) for r in names))
    found: dict[str, RegionDiscovery] = {}
    errors: dict[str, ClassifiedError] = {}
    for region, outcome in zip(names, outcomes, strict=True):
        if isinstance(outcome, BedrockError):
            errors[region] = outcome.classified
        else:
            found[region] = outcome
    return DiscoveryResult(regions=found, errors=errors)


async def converse(
    clients: BedrockClients, region: str, model_id: str, **request: Any
) -> ConverseResult:
    """One Converse call of `model_id` (a bare id or profile id); `request` is the API's body."""
    operation = "Converse"
    try:
        client = await clients.runtime(region)
        # Timed from here: creating the region's client on first use is not the call's latency.
        started = time.perf_counter()
        response = await client.converse(modelId=model_id, **request)
        return ConverseResult.from_response(
            response, region=region, invoke_id=model_id, client_latency_ms=_elapsed_ms(started)
        )
    except Exception as exc:
        raise _failure(exc, operation, region, model_id) from exc


def converse_stream(
    clients: BedrockClients, region: str, model_id: str, **request: Any
) -> ConverseStream:
    """A ConverseStream call, to be entered with `async with` and iterated for its events."""
    return ConverseStream(clients, region, model_id, request)


class ConverseStream:
    """A running ConverseStream: iterate it for typed events; `result` accumulates them.

    Entering sends the request; leaving closes the HTTP response, also when the consumer is
    cancelled or stops early, so no connection is left half-read. Each event carries the time
    since the request started; `result.ttft_ms` is the time to the first content delta.
    """

    operation = "ConverseStream"

    def __init__(
        self,
        clients: BedrockClients,
        region: str,
        model_id: str,
        request: dict[str, Any],
    ) -> None:
        self._clients = clients
        self._request = request
        self.region = region
        self.model_id = model_id
        self.result = StreamResult(region=region, invoke_id=model_id)
        self._started = 0.0
        self._events: Any = None
        self._iterator: Any = None
        self._closed = False

    async def __aenter__(self) -> Self:
        if self._events is not None or self._closed:
            raise RuntimeError("a ConverseStream can be entered once")
        try:
            client = await self._clients.runtime(self.region)
            self._started = time.perf_counter()
            response = await client.converse_stream(modelId=self.model_id, **self._request)
        except Exception as exc:
            self._closed = True
            raise _failure(exc, self.operation, self.region, self.model_id) from exc
        self.result.request_id = (response.get("ResponseMetadata") or {}).get("RequestId")
        self.result.simulated = is_simulated(response)
        self._events = response["stream"]
        keep_exception_type(self._events)
        self._iterator = aiter(self._events)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        """True once the HTTP response has been closed."""
        return self._closed

    async def aclose(self) -> None:
        """Close the HTTP response (a no-op once the stream was read to its end)."""
        if self._closed:
            return
        self._closed = True
        events, self._events = self._events, None
        iterator, self._iterator = self._iterator, None
        if events is not None:
            events.close()
        if iterator is not None:
            await iterator.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._iterator is None:
            if self.result.finished:
                raise StopAsyncIteration
            raise RuntimeError("iterate a ConverseStream inside `async with`")
        try:
            raw = await anext(self._iterator)
            event = parse_stream_event(raw, _elapsed_ms(self._started))
        except StopAsyncIteration:
            self.result.finish(_elapsed_ms(self._started))
            await self.aclose()
            raise
        except Exception as exc:
            # The stream is unusable after an error: free its connection right away.
            await self.aclose()
            failure = _failure(exc, self.operation, self.region, self.model_id)
            # An in-stream error carries no HTTP headers: the stream's own response said it.
            failure.simulated = failure.simulated or self.result.simulated
            raise failure from exc
        self.result.add(event)
        return event

    async def collect(self) -> StreamResult:
        """Read the stream to its end and return the accumulated result."""
        async for _ in self:
            pass
        return self.result
