"""The state machines of SPEC §2.3."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certtui.domain.enums import CertificationStatus as C
from certtui.domain.enums import JobStatus as J
from certtui.domain.transitions import (
    IllegalTransition,
    can_transition_certification,
    can_transition_job,
    certification_sources,
    check_certification_transition,
    check_job_transition,
    job_sources,
)


def test_enum_values_are_the_seeds() -> None:
    assert [s.value for s in C] == [
        "PENDING", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED",
    ]  # fmt: skip
    assert [s.value for s in J] == [
        "PENDING", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        [C.PENDING, C.QUEUED, C.PROCESSING, C.COMPLETED],
        [C.PENDING, C.QUEUED, C.PROCESSING, C.FAILED],
        [C.QUEUED, C.CANCELLED],
        [C.PROCESSING, C.QUEUED, C.PROCESSING, C.COMPLETED, C.QUEUED],  # recovery, re-certify
    ],
)
def test_legal_certification_paths(path: list[C]) -> None:
    for current, target in itertools.pairwise(path):
        assert check_certification_transition(current, target) == target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (C.PENDING, C.COMPLETED),
        (C.QUEUED, C.FAILED),
        (C.COMPLETED, C.PROCESSING),
        (C.CANCELLED, C.COMPLETED),
        (C.PENDING, C.PROCESSING),
    ],
)
def test_illegal_certification_transitions_raise(current: C, target: C) -> None:
    with pytest.raises(IllegalTransition, match=f"certification transition {current} -> {target}"):
        check_certification_transition(current, target)


def test_terminal_jobs_never_move() -> None:
    for terminal in (J.COMPLETED, J.FAILED, J.CANCELLED):
        assert terminal.is_terminal
        for target in J:
            assert not can_transition_job(terminal, target)
            with pytest.raises(IllegalTransition):
                check_job_transition(terminal, target)


def test_paused_jobs_resume_or_cancel() -> None:
    assert can_transition_job(J.PROCESSING, J.PAUSED)
    assert can_transition_job(J.PAUSED, J.PROCESSING)
    assert can_transition_job(J.PAUSED, J.CANCELLED)
    assert not can_transition_job(J.PAUSED, J.COMPLETED)


@given(st.lists(st.sampled_from(list(C)), min_size=1, max_size=30))
def test_any_walk_of_legal_certification_steps_finishes_only_through_processing(
    walk: list[C],
) -> None:
    state = C.PENDING
    previous = None
    for target in walk:
        if can_transition_certification(state, target):
            previous, state = state, target
            if state in (C.COMPLETED, C.FAILED):
                # A result is only ever reached from a running unit.
                assert previous == C.PROCESSING
        else:
            with pytest.raises(IllegalTransition):
                check_certification_transition(state, target)


@given(st.sampled_from(list(C)), st.sampled_from(list(C)))
def test_checks_agree_with_predicates(current: C, target: C) -> None:
    if can_transition_certification(current, target):
        assert check_certification_transition(current.value, target.value) is target
    else:
        with pytest.raises(IllegalTransition):
            check_certification_transition(current, target)


@given(st.sampled_from(list(C)))
def test_certification_sources_are_the_states_that_may_move_there(target: C) -> None:
    expected = {s for s in C if can_transition_certification(s, target)}
    if expected:
        assert certification_sources(target) == expected
        assert certification_sources(target, expected) == expected
    else:
        with pytest.raises(IllegalTransition):
            certification_sources(target)


@given(st.sampled_from(list(J)), st.sets(st.sampled_from(list(J)), min_size=1))
def test_job_sources_refuse_a_state_that_may_not_move_there(target: J, wanted: set[J]) -> None:
    if all(can_transition_job(s, target) for s in wanted):
        assert job_sources(target, wanted) == wanted
    else:
        with pytest.raises(IllegalTransition, match=f"-> {target}"):
            job_sources(target, wanted)
