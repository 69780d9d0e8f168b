"""The state machines of SPEC §2.3 as pure rules."""

from __future__ import annotations

from collections.abc import Mapping

from certtui.domain.enums import CertificationStatus as C
from certtui.domain.enums import JobStatus as J


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
