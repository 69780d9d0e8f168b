"""The state machines of SPEC §2.3 as pure rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from certtui.domain.enums import CertificationStatus as C
from certtui.domain.enums import JobStatus as J

S = TypeVar("S", bound=StrEnum)


class IllegalTransition(ValueError):
    """A state change that SPEC §2.3 does not allow."""

    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(f"illegal {kind} transition {current} -> {target}")
        self.kind = kind
        self.current = current
        self.target = target


# Re-certifying a finished unit starts it again from QUEUED (the unique row is reused).
# A crashed engine's PROCESSING units go back to QUEUED when the job is recovered.
CERTIFICATION_TRANSITIONS: Mapping[C, frozenset[C]] = {
    C.PENDING: frozenset({C.QUEUED, C.CANCELLED}),
    C.QUEUED: frozenset({C.PROCESSING, C.CANCELLED}),
    C.PROCESSING: frozenset({C.COMPLETED, C.FAILED, C.CANCELLED, C.QUEUED}),
    C.COMPLETED: frozenset({C.PENDING, C.QUEUED}),
    C.FAILED: frozenset({C.PENDING, C.QUEUED}),
    C.CANCELLED: frozenset({C.PENDING, C.QUEUED}),
}

# PAUSED is reachable from any live state; a paused or interrupted job resumes to QUEUED or
# PROCESSING; FAILED is "the job itself could not go on".
JOB_TRANSITIONS: Mapping[J, frozenset[J]] = {
    J.PENDING: frozenset({J.QUEUED, J.PROCESSING, J.PAUSED, J.CANCELLED, J.FAILED}),
    J.QUEUED: frozenset({J.PROCESSING, J.PAUSED, J.CANCELLED, J.FAILED}),
    J.PROCESSING: frozenset({J.COMPLETED, J.FAILED, J.CANCELLED, J.PAUSED}),
    J.PAUSED: frozenset({J.QUEUED, J.PROCESSING, J.CANCELLED, J.FAILED}),
    J.COMPLETED: frozenset(),
    J.FAILED: frozenset(),
    J.CANCELLED: frozenset(),
}


def can_transition_certification(current: C | str, target: C | str) -> bool:
    """Whether a certification may move from ``current`` to ``target``."""
    return C(target) in CERTIFICATION_TRANSITIONS[C(current)]


def can_transition_job(current: J | str, target: J | str) -> bool:
    """Whether a job may move from ``current`` to ``target``."""
    return J(target) in JOB_TRANSITIONS[J(current)]


def check_certification_transition(current: C | str, target: C | str) -> C:
    """Return ``target`` as a status, or raise IllegalTransition."""
    if not can_transition_certification(current, target):
        raise IllegalTransition("certification", str(current), str(target))
    return C(target)


def check_job_transition(current: J | str, target: J | str) -> J:
    """Return ``target`` as a status, or raise IllegalTransition."""
    if not can_transition_job(current, target):
        raise IllegalTransition("job", str(current), str(target))
    return J(target)


def certification_sources(target: C | str, wanted: Iterable[C] | None = None) -> frozenset[C]:
    """The states a certification may leave for ``target`` (all, or the ``wanted`` ones).

    Raises IllegalTransition when a wanted state may not move to ``target``, or when no state
    may: a store write asks here which rows its UPDATE may touch.
    """
    return _sources("certification", CERTIFICATION_TRANSITIONS, C(target), wanted)


def job_sources(target: J | str, wanted: Iterable[J] | None = None) -> frozenset[J]:
    """The states a job may leave for ``target`` (all, or the ``wanted`` ones); see above."""
    return _sources("job", JOB_TRANSITIONS, J(target), wanted)


def _sources(kind: str, table: Mapping[S, frozenset[S]], target: S, wanted: Iterable[S] | None
             ) -> frozenset[S]:  # fmt: skip
    allowed = frozenset(state for state, targets in table.items() if target in targets)
    if wanted is not None:
        asked = frozenset(wanted)
        for state in sorted(asked - allowed):
            raise IllegalTransition(kind, str(state), str(target))
        allowed = asked
    if not allowed:
        raise IllegalTransition(kind, "any state", str(target))
    return allowed
