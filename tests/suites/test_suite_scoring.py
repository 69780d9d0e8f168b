"""Score, rating and pass/fail follow SPEC §3.1, at the boundaries and for any mix of results."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certtui.suites import (
    Score,
    TestStatus,
    chat_applicable,
    not_applicable_reason,
    rating_for,
    score_tests,
)

P, F, S = TestStatus.PASSED, TestStatus.FAILED, TestStatus.SKIPPED


@dataclass(frozen=True)
class R:
    weight: float
    status: TestStatus
    required: bool = False
    id: str = "t"


def test_default_battery_all_passed() -> None:
    weights = [3, 2, 2, 2, 2, 1, 2, 1, 1, 1]
    results = [R(w, P, required=i == 0) for i, w in enumerate(weights)]
    assert score_tests(results) == Score(100.0, "A", True)


def test_skipped_tests_leave_the_denominator() -> None:
    # 17 weights, streaming (2) and image (1) skipped, tool_use (2) failed: 12/14.
    results = [
        R(3, P, True),
        R(2, P),
        R(2, P),
        R(2, P),
        R(2, S),
        R(1, P),
        R(2, F),
        R(1, P),
        R(1, S),
        R(1, P),
    ]
    assert score_tests(results) == Score(85.7, "B", True)


def test_required_failure_fails_whatever_the_score() -> None:
    results = [R(3, F, True, "respond"), R(100, P)]
    score = score_tests(results)
    assert score.score == 97.1 and score.rating == "A"
    assert not score.passed
    assert score.failed_required == ("respond",)


def test_required_test_skipped_does_not_block() -> None:
    assert score_tests([R(3, S, True), R(1, P)]).passed


@pytest.mark.parametrize(
    ("passed", "total", "score", "rating"),
    [
        (9, 10, 90.0, "A"),
        (899, 1000, 89.9, "B"),
        (3, 4, 75.0, "B"),
        (749, 1000, 74.9, "C"),
        (6, 10, 60.0, "C"),
        (599, 1000, 59.9, "D"),
        (4, 10, 40.0, "D"),
        (399, 1000, 39.9, "F"),
        (0, 10, 0.0, "F"),
        (10, 10, 100.0, "A"),
    ],
)
def test_rating_boundaries(passed: int, total: int, score: float, rating: str) -> None:
    result = score_tests([R(passed, P), R(total - passed, F)] if passed < total else [R(total, P)])
    assert (result.score, result.rating) == (score, rating)
    assert result.passed is (score >= 75)


def test_rounding_is_half_up_on_the_exact_value() -> None:
    # 87.25 exactly: float rounding would give 87.2.
    assert score_tests([R(349, P), R(51, F)]).score == 87.3
    # 2/3 → 66.666… → 66.7; 1/3 → 33.3.
    assert score_tests([R(2, P), R(1, F)]).score == 66.7
    assert score_tests([R(1, P), R(2, F)]).score == 33.3


def test_threshold_applies_to_the_shown_score() -> None:
    # 74.96 shows as 75.0, and 75.0 passes the default threshold.
    results = [R(7496, P), R(2504, F)]
    assert score_tests(results) == Score(75.0, "B", True)
    assert not score_tests(results, pass_threshold=80).passed
    assert score_tests([R(1, P), R(1, F)], pass_threshold=50).passed


def test_nothing_ran_means_no_score_and_not_passed() -> None:
    for results in ([], [R(1, S), R(2, S, True)]):
        score = score_tests(results)
        assert score == Score(None, None, False)
        assert not score.applicable


statuses = st.sampled_from([P, F, S])
results_strategy = st.lists(
    st.builds(
        R, weight=st.integers(1, 10) | st.floats(0.1, 10), status=statuses, required=st.booleans()
    ),
    max_size=12,
)


@given(results_strategy, st.floats(0, 100))
def test_score_is_bounded_and_rating_matches(results: list[R], threshold: float) -> None:
    score = score_tests(results, threshold)
    if all(r.status is S for r in results):
        assert score.score is None and not score.passed
        return
    assert 0 <= score.score <= 100
    assert round(score.score, 1) == score.score
    expected = next(
        (
            letter
            for letter, low in (("A", 90), ("B", 75), ("C", 60), ("D", 40))
            if score.score >= low
        ),
        "F",
    )
    assert score.rating == expected == rating_for(score.score)
    required_ok = not any(r.required and r.status is F for r in results)
    assert score.passed is (required_ok and score.score >= threshold)


@given(results_strategy, st.data())
def test_passing_one_more_test_never_lowers_the_score(results: list[R], data) -> None:
    failed = [i for i, r in enumerate(results) if r.status is F]
    if not failed:
        return
    index = data.draw(st.sampled_from(failed))
    better = [R(r.weight, P, r.required, r.id) if i == index else r for i, r in enumerate(results)]
    before, after = score_tests(results), score_tests(better)
    assert after.score >= before.score
    assert after.passed or not before.passed


@pytest.mark.parametrize(
    ("outputs", "applicable", "reason"),
    [
        (["TEXT"], True, None),
        (["text"], True, None),
        (["TEXT", "IMAGE"], True, None),
        (["EMBEDDING"], False, "embedding"),
        (["IMAGE"], False, "image generation"),
        (["VIDEO"], False, "video"),
        (["SPEECH"], False, "speech"),
        (["BOGUS"], False, "BOGUS"),
        ([], False, "no output modality"),
    ],
)
def test_chat_applicable(outputs: list[str], applicable: bool, reason: str | None) -> None:
    assert chat_applicable(outputs) is applicable
    found = not_applicable_reason(outputs)
    if reason is None:
        assert found is None
    else:
        assert reason in found and "not apply" in found
