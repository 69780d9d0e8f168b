"""Engine-owned retries: jittered exponential backoff (SPEC §3.4)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a retryable Bedrock error."""

    base: float = 1.0
    cap: float = 30.0
    max_attempts: int = 6

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): equal jitter."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def should_retry(self, attempt: int, retryable: bool) -> bool:
        """Whether attempt number ``attempt`` may be followed by another."""
        return retryable and attempt < self.max_attempts
