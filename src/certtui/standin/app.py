"""The stand-in's aiohttp application: Bedrock's operations, errors and event streams."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import random
import socket
import struct
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from certtui.standin import catalog, errors, eventstream
from certtui.standin.admission import Target, admit, caller_from, resolve, validate
from certtui.standin.catalog import bare_identifier
from certtui.standin.errors import ApiError, Unreachable
from certtui.standin.faults import IMMEDIATE, Fault, draw_fault, token_offsets
from certtui.standin.responder import REASONING_SIGNATURE, Reply, respond, text_tokens
from certtui.standin.scenario import Scenario
from certtui.standin.shapes import check_shape, load_shapes
from certtui.standin.stats import ServerStats

log = logging.getLogger(__name__)

SIMULATED_HEADER = "x-certtui-simulated"
"""Set to 1 on every response, so results obtained from the stand-in are marked simulated."""

# ListInferenceProfiles pages hold this many profiles unless maxResults says otherwise.
DEFAULT_PAGE_SIZE = 10
_MAX_PAGE_SIZE = 1000
_RESET = "ConnectionReset"


class Standin:
    """The request handlers over one scenario; build its aiohttp application with `app()`."""

    def __init__(
        self, scenario: Scenario, *, seed: int = 0, latency_ms: float | None = None
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.latency_ms = latency_ms
        self.stats = ServerStats()
        # Per-(model, region) call numbers make repeated identical calls roll fresh dice.
        self._call_numbers: Counter[tuple[str, str]] = Counter()
        self._request_numbers = 0
        # Where a Bedrock API key call to a bare address (no region in its Host) is served.
        names = [region.name for region in scenario.regions if region.bedrock]
        self._default_region = "us-east-1" if "us-east-1" in names or not names else names[0]

    def app(self) -> web.Application:
        """The aiohttp application serving the control-plane and runtime operations."""
        app = web.Application(middlewares=[self._errors], client_max_size=32 * 1024**2)
        app.router.add_get("/foundation-models", self._list_foundation_models)
        app.router.add_get("/inference-profiles", self._list_inference_profiles)
        # `.+` rather than the default segment pattern: ARNs carry slashes once decoded.
        app.router.add_post("/model/{model_id:.+}/converse", self._converse)
        app.router.add_post("/model/{model_id:.+}/converse-stream", self._converse_stream)
        app.router.add_route("*", "/{path:.*}", self._unknown)
        app.on_response_prepare.append(self._add_request_id)
        # The service model the request shapes are checked against is read before the first
        # request, so no call's latency includes it.
        app.on_startup.append(lambda _app: load_shapes())
        return app

    # ------------------------------------------------------------ plumbing

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Turn ApiError into Bedrock's error shape and Unreachable into a reset connection."""
        try:
            return await handler(request)
        except ApiError as exc:
            self.stats.count_error(exc.code)
            return error_response(exc)
        except Unreachable:
            self.stats.count_error(_RESET)
            _reset_connection(request)
            # Nothing reaches the client: aiohttp drops writes to the aborted transport.
            return web.Response(status=500)
        except (web.HTTPException, asyncio.CancelledError, ConnectionError):
            raise
        except Exception:
            log.exception("stand-in handler failed for %s %s", request.method, request.path)
            self.stats.count_error("InternalServerException")
            return error_response(
                ApiError("InternalServerException", "The Bedrock stand-in failed unexpectedly.")
            )

    async def _add_request_id(self, request: web.Request, response: web.StreamResponse) -> None:
        self._request_numbers += 1
        rng = random.Random(f"{self.seed}|request|{self._request_numbers}")
        response.headers.setdefault(
            "x-amzn-RequestId", str(uuid.UUID(int=rng.getrandbits(128), version=4))
        )
        response.headers[SIMULATED_HEADER] = "1"

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        self.stats.count_call("Unknown", None)
        raise ApiError(
            "UnknownOperationException",
            f"The Bedrock stand-in does not implement {request.method} {request.path}.",
        )

    # ------------------------------------------------------------ control plane

    async def _list_foundation_models(self, request: web.Request) -> web.StreamResponse:
        caller = caller_from(request.headers, default_region=self._default_region)
        self.stats.count_call("ListFoundationModels", caller.region)
        region = admit(self.scenario, caller)
        summaries = catalog.list_foundation_models(self.scenario, region, request.query)
        return web.json_response({"modelSummaries": summaries})

    async def _list_inference_profiles(self, request: web.Request) -> web.StreamResponse:
        caller = caller_from(request.headers, default_region=self._default_region)
        self.stats.count_call("ListInferenceProfiles", caller.region)
        region = admit(self.scenario, caller)
        size = _page_size(request.query.get("maxResults"))
        start = _page_start(request.query.get("nextToken"))
        profiles = catalog.inference_profiles(self.scenario, region)
        if request.query.get("type", "SYSTEM_DEFINED") != "SYSTEM_DEFINED":
            profiles = []  # the stand-in has no application inference profiles
        page = profiles[start : start + size]
        body: dict[str, Any] = {
            "inferenceProfileSummaries": [
                catalog.inference_profile_summary(self.scenario, p) for p in page
            ]
        }
        if start + size < len(profiles):
            body["nextToken"] = _token(start + size)
        return web.json_response(body)

    # ------------------------------------------------------------ runtime

    async def _converse(self, request: web.Request) -> web.StreamResponse:
        return await self._runtime(request, streaming=False)

    async def _converse_stream(self, request: web.Request) -> web.StreamResponse:
        return await self._runtime(request, streaming=True)

    async def _runtime(self, request: web.Request, *, streaming: bool) -> web.StreamResponse:
        caller = caller_from(request.headers, default_region=self._default_region)
        self.stats.count_call("ConverseStream" if streaming else "Converse", caller.region)
        invoked = bare_identifier(request.match_info["model_id"])
        with self.stats.in_flight(caller.region, invoked):
            started = asyncio.get_running_loop().time()
            region = admit(self.scenario, caller)
            target = resolve(self.scenario, region, request.match_info["model_id"])
            body = await _json_body(request)
            await load_shapes()  # loaded at startup; this only waits if a request beat it
            check_shape(request.match_info["model_id"], body, streaming=streaming)
            validate(target, body, streaming=streaming)
            answered = self._call_numbers[(target.model.id, target.region.name)]
            _inject(target, body, streaming=streaming, answered=answered)
            call = self._roll(target, body, streaming=streaming)
            if call.fault in IMMEDIATE:
                raise call.fault.api_error()
            if call.fault in (Fault.TIMEOUT, Fault.MODEL_ERROR):
                hang = target.behaviour.timeout_style == "hang" and call.fault is Fault.TIMEOUT
                wait = target.behaviour.hang_ms / 1000 if hang else call.offsets[0]
                await _sleep_until(started + wait)
                raise call.fault.api_error()
            if streaming:
                return await self._stream(request, target, call, started)
            await _sleep_until(started + call.offsets[-1])
            return web.json_response(
                {
                    "output": {"message": {"role": "assistant", "content": call.reply.content()}},
                    "stopReason": call.reply.stop_reason,
                    "usage": _usage(call.reply),
                    "metrics": {"latencyMs": _elapsed_ms(started)},
                }
            )

    def _roll(self, target: Target, body: dict[str, Any], *, streaming: bool) -> _Call:
        """Decide this call's fault, answer and token timing, reproducibly from the seed."""
        key = (target.model.id, target.region.name)
        self._call_numbers[key] += 1
        rng = random.Random(f"{self.seed}|{key[0]}|{key[1]}|{self._call_numbers[key]}")
        rates = target.behaviour.faults.combined(target.region.faults)
        fault = draw_fault(rates, rng, streaming=streaming)
        reasoning = target.model.reasoning_tokens if target.model.reasoning else 0
        reply = respond(
            body, target.behaviour.flaws, seed=str(self.seed), reasoning_tokens=reasoning
        )
        if target.behaviour.stop_reason is not None:
            reply = replace(reply, stop_reason=target.behaviour.stop_reason)
        steps = _stream_steps(reply)
        offsets = token_offsets(target.behaviour.latency, len(steps), rng, self.latency_ms)
        # A failing stream breaks after some deltas: at least one, and not all when it can.
        break_at = rng.randint(1, max(1, len(steps) - 1))
        return _Call(fault=fault, reply=reply, steps=steps, offsets=offsets, break_at=break_at)

    async def _stream(
        self, request: web.Request, target: Target, call: _Call, started: float
    ) -> web.StreamResponse:
        """Write ConverseStream's events as frames, each flushed when its token is ready."""
        response = web.StreamResponse(headers={"Content-Type": eventstream.CONTENT_TYPE})
        await response.prepare(request)
        await response.write(eventstream.event_frame("messageStart", {"role": "assistant"}))
        for delivered, frames in enumerate(call.steps, start=1):
            await _sleep_until(started + call.offsets[delivered - 1])
            for frame in frames:
                await response.write(frame)
            behaviour = target.behaviour
            if behaviour.error is not None and behaviour.error_in_stream is not None:
                # An in-stream exception of a type botocore's model may not list at all.
                self.stats.count_error(behaviour.error_in_stream)
                message = behaviour.error_message or errors.INJECTED_MESSAGES[behaviour.error]
                await response.write(
                    eventstream.exception_frame(behaviour.error_in_stream, message)
                )
                await response.write_eof()
                return response
            if call.fault is Fault.STREAM_ERROR and delivered == call.break_at:
                kind = target.behaviour.stream_error_type
                self.stats.count_error(kind)
                message = errors.STREAM_ERROR_MESSAGES[kind]
                await response.write(eventstream.exception_frame(kind, message))
                await response.write_eof()
                return response
        await response.write(
            eventstream.event_frame("messageStop", {"stopReason": call.reply.stop_reason})
        )
        await response.write(
            eventstream.event_frame(
                "metadata",
                {"usage": _usage(call.reply), "metrics": {"latencyMs": _elapsed_ms(started)}},
            )
        )
        await response.write_eof()
        return response


@dataclass(frozen=True)
class _Call:
    """What was decided for one runtime call."""

    fault: Fault | None
    reply: Reply
    steps: list[list[bytes]]
    offsets: list[float]
    break_at: int


def _inject(target: Target, body: dict[str, Any], *, streaming: bool, answered: int) -> None:
    """The errors a scenario profile asks for: a refused inference parameter, or one error on
    every call (up front, unless a stream is to break with it mid-way)."""
    behaviour = target.behaviour
    config = body.get("inferenceConfig") or {}
    for parameter in sorted(behaviour.rejects_parameters):
        if parameter in config:
            raise ApiError("ValidationException", errors.rejected_parameter(parameter))
    if behaviour.error is None or (streaming and behaviour.error_in_stream is not None):
        return
    if answered < behaviour.error_after:
        return
    raise ApiError(
        behaviour.error, behaviour.error_message or errors.INJECTED_MESSAGES[behaviour.error]
    )


def error_response(error: ApiError) -> web.Response:
    """Bedrock's error shape: the code's HTTP status, `x-amzn-ErrorType` and `{"message"}`."""
    return web.json_response(
        {"message": error.message},
        status=error.status,
        headers={"x-amzn-ErrorType": error.code},
    )


def _reset_connection(request: web.Request) -> None:
    """Abort the TCP connection with a RST, the way an unreachable endpoint looks to a client."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0 turns the close into a reset; aiohttp-based clients (aiobotocore) then
        # raise EndpointConnectionError, as they do for an endpoint that does not exist.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _json_fragments(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _stream_steps(reply: Reply) -> list[list[bytes]]:
    """The frames of each token as it is delivered (block start and stop frames ride along)."""
    steps: list[list[bytes]] = []
    block = 0
    if reply.reasoning:
        tokens = text_tokens(reply.reasoning)
        for position, token in enumerate(tokens):
            frames = [_delta(block, {"reasoningContent": {"text": token}})]
            if position == len(tokens) - 1:
                frames.append(
                    _delta(block, {"reasoningContent": {"signature": REASONING_SIGNATURE}})
                )
                frames.append(_block_stop(block))
            steps.append(frames)
        block += 1
    if reply.has_text_block:
        tokens = text_tokens(reply.text) or [""]
        for position, token in enumerate(tokens):
            frames = [_delta(block, {"text": token})]
            if position == len(tokens) - 1:
                frames.append(_block_stop(block))
            steps.append(frames)
        block += 1
    if reply.tool_call is not None:
        call = reply.tool_call
        fragments = _json_fragments(json.dumps(call.input))
        for position, fragment in enumerate(fragments):
            frames = []
            if position == 0:
                start = {"toolUse": {"toolUseId": call.tool_use_id, "name": call.name}}
                frames.append(
                    eventstream.event_frame(
                        "contentBlockStart", {"start": start, "contentBlockIndex": block}
                    )
                )
            frames.append(_delta(block, {"toolUse": {"input": fragment}}))
            if position == len(fragments) - 1:
                frames.append(_block_stop(block))
            steps.append(frames)
    return steps


def _delta(block: int, delta: dict[str, Any]) -> bytes:
    return eventstream.event_frame(
        "contentBlockDelta", {"delta": delta, "contentBlockIndex": block}
    )


def _block_stop(block: int) -> bytes:
    return eventstream.event_frame("contentBlockStop", {"contentBlockIndex": block})


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "inputTokens": reply.input_tokens,
        "outputTokens": reply.output_tokens,
        "totalTokens": reply.total_tokens,
    }


def _elapsed_ms(started: float) -> int:
    return round((asyncio.get_running_loop().time() - started) * 1000)


async def _sleep_until(deadline: float) -> None:
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(
            "ValidationException", f"Malformed input request: the body is not JSON ({exc})."
        ) from None


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= _MAX_PAGE_SIZE:
        raise ApiError(
            "ValidationException",
            f"1 validation error detected: Value '{raw}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value between 1 and {_MAX_PAGE_SIZE}",
        )
    return size


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"standin:{offset}".encode()).decode()


def _page_start(token: str | None) -> int:
    if token is None:
        return 0
    try:
        prefix, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if prefix == "standin" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError("ValidationException", "The pagination token is invalid.")
