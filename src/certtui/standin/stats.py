"""Counters measured at the stand-in, readable from any thread while it serves."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ServerStats:
    """Calls per operation and region, error codes, and peak in-flight runtime calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything counted so far (e.g. between benchmark phases)."""
        with self._lock:
            self._calls: Counter[str] = Counter()
            self._calls_by_region: Counter[str] = Counter()
            self._errors: Counter[str] = Counter()
            self._in_flight: Counter[str] = Counter()
            self._in_flight_by_model: Counter[tuple[str, str]] = Counter()
            self._peak: Counter[str] = Counter()
            self._peak_by_model: Counter[tuple[str, str]] = Counter()
            self._in_flight_total = 0
            self._peak_total = 0
            self._call_starts: list[float] = []

    def count_call(self, operation: str, region: str | None) -> None:
        """Count one request to an operation (regionless when it was not signed)."""
        with self._lock:
            self._calls[operation] += 1
            if region is not None:
                self._calls_by_region[region] += 1

    def count_error(self, code: str) -> None:
        """Count one error answer (HTTP error, in-stream exception or connection reset)."""
        with self._lock:
            self._errors[code] += 1

    @contextmanager
    def in_flight(self, region: str, model_id: str) -> Iterator[None]:
        """Track a runtime call from its arrival until its answer is fully written."""
        key = (region, model_id)
        with self._lock:
            self._call_starts.append(time.monotonic())
            self._in_flight[region] += 1
            self._in_flight_by_model[key] += 1
            self._in_flight_total += 1
            self._peak[region] = max(self._peak[region], self._in_flight[region])
            self._peak_by_model[key] = max(self._peak_by_model[key], self._in_flight_by_model[key])
            self._peak_total = max(self._peak_total, self._in_flight_total)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[region] -= 1
                self._in_flight_by_model[key] -= 1
                self._in_flight_total -= 1

    @property
    def calls(self) -> dict[str, int]:
        """Requests per operation name (Converse, ConverseStream, ListFoundationModels …)."""
        with self._lock:
            return dict(self._calls)

    @property
    def calls_by_region(self) -> dict[str, int]:
        """Requests per region (from the SigV4 credential scope)."""
        with self._lock:
            return dict(self._calls_by_region)

    @property
    def errors(self) -> dict[str, int]:
        """Error answers per code; `ConnectionReset` counts calls to unreachable regions."""
        with self._lock:
            return dict(self._errors)

    @property
    def call_starts(self) -> list[float]:
        """When each runtime call arrived (``time.monotonic()``, this process's clock)."""
        with self._lock:
            return list(self._call_starts)

    @property
    def in_flight_now(self) -> dict[str, int]:
        """Runtime calls in flight right now, per region."""
        with self._lock:
            return {region: n for region, n in self._in_flight.items() if n}

    @property
    def max_in_flight(self) -> dict[str, int]:
        """The most runtime calls ever in flight at once, per region."""
        with self._lock:
            return dict(self._peak)

    @property
    def max_in_flight_by_model(self) -> dict[tuple[str, str], int]:
        """The most runtime calls ever in flight at once, per (region, model id as invoked)."""
        with self._lock:
            return dict(self._peak_by_model)

    @property
    def max_in_flight_total(self) -> int:
        """The most runtime calls ever in flight at once, all regions together."""
        with self._lock:
            return self._peak_total

    def snapshot(self) -> dict[str, Any]:
        """All counters as plain data."""
        return {
            "calls": self.calls,
            "calls_by_region": self.calls_by_region,
            "errors": self.errors,
            "max_in_flight": self.max_in_flight,
            "max_in_flight_total": self.max_in_flight_total,
        }
