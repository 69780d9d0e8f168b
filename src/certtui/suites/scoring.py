"""Score, rating letter and pass/fail of a battery (SPEC §3.1), and which models it applies to.

When every test is skipped (or there are none) nothing was measured: the score and rating are
None and `passed` is false, because a certification needs evidence. The built-in suite cannot
get there (respond requires no capability); a custom suite of capability-bound tests can, and
the engine then records the unit as not applicable rather than as a score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Protocol

from certtui.domain.applicability import not_applicable_reason as model_not_applicable_reason

DEFAULT_PASS_THRESHOLD = 75.0

RATING_THRESHOLDS: tuple[tuple[str, int], ...] = (("A", 90), ("B", 75), ("C", 60), ("D", 40))
"""Lowest score of each letter, best first; anything lower is F."""


class TestStatus(StrEnum):
    """How one test of a battery ended."""

    __test__ = False  # not a pytest test class, whatever its name says

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class Scored(Protocol):
    """What scoring needs to know about a test's result (TestRecord provides it)."""

    @property
    def id(self) -> str: ...

    @property
    def weight(self) -> float: ...

    @property
    def required(self) -> bool: ...

    @property
    def status(self) -> TestStatus: ...


@dataclass(frozen=True)
class Score:
    """A battery's verdict: score 0–100 (one decimal), rating letter, and whether it passed."""

    score: float | None
    rating: str | None
    passed: bool
    failed_required: tuple[str, ...] = ()

    @property
    def applicable(self) -> bool:
        """False when no test ran, so there is no score."""
        return self.score is not None


def rating_for(score: float) -> str:
    """The rating letter of a score."""
    for letter, lowest in RATING_THRESHOLDS:
        if score >= lowest:
            return letter
    return "F"


def _one_decimal(value: Fraction) -> float:
    """Round half up on the exact value; float rounding would turn 87.25 into 87.2."""
    return math.floor(value * 10 + Fraction(1, 2)) / 10


def score_tests(results: Iterable[Scored], pass_threshold: float = DEFAULT_PASS_THRESHOLD) -> Score:
    """Score a battery: 100 × passed weight / weight of tests not skipped, one decimal.

    The rating and the threshold apply to the rounded score, so the letter always agrees with
    the number shown. `passed` also needs every required test that ran to have passed.
    """
    results = list(results)
    ran = [r for r in results if r.status is not TestStatus.SKIPPED]
    total = sum((Fraction(r.weight) for r in ran), Fraction(0))
    failed_required = tuple(r.id for r in ran if r.required and r.status is TestStatus.FAILED)
    if total == 0:
        return Score(score=None, rating=None, passed=False, failed_required=failed_required)
    earned = sum((Fraction(r.weight) for r in ran if r.status is TestStatus.PASSED), Fraction(0))
    score = _one_decimal(100 * earned / total)
    return Score(
        score=score,
        rating=rating_for(score),
        passed=not failed_required and score >= pass_threshold,
        failed_required=failed_required,
    )


def not_applicable_reason(output_modalities: Iterable[str]) -> str | None:
    """Why the chat suite does not apply to a model with these outputs, or None if it does."""
    return model_not_applicable_reason("", (), output_modalities)


def chat_applicable(output_modalities: Iterable[str]) -> bool:
    """True when a model outputs TEXT, so the chat suite certifies it."""
    return not_applicable_reason(output_modalities) is None
