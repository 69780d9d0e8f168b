"""Chance in the stand-in: which fault a call suffers and when each token is delivered."""

from __future__ import annotations

import random
from enum import StrEnum

from certtui.standin import errors
from certtui.standin.errors import ApiError
from certtui.standin.scenario import FaultRates, Latency


class Fault(StrEnum):
    """A simulated failure of one runtime call (names match the FaultRates fields)."""

    THROTTLE = "throttle"
    NOT_READY = "not_ready"
    INTERNAL_ERROR = "internal_error"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    MODEL_ERROR = "model_error"
    STREAM_ERROR = "stream_error"

    def api_error(self) -> ApiError:
        """The error response a call with this fault ends in (a stream error ends mid-stream)."""
        code, message = _ERRORS[self]
        return ApiError(code, message)


_ERRORS = {
    Fault.THROTTLE: ("ThrottlingException", errors.THROTTLED),
    Fault.NOT_READY: ("ModelNotReadyException", errors.NOT_READY),
    Fault.INTERNAL_ERROR: ("InternalServerException", errors.INTERNAL),
    Fault.UNAVAILABLE: ("ServiceUnavailableException", errors.UNAVAILABLE),
    Fault.TIMEOUT: ("ModelTimeoutException", errors.MODEL_TIMEOUT),
    Fault.MODEL_ERROR: ("ModelErrorException", errors.MODEL_ERROR),
    Fault.STREAM_ERROR: ("ModelStreamErrorException", errors.STREAM_ERROR),
}
# Faults that answer at once, before the model does any work.
IMMEDIATE = frozenset({Fault.THROTTLE, Fault.NOT_READY, Fault.INTERNAL_ERROR, Fault.UNAVAILABLE})


def draw_fault(rates: FaultRates, rng: random.Random, *, streaming: bool) -> Fault | None:
    """Roll every fault in a fixed order (so a seed replays) and return the first that hits."""
    hit = None
    for fault in Fault:
        roll = rng.random()
        applies = streaming or fault is not Fault.STREAM_ERROR
        if hit is None and applies and roll < getattr(rates, fault.value):
            hit = fault
    return hit


def token_offsets(
    latency: Latency, tokens: int, rng: random.Random, override_ms: float | None
) -> list[float]:
    """Seconds from the start of the call at which each output token is ready."""
    tokens = max(1, tokens)
    if override_ms is not None:
        total = override_ms / 1000
        if tokens == 1:
            return [total]
        # Benchmarks want every call to take about override_ms; spread the tokens over the
        # second half so the first token still arrives well before the last.
        first = total / 2
        step = (total - first) / (tokens - 1)
        return [first + step * index for index in range(tokens)]
    first = latency.first_token_ms * _jitter(latency.jitter, rng) / 1000
    per_token = latency.per_token_ms * _jitter(latency.jitter, rng) / 1000
    return [first + per_token * index for index in range(tokens)]


def _jitter(amount: float, rng: random.Random) -> float:
    return 1 + rng.uniform(-amount, amount)
